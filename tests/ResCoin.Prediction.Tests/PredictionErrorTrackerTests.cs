namespace ResCoin.Prediction.Tests;

public sealed class PredictionErrorTrackerTests
{
    [Fact]
    public void Get_Empty_IsAllZero() => Assert.Equal(default, new PredictionErrorTracker().Get(ResourceKind.Cpu));

    [Fact]
    public void Record_KnownAnswer()
    {
        var t = new PredictionErrorTracker(epsilon: 0);
        t.Record(ResourceKind.DiskRead, actual: 10, estimate: 8);  // e=-2, under, sym 2/9
        t.Record(ResourceKind.DiskRead, actual: 4, estimate: 8);   // e=4, over, sym 4/6
        t.Record(ResourceKind.DiskRead, actual: 5, estimate: 5);   // exact: not under
        PredictionError e = t.Get(ResourceKind.DiskRead);
        Assert.Equal(3, e.Count);
        Helpers.Near(2, e.Mae);
        Helpers.Near(Math.Sqrt(20.0 / 3), e.Rmse);
        Helpers.Near(((2.0 / 9) + (4.0 / 6)) / 3, e.Smape);
        Helpers.Near(1.0 / 3, e.UnderPredictionRate);
        Assert.Equal(default, t.Get(ResourceKind.Cpu));
    }

    [Fact]
    public void Record_ZeroDemandPredictedZero_SmapeIsZeroNotNaN()
    {
        var t = new PredictionErrorTracker();
        t.Record(ResourceKind.Cpu, 0, 0);
        Assert.Equal(0, t.Get(ResourceKind.Cpu).Smape);
    }

    [Fact]
    public void Record_ZeroDemandPredictedPositive_SmapeIsTwo()
    {
        var t = new PredictionErrorTracker();
        t.Record(ResourceKind.Cpu, 0, 3);
        Helpers.Near(2, t.Get(ResourceKind.Cpu).Smape, 1e-9);
    }

    [Fact]
    public void Record_NaN_IsIgnored()
    {
        var t = new PredictionErrorTracker();
        t.Record(ResourceKind.Cpu, double.NaN, 1);
        t.Record(ResourceKind.Cpu, 1, double.NaN);
        Assert.Equal(0, t.Get(ResourceKind.Cpu).Count);
    }

    [Fact]
    public void Record_Infinite_ThrowsNamingTheResource()
    {
        var t = new PredictionErrorTracker();
        var ex = Assert.Throws<ArgumentException>(() => t.Record(ResourceKind.NetTx, double.PositiveInfinity, 1));
        Assert.Contains("netTx", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reset_ForgetsEverything()
    {
        var t = new PredictionErrorTracker();
        t.Record(ResourceKind.Memory, 1, 2);
        t.Reset();
        Assert.Equal(0, t.Get(ResourceKind.Memory).Count);
    }

    [Fact]
    public void Constructor_BadEpsilon_Throws()
        => Assert.Throws<ArgumentOutOfRangeException>(() => new PredictionErrorTracker(-1));

    [Fact]
    public void Get_UnknownResource_Throws()
        => Assert.Throws<ArgumentOutOfRangeException>(() => new PredictionErrorTracker().Get((ResourceKind)42));
}
