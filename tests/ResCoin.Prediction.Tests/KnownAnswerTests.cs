using static ResCoin.Prediction.Tests.Helpers;

namespace ResCoin.Prediction.Tests;

public sealed class KnownAnswerTests
{
    [Fact]
    public void LastValue_Sequence_RepeatsLastMeasured()
    {
        double[] e = Run(new LastValuePredictor(), [0, 10, double.NaN, 5]);
        Assert.Equal([0, 10, 10, 5], e);
    }

    [Fact]
    public void Ewma_AlphaHalf_InitialisesWithFirstObservation()
    {
        var p = new EwmaPredictor(new EwmaOptions { CpuAlpha = 0.5 });
        Assert.Equal([0, 5, 7.5], Run(p, [0, 10, 10]));
    }

    [Fact]
    public void Ewma_Defaults_AreThePrototypes()
    {
        var p = new EwmaPredictor();
        Assert.Equal([0, 7], Run(p, [0, 10], ResourceKind.Cpu));
        double[] memory = Run(p, [0, 10], ResourceKind.Memory);
        Near(8, memory[1]);
        double[] net = Run(p, [0, 10], ResourceKind.NetTx);
        Near(8, net[1]);
        Assert.Equal(0.7, new EwmaOptions().GetAlpha(ResourceKind.Cpu));
        Assert.Equal(0.8, new EwmaOptions().GetAlpha(ResourceKind.DiskWrite));
    }

    [Fact]
    public void Ewma_PerResourceAlpha_UsesTheResourcesFactor()
    {
        var p = new EwmaPredictor(new EwmaOptions { DiskAlpha = 0.25, NetworkAlpha = 1 });
        Near(2.5, Run(p, [0, 10], ResourceKind.DiskRead)[1]);
        Near(10, Run(p, [0, 10], ResourceKind.NetRx)[1]);
    }

    [Fact]
    public void Holt_HandComputed()
    {
        // L=0,T=0 → 0; L=.5*10+.5*0=5, T=.5*5=2.5 → 7.5; L=.5*20+.5*7.5=13.75, T=.5*8.75+.5*2.5=5.625 → 19.375
        var p = new HoltPredictor(new HoltOptions { Alpha = 0.5, Beta = 0.5, Damping = 1 });
        double[] e = Run(p, [0, 10, 20]);
        Near(0, e[0]);
        Near(7.5, e[1]);
        Near(19.375, e[2]);
    }

    [Fact]
    public void Holt_Damped_HandComputed()
    {
        // φ=0.5: L=.5*10+.5*(0+0)=5, T=.5*5+.5*0=2.5, est=5+.5*2.5=6.25
        var p = new HoltPredictor(new HoltOptions { Alpha = 0.5, Beta = 0.5, Damping = 0.5 });
        Near(6.25, Run(p, [0, 10])[1]);
    }

    [Fact]
    public void Holt_FallingTrend_NeverNegative()
    {
        var p = new HoltPredictor(new HoltOptions { Alpha = 1, Beta = 1, Damping = 1 });
        double[] e = Run(p, [100, 10]);
        Assert.Equal(0, e[1]); // level 10, trend -90 → clamped
    }

    [Fact]
    public void FastSlow_HandComputed()
    {
        // fast .5, slow .1: 10 → 10; fast 5, slow 9 → 9; fast 2.5, slow 8.1 → 8.1; x=20: fast 11.25, slow 9.29 → 11.25
        var p = new FastSlowEwmaPredictor(new FastSlowOptions { FastAlpha = 0.5, SlowAlpha = 0.1 });
        double[] e = Run(p, [10, 0, 0, 20]);
        Near(10, e[0]);
        Near(9, e[1]);
        Near(8.1, e[2]);
        Near(11.25, e[3]);
    }

    [Fact]
    public void Percentile_Constant_IsUpperBucketEdgeTimesMargin()
    {
        // 1.0 lies in bucket floor(log 1 / log 1.08) = 0, whose upper edge is 1.08.
        var p = new PercentilePredictor();
        Near(1.08 * 1.15, Run(p, [1, 1, 1])[2]);
    }

    [Fact]
    public void Percentile_Zeros_PredictsZero()
        => Assert.Equal([0, 0, 0], Run(new PercentilePredictor(), [0, 0, 0]));

