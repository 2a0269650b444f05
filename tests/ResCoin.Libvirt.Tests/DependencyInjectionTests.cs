using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ResCoin.Libvirt.Tests;

public sealed class DependencyInjectionTests
{
    [Fact]
    public void AddResCoinLibvirt_RegistersMonitorAndActuator_Once()
    {
        string journal = Path.Combine(Path.GetTempPath(), "rescoin-di-" + Guid.NewGuid().ToString("N") + ".json");
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddResCoinLibvirt(o =>
        {
            o.ConnectionUri = "test:///default";
            o.JournalPath = journal;
        });
        services.AddResCoinLibvirt();
        Assert.Single(services, d => d.ServiceType == typeof(IMonitor));
        Assert.Single(services, d => d.ServiceType == typeof(IActuator));
        using ServiceProvider sp = services.BuildServiceProvider();
        Assert.IsType<LibvirtMonitor>(sp.GetRequiredService<IMonitor>());
        Assert.Same(sp.GetRequiredService<LibvirtActuator>(), sp.GetRequiredService<IActuator>());
        Assert.Equal("test:///default", sp.GetRequiredService<IOptions<LibvirtOptions>>().Value.ConnectionUri);
    }

    [Fact]
    public void AddResCoinLibvirt_InvalidOptions_FailNamingTheOption()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddResCoinLibvirt(o => o.ReconnectMinDelaySeconds = 0);
        using ServiceProvider sp = services.BuildServiceProvider();
        OptionsValidationException ex = Assert.Throws<OptionsValidationException>(() => _ = sp.GetRequiredService<IOptions<LibvirtOptions>>().Value);
        Assert.Contains("ReconnectMinDelaySeconds", ex.Message, StringComparison.Ordinal);
    }
}
