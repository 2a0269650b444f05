using static ResCoin.Prediction.Tests.Helpers;

namespace ResCoin.Prediction.Tests;

/// <summary>The rules every predictor shares: NaN, reset, slot growth, validation, error tracking, no steady-state allocation.</summary>
public sealed class PredictorBehaviourTests
{
    public static TheoryData<string> AllNames => new(Predictors.Names);

    private static readonly double[] Series = [5, 7, 6, 9, 0, 0, 3, 12, 11, 10, 4, 8];

    [Theory]
    [MemberData(nameof(AllNames))]
    public void Update_NaN_KeepsStateAndRepeatsPreviousEstimate(string name)
    {
        double[] clean = Run(Predictors.Create(name), Series);

        double[] gappy = [.. Series[..5], double.NaN, double.NaN, .. Series[5..]];
        double[] withGap = Run(Predictors.Create(name), gappy);

        Assert.Equal(withGap[4], withGap[5]);
        Assert.Equal(withGap[4], withGap[6]);
        Assert.Equal(clean, (double[])[.. withGap[..5], .. withGap[7..]]);
    }

    [Theory]
    [MemberData(nameof(AllNames))]
    public void Update_NeverMeasured_EstimatesZero(string name)
        => Assert.Equal([0, 0], Run(Predictors.Create(name), [double.NaN, double.NaN]));

    [Theory]
    [MemberData(nameof(AllNames))]
    public void Reset_Slot_ForgetsOnlyThatSlot(string name)
    {
        IPredictor p = Predictors.Create(name);
        IPredictor fresh = Predictors.Create(name);
        IPredictor other = Predictors.Create(name);
        var e = new double[2];
        var f = new double[1];
        var o = new double[1];
        for (int t = 0; t < Series.Length; t++)
        {
            p.Update(ResourceKind.Memory, [Series[t], 100 + Series[t]], e);
            other.Update(ResourceKind.Memory, [100 + Series[t]], o);
        }

        p.Reset(0);
        for (int t = 0; t < 5; t++)
        {
            p.Update(ResourceKind.Memory, [50 + t, 200], e);
            fresh.Update(ResourceKind.Memory, [50 + t], f);
            other.Update(ResourceKind.Memory, [200], o);
            Assert.Equal(f[0], e[0]);
            Assert.Equal(o[0], e[1]);
        }
    }

    [Theory]
    [MemberData(nameof(AllNames))]
    public void Update_MoreSlots_GrowsAndKeepsExistingState(string name)
    {
        IPredictor grown = Predictors.Create(name);
        IPredictor steady = Predictors.Create(name);
        var e2 = new double[2];
        var e2000 = new double[2000];
        var observed = new double[2000];
        for (int t = 0; t < Series.Length; t++)
        {
            double[] two = [Series[t], Series[^(t + 1)]];
            steady.Update(ResourceKind.Cpu, two, e2);
            if (t < 6)
            {
                grown.Update(ResourceKind.Cpu, two, e2000.AsSpan(0, 2));
            }
            else
            {
                observed.AsSpan().Fill(1);
                two.CopyTo(observed, 0);
                grown.Update(ResourceKind.Cpu, observed, e2000);
            }

            Assert.Equal(e2[0], e2000[0]);
            Assert.Equal(e2[1], e2000[1]);
        }
    }

    [Theory]
    [MemberData(nameof(AllNames))]
    public void Update_FewerSlots_LeavesTheOthersAlone(string name)
    {
        IPredictor p = Predictors.Create(name);
        IPredictor reference = Predictors.Create(name);
        var e = new double[3];
        var r = new double[1];
        p.Update(ResourceKind.Cpu, [1, 2, 30], e);
        reference.Update(ResourceKind.Cpu, [30], r);
        p.Update(ResourceKind.Cpu, [1, 2], e.AsSpan(0, 2));
        p.Update(ResourceKind.Cpu, [1, 2, 40], e);
        reference.Update(ResourceKind.Cpu, [40], r);
        Assert.Equal(r[0], e[2]);
    }

