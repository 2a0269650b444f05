using System.Diagnostics;
using ResCoin.GuestAgent;
using Xunit.Abstractions;

namespace ResCoin.GuestAgent.Tests;

/// <summary>Runs alone (no other test class in parallel), so the process-wide descriptor count compares like with like.</summary>
[CollectionDefinition(nameof(RunsAlone), DisableParallelization = true)]
public sealed class RunsAlone;

[Collection(nameof(RunsAlone))]
public class GuestAgentAcceptanceTests(ITestOutputHelper output)
{
    /// <summary>The acceptance test: 1 000 concurrent queries against one agent, no error, no leaked socket.</summary>
    [Fact]
    public async Task ThousandConcurrentQueries_AllSucceed_NoSocketLeaks()
    {
        await using GuestAgentServer server = await Fixtures.StartTcpServerAsync(new FixtureMemInfo(Fixtures.MemInfo2G));
        var client = new GuestAgentClient(Fixtures.EndpointOf(server), TimeSpan.FromSeconds(60));

        // Warm up (thread pool, socket engine) so the descriptor count compares like with like.
        await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => client.QueryAsync()));
        await GuestAgentServerTests.WaitUntilAsync(() => server.OpenConnections == 0);
        int fdBefore = Fixtures.CountOpenFileDescriptors(out int socketsBefore);

        var watch = Stopwatch.StartNew();
        GuestAgentQueryResult[] results = await Task.WhenAll(Enumerable.Range(0, 1000).Select(_ => Task.Run(() => client.QueryAsync())));
        watch.Stop();
        await GuestAgentServerTests.WaitUntilAsync(() => server.OpenConnections == 0);
        int fdAfter = Fixtures.CountOpenFileDescriptors(out int socketsAfter);

        output.WriteLine($"1000 concurrent queries: {watch.ElapsedMilliseconds} ms; fds before {fdBefore} (sockets {socketsBefore}), after {fdAfter} (sockets {socketsAfter}); server accepted {server.AcceptedConnections}, sent {server.ReportsSent} reports");
        Assert.All(results, r => Assert.True(r.IsSuccess, r.Detail));
        Assert.Equal(1000, results.Select(r => r.Report.Sequence).Distinct().Count());
        Assert.Equal(1050, server.ReportsSent);
        Assert.Equal(0, server.OpenConnections);
        Assert.True(socketsAfter <= socketsBefore, $"sockets before {socketsBefore}, after {socketsAfter}");
        Assert.True(fdAfter <= fdBefore, $"descriptors before {fdBefore}, after {fdAfter}");
    }

}
