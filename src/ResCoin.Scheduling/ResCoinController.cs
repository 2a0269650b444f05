using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ResCoin.Scheduling.Control;

namespace ResCoin.Scheduling;

/// <summary>
/// The ResCoin control loop: once per period it samples the host (<see cref="IMonitor"/>), updates each VM's credit,
/// predicts the next period (<see cref="IPredictor"/>), divides the capacity (<see cref="IAllocator"/>) and applies
/// the plan (<see cref="IActuator"/>). VMs may appear and disappear between any two periods: each VM gets a stable
/// slot; a VM that disappears loses its slot, credit and prediction history, and a new VM starts with zero credit.
/// A failing monitor, predictor, allocator or actuator is logged and the loop carries on the next period.
/// </summary>
/// <remarks>
/// Not thread-safe: run either <see cref="RunAsync"/> or <see cref="RunPeriodAsync"/>, from one caller at a time.
/// Metrics go to a <see cref="Meter"/> named <c>ResCoin</c>: gauges <c>rescoin.vm.usage</c>, <c>.estimate</c>,
/// <c>.cap</c>, <c>.weight</c>, <c>.credit</c>, <c>.template</c> (tags <c>vm</c>, <c>resource</c>),
/// <c>rescoin.host.capacity</c>, <c>rescoin.vms</c>, <c>rescoin.prediction.mae</c>/<c>.rmse</c>/<c>.underprediction_rate</c>,
/// the histogram <c>rescoin.period.duration</c> (s) and the counters <c>rescoin.periods</c> and
/// <c>rescoin.period.failures</c> (tag <c>stage</c>).
/// </remarks>
public sealed partial class ResCoinController : IAsyncDisposable, IDisposable
{
    private static readonly TimeSpan s_restoreTimeout = TimeSpan.FromSeconds(30);

    private readonly IMonitor _monitor;
    private readonly IActuator _actuator;
    private readonly PeriodEngine _engine;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ControllerMetrics _metrics;
    private readonly Lock _gate = new();
    private readonly HostSnapshot _snapshot = new();
    private readonly AllocationPlan _plan = new();
    private readonly ControllerPeriod _last = new();
    private readonly DecisionLog? _decisionLog;
    private readonly IPeriodObserver[] _observers;

    private readonly VmSlotTable _slots;
    private readonly CapacityTracker _capacity;

    // Options, copied at construction (later changes to the options object are not seen).
    private readonly TimeSpan _period;
    private readonly TimeSpan _deadline;
    private readonly int _window;
    private readonly ResourceSet _resources;
    private readonly bool _dryRun;
    private readonly string _predictorName;
    private readonly string _policyName;

    private long _attempts;
    private ResourceSet _pendingRelease;
    private bool _disposed;

    /// <summary>Creates a controller.</summary>
    /// <param name="monitor">Samples the host.</param>
    /// <param name="predictor">Predicts each VM's next usage.</param>
    /// <param name="allocator">Divides the capacity.</param>
    /// <param name="actuator">Applies the caps and weights.</param>
    /// <param name="options">The options; validated now and copied.</param>
    /// <param name="timeProvider">The clock and timer source; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="logger">The logger; none when null.</param>
    /// <param name="meterFactory">Creates the <c>ResCoin</c> meter; when null the controller creates (and disposes) its own.</param>
    /// <param name="observers">See every period as it completes (<see cref="IPeriodObserver"/>); none when null.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are invalid; the message names each bad key.</exception>
    public ResCoinController(
        IMonitor monitor,
        IPredictor predictor,
        IAllocator allocator,
        IActuator actuator,
        ResCoinOptions options,
        TimeProvider? timeProvider = null,
        ILogger<ResCoinController>? logger = null,
        IMeterFactory? meterFactory = null,
        IEnumerable<IPeriodObserver>? observers = null)
    {
        ArgumentNullException.ThrowIfNull(monitor);
        ArgumentNullException.ThrowIfNull(predictor);
        ArgumentNullException.ThrowIfNull(allocator);
        ArgumentNullException.ThrowIfNull(actuator);
        ResCoinOptionsCrossValidator.ThrowIfInvalid(options);

        _monitor = monitor;
        _actuator = actuator;
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _period = options.Period;
        _deadline = options.PeriodDeadline ?? options.Period;
        _window = options.Window;
        _resources = options.Resources;
        _dryRun = options.DryRun;
        _predictorName = predictor.Name;
        _policyName = allocator.Name;
        var templates = new Dictionary<string, ResourceVector>(options.Templates.Count, StringComparer.Ordinal);
        foreach (KeyValuePair<string, ResourceAmounts> t in options.Templates)
        {
            templates[t.Key] = t.Value.ToVector();
        }

        _capacity = new CapacityTracker(options.Capacity.ToVector(), options.Reserve.ToVector(), options.Resources, options.CapacityHold, _time, _logger);
        _engine = new PeriodEngine(
            predictor,
            allocator,
            options.Window,
            throttledGrowth: options.ThrottledGrowth,
            bucketCapPeriods: options.CreditMode == CreditMode.Bucket ? options.BucketCapPeriods : double.NaN,
            weighted: options.WeightedResources);
        _slots = new VmSlotTable(_engine, templates, _logger);
        _metrics = new ControllerMetrics(meterFactory, _last, predictor, _gate);
        List<IPeriodObserver> all = observers is null ? [] : [.. observers];
        if (!string.IsNullOrWhiteSpace(options.DecisionLogPath))
        {
            _decisionLog = new DecisionLog(options.DecisionLogPath);
            all.Insert(0, _decisionLog);
        }

        _observers = [.. all];
    }

