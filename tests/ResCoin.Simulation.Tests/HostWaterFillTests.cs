using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace ResCoin.Simulation.Tests;

/// <summary>The simulated kernel's division of one resource: properties over generated hosts, and known answers.</summary>
public sealed class HostWaterFillTests
{
    public sealed record Host(double[] Demand, double[] Cap, double[] Weight, double Capacity)
    {
        public override string ToString() => $"demand [{string.Join(", ", Demand)}] cap [{string.Join(", ", Cap)}] weight [{string.Join(", ", Weight)}] capacity {Capacity}";
    }

    public static class Hosts
    {
        public static Arbitrary<Host> Host() => Arb.From(
            from n in Gen.Frequency((1, Gen.Constant(1)), (6, Gen.Choose(2, 8)), (3, Gen.Choose(9, 60)))
            from scale in Gen.Elements(1.0, 1e-3, 64.0, 1e9)
            from demand in Gen.ArrayOf(Amount(scale), n)
            from cap in Gen.ArrayOf(Gen.Frequency((2, Gen.Constant(double.NaN)), (3, Amount(scale))), n)
            from weight in Gen.ArrayOf(Gen.Frequency((1, Gen.Constant(1.0)), (3, Gen.Choose(1, 262_144).Select(s => s / 1024.0))), n)
            from capacity in Gen.Frequency((1, Gen.Constant(0.0)), (6, Gen.Choose(1, 400).Select(k => k * scale / 10)))
            select new Host(demand, cap, weight, capacity));

        private static Gen<double> Amount(double scale) => Gen.Frequency(
            (1, Gen.Constant(0.0)),
            (3, Gen.Choose(0, 40).Select(k => k * scale / 4)),
            (4, Gen.Choose(-6000, 1000).Select(e => scale * Math.Pow(10, e / 1000.0))));
    }

    private static double[] Weighted(Host c)
    {
        int n = c.Demand.Length;
        var served = new double[n];
        HostWaterFill.Weighted(c.Demand, c.Cap, c.Weight, c.Capacity, served, new double[n], new int[n]);
        return served;
    }

    private static double Bound(Host c, int i) => double.IsNaN(c.Cap[i]) ? c.Demand[i] : Math.Min(c.Demand[i], c.Cap[i]);

    private static double Tolerance(Host c)
    {
        double total = 0;
        for (int i = 0; i < c.Demand.Length; i++)
        {
            total += Bound(c, i);
        }

        return 1e-9 * Math.Max(total, c.Capacity);
    }

    [Property(MaxTest = 10000, Arbitrary = [typeof(Hosts)])]
    public bool Weighted_NeverOverCapacity_NobodyAboveDemandOrCap(Host c)
    {
        double[] served = Weighted(c);
        double tol = Tolerance(c);
        double sum = 0;
        for (int i = 0; i < served.Length; i++)
        {
            if (!(served[i] >= 0 && served[i] <= Bound(c, i) + tol))
            {
                return false;
            }

            sum += served[i];
        }

        return sum <= c.Capacity + tol;
    }

    [Property(MaxTest = 10000, Arbitrary = [typeof(Hosts)])]
    public bool Weighted_WorkConserving(Host c)
    {
        double[] served = Weighted(c);
        double bounds = 0;
        double sum = 0;
        for (int i = 0; i < served.Length; i++)
        {
            bounds += Bound(c, i);
            sum += served[i];
        }

        return Math.Abs(sum - Math.Min(c.Capacity, bounds)) <= Tolerance(c);
    }

