using Microsoft.Extensions.Logging;

namespace ResCoin.Libvirt.Native;

/// <summary>
/// One connection to libvirtd, opened on first use and re-opened with exponential back-off after it is lost.
/// Thread-safe. The monitor and the actuator each own one. Every call (the open included) goes through the
/// connection's <see cref="LibvirtCallGate"/>, so a hung libvirtd costs at most <see cref="CallTimeout"/>.
/// </summary>
internal sealed partial class LibvirtConnection : IDisposable
{
    private readonly string _uri;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TimeSpan _minDelay;
    private readonly TimeSpan _maxDelay;
    private readonly Lock _lock = new();
    private ConnectionHandle? _handle;
    private TimeSpan _delay;
    private long _nextAttempt;
    private bool _hadConnection;
    private bool _disposed;

    public LibvirtConnection(string uri, TimeProvider time, ILogger logger, TimeSpan minDelay, TimeSpan maxDelay, TimeSpan? callTimeout = null)
    {
        CallTimeout = callTimeout ?? TimeSpan.FromSeconds(LibvirtOptions.DefaultCallTimeoutSeconds);
        Gate = new LibvirtCallGate("libvirt " + uri);
        _uri = uri;
        _time = time;
        _logger = logger;
        _minDelay = minDelay;
        _maxDelay = maxDelay;
        _delay = TimeSpan.Zero;
    }

    public string Uri => _uri;

    /// <summary>The longest wait for one libvirt call (or one VM's batch of calls run as one).</summary>
    public TimeSpan CallTimeout { get; }

    /// <summary>The worker every libvirt call of this connection runs on.</summary>
    public LibvirtCallGate Gate { get; }

    /// <summary>Runs a libvirt call on the gate with <see cref="CallTimeout"/>.</summary>
    public T Call<T>(string what, Func<T> call, Action<T>? discard = null) => Gate.Call(what, CallTimeout, call, discard);

    /// <summary>Incremented every time a new connection is opened (callers refresh cached host facts).</summary>
    public int Generation { get; private set; }

    /// <summary>The open connection; opens (or re-opens, respecting the back-off) when there is none.</summary>
    /// <exception cref="LibvirtException">libvirtd cannot be reached (now, or the back-off delay has not passed).</exception>
    public ConnectionHandle Acquire()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_handle is { IsInvalid: false, IsClosed: false })
            {
                return _handle;
            }

            long now = _time.GetTimestamp();
            if (_delay > TimeSpan.Zero && now < _nextAttempt)
            {
                TimeSpan wait = _time.GetElapsedTime(now, _nextAttempt);
                throw new LibvirtException($"not connected to {_uri}; next attempt in {wait.TotalSeconds:F0} s");
            }

            try
            {
                _handle = Gate.Call("virConnectOpen(" + _uri + ")", CallTimeout, () => LibvirtApi.Open(_uri), static h => h.Dispose());
            }
            catch (Exception ex) when (ex is LibvirtException or LibvirtTimeoutException)
            {
                _delay = _delay == TimeSpan.Zero ? _minDelay : TimeSpan.FromTicks(Math.Min(_delay.Ticks * 2, _maxDelay.Ticks));
                _nextAttempt = now + (long)(_delay.TotalSeconds * _time.TimestampFrequency);
                LogConnectFailed(_logger, _uri, _delay.TotalSeconds, ex.Message);
                throw;
            }

            _delay = TimeSpan.Zero;
            Generation++;
            if (_hadConnection)
            {
                LogReconnected(_logger, _uri);
            }

            _hadConnection = true;
            return _handle;
        }
    }

    /// <summary>
    /// Called after a failed call: when the connection is no longer alive it is dropped, so the next
    /// <see cref="Acquire"/> reconnects. Returns whether the connection was lost.
    /// </summary>
    public bool CheckAlive(ConnectionHandle handle)
    {
        lock (_lock)
        {
            if (!ReferenceEquals(handle, _handle) || handle.IsClosed)
            {
                return false;
            }

            if (NativeMethods.virConnectIsAlive(handle) == 1)
            {
                return true;
            }

            NativeMethods.virResetLastError();
            LogConnectionLost(_logger, _uri);
            _handle.Dispose();
            _handle = null;
            return false;
        }
    }

    /// <summary>
    /// Closes the connection on the call gate: <c>virConnectClose</c> talks to libvirtd, and a hung libvirtd must not hold
    /// the daemon's exit. When libvirtd does not answer within the deadline (or a call is still stuck) the handle is
    /// left to the process's exit.
    /// </summary>
    public void Dispose()
    {
        ConnectionHandle? handle;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            handle = _handle;
            _handle = null;
        }

        if (handle is not null)
        {
            try
            {
                Gate.Call("virConnectClose(" + _uri + ")", CallTimeout, () =>
                {
                    handle.Dispose();
                    return true;
                });
            }
            catch (LibvirtTimeoutException ex)
            {
                LogCloseAbandoned(_logger, _uri, ex.Message);
            }
        }

        Gate.Dispose();
    }

    [LoggerMessage(EventId = 103, Level = LogLevel.Warning, Message = "Not closing the connection to {Uri} cleanly: {Error}")]
    private static partial void LogCloseAbandoned(ILogger logger, string uri, string error);

    [LoggerMessage(EventId = 100, Level = LogLevel.Warning, Message = "Cannot connect to libvirt at {Uri}; retrying in {DelaySeconds} s: {Error}")]
    private static partial void LogConnectFailed(ILogger logger, string uri, double delaySeconds, string error);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "Lost the connection to libvirt at {Uri}; reconnecting")]
    private static partial void LogConnectionLost(ILogger logger, string uri);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "Reconnected to libvirt at {Uri}")]
    private static partial void LogReconnected(ILogger logger, string uri);
}