    /// <summary>The last period computed (valid until the next period starts).</summary>
    public ControllerPeriod LastPeriod => _last;

    /// <summary>The control period.</summary>
    public TimeSpan Period => _period;

    /// <summary>The meter the controller's instruments live on (named <c>ResCoin</c>).</summary>
    public Meter Meter => _metrics.Meter;

    internal PeriodEngine Engine => _engine;

    /// <summary>
    /// Runs exactly one period: sample → credits → predict → allocate → actuate, then hands the result to the observers
    /// (the decision log among them, when set). The period has a deadline (<see cref="ResCoinOptions.PeriodDeadline"/>):
    /// a stage still running then is cancelled and the period fails in that stage with a <see cref="TimeoutException"/>.
    /// </summary>
    /// <param name="cancellationToken">Cancels the period.</param>
    /// <returns>What happened: the failed stage and its exception (it was also logged and counted), per-stage timings.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async ValueTask<PeriodResult> RunPeriodAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        long started = _time.GetTimestamp();
        long attempt = ++_attempts;
        TimeSpan monitorTime = TimeSpan.Zero, computeTime = TimeSpan.Zero, actuateTime = TimeSpan.Zero;
        PeriodStage failed = PeriodStage.None;
        Exception? error = null;
        int vms = 0;
        CancellationToken deadline = StartDeadline(cancellationToken);
        try
        {
            _snapshot.Clear();
            try
            {
                ValueTask sample = _monitor.SampleAsync(_snapshot, deadline);
                if (!sample.IsCompleted)
                {
                    ArmDeadline(started, waiting: true);
                }

                await sample.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
#pragma warning disable CA1031 // The loop must survive any monitor failure.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                (failed, error) = (PeriodStage.Monitor, Failure(PeriodStage.Monitor, attempt, ex, started, deadline));
            }

            monitorTime = _time.GetElapsedTime(started);
            if (failed == PeriodStage.None)
            {
                lock (_gate)
                {
                    try
                    {
                        _pendingRelease |= Compute();
                        vms = _last.Count;
                    }
#pragma warning disable CA1031 // A predictor/allocator fault (or bad monitor data) skips the period, not the loop.
                    catch (Exception ex)
#pragma warning restore CA1031
                    {
                        (failed, error) = (PeriodStage.Compute, Failure(PeriodStage.Compute, attempt, ex, started, deadline));
                    }
                }

                computeTime = _time.GetElapsedTime(started) - monitorTime;
            }

            if (failed == PeriodStage.None)
            {
                try
                {
                    ArmDeadline(started, waiting: false);
                    if (_pendingRelease != ResourceSet.None)
                    {
                        // A capacity could not be read for longer than the hold: put every VM back before applying the
                        // resources that can still be scheduled (the released ones are not in the plan).
                        ValueTask restore = _actuator.RestoreAsync(deadline);
                        if (!restore.IsCompleted)
                        {
                            ArmDeadline(started, waiting: true);
                        }

                        await restore.ConfigureAwait(false);
                        _pendingRelease = ResourceSet.None;
                    }

                    ValueTask apply = _actuator.ApplyAsync(_plan, deadline);
                    if (!apply.IsCompleted)
                    {
                        ArmDeadline(started, waiting: true);
                    }

                    await apply.ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    throw;
                }
#pragma warning disable CA1031 // The loop must survive any actuator failure.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    (failed, error) = (PeriodStage.Actuate, Failure(PeriodStage.Actuate, _last.Index, ex, started, deadline));
                }

                actuateTime = _time.GetElapsedTime(started) - monitorTime - computeTime;
            }
        }
        finally
        {
            StopDeadline();
        }

        TimeSpan elapsed = _time.GetElapsedTime(started);
        var result = new PeriodResult(attempt, vms, failed, error, monitorTime, computeTime, actuateTime, elapsed);
        _metrics.PeriodDone(elapsed.TotalSeconds);
        if (_logger.IsEnabled(LogLevel.Debug) && result.Computed)
        {
            Log.PeriodDone(_logger, _last.Index, _last.Count, _last.Resources, elapsed.TotalMilliseconds);
        }

        foreach (IPeriodObserver observer in _observers)
        {
            try
            {
                observer.OnPeriodCompleted(result, _last);
            }
#pragma warning disable CA1031 // An observer (a full disk under the decision log) must not stop scheduling.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.ObserverFailed(_logger, observer.GetType().Name, ex);
                _metrics.Failed("observer");
            }
        }

        return result;
    }

    /// <summary>Closes the decision log and the meter (when the controller created it).</summary>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Closes the decision log and the meter (when the controller created it). Does not restore settings: <see cref="RunAsync"/> does that when it stops.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _deadlineLink.Dispose();
            _deadlineSource?.Dispose();
            lock (_gate)
            {
                _decisionLog?.Dispose();
                _metrics.Dispose();
            }
        }
    }
}
