using System.Globalization;
using FsCheck;
using FsCheck.Fluent;

namespace ResCoin.Prediction.Tests;

/// <summary>A usage history: <c>Values[t][slot]</c>, finite and non-negative (NaN where a slot was not measured).</summary>
public sealed record History(string Predictor, ResourceKind Resource, double[][] Values)
{
    public int Slots => Values.Length == 0 ? 0 : Values[0].Length;

    public override string ToString()
        => $"{Predictor} {Resource} {Values.Length} periods × {Slots} slots: " + string.Join(" | ", Values.Take(6).Select(
            row => string.Join(", ", row.Take(4).Select(x => x.ToString("R", CultureInfo.InvariantCulture)))));
}

/// <summary>
/// Generators with awkward values on purpose: zeros, long idle runs, values from 1e-6 to 1e10 within one history,
/// ties, unmeasured (NaN) periods, one slot or many.
/// </summary>
public static class Arbitraries
{
    public static Arbitrary<History> History() => Arb.From(HistoryGen(allowNaN: true));

    public static Gen<History> HistoryGen(bool allowNaN) =>
        from name in Gen.Elements(Predictors.Names.ToArray())
        from resource in Gen.Elements(ResourceKinds.All.ToArray())
        from slots in Gen.Frequency((3, Gen.Constant(1)), (5, Gen.Choose(2, 8)), (1, Gen.Choose(9, 64)))
        from periods in Gen.Frequency((1, Gen.Choose(1, 3)), (6, Gen.Choose(4, 60)), (2, Gen.Choose(61, 300)))
        from rows in Gen.ArrayOf(Row(slots, allowNaN), periods)
        select new History(name, resource, rows);

    public static Gen<double[]> Row(int slots, bool allowNaN) => Gen.ArrayOf(
        Gen.Frequency(
            (allowNaN ? 1 : 0, Gen.Constant(double.NaN)),
            (3, Gen.Constant(0.0)),
            (2, Gen.Elements(1.0, 2.0, 1e10)),
            (8, Value())),
        slots);

    /// <summary>Non-negative, spread over 1e-6 to 1e10.</summary>
    public static Gen<double> Value() =>
        from mantissa in Gen.Choose(1, 1000)
        from exponent in Gen.Choose(-6, 10)
        select mantissa / 100.0 * Math.Pow(10, exponent);
}
