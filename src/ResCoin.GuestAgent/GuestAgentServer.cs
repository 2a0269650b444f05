using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ResCoin.GuestAgent;

/// <summary>
/// The in-guest agent: answers each <see cref="GuestAgentMessageType.MemoryRequest"/> with a fresh reading
/// of <c>/proc/meminfo</c>, on AF_VSOCK (any CID) and/or one operator-named TCP address. No peer can hold it hostage:
/// each connection has a read timeout for its first request, an idle timeout after each answer and a request limit;
/// at most <see cref="GuestAgentServerOptions.MaxConnections"/> are served at once and at most
/// <see cref="GuestAgentServerOptions.MaxConnectionsPerSource"/> per source; <see cref="GuestAgentServerOptions.ReservedHostConnections"/>
/// more slots serve only the host (vsock CID 2, or a configured TCP address); every connection is disposed whatever the peer does.
/// </summary>
public sealed partial class GuestAgentServer : IAsyncDisposable
{
    private const int VsockPollMilliseconds = 200;

    private readonly GuestAgentServerOptions _options;
    private readonly IMemInfoSource _memInfo;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Dictionary<PeerSource, int> _perSource = [];
    private readonly Queue<(Socket Socket, PeerSource Source)> _hostQueue = new();
    private readonly HashSet<IPAddress> _hostAddresses = [];
    private readonly List<Task> _loops = [];
    private readonly object _gate = new();
    private TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Socket? _tcpListener;
    private SafeSocketHandle? _vsockListener;
    private long _sequence;
    private int _open;
    private int _general;
    private int _reserved;
    private long _accepted;
    private long _rejected;
    private int _state; // 0 new, 1 started, 2 stopped

    /// <summary>Creates a server (not yet listening; call <see cref="Start"/>).</summary>
    /// <param name="options">The settings.</param>
    /// <param name="timeProvider">The clock for report timestamps and timeouts (default <see cref="TimeProvider.System"/>).</param>
    /// <param name="logger">The logger.</param>
    public GuestAgentServer(GuestAgentServerOptions options, TimeProvider? timeProvider = null, ILogger<GuestAgentServer>? logger = null)
        : this(options, new FileMemInfoSource(options?.MemInfoPath ?? "/proc/meminfo"), timeProvider, logger)
    {
    }

    internal GuestAgentServer(GuestAgentServerOptions options, IMemInfoSource memInfo, TimeProvider? timeProvider, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _memInfo = memInfo;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        foreach (IPAddress address in options.HostAddresses)
        {
            _hostAddresses.Add(Normalize(address));
        }

        Span<byte> id = stackalloc byte[8];
        Random.Shared.NextBytes(id); // not RandomNumberGenerator: that loads libssl, which minimal guests lack
        InstanceId = BitConverter.ToUInt64(id);
    }

    /// <summary>The random id of this server instance, carried in every report.</summary>
    public ulong InstanceId { get; }

    /// <summary>The TCP address actually listened on (with the chosen port), or null.</summary>
    public IPEndPoint? TcpLocalEndPoint { get; private set; }

    /// <summary>The vsock port actually listened on, or null.</summary>
    public uint? VsockLocalPort { get; private set; }

    /// <summary>Connections being served right now.</summary>
    public int OpenConnections => Volatile.Read(ref _open);

    /// <summary>Connections admitted (served, or queued for a host slot) since start.</summary>
    public long AcceptedConnections => Interlocked.Read(ref _accepted);

    /// <summary>Connections closed at once since start because their source or the server was at its limit.</summary>
    public long RejectedConnections => Interlocked.Read(ref _rejected);

    /// <summary>Reports sent since start.</summary>
    public long ReportsSent => Interlocked.Read(ref _sequence);

