using ResCoin.GuestAgent;

namespace ResCoin.GuestAgent.Tests;

public class GuestMemoryOverlayMonitorTests
{
    /// <summary>Stands in for the libvirt monitor: three VMs with balloon-derived memory figures.</summary>
    private sealed class InnerMonitor : IMonitor
    {
        public int Calls;

        public ValueTask SampleAsync(HostSnapshot snapshot, CancellationToken cancellationToken)
        {
            Calls++;
            foreach ((string name, double memory, double max) in new[] { ("answers", 1e9, 4e9), ("dead", 2e9, 4e9), ("no-agent", 3e9, 4e9), ("small", 5e8, 1e9) })
            {
                ref VmSample vm = ref snapshot.Add(new VmId(name));
                vm.Usage.Cpu = 0.5;
                vm.Usage.Memory = memory;
                vm.Limit.Memory = max;
            }

            return ValueTask.CompletedTask;
        }
    }

    [Fact]
    public async Task SampleAsync_ReplacesMemoryWhereTheAgentAnswersValidly_KeepsInnerValueElsewhere()
    {
        await using GuestAgentServer agent = await Fixtures.StartTcpServerAsync(new FixtureMemInfo(Fixtures.MemInfo2G));
        var options = new GuestAgentMonitorOptions { RequestTimeout = TimeSpan.FromSeconds(2) };
        options.Agents["answers"] = Fixtures.EndpointOf(agent);
        options.Agents["dead"] = GuestAgentEndpoint.Tcp("127.0.0.1", 1); // nothing listens on port 1
        options.Agents["small"] = Fixtures.EndpointOf(agent);           // reports 2 GiB total for a 1 GB VM: refused
        using var agents = new GuestAgentMonitor(options);
        var inner = new InnerMonitor();
        var overlay = new GuestMemoryOverlayMonitor(inner, agents);
        var snapshot = new HostSnapshot();

        for (int period = 0; period < 2; period++)
        {
            snapshot.Clear();
            await overlay.SampleAsync(snapshot, CancellationToken.None);

            Assert.Equal(4, snapshot.Count);
            Assert.Equal((2014128.0 - 1712344.0) * 1024, snapshot.Vms[0].Usage.Memory);
            Assert.Equal(2e9, snapshot.Vms[1].Usage.Memory);
            Assert.Equal(3e9, snapshot.Vms[2].Usage.Memory);
            Assert.Equal(5e8, snapshot.Vms[3].Usage.Memory);
            Assert.Equal(0.5, snapshot.Vms[0].Usage.Cpu);
            Assert.Equal(1, overlay.LastOverlaidCount);
            Assert.Equal(2, overlay.LastFallbackCount);
        }

        Assert.Equal(2, inner.Calls);
    }

    [Fact]
    public async Task SampleAsync_AgentsThatNeverAnswer_ThePeriodEndsAtTheSampleDeadline_WithTheInnerFigures()
    {
        await using GuestAgentServer agent = await Fixtures.StartTcpServerAsync(new FixtureMemInfo(Fixtures.MemInfo2G));
        await using var silent = new HostilePeer((_, _, ct) => Task.Delay(Timeout.Infinite, ct));
        var options = new GuestAgentMonitorOptions { RequestTimeout = TimeSpan.FromSeconds(5), MaxConcurrency = 1, SampleDeadline = TimeSpan.FromMilliseconds(800) };
        options.Agents["answers"] = Fixtures.EndpointOf(agent);
        options.Agents["dead"] = silent.Endpoint;
        options.Agents["small"] = silent.Endpoint;
        using var agents = new GuestAgentMonitor(options);
        var overlay = new GuestMemoryOverlayMonitor(new InnerMonitor(), agents);
        var snapshot = new HostSnapshot();

        var watch = System.Diagnostics.Stopwatch.StartNew();
        await overlay.SampleAsync(snapshot, CancellationToken.None);

        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(700), TimeSpan.FromSeconds(5)); // 2 x 5 s in turn without the deadline
        Assert.Equal((2014128.0 - 1712344.0) * 1024, snapshot.Vms[0].Usage.Memory);
        Assert.Equal(2e9, snapshot.Vms[1].Usage.Memory);
        Assert.Equal(5e8, snapshot.Vms[3].Usage.Memory);
        Assert.Equal(1, overlay.LastOverlaidCount);
        Assert.Equal(2, overlay.LastFallbackCount);
    }

    [Fact]
    public async Task SampleAsync_NoAgentsConfigured_IsTheInnerMonitor()
    {
        using var agents = new GuestAgentMonitor(new GuestAgentMonitorOptions());
        var overlay = new GuestMemoryOverlayMonitor(new InnerMonitor(), agents);
        var snapshot = new HostSnapshot();
        await overlay.SampleAsync(snapshot, CancellationToken.None);
        Assert.Equal(1e9, snapshot.Vms[0].Usage.Memory);
        Assert.Equal(0, overlay.LastOverlaidCount);
    }
}
