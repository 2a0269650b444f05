using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FsCheck;
using FsCheck.Xunit;
using ResCoin.GuestAgent;

namespace ResCoin.GuestAgent.Tests;

/// <summary>The host side against hostile peers over real loopback TCP: never a crash, never a hang, never a number.</summary>
[Properties(Arbitrary = [typeof(ProtocolArbitraries)])]
public class GuestAgentClientTests
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(1500);

    private static byte[] ReportBytes(GuestMemoryReport report)
    {
        byte[] b = new byte[GuestAgentProtocol.ReportMessageSize];
        GuestAgentProtocol.TryWriteReport(b, report, out _);
        return b;
    }

    [Fact]
    public async Task QueryAsync_WellBehavedPeer_ReturnsReportEchoingNonce()
    {
        await using var peer = new HostilePeer((s, nonce, ct) => HostilePeer.Send(ReportBytes(Fixtures.Report(nonce)))(s, nonce, ct));
        GuestAgentQueryResult result = await new GuestAgentClient(peer.Endpoint, Short).QueryAsync();
        Assert.True(result.IsSuccess, result.Detail);
        Assert.Equal((double)(1L << 30), result.UsedMemoryBytes);
    }

    /// <summary>FsCheck-generated replies (random, truncated, oversized, wrong version, bad header) from a real socket.</summary>
    [Property(MaxTest = 150)]
    public bool QueryAsync_HostileReply_NeverYieldsANumber_AndFinishesInTime(byte[] reply)
    {
        var peer = new HostilePeer(HostilePeer.Send(reply));
        try
        {
            var watch = Stopwatch.StartNew();
            GuestAgentQueryResult result = new GuestAgentClient(peer.Endpoint, Short).QueryAsync().GetAwaiter().GetResult();
            watch.Stop();

            // A random reply can only be accepted if it is a well-formed report echoing a random 64-bit nonce.
            return !result.IsSuccess && double.IsNaN(result.UsedMemoryBytes) && result.Detail is not null
                && watch.Elapsed < Short + TimeSpan.FromSeconds(6);
        }
        finally
        {
            peer.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    [Property(MaxTest = 60)]
    public bool QueryAsync_ValidReportWithCorruptedByte_NeverYieldsWrongNonceOrBadFrame(byte position, byte value)
    {
        var peer = new HostilePeer((s, nonce, ct) =>
        {
            byte[] bytes = ReportBytes(Fixtures.Report(nonce));
            int at = position % bytes.Length;
            bytes[at] = (byte)(bytes[at] ^ (value | 1));
            return HostilePeer.Send(bytes)(s, nonce, ct);
        });
        try
        {
            GuestAgentQueryResult result = new GuestAgentClient(peer.Endpoint, Short).QueryAsync().GetAwaiter().GetResult();
            int at = position % GuestAgentProtocol.ReportMessageSize;
            int p = at - GuestAgentProtocol.HeaderSize;
            bool mustRefuse = p < 8 /* header or nonce */ || (p is >= 32 and < 40 && !(p == 32 && (value | 1) == 1)) /* flags, reserved */;

            return mustRefuse ? !result.IsSuccess && double.IsNaN(result.UsedMemoryBytes) : result.IsSuccess;
        }
        finally
        {
            peer.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    [Fact]
    public async Task QueryAsync_PeerAnnouncesHugePayloadAndStreamsForever_RefusedFromHeader()
    {
        await using var peer = new HostilePeer(async (s, _, ct) =>
        {
            byte[] header = new byte[GuestAgentProtocol.HeaderSize];
            "RCGA"u8.CopyTo(header);
            header[4] = 1;
            header[5] = 2;
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), 1u << 30);
            await s.SendAsync(header, SocketFlags.None, ct);
            byte[] junk = new byte[64 * 1024];
            while (!ct.IsCancellationRequested)
            {
                await s.SendAsync(junk, SocketFlags.None, ct);
            }
        });
        GuestAgentQueryResult result = await new GuestAgentClient(peer.Endpoint, Short).QueryAsync();
        Assert.Equal(GuestAgentQueryStatus.ProtocolError, result.Status);
        Assert.Equal(GuestAgentProtocolStatus.BadLength, result.ProtocolStatus);
    }

    [Fact]
    public async Task QueryAsync_SlowPeerOneBytePerSecond_TimesOut()
    {
        await using var peer = new HostilePeer(async (s, nonce, ct) =>
        {
            foreach (byte b in ReportBytes(Fixtures.Report(nonce)))
            {
                await s.SendAsync(new[] { b }, SocketFlags.None, ct);
                await Task.Delay(1000, ct);
            }
        });
        var watch = Stopwatch.StartNew();
        GuestAgentQueryResult result = await new GuestAgentClient(peer.Endpoint, TimeSpan.FromSeconds(2)).QueryAsync();
        Assert.Equal(GuestAgentQueryStatus.Timeout, result.Status);
        Assert.True(double.IsNaN(result.UsedMemoryBytes));
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task QueryAsync_SilentPeer_TimesOut()
    {
        await using var peer = new HostilePeer((_, _, ct) => Task.Delay(Timeout.Infinite, ct));
        GuestAgentQueryResult result = await new GuestAgentClient(peer.Endpoint, TimeSpan.FromMilliseconds(500)).QueryAsync();
        Assert.Equal(GuestAgentQueryStatus.Timeout, result.Status);
    }

    [Fact]
    public async Task QueryAsync_PeerClosesAtOnce_ConnectionClosed()
    {
        await using var peer = new HostilePeer((_, _, _) => Task.CompletedTask);
        GuestAgentQueryResult result = await new GuestAgentClient(peer.Endpoint, Short).QueryAsync();
        Assert.Equal(GuestAgentQueryStatus.ConnectionClosed, result.Status);
    }

    [Fact]
    public async Task QueryAsync_ReplayedAnswerForAnotherNonce_IsNonceMismatch()
    {
        await using var peer = new HostilePeer((s, nonce, ct) => HostilePeer.Send(ReportBytes(Fixtures.Report(nonce + 1)))(s, nonce, ct));
        GuestAgentQueryResult result = await new GuestAgentClient(peer.Endpoint, Short).QueryAsync();
        Assert.Equal(GuestAgentQueryStatus.NonceMismatch, result.Status);
        Assert.True(double.IsNaN(result.UsedMemoryBytes));
    }

    [Fact]
    public async Task QueryAsync_AnswerInNewerVersion_IsRefusedAsUnsupportedVersion()
    {
        await using var peer = new HostilePeer((s, nonce, ct) =>
        {
            byte[] bytes = ReportBytes(Fixtures.Report(nonce));
            bytes[4] = 2;
            return HostilePeer.Send(bytes)(s, nonce, ct);
        });
        GuestAgentQueryResult result = await new GuestAgentClient(peer.Endpoint, Short).QueryAsync();
        Assert.Equal(GuestAgentQueryStatus.ProtocolError, result.Status);
        Assert.Equal(GuestAgentProtocolStatus.UnsupportedVersion, result.ProtocolStatus);
    }

    [Fact]
    public async Task QueryAsync_ErrorReply_IsAgentErrorWithCode()
    {
        await using var peer = new HostilePeer((s, nonce, ct) =>
        {
            byte[] bytes = new byte[GuestAgentProtocol.MaxMessageSize];
            GuestAgentProtocol.TryWriteError(bytes, nonce, GuestAgentErrorCode.MemInfoUnavailable, "no\u0007meminfo", out int n);
            return HostilePeer.Send(bytes[..n])(s, nonce, ct);
        });
        GuestAgentQueryResult result = await new GuestAgentClient(peer.Endpoint, Short).QueryAsync();
        Assert.Equal(GuestAgentQueryStatus.AgentError, result.Status);
        Assert.Equal(GuestAgentErrorCode.MemInfoUnavailable, result.AgentError!.Value.Code);
        Assert.Equal("no?meminfo", result.AgentError!.Value.Message);
    }

    [Fact]
    public async Task QueryAsync_NobodyListening_ConnectFailed()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)probe.LocalEndPoint!).Port; // bound, not listening: connections are refused
        GuestAgentQueryResult result = await new GuestAgentClient(GuestAgentEndpoint.Tcp("127.0.0.1", port), Short).QueryAsync();
        Assert.Equal(GuestAgentQueryStatus.ConnectFailed, result.Status);
    }

    [Fact]
    public async Task QueryAsync_CallerCancels_Throws()
    {
        await using var peer = new HostilePeer((_, _, ct) => Task.Delay(Timeout.Infinite, ct));
        using var cts = new CancellationTokenSource(200);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new GuestAgentClient(peer.Endpoint, TimeSpan.FromSeconds(30)).QueryAsync(cts.Token));
    }
}