    /// <summary>Binds the listeners and starts serving. Throws if a listener cannot be bound.</summary>
    /// <exception cref="SocketException">The TCP address cannot be bound.</exception>
    /// <exception cref="IOException">The vsock port cannot be bound (or the kernel has no AF_VSOCK).</exception>
    public void Start()
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            throw new InvalidOperationException("The guest agent server was already started.");
        }

        try
        {
            if (_options.TcpEndPoint is { } tcp)
            {
                var listener = new Socket(tcp.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    listener.Bind(tcp);
                    listener.Listen(_options.Backlog);
                }
                catch
                {
                    listener.Dispose();
                    throw;
                }

                _tcpListener = listener;
                TcpLocalEndPoint = (IPEndPoint)listener.LocalEndPoint!;
                if (tcp.Address.Equals(IPAddress.Any) || tcp.Address.Equals(IPAddress.IPv6Any))
                {
                    LogAllInterfaces(_logger, TcpLocalEndPoint);
                }

                LogListeningTcp(_logger, TcpLocalEndPoint);
                if (TcpLocalEndPoint.Port >= PrivilegedPortLimit)
                {
                    LogUnprivilegedPort(_logger, $"tcp:{TcpLocalEndPoint}");
                }

                if (_hostAddresses.Count == 0 && _options.ReservedHostConnections > 0)
                {
                    LogNoTcpHost(_logger);
                }
            }

            if (_options.VsockPort is { } port)
            {
                _vsockListener = VsockNative.Listen(port, _options.Backlog, out uint bound);
                VsockLocalPort = bound;
                LogListeningVsock(_logger, bound);
                if (bound >= PrivilegedPortLimit)
                {
                    LogUnprivilegedPort(_logger, $"vsock port {bound}");
                }
            }
        }
        catch
        {
            _tcpListener?.Dispose();
            _vsockListener?.Dispose();
            _state = 2;
            throw;
        }

        if (_tcpListener is not null)
        {
            _loops.Add(Task.Run(() => TcpAcceptLoopAsync(_tcpListener)));
        }

        if (_vsockListener is not null)
        {
            _loops.Add(Task.Factory.StartNew(() => VsockAcceptLoop(_vsockListener), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default));
        }
    }

    /// <summary>Stops accepting, cancels the connections in progress and waits (bounded) for them to close.</summary>
    /// <param name="cancellationToken">Stops waiting for connections to close.</param>
    /// <returns>A task that completes when the server has stopped.</returns>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _state, 2) != 1)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _tcpListener?.Dispose();
        try
        {
            await Task.WhenAll(_loops).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The caller gave up waiting.
        }

        _vsockListener?.Dispose();
        Task drained = DrainQueueAndGetDrained();

        try
        {
            await drained.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            // Connections observe the stop token; this only bounds the wait.
        }

        LogStopped(_logger, AcceptedConnections, ReportsSent);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (Volatile.Read(ref _state) == 1)
        {
            await StopAsync().ConfigureAwait(false);
        }

        _tcpListener?.Dispose();
        _vsockListener?.Dispose();
        _stopping.Dispose();
    }

    private async Task TcpAcceptLoopAsync(Socket listener)
    {
        CancellationToken stop = _stopping.Token;
        while (!stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(stop).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException || stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex)
            {
                // e.g. EMFILE or a connection reset before accept: keep serving others.
                LogAcceptFailed(_logger, "tcp", ex.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(50), _timeProvider, CancellationToken.None).ConfigureAwait(false);
                continue;
            }

            PeerSource source;
            try
            {
                client.NoDelay = true;
                source = client.RemoteEndPoint is IPEndPoint remote ? new PeerSource(Normalize(remote.Address), 0) : new PeerSource(null, 0);
            }
            catch (SocketException)
            {
                client.Dispose(); // reset before we looked
                continue;
            }

            Admit(client, source, source.Address is not null && _hostAddresses.Contains(source.Address));
        }
    }

    private void VsockAcceptLoop(SafeSocketHandle listener)
    {
        CancellationToken stop = _stopping.Token;
        while (!stop.IsCancellationRequested)
        {
            Socket? client = null;
            uint peerCid = VsockNative.CidAny;
            try
            {
                client = VsockNative.TryAccept(listener, VsockPollMilliseconds, out peerCid);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
                if (stop.IsCancellationRequested)
                {
                    return;
                }

                LogAcceptFailed(_logger, "vsock", ex.Message);
                stop.WaitHandle.WaitOne(50);
            }

            if (client is not null)
            {
                Admit(client, new PeerSource(null, peerCid), peerCid == VsockNative.CidHost);
            }
        }
    }

    /// <summary>Serves, queues (host only) or closes a just-accepted connection, by the slot and per-source limits.</summary>
    private void Admit(Socket client, PeerSource source, bool isHost)
    {
        SlotKind slot = TryTakeSlot(client, source, isHost);
        switch (slot)
        {
            case SlotKind.General:
            case SlotKind.Reserved:
                Interlocked.Increment(ref _accepted);
                _ = ServeAsync(client, source, isHost, slot);
                break;
            case SlotKind.Queued:
                Interlocked.Increment(ref _accepted);
                break;
            default:
                Interlocked.Increment(ref _rejected);
                LogRejected(_logger, source, slot == SlotKind.RejectedSource ? "its per-source limit" : "every ordinary slot");
                try
                {
                    client.LingerState = new LingerOption(true, 0); // reset: frees the port at once, no TIME_WAIT
                }
                catch (SocketException)
                {
                    // Already gone.
                }

                client.Dispose();
                break;
        }
    }

    private async Task ServeAsync(Socket client, PeerSource source, bool isHost, SlotKind slot)
    {
        byte[] buffer = new byte[GuestAgentProtocol.MaxMessageSize];
        try
        {
            await Task.Yield();
            int limit = _options.MaxRequestsPerConnection;
            for (int served = 0; served < limit; served++)
            {
                if (!await ServeOneAsync(client, buffer, served == 0 ? _options.ReadTimeout : _options.IdleTimeout).ConfigureAwait(false))
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The peer went away, timed out or the server is stopping: nothing to answer.
        }
#pragma warning disable CA1031 // A connection must never take the agent down.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogConnectionFailed(_logger, ex);
        }
        finally
        {
            client.Dispose();
            if (ReleaseSlot(source, isHost, slot) is { } next)
            {
                _ = ServeAsync(next.Socket, next.Source, true, slot);
            }
        }
    }

    // The slot bookkeeping's lock lives in these plain methods, never inline in ServeAsync: a `lock` inside the
    // finally block of an async method lost its Monitor.Exit when the trimmer (PublishTrimmed) rewrote the state
    // machine, so the first thread that closed a connection kept _gate forever and every other thread blocked on it
    // (the trimmed single-file agent stopped answering after 15 to ~800 queries and hung in StopAsync on SIGTERM).
    private SlotKind TryTakeSlot(Socket client, PeerSource source, bool isHost)
    {
        lock (_gate)
        {
            if (_stopping.IsCancellationRequested)
            {
                return SlotKind.RejectedFull;
            }

            if (!isHost)
            {
                _perSource.TryGetValue(source, out int fromSource);
                if (fromSource >= _options.MaxConnectionsPerSource)
                {
                    return SlotKind.RejectedSource;
                }

                if (_general >= _options.MaxConnections)
                {
                    return SlotKind.RejectedFull;
                }

                _perSource[source] = fromSource + 1;
                _general++;
                Opened();
                return SlotKind.General;
            }

            if (_general < _options.MaxConnections)
            {
                _general++;
                Opened();
                return SlotKind.General;
            }

            if (_reserved < _options.ReservedHostConnections)
            {
                _reserved++;
                Opened();
                return SlotKind.Reserved;
            }

            if (_hostQueue.Count >= _options.Backlog)
            {
                return SlotKind.RejectedFull;
            }

            _hostQueue.Enqueue((client, source));
            return SlotKind.Queued;
        }
    }

    /// <summary>Frees a slot, or hands it straight to the next host connection waiting for one.</summary>
    private (Socket Socket, PeerSource Source)? ReleaseSlot(PeerSource source, bool isHost, SlotKind slot)
    {
        lock (_gate)
        {
            if (!isHost && _perSource.TryGetValue(source, out int fromSource))
            {
                if (fromSource <= 1)
                {
                    _perSource.Remove(source);
                }
                else
                {
                    _perSource[source] = fromSource - 1;
                }
            }

            if (!_stopping.IsCancellationRequested && _hostQueue.TryDequeue(out (Socket Socket, PeerSource Source) next))
            {
                return next; // the slot (and the open count) passes to it unchanged
            }

            if (slot == SlotKind.Reserved)
            {
                _reserved--;
            }
            else
            {
                _general--;
            }

            if (--_open == 0)
            {
                _drained.TrySetResult();
            }

            return null;
        }
    }

    private void Opened()
    {
        if (_open++ == 0)
        {
            _drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    private Task DrainQueueAndGetDrained()
    {
        lock (_gate)
        {
            while (_hostQueue.TryDequeue(out (Socket Socket, PeerSource Source) waiting))
            {
                waiting.Socket.Dispose();
            }

            return _open == 0 ? Task.CompletedTask : _drained.Task;
        }
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>Serves one request; returns whether the connection stays open for another.</summary>
    private async Task<bool> ServeOneAsync(Socket client, byte[] buffer, TimeSpan readTimeout)
    {
        bool keepOpen;
        (GuestAgentErrorCode Code, string Text, ulong Nonce)? refusal = null;
        int replyLength = 0;
        using (CancellationTokenSource timeout = new(readTimeout, _timeProvider))
        using (CancellationTokenSource linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stopping.Token))
        {
            (keepOpen, refusal, replyLength) = await ReadAndAnswerAsync(client, buffer, linked.Token).ConfigureAwait(false);
        }

        if (refusal is null && replyLength == 0)
        {
            return false; // the peer closed the connection
        }

        // The reply gets its own time bound, so slow work between reading and answering (the first call's JIT on an
        // emulated guest took longer than the read timeout) does not abort an answer that is ready.
        using CancellationTokenSource sendTimeout = new(_options.ReadTimeout, _timeProvider);
        using CancellationTokenSource sendLinked = CancellationTokenSource.CreateLinkedTokenSource(sendTimeout.Token, _stopping.Token);
        if (refusal is { } r)
        {
            await SendErrorAsync(client, buffer, r.Nonce, r.Code, r.Text, sendLinked.Token).ConfigureAwait(false);
        }
        else
        {
            await GuestAgentConnector.SendAllAsync(client, buffer.AsMemory(0, replyLength), sendLinked.Token).ConfigureAwait(false);
        }

        return keepOpen;
    }

    /// <summary>
    /// Reads one request and prepares the answer in <paramref name="buffer"/>: a report (its length returned), or a
    /// refusal to send. (false, null, 0) means the peer closed the connection.
    /// </summary>
    private async Task<(bool KeepOpen, (GuestAgentErrorCode Code, string Text, ulong Nonce)? Refusal, int ReplyLength)> ReadAndAnswerAsync(
        Socket client, byte[] buffer, CancellationToken ct)
    {
        if (!await GuestAgentConnector.ReadExactlyAsync(client, buffer.AsMemory(0, GuestAgentProtocol.HeaderSize), ct).ConfigureAwait(false))
        {
            return (false, null, 0);
        }

        GuestAgentProtocolStatus status = GuestAgentProtocol.TryReadHeader(buffer, out GuestAgentMessageType type, out int payloadLength);
        if (status != GuestAgentProtocolStatus.Ok || type != GuestAgentMessageType.MemoryRequest)
        {
            (GuestAgentErrorCode code, string text) = status switch
            {
                GuestAgentProtocolStatus.UnsupportedVersion => (GuestAgentErrorCode.UnsupportedVersion,
                    $"protocol version {buffer[4]} is not supported; this agent speaks version {GuestAgentProtocol.Version}"),
                GuestAgentProtocolStatus.UnknownMessageType => (GuestAgentErrorCode.UnknownMessageType, $"message type {buffer[5]} is unknown"),
                GuestAgentProtocolStatus.Ok => (GuestAgentErrorCode.UnknownMessageType, $"message type {type} is not a request"),
                _ => (GuestAgentErrorCode.MalformedRequest, $"malformed request header: {status}"),
            };
            return (false, (code, text, 0), 0);
        }

        if (!await GuestAgentConnector.ReadExactlyAsync(client, buffer.AsMemory(GuestAgentProtocol.HeaderSize, payloadLength), ct).ConfigureAwait(false))
        {
            return (false, null, 0);
        }

        status = GuestAgentProtocol.TryReadRequest(buffer.AsSpan(0, GuestAgentProtocol.HeaderSize + payloadLength), out ulong nonce);
        if (status != GuestAgentProtocolStatus.Ok)
        {
            return (false, (GuestAgentErrorCode.MalformedRequest, $"malformed request: {status}", 0), 0);
        }

        string memInfo;
        try
        {
            memInfo = _memInfo.ReadAll();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return (true, (GuestAgentErrorCode.MemInfoUnavailable, $"cannot read meminfo: {ex.Message}", nonce), 0);
        }

        if (!MemInfoParser.TryParse(memInfo, out MemInfoValues values, out string? error))
        {
            return (true, (GuestAgentErrorCode.MemInfoUnavailable, error!, nonce), 0);
        }

        var report = new GuestMemoryReport
        {
            Nonce = nonce,
            InstanceId = InstanceId,
            Sequence = (ulong)Interlocked.Increment(ref _sequence),
            TimestampUnixMilliseconds = _timeProvider.GetUtcNow().ToUnixTimeMilliseconds(),
            Flags = values.MemAvailableEstimated ? GuestMemoryReportAttributes.MemAvailableEstimated : GuestMemoryReportAttributes.None,
            MemTotal = values.MemTotal,
            MemAvailable = values.MemAvailable,
            MemFree = values.MemFree,
            Buffers = values.Buffers,
            Cached = values.Cached,
            SwapTotal = values.SwapTotal,
            SwapFree = values.SwapFree,
        };
        GuestAgentProtocol.TryWriteReport(buffer, report, out int length);
        return (true, null, length);
    }

    private static async Task SendErrorAsync(Socket client, byte[] buffer, ulong nonce, GuestAgentErrorCode code, string? text, CancellationToken ct)
    {
        GuestAgentProtocol.TryWriteError(buffer, nonce, code, text, out int length);
        await GuestAgentConnector.SendAllAsync(client, buffer.AsMemory(0, length), ct).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Guest agent listening on tcp:{Endpoint}")]
    private static partial void LogListeningTcp(ILogger logger, IPEndPoint endpoint);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "Guest agent listening on vsock port {Port} (any CID)")]
    private static partial void LogListeningVsock(ILogger logger, uint port);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Guest agent TCP listener {Endpoint} is open on every interface because the operator asked for it")]
    private static partial void LogAllInterfaces(ILogger logger, IPEndPoint endpoint);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Guest agent could not accept a {Transport} connection: {Reason}")]
    private static partial void LogAcceptFailed(ILogger logger, string transport, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "Guest agent connection failed unexpectedly")]
    private static partial void LogConnectionFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Guest agent stopped after {Connections} connections and {Reports} reports")]
    private static partial void LogStopped(ILogger logger, long connections, long reports);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "Guest agent listens on {Listener}, an unprivileged port: any user in this guest could bind it while the agent is not running and answer the host in its place. Use a port below 1024 (the default is 458)")]
    private static partial void LogUnprivilegedPort(ILogger logger, string listener);

    [LoggerMessage(EventId = 8, Level = LogLevel.Information, Message = "No TCP host address is configured: TCP connections get no reserved slot (vsock connections from the host always do)")]
    private static partial void LogNoTcpHost(ILogger logger);

    [LoggerMessage(EventId = 9, Level = LogLevel.Debug, Message = "Guest agent closed a connection from {Source} at once: {Limit} is taken")]
    private static partial void LogRejected(ILogger logger, PeerSource source, string limit);

    private const int PrivilegedPortLimit = 1024;

    private enum SlotKind
    {
        General,
        Reserved,
        Queued,
        RejectedSource,
        RejectedFull,
    }

    /// <summary>Where a connection comes from: an IP address (TCP) or a context id (vsock).</summary>
    private readonly record struct PeerSource(IPAddress? Address, uint Cid)
    {
        public override string ToString() => Address is not null
            ? $"tcp:{Address}"
            : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"vsock CID {Cid}");
    }
}
