using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ResCoin.GuestAgent;

namespace ResCoin.GuestAgent.Tests;

/// <summary>The real server over real loopback TCP.</summary>
public class GuestAgentServerTests
{
    private static async Task<Socket> ConnectAsync(GuestAgentServer server)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server.TcpLocalEndPoint!);
        return socket;
    }

    private static async Task<byte[]> ReadMessageAsync(Socket socket)
    {
        byte[] buffer = new byte[GuestAgentProtocol.MaxMessageSize];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        int read = 0;
        while (read < GuestAgentProtocol.HeaderSize)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(read, GuestAgentProtocol.HeaderSize - read), SocketFlags.None, cts.Token);
            Assert.NotEqual(0, n);
            read += n;
        }

        Assert.Equal(GuestAgentProtocolStatus.Ok, GuestAgentProtocol.TryReadHeader(buffer, out _, out int length));
        while (read < GuestAgentProtocol.HeaderSize + length)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(read, GuestAgentProtocol.HeaderSize + length - read), SocketFlags.None, cts.Token);
            Assert.NotEqual(0, n);
            read += n;
        }

        return buffer[..read];
    }

    private static async Task<bool> PeerClosesAsync(Socket socket, TimeSpan within)
    {
        using var cts = new CancellationTokenSource(within);
        byte[] one = new byte[1];
        try
        {
            return await socket.ReceiveAsync(one, SocketFlags.None, cts.Token) == 0;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    [Fact]
    public async Task Query_OverLoopback_ReturnsFixtureValuesInBytes()
    {
        await using GuestAgentServer server = await Fixtures.StartTcpServerAsync(new FixtureMemInfo(Fixtures.MemInfo2G));
        var client = new GuestAgentClient(Fixtures.EndpointOf(server), TimeSpan.FromSeconds(5));
        GuestAgentQueryResult first = await client.QueryAsync();
        GuestAgentQueryResult second = await client.QueryAsync();

        Assert.True(first.IsSuccess, first.Detail);
        Assert.True(second.IsSuccess, second.Detail);
        GuestMemoryReport r = first.Report;
        Assert.Equal(2014128UL * 1024, r.MemTotal);
        Assert.Equal(1712344UL * 1024, r.MemAvailable);
        Assert.Equal(1402936UL * 1024, r.MemFree);
        Assert.Equal(23612UL * 1024, r.Buffers);
        Assert.Equal(381092UL * 1024, r.Cached);
        Assert.Equal(998396UL * 1024, r.SwapTotal);
        Assert.Equal(998396UL * 1024, r.SwapFree);
        Assert.Equal(server.InstanceId, r.InstanceId);
        Assert.Equal(1UL, r.Sequence);
        Assert.Equal(2UL, second.Report.Sequence);
        Assert.Equal((2014128.0 - 1712344.0) * 1024, first.UsedMemoryBytes);
        Assert.InRange(r.Timestamp, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
    }

    [SkippableFact]
    public async Task Query_RealProcMeminfo_OverLoopback()
    {
        Skip.IfNot(File.Exists("/proc/meminfo"), "no /proc/meminfo (not Linux)");
        await using var server = new GuestAgentServer(new GuestAgentServerOptions { VsockPort = null, TcpEndPoint = new IPEndPoint(IPAddress.Loopback, 0) });
        server.Start();
        GuestAgentQueryResult result = await new GuestAgentClient(Fixtures.EndpointOf(server), TimeSpan.FromSeconds(5)).QueryAsync();
        Assert.True(result.IsSuccess, result.Detail);
        Assert.True(MemInfoParser.TryParse(File.ReadAllText("/proc/meminfo"), out MemInfoValues now, out _));
        Assert.Equal(now.MemTotal, result.Report.MemTotal);
        Assert.InRange(result.UsedMemoryBytes, 1, now.MemTotal);
    }

    [Fact]
    public async Task Connection_ServesSeveralRequestsInTurn()
    {
        await using GuestAgentServer server = await Fixtures.StartTcpServerAsync(new FixtureMemInfo(Fixtures.MemInfo2G));
        using Socket socket = await ConnectAsync(server);
        for (ulong nonce = 10; nonce < 13; nonce++)
        {
            byte[] request = new byte[GuestAgentProtocol.RequestMessageSize];
            GuestAgentProtocol.TryWriteRequest(request, nonce, out _);
            await socket.SendAsync(request, SocketFlags.None);
            Assert.Equal(GuestAgentProtocolStatus.Ok, GuestAgentProtocol.TryReadReport(await ReadMessageAsync(socket), out GuestMemoryReport report));
            Assert.Equal(nonce, report.Nonce);
        }
    }

    [Fact]
    public async Task Request_InUnknownVersion_GetsVersionOneErrorReply_AndIsClosed()
    {
        await using GuestAgentServer server = await Fixtures.StartTcpServerAsync(new FixtureMemInfo(Fixtures.MemInfo2G));
        using Socket socket = await ConnectAsync(server);
        byte[] request = new byte[GuestAgentProtocol.RequestMessageSize];
        GuestAgentProtocol.TryWriteRequest(request, 5, out _);
        request[4] = 2;
        await socket.SendAsync(request, SocketFlags.None);

        byte[] reply = await ReadMessageAsync(socket);
        Assert.Equal(GuestAgentProtocol.Version, reply[4]);
        Assert.Equal(GuestAgentProtocolStatus.Ok, GuestAgentProtocol.TryReadError(reply, out GuestAgentError error));
        Assert.Equal(GuestAgentErrorCode.UnsupportedVersion, error.Code);
        Assert.Equal(1, error.MaxVersion);
        Assert.Contains("version 2 is not supported", error.Message, StringComparison.Ordinal);
        Assert.True(await PeerClosesAsync(socket, TimeSpan.FromSeconds(5)));
    }

    [Theory]
    [InlineData(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }, GuestAgentErrorCode.MalformedRequest)]
    [InlineData(new byte[] { 0x52, 0x43, 0x47, 0x41, 1, 9, 0, 0, 8, 0, 0, 0 }, GuestAgentErrorCode.UnknownMessageType)]
    [InlineData(new byte[] { 0x52, 0x43, 0x47, 0x41, 1, 2, 0, 0, 96, 0, 0, 0 }, GuestAgentErrorCode.UnknownMessageType)]
    [InlineData(new byte[] { 0x52, 0x43, 0x47, 0x41, 1, 1, 0, 0, 0xFF, 0xFF, 0xFF, 0x7F }, GuestAgentErrorCode.MalformedRequest)]
    public async Task Request_Malformed_GetsErrorReply_AndIsClosed(byte[] header, GuestAgentErrorCode expected)
    {
        await using GuestAgentServer server = await Fixtures.StartTcpServerAsync(new FixtureMemInfo(Fixtures.MemInfo2G));
        using Socket socket = await ConnectAsync(server);
        await socket.SendAsync(header, SocketFlags.None);
        Assert.Equal(GuestAgentProtocolStatus.Ok, GuestAgentProtocol.TryReadError(await ReadMessageAsync(socket), out GuestAgentError error));
        Assert.Equal(expected, error.Code);
        Assert.True(await PeerClosesAsync(socket, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task MemInfoUnreadable_GetsErrorReply()
    {
        await using GuestAgentServer server = await Fixtures.StartTcpServerAsync(new FixtureMemInfo(Fixtures.MemInfo2G) { Fail = true });
        GuestAgentQueryResult result = await new GuestAgentClient(Fixtures.EndpointOf(server), TimeSpan.FromSeconds(5)).QueryAsync();
        Assert.Equal(GuestAgentQueryStatus.AgentError, result.Status);
        Assert.Equal(GuestAgentErrorCode.MemInfoUnavailable, result.AgentError!.Value.Code);
    }

    [Fact]
    public async Task MemInfoGarbage_GetsErrorReplyNamingTheProblem()
    {
        await using GuestAgentServer server = await Fixtures.StartTcpServerAsync(new FixtureMemInfo("MemTotal: lots kB\nMemFree: 1 kB\n"));
        GuestAgentQueryResult result = await new GuestAgentClient(Fixtures.EndpointOf(server), TimeSpan.FromSeconds(5)).QueryAsync();
        Assert.Equal(GuestAgentQueryStatus.AgentError, result.Status);
        Assert.Contains("MemTotal", result.AgentError!.Value.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SilentClient_IsDisconnectedAfterReadTimeout()
    {
        await using GuestAgentServer server = await Fixtures.StartTcpServerAsync(new FixtureMemInfo(Fixtures.MemInfo2G), readTimeout: TimeSpan.FromMilliseconds(500));
        using Socket socket = await ConnectAsync(server);
        await socket.SendAsync(new byte[] { 0x52, 0x43 }, SocketFlags.None); // half a header, then nothing
        var watch = Stopwatch.StartNew();
        Assert.True(await PeerClosesAsync(socket, TimeSpan.FromSeconds(10)));
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(8));
        await WaitUntilAsync(() => server.OpenConnections == 0);
    }

    [Fact]
    public async Task MaxConnections_IsNeverExceeded_AndWaitingClientsAreServedLater()
    {
        await using GuestAgentServer server = await Fixtures.StartTcpServerAsync(
            new FixtureMemInfo(Fixtures.MemInfo2G), maxConnections: 2, readTimeout: TimeSpan.FromMilliseconds(800), configure: o => o.ReservedHostConnections = 0);
        using Socket hog1 = await ConnectAsync(server);
        using Socket hog2 = await ConnectAsync(server);
        await WaitUntilAsync(() => server.OpenConnections == 2);

        Task<GuestAgentQueryResult> waiting = new GuestAgentClient(Fixtures.EndpointOf(server), TimeSpan.FromSeconds(10)).QueryAsync();
        int peak = 0;
        while (!waiting.IsCompleted)
        {
            peak = Math.Max(peak, server.OpenConnections);
            await Task.Delay(10);
        }

        Assert.True((await waiting).IsSuccess);
        Assert.InRange(peak, 1, 2);
    }

    [Fact]
    public async Task ManyShortConnections_FromConcurrentClients_AreAllAnswered_AndTheCountReturnsToZero()
    {
        // Every connection takes and releases the server's connection-count lock from a different thread-pool thread;
        // a lock left held (as the trimmed single file once did) stops the server after a few connections. Every
        // wait is bounded and the server is stopped off the test thread, so a stuck lock fails the test, not hangs it.
        GuestAgentServer server = await Fixtures.StartTcpServerAsync(new FixtureMemInfo(Fixtures.MemInfo2G), maxConnections: 4);
        GuestAgentEndpoint endpoint = Fixtures.EndpointOf(server);
        const int Clients = 4;
        const int QueriesEach = 150;
        int[] answered = new int[Clients];
        Task[] clients = new Task[Clients];
        for (int c = 0; c < Clients; c++)
        {
            int index = c;
            clients[c] = Task.Run(async () =>
            {
                var client = new GuestAgentClient(endpoint, TimeSpan.FromSeconds(5));
                for (int i = 0; i < QueriesEach; i++)
                {
                    GuestAgentQueryResult result = await client.QueryAsync();
                    Assert.True(result.IsSuccess, $"client {index} query {i + 1}: {result.Status} {result.Detail}");
                    answered[index]++;
                }
            });
        }

        Task all = Task.WhenAll(clients);
        Assert.True(await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(60))) == all, $"answered {answered.Sum()} of {Clients * QueriesEach} within 60 s");
        await all;
        Assert.Equal(Clients * QueriesEach, answered.Sum());
        await WaitUntilAsync(() => server.OpenConnections == 0);
        Assert.Equal(Clients * QueriesEach, server.AcceptedConnections);
        Task stop = Task.Run(async () =>
        {
            await server.StopAsync();
            await server.DisposeAsync();
        });
        Assert.True(await Task.WhenAny(stop, Task.Delay(TimeSpan.FromSeconds(5))) == stop, "StopAsync did not finish within 5 s");
        await stop;
    }

    [Fact]
    public async Task StopAsync_WithOpenConnections_ClosesThemPromptly()
    {
        GuestAgentServer server = await Fixtures.StartTcpServerAsync(new FixtureMemInfo(Fixtures.MemInfo2G), readTimeout: TimeSpan.FromMinutes(5));
        using Socket a = await ConnectAsync(server);
        using Socket b = await ConnectAsync(server);
        await WaitUntilAsync(() => server.OpenConnections == 2);
        var watch = Stopwatch.StartNew();
        await server.StopAsync();
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(8), $"stop took {watch.Elapsed}");
        Assert.Equal(0, server.OpenConnections);
        Assert.True(await PeerClosesAsync(a, TimeSpan.FromSeconds(2)));
        await server.DisposeAsync();
    }

    [Fact]
    public void Options_WithoutAnyListener_AreRefused()
    {
        var ex = Assert.Throws<ArgumentException>(() => new GuestAgentServer(new GuestAgentServerOptions { VsockPort = null }));
        Assert.Contains("needs a listener", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new GuestAgentServer(new GuestAgentServerOptions { MaxConnections = 0 }));
    }

    [Fact]
    public async Task Start_OnAddressInUse_Throws_AndLeavesNothingOpen()
    {
        await using GuestAgentServer first = await Fixtures.StartTcpServerAsync(new FixtureMemInfo(Fixtures.MemInfo2G));
        await using var second = new GuestAgentServer(new GuestAgentServerOptions { VsockPort = null, TcpEndPoint = first.TcpLocalEndPoint });
        Assert.Throws<SocketException>(second.Start);
    }

    /// <summary>Connects from 127.0.0.<paramref name="lastOctet"/> and reports whether the agent closed (reset) the connection within 5 s.</summary>
    private static async Task<bool> ClosedAtOnceAsync(GuestAgentServer server, int lastOctet)
    {
        Socket socket;
        try
        {
            socket = await Fixtures.ConnectFromAsync(server, lastOctet);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            return true; // the reset arrived before the connect completed
        }

        using (socket)
        {
            return await PeerClosesAsync(socket, TimeSpan.FromSeconds(5));
        }
    }

    private static async Task<bool> AnsweredAsync(Socket socket, ulong nonce)
    {
        byte[] request = new byte[GuestAgentProtocol.RequestMessageSize];
        GuestAgentProtocol.TryWriteRequest(request, nonce, out _);
        await socket.SendAsync(request, SocketFlags.None);
        return GuestAgentProtocol.TryReadReport(await ReadMessageAsync(socket), out GuestMemoryReport report) == GuestAgentProtocolStatus.Ok
            && report.Nonce == nonce;
    }

    [Fact]
    public async Task PerSourceLimit_FifthConnectionFromOneGuestAddress_IsClosedAtOnce_OtherSourcesAndTheHostAreServed()
    {
        await using GuestAgentServer server = await Fixtures.StartTcpServerAsync(new FixtureMemInfo(Fixtures.MemInfo2G), readTimeout: TimeSpan.FromSeconds(30));
        var held = new List<Socket>();
        try
        {
            for (int i = 0; i < GuestAgentServerOptions.DefaultMaxConnectionsPerSource; i++)
            {
                held.Add(await Fixtures.ConnectFromAsync(server, 7));
            }

            await WaitUntilAsync(() => server.OpenConnections == GuestAgentServerOptions.DefaultMaxConnectionsPerSource);
            Assert.True(await ClosedAtOnceAsync(server, 7), "the fifth connection from 127.0.0.7 was not closed");
            Assert.Equal(1, server.RejectedConnections);

            using Socket other = await Fixtures.ConnectFromAsync(server, 8);
            Assert.True(await AnsweredAsync(other, 99));
            Assert.True((await new GuestAgentClient(Fixtures.EndpointOf(server), TimeSpan.FromSeconds(5)).QueryAsync()).IsSuccess);
        }
        finally
        {
            held.ForEach(h => h.Dispose());
        }
    }

    [Fact]
    public async Task IdleTimeout_AfterAnAnswer_ClosesTheConnection_LongBeforeTheReadTimeout()
    {
        await using GuestAgentServer server = await Fixtures.StartTcpServerAsync(
            new FixtureMemInfo(Fixtures.MemInfo2G), readTimeout: TimeSpan.FromSeconds(30), configure: o => o.IdleTimeout = TimeSpan.FromMilliseconds(300));
        using Socket socket = await Fixtures.ConnectFromAsync(server, 9);
        Assert.True(await AnsweredAsync(socket, 1));
        var watch = Stopwatch.StartNew();
        Assert.True(await PeerClosesAsync(socket, TimeSpan.FromSeconds(10)));
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(150), TimeSpan.FromSeconds(5));
        await WaitUntilAsync(() => server.OpenConnections == 0);
    }

    [Fact]
    public async Task MaxRequestsPerConnection_IsAnswered_ThenTheConnectionIsClosed()
    {
        await using GuestAgentServer server = await Fixtures.StartTcpServerAsync(new FixtureMemInfo(Fixtures.MemInfo2G), configure: o => o.MaxRequestsPerConnection = 3);
        using Socket socket = await Fixtures.ConnectFromAsync(server, 10);
        for (ulong n = 1; n <= 3; n++)
        {
            Assert.True(await AnsweredAsync(socket, n));
        }

        Assert.True(await PeerClosesAsync(socket, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task EveryOrdinarySlotTaken_GuestPeersAreRefused_TheHostUsesAReservedSlot_ThenWaitsForOne()
    {
        await using GuestAgentServer server = await Fixtures.StartTcpServerAsync(new FixtureMemInfo(Fixtures.MemInfo2G), maxConnections: 4, readTimeout: TimeSpan.FromSeconds(30), configure: o =>
        {
            o.ReservedHostConnections = 1;
            o.MaxConnectionsPerSource = 1;
        });
        var hogs = new List<Socket>();
        try
        {
            for (int i = 0; i < 4; i++)
            {
                hogs.Add(await Fixtures.ConnectFromAsync(server, 20 + i));
            }

            await WaitUntilAsync(() => server.OpenConnections == 4);
            Assert.True(await ClosedAtOnceAsync(server, 30));

            // The host's one reserved slot: held open by one host connection, then a second host query waits for a slot.
            using var hostHog = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await hostHog.ConnectAsync(server.TcpLocalEndPoint!);
            await WaitUntilAsync(() => server.OpenConnections == 5);
            Task<GuestAgentQueryResult> waiting = new GuestAgentClient(Fixtures.EndpointOf(server), TimeSpan.FromSeconds(10)).QueryAsync();
            await Task.Delay(300);
            Assert.False(waiting.IsCompleted, "the host query was served beyond MaxConnections + ReservedHostConnections");
            Assert.Equal(5, server.OpenConnections);
            hogs[0].Dispose(); // a guest peer leaves: its slot goes straight to the waiting host connection
            GuestAgentQueryResult result = await waiting;
            Assert.True(result.IsSuccess, result.Detail);
        }
        finally
        {
            hogs.ForEach(h => h.Dispose());
        }
    }

    [Fact]
    public void Options_NewLimits_AreValidated()
    {
        static GuestAgentServerOptions Tcp() => new() { VsockPort = null, TcpEndPoint = new IPEndPoint(IPAddress.Loopback, 0) };
        Assert.Throws<ArgumentOutOfRangeException>(() => new GuestAgentServer(Apply(Tcp(), o => o.ReservedHostConnections = -1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GuestAgentServer(Apply(Tcp(), o => o.MaxConnectionsPerSource = 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GuestAgentServer(Apply(Tcp(), o => o.MaxConnectionsPerSource = 65_537)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GuestAgentServer(Apply(Tcp(), o => o.MaxRequestsPerConnection = 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GuestAgentServer(Apply(Tcp(), o => o.IdleTimeout = TimeSpan.Zero)));
        Assert.Throws<ArgumentException>(() => new GuestAgentServer(Apply(Tcp(), o => o.HostAddresses.Add(IPAddress.Any))));
        Assert.True(GuestAgentProtocol.DefaultPort < 1024);
        Assert.Equal((uint)GuestAgentProtocol.DefaultPort, new GuestAgentServerOptions().VsockPort);
    }

    private static GuestAgentServerOptions Apply(GuestAgentServerOptions options, Action<GuestAgentServerOptions> change)
    {
        change(options);
        return options;
    }

    internal static async Task WaitUntilAsync(Func<bool> condition)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), "condition not reached within 10 s");
            await Task.Delay(10);
        }
    }
}
