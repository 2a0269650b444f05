using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;

namespace ResCoin.GuestAgent;

/// <summary>
/// Asks one guest's agent for its memory: one connection, one request with a fresh random nonce, one
/// answer read with hard bounds (the header first, then at most <see cref="GuestAgentProtocol.MaxPayloadSize"/>
/// bytes), the whole exchange limited by a timeout. Never throws for anything the peer does; only the
/// caller's own cancellation surfaces as <see cref="OperationCanceledException"/>.
/// </summary>
public sealed class GuestAgentClient
{
    private readonly TimeProvider _timeProvider;

    /// <summary>Creates a client.</summary>
    /// <param name="endpoint">Where the agent listens.</param>
    /// <param name="timeout">The limit for connect, send and receive together.</param>
    /// <param name="timeProvider">The clock for the timeout (default <see cref="TimeProvider.System"/>).</param>
    public GuestAgentClient(GuestAgentEndpoint endpoint, TimeSpan timeout, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        Endpoint = endpoint;
        Timeout = timeout;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Where the agent listens.</summary>
    public GuestAgentEndpoint Endpoint { get; }

    /// <summary>The limit for one whole exchange.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>Queries the agent once.</summary>
    /// <param name="cancellationToken">The caller's cancellation.</param>
    /// <returns>The outcome; the report only when it is well-formed and echoes this query's nonce.</returns>
    public Task<GuestAgentQueryResult> QueryAsync(CancellationToken cancellationToken = default)
    {
        Span<byte> nonceBytes = stackalloc byte[8];
        // Not a secret (the guest sees it): it only has to differ per query. Random.Shared is seeded from the OS and,
        // unlike RandomNumberGenerator on Linux, does not load libssl, which minimal guests do not have.
        Random.Shared.NextBytes(nonceBytes);
        return QueryAsync(BinaryPrimitives.ReadUInt64LittleEndian(nonceBytes), cancellationToken);
    }

    internal async Task<GuestAgentQueryResult> QueryAsync(ulong nonce, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(GuestAgentProtocol.MaxMessageSize);
        using CancellationTokenSource timeout = new CancellationTokenSource(Timeout, _timeProvider);
        using CancellationTokenSource linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        Socket? socket = null;
        bool connected = false;
        try
        {
            socket = await GuestAgentConnector.ConnectAsync(Endpoint, linked.Token).ConfigureAwait(false);
            connected = true;
            GuestAgentProtocol.TryWriteRequest(buffer, nonce, out int length);
            await GuestAgentConnector.SendAllAsync(socket, buffer.AsMemory(0, length), linked.Token).ConfigureAwait(false);
            return await ReadAnswerAsync(socket, buffer, nonce, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return GuestAgentQueryResult.Failure(GuestAgentQueryStatus.Timeout, $"{Endpoint}: no complete answer within {Timeout.TotalMilliseconds:0} ms");
        }
        catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException or PlatformNotSupportedException)
        {
            return GuestAgentQueryResult.Failure(
                connected ? GuestAgentQueryStatus.IOError : GuestAgentQueryStatus.ConnectFailed,
                $"{Endpoint}: {(connected ? "exchange" : "connect")} failed: {ex.Message}");
        }
        finally
        {
            socket?.Dispose();
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task<GuestAgentQueryResult> ReadAnswerAsync(Socket socket, byte[] buffer, ulong nonce, CancellationToken cancellationToken)
    {
        if (!await GuestAgentConnector.ReadExactlyAsync(socket, buffer.AsMemory(0, GuestAgentProtocol.HeaderSize), cancellationToken).ConfigureAwait(false))
        {
            return GuestAgentQueryResult.Failure(GuestAgentQueryStatus.ConnectionClosed, $"{Endpoint}: the agent closed the connection before a whole header");
        }

        GuestAgentProtocolStatus status = GuestAgentProtocol.TryReadHeader(buffer, out GuestAgentMessageType type, out int payloadLength);
        if (status != GuestAgentProtocolStatus.Ok)
        {
            return ProtocolFailure(status, "header");
        }

        if (type == GuestAgentMessageType.MemoryRequest)
        {
            return ProtocolFailure(GuestAgentProtocolStatus.UnexpectedMessageType, "header (a request where an answer was due)");
        }

        if (!await GuestAgentConnector.ReadExactlyAsync(socket, buffer.AsMemory(GuestAgentProtocol.HeaderSize, payloadLength), cancellationToken).ConfigureAwait(false))
        {
            return GuestAgentQueryResult.Failure(GuestAgentQueryStatus.ConnectionClosed, $"{Endpoint}: the agent closed the connection in the middle of an answer");
        }

        ReadOnlySpan<byte> message = buffer.AsSpan(0, GuestAgentProtocol.HeaderSize + payloadLength);
        if (type == GuestAgentMessageType.Error)
        {
            status = GuestAgentProtocol.TryReadError(message, out GuestAgentError error);
            return status != GuestAgentProtocolStatus.Ok
                ? ProtocolFailure(status, "error message")
                : new GuestAgentQueryResult
                {
                    Status = GuestAgentQueryStatus.AgentError,
                    AgentError = error,
                    Detail = $"{Endpoint}: the agent refused the request: {error.Code}: {error.Message}",
                };
        }

        status = GuestAgentProtocol.TryReadReport(message, out GuestMemoryReport report);
        if (status != GuestAgentProtocolStatus.Ok)
        {
            return ProtocolFailure(status, "report");
        }

        if (report.Nonce != nonce)
        {
            return GuestAgentQueryResult.Failure(GuestAgentQueryStatus.NonceMismatch, $"{Endpoint}: the report answers another request (stale or replayed)");
        }

        return new GuestAgentQueryResult { Status = GuestAgentQueryStatus.Ok, Report = report };
    }

    private GuestAgentQueryResult ProtocolFailure(GuestAgentProtocolStatus status, string part) => new()
    {
        Status = GuestAgentQueryStatus.ProtocolError,
        ProtocolStatus = status,
        Detail = $"{Endpoint}: malformed {part}: {status}",
    };
}
