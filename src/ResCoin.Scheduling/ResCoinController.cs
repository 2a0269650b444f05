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
public sealed class ResCoinController : IAsyncDisposable, IDisposable
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

    // Options, copied at construction (later changes to the options object are not seen).
    private readonly TimeSpan _period;
    private readonly int _window;
    private readonly ResourceVector _configuredCapacity;
    private readonly ResourceVector _reserve;
    private readonly ResourceSet _resources;
    private readonly Dictionary<string, ResourceVector> _templates;
    private readonly bool _dryRun;
    private readonly ResourceSet _weighted;
    private readonly string _predictorName;
    private readonly string _policyName;

    // VM slots: dense and stable.
    private readonly Dictionary<VmId, int> _slotOf = [];
    private VmId[] _slotVm = new VmId[16];
    private long[] _slotSeen = new long[16];
    private ResourceVector[] _slotTemplate = new ResourceVector[16];
    private int _slotCount;
    private int _lowestFree;

    private long _attempts;
    private long _computations;
    private ResourceSet _lastScheduled;
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
        _window = options.Window;
        _configuredCapacity = options.Capacity.ToVector();
        _reserve = options.Reserve.ToVector();
        _resources = options.Resources;
        _dryRun = options.DryRun;
        _predictorName = predictor.Name;
        _policyName = allocator.Name;
        _templates = new Dictionary<string, ResourceVector>(options.Templates.Count, StringComparer.Ordinal);
        foreach (KeyValuePair<string, ResourceAmounts> t in options.Templates)
        {
            _templates[t.Key] = t.Value.ToVector();
        }

        _weighted = options.WeightedResources;
        _engine = new PeriodEngine(
            predictor,
            allocator,
            options.Window,
            throttledGrowth: options.ThrottledGrowth,
            bucketCapPeriods: options.CreditMode == CreditMode.Bucket ? options.BucketCapPeriods : double.NaN,
            weighted: options.WeightedResources);
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
    /// (the decision log among them, when set).
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

        _snapshot.Clear();
        try
        {
            await _monitor.SampleAsync(_snapshot, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // The loop must survive any monitor failure.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.MonitorFailed(_logger, attempt, ex);
            _metrics.Failed("monitor");
            (failed, error) = (PeriodStage.Monitor, ex);
        }

        monitorTime = _time.GetElapsedTime(started);
        if (failed == PeriodStage.None)
        {
            lock (_gate)
            {
                try
                {
                    Compute();
                    vms = _last.Count;
                }
#pragma warning disable CA1031 // A predictor/allocator fault (or bad monitor data) skips the period, not the loop.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    Log.ComputeFailed(_logger, attempt, ex);
                    _metrics.Failed("compute");
                    (failed, error) = (PeriodStage.Compute, ex);
                }
            }

            computeTime = _time.GetElapsedTime(started) - monitorTime;
        }

        if (failed == PeriodStage.None)
        {
            try
            {
                await _actuator.ApplyAsync(_plan, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
#pragma warning disable CA1031 // The loop must survive any actuator failure.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.ActuatorFailed(_logger, _last.Index, ex);
                _metrics.Failed("actuate");
                (failed, error) = (PeriodStage.Actuate, ex);
            }

            actuateTime = _time.GetElapsedTime(started) - monitorTime - computeTime;
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

    /// <summary>
    /// Runs a period now and then one per <see cref="ResCoinOptions.Period"/> (a <see cref="PeriodicTimer"/> on the
    /// time provider) until <paramref name="cancellationToken"/> is cancelled; then restores every setting the actuator
    /// changed (<see cref="IActuator.RestoreAsync"/>). Completes normally on cancellation.
    /// </summary>
    /// <param name="cancellationToken">Stops the loop.</param>
    /// <returns>A task that completes when the loop has stopped and the settings are restored.</returns>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Log.Started(_logger, _period, _window, _predictorName, _policyName, _resources, _dryRun);
        try
        {
            using var timer = new PeriodicTimer(_period, _time);
            do
            {
                await RunPeriodAsync(cancellationToken).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Normal stop.
        }
        finally
        {
            using var restoreTimeout = new CancellationTokenSource(s_restoreTimeout, _time);
            try
            {
                await _actuator.RestoreAsync(restoreTimeout.Token).ConfigureAwait(false);
                Log.Stopped(_logger, _last.Index);
            }
#pragma warning disable CA1031 // Reported, not thrown: the caller is stopping anyway.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.RestoreFailed(_logger, ex);
            }
        }
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
            lock (_gate)
            {
                _decisionLog?.Dispose();
                _metrics.Dispose();
            }
        }
    }

    private void Compute()
    {
        long index = _last.Index + 1;

        // Which slots this computation saw: a mark of its own, so a computation that failed half-way (its VMs marked)
        // does not make the next one take those VMs for duplicates.
        long mark = ++_computations;
        HostSnapshot snapshot = _snapshot;

        // Capacity and the resources that can be scheduled this period.
        ResourceVector capacity = ResourceVector.Fill(double.NaN);
        ResourceSet scheduled = ResourceSet.None;
        ResourceVector host = snapshot.HostCapacity;
        foreach (ResourceKind r in ResourceKinds.All)
        {
            if (!_resources.Contains(r))
            {
                continue;
            }

            double c = double.IsNaN(_configuredCapacity[r]) ? host[r] : _configuredCapacity[r];
            double reserve = double.IsNaN(_reserve[r]) ? 0 : _reserve[r];
            double effective = c - reserve;
            if (effective > 0 && effective <= double.MaxValue)
            {
                capacity[r] = effective;
                scheduled = scheduled.With(r);
            }
        }

        if (scheduled != _lastScheduled)
        {
            if (scheduled != _resources)
            {
                Log.ResourcesChanged(_logger, scheduled, _resources);
            }

            _lastScheduled = scheduled;
        }

        // VMs: find or assign slots, copy and check usage.
        ControllerPeriod last = _last;
        last.EnsureCapacity(snapshot.Count);
        Span<VmSample> samples = snapshot.Vms;
        int n = 0;
        for (int s = 0; s < samples.Length; s++)
        {
            ref VmSample sample = ref samples[s];
            VmId id = sample.Id;
            if (id.IsEmpty)
            {
                continue;
            }

            if (!_slotOf.TryGetValue(id, out int slot))
            {
                slot = AssignSlot(id);
            }
            else if (_slotSeen[slot] == mark)
            {
                Log.DuplicateVm(_logger, id.Name);
                continue;
            }

            _slotSeen[slot] = mark;
            last.VmBuffer[n] = id;
            last.SlotBuffer[n] = slot;
            ResourceVector usage = sample.Usage;
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                double u = usage[r];
                if (!double.IsNaN(u) && !(u >= 0 && u <= double.MaxValue))
                {
                    Log.BadUsage(_logger, id.Name, ResourceKinds.Name((ResourceKind)r), u);
                    usage[r] = double.NaN;
                }
            }

            last.UsageBuffer[n] = usage;
            last.LimitBuffer[n] = sample.Limit;
            last.PressureBuffer[n] = sample.Pressure;
            n++;
        }

        // VMs that vanished give back their slot.
        for (int slot = 0; slot < _slotCount; slot++)
        {
            if (_slotSeen[slot] != mark && !_slotVm[slot].IsEmpty)
            {
                FreeSlot(slot);
            }
        }

        while (_slotCount > 0 && _slotVm[_slotCount - 1].IsEmpty)
        {
            _slotCount--;
        }

        // Templates: configured per VM name, else the capacity split equally.
        for (int i = 0; i < n; i++)
        {
            ResourceVector explicitTemplate = _slotTemplate[last.SlotBuffer[i]];
            ResourceVector t = default;
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                double e = explicitTemplate[r];
                t[r] = double.IsNaN(e) ? capacity[r] / n : e;
            }

            last.TemplateBuffer[i] = t;
        }

        _engine.EnsureSlots(_slotCount);
        _engine.Run(
            capacity,
            scheduled,
            _slotCount,
            last.SlotBuffer.AsSpan(0, n),
            last.VmBuffer.AsSpan(0, n),
            last.TemplateBuffer.AsSpan(0, n),
            last.UsageBuffer.AsSpan(0, n),
            last.LimitBuffer.AsSpan(0, n),
            last.PressureBuffer.AsSpan(0, n),
            last.EstimateBuffer.AsSpan(0, n),
            last.CreditBuffer.AsSpan(0, n),
            last.CapBuffer.AsSpan(0, n),
            last.WeightBuffer.AsSpan(0, n));

        DateTimeOffset timestamp = snapshot.Timestamp == default ? _time.GetUtcNow() : snapshot.Timestamp;
        _plan.Clear();
        _plan.Timestamp = timestamp;
        _plan.Period = _period;
        _plan.Resources = scheduled;
        _plan.DryRun = _dryRun;
        for (int i = 0; i < n; i++)
        {
            // The guarantee: the template, within the cap (NaN where the resource is not scheduled).
            ref readonly ResourceVector cap = ref last.CapBuffer[i];
            ref readonly ResourceVector template = ref last.TemplateBuffer[i];
            ResourceVector guarantee = default;
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                double c = cap[r];
                guarantee[r] = scheduled.Contains((ResourceKind)r) ? (c < template[r] ? c : template[r]) : double.NaN;
            }

            _plan.Add(last.VmBuffer[i], cap, last.WeightBuffer[i], guarantee, last.UsageBuffer[i]);
        }

        last.Index = index;
        last.Timestamp = timestamp;
        last.Capacity = capacity;
        last.Resources = scheduled;
        last.Count = n;
    }

    private int AssignSlot(VmId id)
    {
        int slot = _lowestFree;
        while (slot < _slotCount && !_slotVm[slot].IsEmpty)
        {
            slot++;
        }

        if (slot >= _slotVm.Length)
        {
            int size = Math.Max(slot + 1, _slotVm.Length * 2);
            Array.Resize(ref _slotVm, size);
            Array.Resize(ref _slotSeen, size);
            Array.Resize(ref _slotTemplate, size);
        }

        if (slot >= _slotCount)
        {
            _slotCount = slot + 1;
        }

        _lowestFree = slot + 1;
        _slotVm[slot] = id;
        _slotSeen[slot] = 0;
        _slotTemplate[slot] = _templates.TryGetValue(id.Name, out ResourceVector t) ? t : ResourceVector.Fill(double.NaN);
        _slotOf[id] = slot;
        _engine.EnsureSlots(_slotCount);
        _engine.ResetSlot(slot);
        Log.VmAppeared(_logger, id.Name, slot);
        return slot;
    }

    private void FreeSlot(int slot)
    {
        VmId id = _slotVm[slot];
        _slotOf.Remove(id);
        _slotVm[slot] = default;
        _engine.ResetSlot(slot);
        _lowestFree = Math.Min(_lowestFree, slot);
        Log.VmVanished(_logger, id.Name, slot);
    }
}
