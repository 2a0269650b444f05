using System.Globalization;
using FsCheck;
using FsCheck.Fluent;

namespace ResCoin.Scheduling.Tests;

/// <summary>
/// One allocation problem for a single scheduled resource. The other resources of every vector hold NaN, so an
/// allocator that reads or writes an unscheduled resource is caught.
/// </summary>
public sealed record Problem(ResourceKind Resource, double Capacity, double[] Templates, double[] Estimates, double[] Credits, double Factor, int Seed)
{
    public int Count => Templates.Length;

    /// <summary>The magnitude the 1e-9 relative tolerance is taken against.</summary>
    public double Scale => Math.Max(Capacity, Math.Max(Templates.Sum(), Estimates.Sum()));

    public double Tolerance => 1e-9 * Scale;

    public VmId[] Vms => Enumerable.Range(0, Count).Select(i => new VmId("vm" + i.ToString(CultureInfo.InvariantCulture))).ToArray();

    public override string ToString()
    {
        static string Show(double[] a) => a.Length <= 12
            ? "[" + string.Join(", ", a.Select(x => x.ToString("R", CultureInfo.InvariantCulture))) + "]"
            : $"[{a.Length} values, sum {a.Sum().ToString("R", CultureInfo.InvariantCulture)}]";
        return $"{Resource} C={Capacity.ToString("R", CultureInfo.InvariantCulture)} tc={Show(Templates)} est={Show(Estimates)} ac={Show(Credits)} factor={Factor} seed={Seed}";
    }
}

/// <summary>
/// Generators that produce the awkward cases on purpose: one VM, zero templates, zero capacity, all credit negative,
/// magnitudes spread over nine orders within one problem, ties, capacity exactly at the sum of templates or estimates,
/// and occasionally 10 000 VMs.
/// </summary>
public static class Arbitraries
{
    public static Arbitrary<Problem> Problem() => Arb.From(ProblemGen());

    public static Gen<Problem> ProblemGen() =>
        from resource in Gen.Elements(ResourceKinds.All.ToArray())
        from n in Count()
        from scale in Gen.Elements(1.0, 1e-3, 8.0, 1e6, 1e9)
        from templates in Templates(n, scale)
        from estimates in Estimates(n, scale, templates)
        from credits in Credits(n, scale)
        from capacity in Capacity(n, scale, templates, estimates)
        from factor in Gen.Elements(1e-6, 1e-3, 0.5, 3.0, 1024.0, 1e6)
        from seed in Gen.Choose(0, int.MaxValue)
        select new Problem(resource, capacity, templates, estimates, credits, factor, seed);

    public static Gen<int> Count() => Gen.Frequency(
        (300, Gen.Constant(1)),
        (600, Gen.Choose(2, 6)),
        (400, Gen.Choose(7, 60)),
        (100, Gen.Choose(61, 600)),
        (3, Gen.Constant(10_000)));

    /// <summary>0, small multiples of the scale (ties), or the scale times 10^-9..10^0.</summary>
    public static Gen<double> Magnitude(double scale) => Gen.Frequency(
        (2, Gen.Constant(0.0)),
        (3, Gen.Choose(0, 16).Select(k => k * scale / 4)),
        (5, Gen.Choose(-9000, 0).Select(e => scale * Math.Pow(10, e / 1000.0))));

    private static Gen<double[]> Templates(int n, double scale) => Gen.Frequency(
        (1, Gen.Constant(new double[n])),
        (1, Gen.Constant(Enumerable.Repeat(scale, n).ToArray())),
        (4, Gen.ArrayOf(Magnitude(scale), n)));

    private static Gen<double[]> Estimates(int n, double scale, double[] templates) => Gen.Frequency(
        (1, Gen.Constant((double[])templates.Clone())),
        (1, Gen.Constant(new double[n])),
        (5, Gen.ArrayOf(Magnitude(scale), n)),
        (2, Gen.ArrayOf(Magnitude(scale * 4), n)));

    private static Gen<double[]> Credits(int n, double scale) => Gen.Frequency(
        (1, Gen.Constant(new double[n])),
        (2, Gen.ArrayOf(Magnitude(scale).Select(x => -x - (scale * 1e-3)), n)), // all negative
        (1, Gen.ArrayOf(Magnitude(scale), n)),
        (4, Gen.ArrayOf(from m in Magnitude(scale * 10) from neg in Gen.Elements(true, false) select neg ? -m : m, n)));

    private static Gen<double> Capacity(int n, double scale, double[] templates, double[] estimates) => Gen.Frequency(
        (1, Gen.Constant(0.0)),
        (2, Gen.Constant(templates.Sum())),
        (2, Gen.Constant(estimates.Sum())),
        (5, Magnitude(scale).Select(m => m * n)),
        (1, Gen.Constant(scale * 1e9)));
}