    [Property(MaxTest = 10000, Arbitrary = [typeof(Hosts)])]
    public bool Weighted_UnsatisfiedVmsShareOneLevel_NobodyServedAboveIt(Host c)
    {
        // Every VM below its bound gets λ·weight for one λ, and every VM's served/weight is at most λ: so when all
        // are unsatisfied the capacity is divided in proportion to the weights.
        double[] served = Weighted(c);
        double tol = Tolerance(c);
        double level = double.NaN;
        for (int i = 0; i < served.Length; i++)
        {
            if (served[i] < Bound(c, i) - tol)
            {
                double l = served[i] / c.Weight[i];
                if (!double.IsNaN(level) && Math.Abs(l - level) > 1e-9 * Math.Max(l, level) + (tol / c.Weight[i]))
                {
                    return false;
                }

                level = double.IsNaN(level) ? l : level;
            }
        }

        if (double.IsNaN(level))
        {
            return true;
        }

        for (int i = 0; i < served.Length; i++)
        {
            if (served[i] / c.Weight[i] > level * (1 + 1e-9) + (tol / c.Weight[i]))
            {
                return false;
            }
        }

        return true;
    }

    [Property(MaxTest = 10000, Arbitrary = [typeof(Hosts)])]
    public bool CapOnly_NeverOverCapacityOrBound_ProportionalWhenShort(Host c)
    {
        int n = c.Demand.Length;
        var served = new double[n];
        HostWaterFill.CapOnly(c.Demand, c.Cap, c.Capacity, served);
        double tol = Tolerance(c);
        double bounds = 0;
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            if (!(served[i] >= 0 && served[i] <= Bound(c, i) + tol))
            {
                return false;
            }

            bounds += Bound(c, i);
            sum += served[i];
        }

        if (Math.Abs(sum - Math.Min(bounds, c.Capacity)) > tol)
        {
            return false;
        }

        double scale = bounds > c.Capacity ? c.Capacity / bounds : 1;
        for (int i = 0; i < n; i++)
        {
            if (Math.Abs(served[i] - (Bound(c, i) * scale)) > 1e-9 * Bound(c, i) + 1e-300)
            {
                return false;
            }
        }

        return true;
    }

    [Fact]
    public void Weighted_KnownAnswer()
    {
        // Capacity 10; A wants 1 (weight 1), B wants 8 capped at 3 (weight 3), C wants 20 (weight 2), D wants 20 (weight 4).
        // At λ = 1 A and B are saturated (1 + 3); the 6 left go to C and D at λ = 1: C 2, D 4.
        double[] served = Weighted(new Host([1, 8, 20, 20], [double.NaN, 3, double.NaN, double.NaN], [1, 3, 2, 4], 10));
        Assert.Equal([1, 3, 2, 4], served.Select(x => Math.Round(x, 12)));

        // With B at weight 1 it is no longer saturated: A saturates at λ = 1.25; the other 9 go at λ = 9/7 to B, C and D.
        served = Weighted(new Host([1, 8, 20, 20], [double.NaN, 3, double.NaN, double.NaN], [1, 1, 2, 4], 10));
        Assert.Equal([1, 9.0 / 7, 18.0 / 7, 36.0 / 7], served.Select(x => Math.Round(x, 12)), (a, b) => Math.Abs(a - b) < 1e-9);
    }

    [Fact]
    public void Weighted_Uncontended_EveryoneGetsDemandUpToCap()
    {
        double[] served = Weighted(new Host([1, 8, 0], [double.NaN, 3, 5], [1, 0.01, 100], 100));
        Assert.Equal([1, 3, 0], served);
    }

    [Fact]
    public void Weighted_AllocatesNothing()
    {
        var c = new Host([1, 8, 20, 20, 3, 7], [double.NaN, 3, double.NaN, double.NaN, 1, 9], [1, 1, 2, 4, 0.5, 3], 10);
        var served = new double[6];
        var keys = new double[6];
        var order = new int[6];
        HostWaterFill.Weighted(c.Demand, c.Cap, c.Weight, c.Capacity, served, keys, order);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 100; k++)
        {
            HostWaterFill.Weighted(c.Demand, c.Cap, c.Weight, c.Capacity, served, keys, order);
            HostWaterFill.CapOnly(c.Demand, c.Cap, c.Capacity, served);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
