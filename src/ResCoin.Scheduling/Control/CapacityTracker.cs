using Microsoft.Extensions.Logging;

namespace ResCoin.Scheduling.Control;

/// <summary>
/// The capacity the controller divides, per resource: the configured value, else what the monitor reports, minus the
/// reserve. When the monitor stops reporting a resource's capacity its last good value is held for
/// <see cref="ResCoinOptions.CapacityHold"/>; after that the resource is released (the controller restores what it
/// changed, so no cap stays frozen) until the capacity can be read again (docs/design.md, "Control loop").
/// </summary>
internal sealed class CapacityTracker
{
    private readonly ResourceVector _configured;
    private readonly ResourceVector _reserve;
    private readonly ResourceSet _resources;
    private readonly TimeSpan _hold;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private ResourceVector _lastGood = ResourceVector.Fill(double.NaN);
    private readonly long[] _lastGoodAt = new long[ResourceKinds.Count];
    private readonly State[] _state = new State[ResourceKinds.Count];
    private ResourceSet _lastScheduled;

    public CapacityTracker(ResourceVector configured, ResourceVector reserve, ResourceSet resources, TimeSpan hold, TimeProvider time, ILogger logger)
    {
        _configured = configured;
        _reserve = reserve;
        _resources = resources;
        _hold = hold;
        _time = time;
        _logger = logger;
    }

    private enum State : byte
    {
        Unknown = 0,
        Known,
        Holding,
        Released,
    }

    /// <summary>
    /// Resolves this period's capacity from the monitor's report.
    /// </summary>
    /// <param name="reported">The host capacity the monitor reported (NaN where unknown).</param>
    /// <param name="capacity">The capacity to divide per resource (NaN where not scheduled).</param>
    /// <param name="release">The resources whose hold expired in this period: their settings must be restored now.</param>
    /// <returns>The resources scheduled this period.</returns>
    public ResourceSet Resolve(in ResourceVector reported, out ResourceVector capacity, out ResourceSet release)
    {
        capacity = ResourceVector.Fill(double.NaN);
        release = ResourceSet.None;
        ResourceSet scheduled = ResourceSet.None;
        long now = _time.GetTimestamp();
        foreach (ResourceKind r in ResourceKinds.All)
        {
            if (!_resources.Contains(r))
            {
                continue;
            }

            int i = (int)r;
            bool fromMonitor = double.IsNaN(_configured[r]);
            double c = fromMonitor ? reported[r] : _configured[r];
            double reserve = double.IsNaN(_reserve[r]) ? 0 : _reserve[r];
            double effective = c - reserve;
            if (effective > 0 && effective <= double.MaxValue)
            {
                if (_state[i] is State.Holding or State.Released)
                {
                    Log.CapacityBack(_logger, ResourceKinds.Name(r), effective);
                }

                _state[i] = State.Known;
                _lastGood[r] = effective;
                _lastGoodAt[i] = now;
                capacity[r] = effective;
                scheduled = scheduled.With(r);
                continue;
            }

            if (!fromMonitor || _state[i] is State.Unknown or State.Released)
            {
                // Never known (or configured at or below its reserve), or already released: not scheduled.
                continue;
            }

            if (_time.GetElapsedTime(_lastGoodAt[i], now) < _hold)
            {
                if (_state[i] != State.Holding)
                {
                    Log.CapacityHeld(_logger, ResourceKinds.Name(r), c, _lastGood[r], _hold);
                    _state[i] = State.Holding;
                }

                capacity[r] = _lastGood[r];
                scheduled = scheduled.With(r);
            }
            else
            {
                Log.CapacityReleased(_logger, ResourceKinds.Name(r), _hold);
                _state[i] = State.Released;
                release = release.With(r);
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

        return scheduled;
    }
}
