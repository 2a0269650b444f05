using System.Diagnostics;
using ResCoin.GuestAgent;

namespace ResCoin.GuestAgent.Tests;

public class GuestAgentMonitorTests
{
    private static byte[] ReportBytes(GuestMemoryReport report)
    {
        byte[] b = new byte[GuestAgentProtocol.ReportMessageSize];
        GuestAgentProtocol.TryWriteReport(b, report, out _);
        return b;
    }

    private static GuestAgentMonitor MonitorFor(params (string Vm, GuestAgentEndpoint Endpoint)[] agents)
    {
        var options = new GuestAgentMonitorOptions { RequestTimeout = TimeSpan.FromSeconds(1) };
        foreach ((string vm, GuestAgentEndpoint endpoint) in agents)
        {
            options.Agents[vm] = endpoint;
        }

        return new GuestAgentMonitor(options);
    }

    public static TheoryData<string, GuestAgentQueryStatus> BadReports => new()
    {
        { "total0", GuestAgentQueryStatus.Inconsistent },
        { "free>total", GuestAgentQueryStatus.Inconsistent },
        { "available>total", GuestAgentQueryStatus.Inconsistent },
        { "cached>total", GuestAgentQueryStatus.Inconsistent },
        { "swapfree>swaptotal", GuestAgentQueryStatus.Inconsistent },
        { "sequence0", GuestAgentQueryStatus.Inconsistent },
        { "total>max", GuestAgentQueryStatus.ExceedsMaximumMemory },
    };

