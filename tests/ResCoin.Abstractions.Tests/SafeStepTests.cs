using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using ResCoin.Actuation;

namespace ResCoin.Tests;

public class SafeStepTests
{
    [Fact]
    public void Compute_ShrinkIsLimitedToFraction()
    {
        StepDecision d = SafeStep.Compute(1000, 100, new StepLimits(1, double.PositiveInfinity, 0.1, 0));
        Assert.True(d.Apply);
        Assert.Equal(900, d.Value, 9);
    }

    [Fact]
    public void Compute_GrowthIsImmediateButClampedToCeiling()
    {
        StepDecision d = SafeStep.Compute(100, 5000, new StepLimits(1, 2000, 0.1, 0));
        Assert.Equal(new StepDecision(true, 2000), d);
    }

    [Fact]
    public void Compute_InsideDeadBand_Skips()
    {
        StepDecision d = SafeStep.Compute(100, 101, new StepLimits(1, 1000, 1, 0.02));
        Assert.False(d.Apply);
    }

    [Fact]
    public void Compute_ZeroTarget_NeverProducesZero()
    {
        StepDecision d = SafeStep.Compute(double.NaN, 0, new StepLimits(0, double.PositiveInfinity, 1, 0));
        Assert.True(d.Apply);
        Assert.True(d.Value > 0);
    }

    [Fact]
    public void Compute_NaNTarget_LeavesAlone()
        => Assert.False(SafeStep.Compute(5, double.NaN, new StepLimits(1, 10, 1, 0)).Apply);

    [Property(MaxTest = 2000)]
    public bool Compute_ResultWithinFloorCeilingAndStep(NormalFloat current, NormalFloat target, NormalFloat floor, PositiveInt span, byte fraction)
    {
        double cur = Math.Abs(current.Get) + 1;
        double fl = Math.Abs(floor.Get);
        double ceil = fl + span.Get;
        double frac = fraction / 255.0;
        StepDecision d = SafeStep.Compute(cur, target.Get, new StepLimits(fl, ceil, frac, 0));
        if (!d.Apply)
        {
            return d.Value == cur;
        }

        double lower = Math.Max(Math.Min(fl, ceil), SafeStep.MinimumPositive);
        bool inBounds = d.Value >= lower - 1e-9 && d.Value <= ceil + 1e-9;
        bool stepOk = d.Value >= Math.Min(cur * (1 - frac), ceil) - (1e-9 * cur);
        return inBounds && stepOk && d.Value > 0;
    }
}