    [Theory]
    [MemberData(nameof(AllNames))]
    public void Update_ResourcesAreIndependent(string name)
    {
        IPredictor p = Predictors.Create(name);
        IPredictor cpuOnly = Predictors.Create(name);
        var e = new double[1];
        var c = new double[1];
        for (int t = 0; t < Series.Length; t++)
        {
            p.Update(ResourceKind.NetRx, [1000 * Series[t]], e);
            p.Update(ResourceKind.Cpu, [Series[t]], e);
            cpuOnly.Update(ResourceKind.Cpu, [Series[t]], c);
            Assert.Equal(c[0], e[0]);
        }

        Assert.Equal(Series.Length - 1, p.GetError(ResourceKind.NetRx).Count);
        Assert.Equal(0, p.GetError(ResourceKind.DiskRead).Count);
    }

    [Theory]
    [MemberData(nameof(AllNames))]
    public void Update_BadObservation_ThrowsNamingSlotAndResourceAndChangesNothing(string name)
    {
        IPredictor p = Predictors.Create(name);
        var e = new double[2];
        p.Update(ResourceKind.Memory, [1, 2], e);
        p.Update(ResourceKind.Memory, [1, 2], e);
        PredictionError before = p.GetError(ResourceKind.Memory);

        foreach (double bad in new[] { -1.0, double.PositiveInfinity, double.NegativeInfinity })
        {
            var ex = Assert.Throws<ArgumentException>(() => p.Update(ResourceKind.Memory, [3, bad], e));
            Assert.Contains("slot 1", ex.Message, StringComparison.Ordinal);
            Assert.Contains("memory", ex.Message, StringComparison.Ordinal);
        }

        Assert.Equal(before, p.GetError(ResourceKind.Memory));
        IPredictor reference = Predictors.Create(name);
        var r = new double[2];
        reference.Update(ResourceKind.Memory, [1, 2], r);
        reference.Update(ResourceKind.Memory, [1, 2], r);
        reference.Update(ResourceKind.Memory, [3, 4], r);
        p.Update(ResourceKind.Memory, [3, 4], e);
        Assert.Equal(r, e);
    }

    [Theory]
    [MemberData(nameof(AllNames))]
    public void Update_MismatchedLengths_Throws(string name)
    {
        IPredictor p = Predictors.Create(name);
        var ex = Assert.Throws<ArgumentException>(() => p.Update(ResourceKind.Cpu, [1, 2, 3], new double[2]));
        Assert.Contains("same length", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(AllNames))]
    public void Reset_NegativeSlot_Throws(string name)
        => Assert.Throws<ArgumentOutOfRangeException>(() => Predictors.Create(name).Reset(-1));

    [Theory]
    [MemberData(nameof(AllNames))]
    public void Reset_SlotNeverSeen_IsHarmless(string name)
    {
        IPredictor p = Predictors.Create(name);
        p.Reset(1_000_000);
        Assert.True(Run(p, [4])[0] >= 4);
    }

    [Fact]
    public void GetError_ScoresPreviousEstimateAgainstNewObservation()
    {
        var p = new LastValuePredictor();
        Run(p, [0, 10, double.NaN, 10, 4]);
        // Scored pairs (estimate, actual): (0, 10), (10, 10), (10, 4); the NaN is not scored.
        PredictionError e = p.GetError(ResourceKind.Cpu);
        Assert.Equal(3, e.Count);
        Near(16.0 / 3, e.Mae);
        Near(Math.Sqrt(136.0 / 3), e.Rmse);
        Near(1.0 / 3, e.UnderPredictionRate);
        Near(((10 / (5 + 1e-9)) + 0 + (6 / (7 + 1e-9))) / 3, e.Smape);
    }

    [Fact]
    public void GetError_AfterReset_FirstObservationIsNotScored()
    {
        var p = new LastValuePredictor();
        Run(p, [1, 2]);
        p.Reset(0);
        Run(p, [100]);
        Assert.Equal(1, p.GetError(ResourceKind.Cpu).Count);
    }

    [Theory]
    [MemberData(nameof(AllNames))]
    public void Update_SteadyState_AllocatesNothing(string name)
    {
        IPredictor p = Predictors.Create(name);
        var observed = new double[500];
        var estimates = new double[500];
        var random = new Random(42);
        void Step()
        {
            for (int i = 0; i < observed.Length; i++)
            {
                observed[i] = i % 7 == 0 ? double.NaN : random.NextDouble() * Math.Pow(10, i % 12);
            }

            foreach (ResourceKind k in ResourceKinds.All)
            {
                p.Update(k, observed, estimates);
            }
        }

        for (int t = 0; t < 50; t++)
        {
            Step();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int t = 0; t < 50; t++)
        {
            Step();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
