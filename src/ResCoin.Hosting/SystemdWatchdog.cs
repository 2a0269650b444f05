using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ResCoin.Scheduling;

namespace ResCoin.Hosting;

/// <summary>
/// Feeds systemd's watchdog (<c>WatchdogSec=</c> in the unit) while the control loop makes progress: every half
/// watchdog interval it sends <c>WATCHDOG=1</c>, but only when a period completed (successfully or not) within the
/// stall limit. A loop that hangs stops the pings, and systemd kills and restarts the daemon, whose next start restores
/// what the journal holds. Does nothing when systemd set no watchdog (no <c>WATCHDOG_USEC</c> for this process) or
/// the host does not run under systemd.
/// </summary>
public sealed partial class SystemdWatchdog : BackgroundService, IPeriodObserver
{
    private readonly ISystemdNotifier? _notifier;
    private readonly TimeSpan _interval;
    private readonly TimeSpan _stallLimit;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private long _lastPeriod;
    private bool _stalled;

    /// <summary>Creates the watchdog from the environment systemd gives the service.</summary>
    /// <param name="options">The control loop's options (its period and deadline set the stall limit).</param>
    /// <param name="notifier">systemd's notifier; null when the host does not run under systemd.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="logger">The logger; none when null.</param>
    public SystemdWatchdog(IOptions<ResCoinOptions> options, ISystemdNotifier? notifier, TimeProvider? timeProvider, ILogger<SystemdWatchdog>? logger)
        : this(StallLimitOf(options), notifier, FromEnvironment(), timeProvider, logger)
    {
    }

    /// <summary>Creates the watchdog with an explicit interval.</summary>
    /// <param name="stallLimit">How long the loop may go without completing a period before the pings stop.</param>
    /// <param name="notifier">systemd's notifier; null when the host does not run under systemd.</param>
    /// <param name="watchdogInterval">systemd's watchdog interval (<c>WatchdogSec=</c>); zero or less disables the watchdog.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="logger">The logger; none when null.</param>
    public SystemdWatchdog(TimeSpan stallLimit, ISystemdNotifier? notifier, TimeSpan watchdogInterval, TimeProvider? timeProvider, ILogger<SystemdWatchdog>? logger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(stallLimit, TimeSpan.Zero);
        _notifier = notifier is { IsEnabled: true } ? notifier : null;
        _interval = watchdogInterval > TimeSpan.Zero ? watchdogInterval / 2 : TimeSpan.Zero;
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _stallLimit = stallLimit;
        _lastPeriod = _time.GetTimestamp();
    }

    /// <summary>Whether pings are sent (systemd set a watchdog and the host runs under systemd).</summary>
    public bool IsEnabled => _notifier is not null && _interval > TimeSpan.Zero;

    /// <summary>How long the loop may go without completing a period before the pings stop.</summary>
    public TimeSpan StallLimit => _stallLimit;

    /// <inheritdoc/>
    public void OnPeriodCompleted(in PeriodResult result, ControllerPeriod period)
        => Volatile.Write(ref _lastPeriod, _time.GetTimestamp());

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!IsEnabled)
        {
            return;
        }

        LogEnabled(_logger, _interval * 2, _stallLimit);
        using var timer = new PeriodicTimer(_interval, _time);
        do
        {
            TimeSpan since = _time.GetElapsedTime(Volatile.Read(ref _lastPeriod));
            if (since <= _stallLimit)
            {
                _notifier!.Notify(new ServiceState("WATCHDOG=1"));
                _stalled = false;
            }
            else if (!_stalled)
            {
                _stalled = true;
                LogStalled(_logger, since);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private static TimeSpan StallLimitOf(IOptions<ResCoinOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ResCoinOptions o = options.Value;

        // A period starts every Period and may take up to its deadline (by default the period), and the stop's restore
        // is not a period: two periods, the deadline and a margin.
        return (o.Period * 2) + (o.PeriodDeadline ?? o.Period) + TimeSpan.FromSeconds(30);
    }

    private static TimeSpan FromEnvironment()
    {
        // systemd sets WATCHDOG_USEC (and WATCHDOG_PID: the process it is meant for) when WatchdogSec= is set.
        string? pid = Environment.GetEnvironmentVariable("WATCHDOG_PID");
        if (pid is { Length: > 0 } && pid != Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
        {
            return TimeSpan.Zero;
        }

        return long.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out long usec) && usec > 0
            ? TimeSpan.FromMicroseconds(usec)
            : TimeSpan.Zero;
    }

    [LoggerMessage(1, LogLevel.Information, "systemd watchdog on: interval {Interval}; pings stop when no period completes for {StallLimit}.")]
    private static partial void LogEnabled(ILogger logger, TimeSpan interval, TimeSpan stallLimit);

    [LoggerMessage(2, LogLevel.Critical, "The control loop has not completed a period for {Since}: withholding the systemd watchdog ping, so systemd restarts the daemon.")]
    private static partial void LogStalled(ILogger logger, TimeSpan since);
}
