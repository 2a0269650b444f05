using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ResCoin.Scheduling.Tests;

public sealed class ResCoinOptionsValidationTests
{
    private static string Fails(Action<ResCoinOptions> configure)
    {
        // Through the container, as an application validates them on start: names are checked against what is registered.
        var services = new ServiceCollection();
        services.AddResCoin(configure);
        using ServiceProvider sp = services.BuildServiceProvider();
        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<ResCoinOptions>>().Value);
        return ex.Message;
    }

    [Fact]
    public void Defaults_AreValid()
    {
        var o = new ResCoinOptions();
        Assert.Equal(TimeSpan.FromSeconds(8), o.Period);
        Assert.Equal(10, o.Window);
        Assert.Equal("adaptive", o.Predictor);
        Assert.Equal(CreditMode.Bucket, o.CreditMode);
        Assert.Equal(ResourceSet.Cpu, o.WeightedResources);
        Assert.Equal("rescoin", o.Policy);
        Assert.Equal(HeadroomPolicy.ProportionalToTemplate, o.Headroom);
        Assert.Equal(ResourceSet.All, o.Resources);
        Assert.Null(o.PeriodDeadline);
        Assert.Equal(TimeSpan.FromSeconds(30), o.CapacityHold);
        ResCoinOptionsCrossValidator.ThrowIfInvalid(o);
    }

    [Fact]
    public void NegativeTemplate_NamesTheKey()
        => Assert.Contains("ResCoin:Templates:vm1:Cpu must be ≥ 0", Fails(o => o.Templates["vm1"] = new ResourceAmounts { Cpu = -1 }), StringComparison.Ordinal);

    [Fact]
    public void NaNTemplateIsUnsetButInfinityFails()
        => Assert.Contains("ResCoin:Templates:db:Memory", Fails(o => o.Templates["db"] = new ResourceAmounts { Cpu = double.NaN, Memory = double.PositiveInfinity }), StringComparison.Ordinal);

    [Fact]
    public void ZeroPeriod_NamesTheKey() => Assert.Contains("ResCoin:Period must be > 0", Fails(o => o.Period = TimeSpan.Zero), StringComparison.Ordinal);

    [Fact]
    public void BadDeadlineOrCapacityHold_NamesTheKeys()
    {
        Assert.Contains("ResCoin:PeriodDeadline must be > 0 and at most a day (was -00:00:01)", Fails(o => o.PeriodDeadline = TimeSpan.FromSeconds(-1)), StringComparison.Ordinal);
        Assert.Contains("ResCoin:CapacityHold must be between 0 and a day (was 2.00:00:00)", Fails(o => o.CapacityHold = TimeSpan.FromDays(2)), StringComparison.Ordinal);
    }

    [Fact]
    public void ZeroWindow_NamesTheKey() => Assert.Contains("ResCoin:Window must be >= 1", Fails(o => o.Window = 0), StringComparison.Ordinal);

    [Fact]
    public void ReserveNotBelowCapacity_NamesBothKeys()
        => Assert.Contains("ResCoin:Reserve:Cpu (8) must be less than ResCoin:Capacity:Cpu (8)", Fails(o => { o.Capacity.Cpu = 8; o.Reserve.Cpu = 8; }), StringComparison.Ordinal);

    [Fact]
    public void NegativeCapacity_NamesTheKey()
        => Assert.Contains("ResCoin:Capacity:NetTx must be ≥ 0", Fails(o => o.Capacity.NetTx = -5), StringComparison.Ordinal);

    [Fact]
    public void UnknownPredictor_ListsValidOnes()
    {
        string message = Fails(o => o.Predictor = "oracle");
        Assert.Contains("ResCoin:Predictor 'oracle' is unknown; valid predictors: last, ewma, holt, fastslow, percentile, adaptive", message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownPolicy_ListsValidOnes()
        => Assert.Contains("ResCoin:Policy 'fifo' is unknown; valid policies: rescoin, none, static, share, drf", Fails(o => o.Policy = "fifo"), StringComparison.Ordinal);

    [Fact]
    public void MissingPredictor_RequiredAttributeFails()
        => Assert.Contains("Predictor", Fails(o => o.Predictor = null!), StringComparison.Ordinal);

    [Fact]
    public void NoResources_Fails()
        => Assert.Contains("ResCoin:Resources must name at least one", Fails(o => o.Resources = ResourceSet.None), StringComparison.Ordinal);

    [Fact]
    public void SeveralProblems_AllReported()
    {
        string message = Fails(o => { o.Window = -3; o.Policy = "x"; o.Templates["a"] = new ResourceAmounts { NetRx = -1 }; });
        Assert.Contains("ResCoin:Window", message, StringComparison.Ordinal);
        Assert.Contains("ResCoin:Policy", message, StringComparison.Ordinal);
        Assert.Contains("ResCoin:Templates:a:NetRx", message, StringComparison.Ordinal);
    }
}
