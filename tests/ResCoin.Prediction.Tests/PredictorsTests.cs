namespace ResCoin.Prediction.Tests;

public sealed class PredictorsTests
{
    [Fact]
    public void Names_AreExactlyTheContractsInOrder()
        => Assert.Equal(["last", "ewma", "holt", "fastslow", "percentile", "adaptive"], Predictors.Names);

    [Fact]
    public void Create_EveryName_ReturnsPredictorWithThatName()
    {
        foreach (string name in Predictors.Names)
        {
            Assert.Equal(name, Predictors.Create(name).Name);
        }
    }

    [Fact]
    public void Create_ConcreteTypes_MatchTheContract()
    {
        Assert.IsType<LastValuePredictor>(Predictors.Create("last"));
        Assert.IsType<EwmaPredictor>(Predictors.Create("ewma"));
        Assert.IsType<HoltPredictor>(Predictors.Create("holt"));
        Assert.IsType<FastSlowEwmaPredictor>(Predictors.Create("fastslow"));
        Assert.IsType<PercentilePredictor>(Predictors.Create("percentile"));
        Assert.IsType<AdaptivePredictor>(Predictors.Create("adaptive"));
    }

    [Fact]
    public void Create_IgnoresCaseAndSurroundingSpace()
        => Assert.Equal("ewma", Predictors.Create(" EWMA ").Name);

    [Fact]
    public void Create_UnknownName_NamesItAndListsTheValidOnes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Predictors.Create("arima"));
        Assert.Equal("name", ex.ParamName);
        Assert.Contains("'arima'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("last, ewma, holt, fastslow, percentile, adaptive", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_Null_Throws() => Assert.Throws<ArgumentNullException>(() => Predictors.Create(null!));

    public static TheoryData<string, Action> BadOptions => new()
    {
        { "EwmaOptions.CpuAlpha", () => _ = new EwmaPredictor(new EwmaOptions { CpuAlpha = 0 }) },
        { "EwmaOptions.MemoryAlpha", () => _ = new EwmaPredictor(new EwmaOptions { MemoryAlpha = 1.5 }) },
        { "EwmaOptions.DiskAlpha", () => _ = new EwmaPredictor(new EwmaOptions { DiskAlpha = double.NaN }) },
        { "EwmaOptions.NetworkAlpha", () => _ = new EwmaPredictor(new EwmaOptions { NetworkAlpha = -0.1 }) },
        { "HoltOptions.Alpha", () => _ = new HoltPredictor(new HoltOptions { Alpha = 0 }) },
        { "HoltOptions.Beta", () => _ = new HoltPredictor(new HoltOptions { Beta = 2 }) },
        { "HoltOptions.Damping", () => _ = new HoltPredictor(new HoltOptions { Damping = 0 }) },
        { "FastSlowOptions.FastAlpha", () => _ = new FastSlowEwmaPredictor(new FastSlowOptions { FastAlpha = 0 }) },
        { "FastSlowOptions.SlowAlpha", () => _ = new FastSlowEwmaPredictor(new FastSlowOptions { SlowAlpha = 1.01 }) },
        { "PercentileOptions.Percentile", () => _ = new PercentilePredictor(new PercentileOptions { Percentile = 1 }) },
        { "PercentileOptions.Margin", () => _ = new PercentilePredictor(new PercentileOptions { Margin = 0.9 }) },
        { "PercentileOptions.HalfLife", () => _ = new PercentilePredictor(new PercentileOptions { HalfLife = 0 }) },
        { "PercentileOptions.BucketCount", () => _ = new PercentilePredictor(new PercentileOptions { BucketCount = 4 }) },
        { "PercentileOptions.BucketGrowth", () => _ = new PercentilePredictor(new PercentileOptions { BucketGrowth = 1 }) },
        { "AdaptiveOptions.Candidates", () => _ = new AdaptivePredictor(new AdaptiveOptions { Candidates = AdaptiveCandidates.None }) },
        { "AdaptiveOptions.Candidates", () => _ = new AdaptivePredictor(new AdaptiveOptions { Candidates = (AdaptiveCandidates)64 }) },
        { "AdaptiveOptions.ErrorHalfLife", () => _ = new AdaptivePredictor(new AdaptiveOptions { ErrorHalfLife = double.PositiveInfinity }) },
        { "EwmaOptions.CpuAlpha", () => _ = new AdaptivePredictor(new AdaptiveOptions { Ewma = new EwmaOptions { CpuAlpha = 0 } }) },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Constructor_BadOption_ThrowsNamingTheOption(string option, Action create)
    {
        var ex = Assert.Throws<ArgumentException>(create);
        Assert.StartsWith(option, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_BadOption_MessageShowsTheValue()
    {
        var ex = Assert.Throws<ArgumentException>(() => new EwmaPredictor(new EwmaOptions { CpuAlpha = 1.5 }));
        Assert.Contains("got 1.5", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_ChangedAfterConstruction_HaveNoEffect()
    {
        var options = new EwmaOptions { CpuAlpha = 0.5 };
        var p = new EwmaPredictor(options);
        options.CpuAlpha = 1;
        Assert.Equal([0, 5], Helpers.Run(p, [0, 10]));
    }
}