    [Fact]
    public void Percentile_NoDecay_IsTheP90OfTheHistory()
    {
        var options = new PercentileOptions { HalfLife = 1e12 };
        // 9 zeros and one 100: 90 % of the weight is at 0, so p90 = 0.
        double[] nine = [100, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        Assert.Equal(0, Run(new PercentilePredictor(options), nine)[^1]);

        // 8 zeros and two 100s: the 90th percentile is 100, in bucket 59 (1.08^59 ≤ 100 < 1.08^60).
        double[] eight = [100, 100, 0, 0, 0, 0, 0, 0, 0, 0];
        Near(Math.Pow(1.08, 60) * 1.15, Run(new PercentilePredictor(options), eight)[^1], 1e-9);
    }

    [Fact]
    public void Percentile_HalfLifeOnePeriod_ForgetsABurst()
    {
        // Weights 1, 2, 4, 8: the burst holds 1/3, 1/7, then 1/15 of the weight — below 10 % after three zeros.
        var p = new PercentilePredictor(new PercentileOptions { HalfLife = 1 });
        double[] e = Run(p, [100, 0, 0, 0]);
        double burst = Math.Pow(1.08, 60) * 1.15;
        Near(burst, e[1], 1e-9);
        Near(burst, e[2], 1e-9);
        Assert.Equal(0, e[3]);
    }

    [Fact]
    public void Percentile_HugeRange_KeepsResolutionAtTheTop()
    {
        var p = new PercentilePredictor();
        double[] e = Run(p, [1e-6, 1, 1e10, 1e10, 1e10]);
        Assert.InRange(e[^1], 1e10 * 1.15, 1e10 * 1.08 * 1.15 * (1 + 1e-12));
    }

    [Fact]
    public void Adaptive_OnlyLast_EqualsLastValue()
    {
        double[] series = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5];
        var adaptive = new AdaptivePredictor(new AdaptiveOptions { Candidates = AdaptiveCandidates.Last });
        Assert.Equal(Run(new LastValuePredictor(), series), Run(adaptive, series));
    }

    [Fact]
    public void Adaptive_Alternating_SwitchesToEwma()
    {
        // On 0,10,0,10,… last value is off by 10 every time, EWMA(0.5) by about 6.7: after warm-up adaptive uses EWMA.
        double[] series = Enumerable.Range(0, 60).Select(i => i % 2 == 0 ? 0.0 : 10.0).ToArray();
        var options = new AdaptiveOptions { Candidates = AdaptiveCandidates.Last | AdaptiveCandidates.Ewma, Ewma = new EwmaOptions { CpuAlpha = 0.5 } };
        double[] adaptive = Run(new AdaptivePredictor(options), series);
        double[] ewma = Run(new EwmaPredictor(new EwmaOptions { CpuAlpha = 0.5 }), series);
        Assert.Equal(ewma[^10..], adaptive[^10..]);
    }

    [Fact]
    public void Adaptive_Ramp_SwitchesToLast()
    {
        // On a ramp last value is off by 1, EWMA(0.5) by 2: adaptive uses last value.
        double[] series = Enumerable.Range(0, 60).Select(i => (double)i).ToArray();
        var options = new AdaptiveOptions { Candidates = AdaptiveCandidates.Last | AdaptiveCandidates.Ewma, Ewma = new EwmaOptions { CpuAlpha = 0.5 } };
        double[] adaptive = Run(new AdaptivePredictor(options), series);
        Assert.Equal(series[^10..], adaptive[^10..]);
    }

    [Fact]
    public void Adaptive_BatchPattern_BeatsLastValueClearly()
    {
        // A batch job: idle, a saturated plateau, then a ramp down — the shape that dominates the real traces.
        double[] cycle = [0.1, 0.1, 0.1, 0.1, 20, 20, 20, 20, 20, 15, 8, 2, 0.1, 0.1];
        double[] series = Enumerable.Range(0, 1400).Select(i => cycle[i % cycle.Length]).ToArray();
        double last = Mae(new LastValuePredictor(), series, 700);
        double adaptive = Mae(new AdaptivePredictor(), series, 700);
        Assert.True(adaptive < 0.8 * last, $"adaptive {adaptive} vs last {last}");
    }
}
