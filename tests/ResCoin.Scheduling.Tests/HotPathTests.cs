using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using ResCoin.Prediction;
using ResCoin.Scheduling.Allocation;
using ResCoin.Scheduling.Control;

namespace ResCoin.Scheduling.Tests;

/// <summary>
/// The vectorized hot path against plain reference code: water-filling, the ledger's batch push, the row/column
/// transposes and the period engine's identity-slot shortcut.
/// </summary>
public sealed class HotPathTests
{
    public sealed record Fill(double[] Claims, double[] Weights, double SpareFraction, double Start);

    public static class FillArbitraries
    {
        public static Arbitrary<Fill> Fill() => Arb.From(
            from n in Gen.Frequency((2, Gen.Choose(1, 7)), (4, Gen.Choose(8, 200)), (1, Gen.Choose(1000, 3000)))
            from scale in Gen.Elements(1.0, 1e-6, 1e9)
            from claims in Gen.ArrayOf(Gen.Frequency((1, Gen.Constant(0.0)), (1, Gen.Elements(1.0, 2.0)), (6, Gen.Choose(1, 1_000_000).Select(x => x / 1e3))), n)
            from weights in Gen.ArrayOf(Gen.Frequency((1, Gen.Constant(0.0)), (1, Gen.Constant(1.0)), (6, Gen.Choose(1, 1_000_000).Select(x => x / 1e2))), n)
            from spare in Gen.Frequency((1, Gen.Constant(0.0)), (8, Gen.Choose(1, 999).Select(x => x / 1000.0)), (1, Gen.Constant(1.5)))
            from start in Gen.Frequency((2, Gen.Constant(0.0)), (2, Gen.Choose(1, 1000).Select(x => x / 100.0)), (1, Gen.Constant(1e300)))
            select new Fill([.. claims.Select(c => c * scale)], weights, spare, start));
    }

    [Property(MaxTest = 2000, Arbitrary = [typeof(FillArbitraries)])]
    public void WaterFiller_AnyStartAndTheExactFallback_FillTheSpareExactly(Fill fill)
    {
        double[] d = fill.Claims;
        double[] w = fill.Weights;
        double open = d.Where((x, i) => w[i] > 0).Sum();
        double spare = fill.SpareFraction * open;
        foreach (WaterFiller filler in (WaterFiller[])[new(), new(maxNewtonPasses: 0), new(maxNewtonPasses: 1)])
        {
            double lambda = filler.Solve(d, w, spare, fill.Start);
            if (spare >= open)
            {
                Assert.True(double.IsPositiveInfinity(lambda), $"everything fits, lambda {lambda}");
                continue;
            }

            double filled = double.IsPositiveInfinity(lambda) ? open : d.Select((x, i) => Math.Min(x, lambda * w[i])).Sum();
            Assert.True(Math.Abs(filled - spare) <= 1e-9 * open, $"filled {filled:R} for spare {spare:R} (lambda {lambda:R}, quickselect {filler.LastUsedQuickselect})");
        }
    }

    [Fact]
    public void WaterFiller_ZeroPasses_UsesTheQuickselect_AndAgreesWithNewton()
    {
        var rng = new Random(3);
        double[] d = [.. Enumerable.Range(0, 1000).Select(_ => rng.NextDouble() * 10)];
        double[] w = [.. Enumerable.Range(0, 1000).Select(_ => rng.NextDouble())];
        var exact = new WaterFiller(maxNewtonPasses: 0);
        var newton = new WaterFiller();
        double a = exact.Solve(d, w, 1234.5);
        double b = newton.Solve(d, w, 1234.5, start: 7);
        Assert.True(exact.LastUsedQuickselect);
        Assert.False(newton.LastUsedQuickselect);
        Assert.Equal(a, b, 1e-9 * a);
    }

    public sealed record Pushes(int Window, int Slots, double[][] Observed, int[] Resets);

    public static class PushArbitraries
    {
        public static Arbitrary<Pushes> Pushes() => Arb.From(
            from window in Gen.Elements(1, 2, 3, 10)
            from slots in Gen.Choose(1, 23)
            from periods in Gen.Choose(1, 40)
            from observed in Gen.ArrayOf(Gen.ArrayOf(Gen.Frequency((1, Gen.Constant(double.NaN)), (6, Gen.Choose(0, 1000).Select(x => x / 10.0))), slots), periods)
            from resets in Gen.ArrayOf(Gen.Choose(-4 * slots, slots - 1), periods)
            select new Pushes(window, slots, observed, resets));
    }