    [Theory]
    [MemberData(nameof(BadReports))]
    public async Task QueryAsync_ImplausibleReport_YieldsNoNumber(string defect, GuestAgentQueryStatus expected)
    {
        await using var peer = new HostilePeer((s, nonce, ct) =>
        {
            GuestMemoryReport r = Fixtures.Report(nonce);
            r = defect switch
            {
                "total0" => r with { MemTotal = 0, MemAvailable = 0, MemFree = 0, Buffers = 0, Cached = 0 },
                "free>total" => r with { MemFree = r.MemTotal + 1 },
                "available>total" => r with { MemAvailable = ulong.MaxValue },
                "cached>total" => r with { Cached = r.MemTotal * 2 },
                "swapfree>swaptotal" => r with { SwapFree = r.SwapTotal + 4096 },
                "sequence0" => r with { Sequence = 0 },
                _ => r with { MemTotal = 64UL << 40 },
            };
            return HostilePeer.Send(ReportBytes(r))(s, nonce, ct);
        });
        using GuestAgentMonitor monitor = MonitorFor(("vm1", peer.Endpoint));
        GuestAgentQueryResult result = await monitor.QueryAsync(new VmId("vm1"), 4.0 * (1L << 30), CancellationToken.None);
        Assert.Equal(expected, result.Status);
        Assert.True(double.IsNaN(result.UsedMemoryBytes));
        Assert.Contains("vm1", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QueryAsync_UnknownMaximum_SkipsOnlyTheMaximumCheck()
    {
        await using var peer = new HostilePeer((s, nonce, ct) => HostilePeer.Send(ReportBytes(Fixtures.Report(nonce)))(s, nonce, ct));
        using GuestAgentMonitor monitor = MonitorFor(("vm1", peer.Endpoint));
        GuestAgentQueryResult result = await monitor.QueryAsync(new VmId("vm1"), double.NaN, CancellationToken.None);
        Assert.True(result.IsSuccess, result.Detail);
        Assert.Equal((double)(1L << 30), result.UsedMemoryBytes);
    }

    [Theory]
    [InlineData(ulong.MaxValue)]      // 2^64 - 1
    [InlineData(1UL << 62)]
    public async Task QueryAsync_UnknownMaximum_AbsurdMemTotal_IsRefusedAgainstTheHostsMemory(ulong memTotal)
    {
        await using var peer = new HostilePeer((s, nonce, ct) =>
            HostilePeer.Send(ReportBytes(Fixtures.Report(nonce) with { MemTotal = memTotal }))(s, nonce, ct));
        using GuestAgentMonitor monitor = MonitorFor(("vm1", peer.Endpoint));
        GuestAgentQueryResult result = await monitor.QueryAsync(new VmId("vm1"), double.NaN, CancellationToken.None);
        Assert.Equal(GuestAgentQueryStatus.ExceedsMaximumMemory, result.Status);
        Assert.True(double.IsNaN(result.UsedMemoryBytes));
        Assert.Contains("host's memory", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void HostMemoryBytes_DefaultsToTheHostsMemTotal_OrTheConfiguredValue()
    {
        using GuestAgentMonitor fromProc = MonitorFor();
        Assert.True(MemInfoParser.TryParse(File.ReadAllText("/proc/meminfo"), out MemInfoValues host, out _));
        Assert.Equal((double)host.MemTotal, fromProc.HostMemoryBytes);
        using var configured = new GuestAgentMonitor(new GuestAgentMonitorOptions { HostMemoryBytes = 8e9 });
        Assert.Equal(8e9, configured.HostMemoryBytes);
        Assert.Equal(GuestAgentQueryStatus.ExceedsMaximumMemory, GuestAgentMonitor.Check(Fixtures.Report(1) with { MemTotal = 9_000_000_000 }, double.NaN, 8e9).Status);
        Assert.Equal(GuestAgentQueryStatus.Ok, GuestAgentMonitor.Check(Fixtures.Report(1) with { MemTotal = 9_000_000_000 }, 16e9, 8e9).Status); // a known VM maximum wins
    }

    [Fact]
    public async Task QueryManyAsync_SilentAgents_EndAtTheSampleDeadline_NotAtRequestTimeoutTimesWaves()
    {
        await using var silent = new HostilePeer((_, _, ct) => Task.Delay(Timeout.Infinite, ct));
        var options = new GuestAgentMonitorOptions { RequestTimeout = TimeSpan.FromSeconds(3), MaxConcurrency = 2, SampleDeadline = TimeSpan.FromMilliseconds(700) };
        for (int i = 0; i < 8; i++)
        {
            options.Agents[$"vm{i}"] = silent.Endpoint;
        }

        using var monitor = new GuestAgentMonitor(options);
        VmId[] vms = [.. Enumerable.Range(0, 8).Select(i => new VmId($"vm{i}"))];
        var results = new GuestAgentQueryResult[8];
        var watch = Stopwatch.StartNew();
        await monitor.QueryManyAsync(vms, new double[8], results, CancellationToken.None);
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(600), TimeSpan.FromSeconds(5)); // 4 waves x 3 s = 12 s without it
        Assert.All(results, r => Assert.Equal(GuestAgentQueryStatus.Timeout, r.Status));
        Assert.Contains(results, r => r.Detail!.Contains("no turn to ask", StringComparison.Ordinal));
    }

    [Fact]
    public async Task QueryManyAsync_CallerCancels_Throws_RatherThanReportingTimeouts()
    {
        await using var silent = new HostilePeer((_, _, ct) => Task.Delay(Timeout.Infinite, ct));
        using GuestAgentMonitor monitor = MonitorFor(("vm1", silent.Endpoint));
        using var cts = new CancellationTokenSource(200);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            monitor.QueryManyAsync(new VmId[] { new("vm1") }, new double[1], new GuestAgentQueryResult[1], cts.Token));
    }

    [Fact]
    public async Task QueryAsync_RepeatedOrOlderSequence_IsStale_NewInstanceStartsAfresh()
    {
        ulong sequence = 5, instance = 1;
        await using var peer = new HostilePeer((s, nonce, ct) =>
            HostilePeer.Send(ReportBytes(Fixtures.Report(nonce, Volatile.Read(ref sequence), Volatile.Read(ref instance))))(s, nonce, ct));
        using GuestAgentMonitor monitor = MonitorFor(("vm1", peer.Endpoint));
        var vm = new VmId("vm1");

        Assert.Equal(GuestAgentQueryStatus.Ok, (await monitor.QueryAsync(vm, double.NaN, default)).Status);
        Assert.Equal(GuestAgentQueryStatus.StaleSequence, (await monitor.QueryAsync(vm, double.NaN, default)).Status);
        Volatile.Write(ref sequence, 4);
        Assert.Equal(GuestAgentQueryStatus.StaleSequence, (await monitor.QueryAsync(vm, double.NaN, default)).Status);
        Volatile.Write(ref sequence, 6);
        Assert.Equal(GuestAgentQueryStatus.Ok, (await monitor.QueryAsync(vm, double.NaN, default)).Status);
        Volatile.Write(ref instance, 2); // the agent restarted: its counter starts again
        Volatile.Write(ref sequence, 1);
        Assert.Equal(GuestAgentQueryStatus.Ok, (await monitor.QueryAsync(vm, double.NaN, default)).Status);
    }

    [Fact]
    public async Task QueryAsync_NotConfigured()
    {
        using GuestAgentMonitor monitor = MonitorFor();
        Assert.False(monitor.HasAgent(new VmId("nope")));
        Assert.Equal(GuestAgentQueryStatus.NotConfigured, (await monitor.QueryAsync(new VmId("nope"), double.NaN, default)).Status);
    }

    [Fact]
    public async Task QueryManyAsync_MixedGuests_GoodOnesAnswer_BadOnesYieldNothing_AllWithinTheTimeout()
    {
        await using GuestAgentServer good = await Fixtures.StartTcpServerAsync(new FixtureMemInfo(Fixtures.MemInfo2G));
        await using var silent = new HostilePeer((_, _, ct) => Task.Delay(Timeout.Infinite, ct));
        await using var liar = new HostilePeer((s, nonce, ct) => HostilePeer.Send(ReportBytes(Fixtures.Report(nonce) with { MemFree = ulong.MaxValue }))(s, nonce, ct));
        await using var garbage = new HostilePeer(HostilePeer.Send([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]));
        using GuestAgentMonitor monitor = MonitorFor(
            ("good", Fixtures.EndpointOf(good)), ("silent", silent.Endpoint), ("liar", liar.Endpoint), ("garbage", garbage.Endpoint));

        VmId[] vms = [new("good"), new("silent"), new("liar"), new("garbage"), new("unknown")];
        double[] max = [4e9, 4e9, 4e9, 4e9, 4e9];
        var results = new GuestAgentQueryResult[vms.Length];
        var watch = Stopwatch.StartNew();
        await monitor.QueryManyAsync(vms, max, results, CancellationToken.None);

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(8), $"took {watch.Elapsed}");
        Assert.Equal((2014128.0 - 1712344.0) * 1024, results[0].UsedMemoryBytes);
        Assert.Equal(
            [GuestAgentQueryStatus.Ok, GuestAgentQueryStatus.Timeout, GuestAgentQueryStatus.Inconsistent, GuestAgentQueryStatus.ProtocolError, GuestAgentQueryStatus.NotConfigured],
            results.Select(r => r.Status));
        Assert.All(results.Skip(1), r => Assert.True(double.IsNaN(r.UsedMemoryBytes)));
    }

    [Fact]
    public void Options_AreValidated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new GuestAgentMonitor(new GuestAgentMonitorOptions { RequestTimeout = TimeSpan.Zero }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GuestAgentMonitor(new GuestAgentMonitorOptions { MaxConcurrency = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GuestAgentMonitor(new GuestAgentMonitorOptions { SampleDeadline = TimeSpan.Zero }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GuestAgentMonitor(new GuestAgentMonitorOptions { HostMemoryBytes = double.NaN }));
    }
}
