using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ResCoin.GuestAgent.Tests;

public sealed class GuestAgentDependencyInjectionTests
{
    private sealed class HostMonitor : IMonitor
    {
        public ValueTask SampleAsync(HostSnapshot snapshot, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    private static IConfiguration Config(params (string Key, string Value)[] values)
        => new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>("ResCoin:GuestAgent:" + v.Key, v.Value))).Build().GetSection("ResCoin:GuestAgent");

    [Fact]
    public void AddGuestAgent_WithAgents_OverlaysTheRegisteredMonitor()
    {
        var services = new ServiceCollection();
        var host = new HostMonitor();
        services.AddSingleton<IMonitor>(host);
        services.AddResCoin().AddGuestAgent(Config(("Agents:vm1", "tcp:127.0.0.1:4588"), ("SampleDeadline", "00:00:01")));
        using ServiceProvider sp = services.BuildServiceProvider();
        Assert.IsType<GuestMemoryOverlayMonitor>(sp.GetRequiredService<IMonitor>());
        Assert.Single(services, d => d.ServiceType == typeof(IMonitor));
    }

    [Fact]
    public void AddGuestAgent_WithoutAgents_LeavesTheMonitorAlone()
    {
        var services = new ServiceCollection();
        var host = new HostMonitor();
        services.AddSingleton<IMonitor>(host);
        services.AddResCoin().AddGuestAgent(Config());
        using ServiceProvider sp = services.BuildServiceProvider();
        Assert.Same(host, sp.GetRequiredService<IMonitor>());
    }

    [Fact]
    public void AddGuestAgent_BadValuesOrNoMonitor_OneLineNamingTheKey()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IMonitor>(new HostMonitor());
        IResCoinBuilder builder = services.AddResCoin();
        var endpoint = Assert.Throws<InvalidDataException>(() => builder.AddGuestAgent(Config(("Agents:vm1", "udp:nowhere"))));
        Assert.StartsWith("invalid configuration: ResCoin:GuestAgent:Agents:vm1:", endpoint.Message, StringComparison.Ordinal);
        var deadline = Assert.Throws<InvalidDataException>(() => builder.AddGuestAgent(Config(("Agents:vm1", "tcp:127.0.0.1"), ("SampleDeadline", "soon"))));
        Assert.Equal("invalid configuration: ResCoin:GuestAgent:SampleDeadline: 'soon' is not a time span (e.g. 00:00:03)", deadline.Message);
        var range = Assert.Throws<InvalidDataException>(() => builder.AddGuestAgent(Config(("Agents:vm1", "tcp:127.0.0.1"), ("MaxConcurrency", "0"))));
        Assert.Contains("MaxConcurrency", range.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', range.Message);

        var none = new ServiceCollection().AddResCoin();
        Assert.Throws<InvalidOperationException>(() => none.AddGuestAgent(o => o.Agents["vm1"] = GuestAgentEndpoint.Parse("tcp:127.0.0.1")));
    }
}