    [Property(MaxTest = 1000, Arbitrary = [typeof(PushArbitraries)])]
    public void Ledger_PushAll_EqualsOnePushPerMeasuredSlot(Pushes script)
    {
        var batch = new CreditLedger(script.Window, script.Slots);
        var single = new CreditLedger(script.Window, script.Slots);
        double[] templates = [.. Enumerable.Range(0, script.Slots).Select(i => 3.0 * i)];
        for (int t = 0; t < script.Observed.Length; t++)
        {
            if (script.Resets[t] >= 0)
            {
                batch.Reset(script.Resets[t]); // puts one slot out of step with the others
                single.Reset(script.Resets[t]);
            }

            double[] observed = script.Observed[t];
            batch.PushAll(ResourceKind.NetRx, script.Slots, templates, observed);
            for (int s = 0; s < script.Slots; s++)
            {
                if (!double.IsNaN(observed[s]))
                {
                    single.Push(ResourceKind.NetRx, s, templates[s] - observed[s]);
                }
            }

            for (int s = 0; s < script.Slots; s++)
            {
                Assert.Equal(single.Credit(ResourceKind.NetRx, s), batch.Credit(ResourceKind.NetRx, s));
                Assert.Equal(0, batch.Credit(ResourceKind.NetTx, s));
            }
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(7)]
    [InlineData(13)]
    public void Transpose_RoundTrips_AndFindsEveryBadValue(int n)
    {
        var rng = new Random(n);
        var rows = new ResourceVector[n];
        for (int i = 0; i < n; i++)
        {
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                rows[i][r] = Math.Round(rng.NextDouble() * 100, 3);
            }
        }

        Transpose.Columns columns = default;
        for (int r = 0; r < ResourceKinds.Count; r++)
        {
            columns[r] = new double[n + 3];
        }

        Assert.True(Transpose.ToColumns(rows, columns, Transpose.Check.NonNegative));
        for (int i = 0; i < n; i++)
        {
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                Assert.Equal(rows[i][r], columns[r][i]);
            }
        }

        var back = new ResourceVector[n];
        Transpose.ToRows(columns, back);
        Assert.Equal(rows, back);

        // Every position, every kind of bad value: caught (NaN only where allowed).
        for (int i = 0; i < n; i++)
        {
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                foreach (double bad in (double[])[-1, double.PositiveInfinity, double.NegativeInfinity, double.NaN])
                {
                    ResourceVector[] copy = [.. rows];
                    copy[i][r] = bad;
                    Assert.False(Transpose.ToColumns(copy, columns, Transpose.Check.NonNegative), $"{bad} at {i},{r}");
                    Assert.Equal(double.IsNaN(bad), Transpose.ToColumns(copy, columns, Transpose.Check.NonNegativeOrNaN));
                    Assert.Equal(bad == -1, Transpose.ToColumns(copy, columns, Transpose.Check.Finite));
                }
            }
        }
    }

    [Theory]
    [InlineData(ResourceSet.All, 0)]
    [InlineData(ResourceSet.All, 0.25)]
    [InlineData(ResourceSet.Cpu | ResourceSet.DiskWrite, 0.25)]
    public void PeriodEngine_SlotOrderDoesNotMatter_IdentityShortcutEqualsScatterGather(ResourceSet set, double growth)
    {
        // The same VMs, in the same order, once with slot i = i (the shortcut) and once with slots reversed.
        const int n = 37;
        var rng = new Random(11);
        int[] identity = [.. Enumerable.Range(0, n)];
        int[] reversed = [.. Enumerable.Range(0, n).Reverse()];
        VmId[] vms = [.. Enumerable.Range(0, n).Select(i => new VmId("vm" + i))];
        var templates = new ResourceVector[n];
        for (int i = 0; i < n; i++)
        {
            templates[i] = ResourceVector.Fill(i % 5 == 0 ? 0 : 1);
        }

        ResourceVector capacity = ResourceVector.Fill(0.6 * n);
        var a = new PeriodEngine(Predictors.Create("ewma"), new CreditAllocator(), window: 4, initialSlots: n, throttledGrowth: growth);
        var b = new PeriodEngine(Predictors.Create("ewma"), new CreditAllocator(), window: 4, initialSlots: n, throttledGrowth: growth);
        for (int t = 0; t < 12; t++)
        {
            var usage = new ResourceVector[n];
            for (int i = 0; i < n; i++)
            {
                for (int r = 0; r < ResourceKinds.Count; r++)
                {
                    usage[i][r] = rng.Next(10) == 0 ? double.NaN : rng.NextDouble() * 2;
                }
            }

            var (ea, ca, aa) = (new ResourceVector[n], new ResourceVector[n], new ResourceVector[n]);
            var (eb, cb, ab) = (new ResourceVector[n], new ResourceVector[n], new ResourceVector[n]);
            a.Run(capacity, set, n, identity, vms, templates, usage, ea, ca, aa);
            b.Run(capacity, set, n, reversed, vms, templates, usage, eb, cb, ab);
            Assert.Equal(ea, eb);
            Assert.Equal(ca, cb);
            Assert.Equal(aa, ab);
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                bool scheduled = set.Contains((ResourceKind)r);
                Assert.Equal(!scheduled, double.IsNaN(aa[0][r]));
                if (scheduled)
                {
                    Assert.True(aa.Sum(v => v[r]) <= capacity[r] * (1 + 1e-12));
                }
            }
        }
    }
}
