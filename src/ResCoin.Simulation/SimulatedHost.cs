
namespace ResCoin.Simulation;

/// <summary>
/// A host that exists only in memory: it implements <see cref="IMonitor"/> and <see cref="IActuator"/> so that the
/// real <c>ResCoinController</c> runs unchanged against it.
/// </summary>
/// <remarks>
/// <para>Each call to <see cref="SampleAsync"/> simulates the next period: every VM wants its demand for that period
/// and gets <c>min(demand, allocation in force)</c>; that (censored) amount is what the monitor reports as usage, as a
/// real throttled VM would show. What a VM did not get is recorded (<see cref="GetUnserved"/>) and the evaluation
/// metrics are accumulated against the true demand.</para>
/// <para><see cref="ApplyAsync"/> records the allocation that governs the <em>next</em> period. Before the first plan
/// every VM runs at its template. Resources the scenario does not schedule are reported at full demand.</para>
/// </remarks>
public sealed class SimulatedHost : IMonitor, IActuator
{
    private const double Epsilon = 1e-12;

    private readonly SimulationScenario _scenario;
    private readonly TimeProvider _time;
    private readonly Dictionary<VmId, int> _index;
    private readonly ResourceVector[] _allocation;
    private readonly ResourceVector[] _previous;
    private readonly ResourceVector[] _unserved;
    private readonly MetricsAccumulator _metrics;
    private ResourceVector _lastJain;
    private int _step;

    /// <summary>Creates a host at period 0 with every VM at its template.</summary>
    /// <param name="scenario">The VMs, capacity and templates.</param>
    /// <param name="timeProvider">The clock stamped on snapshots; <see cref="TimeProvider.System"/> when null.</param>
    public SimulatedHost(SimulationScenario scenario, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        _scenario = scenario;
        _time = timeProvider ?? TimeProvider.System;
        int n = scenario.Vms.Count;
        _index = new Dictionary<VmId, int>(n);
        for (int i = 0; i < n; i++)
        {
            _index[scenario.VmIds[i]] = i;
        }

        _allocation = scenario.Templates.ToArray();
        _previous = new ResourceVector[n];
        _unserved = new ResourceVector[n];
        _metrics = new MetricsAccumulator(scenario);
        _lastJain = ResourceVector.Fill(double.NaN);
    }

    /// <summary>The scenario being simulated.</summary>
    public SimulationScenario Scenario => _scenario;

    /// <summary>The number of periods simulated so far (the index of the next one).</summary>
    public int Step => _step;

    /// <summary>The allocation in force for the next period, per VM (scenario order).</summary>
    public ReadOnlySpan<ResourceVector> Allocations => _allocation;

    /// <summary>How much of its demand a VM did not get, summed over the periods so far (resource units × periods).</summary>
    /// <param name="vm">The VM's index in the scenario.</param>
    /// <returns>The unserved demand per resource.</returns>
    public ResourceVector GetUnserved(int vm) => _unserved[vm];

    /// <summary>Jain's index of served/demanded over the VMs in the last simulated period, per resource (NaN before the first).</summary>
    internal ResourceVector LastJain => _lastJain;

    /// <summary>The evaluation metrics over the periods simulated so far.</summary>
    /// <returns>The metrics.</returns>
    public PolicyMetrics GetMetrics() => _metrics.ToMetrics(_step);

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">Every period of the scenario was already simulated.</exception>
    public ValueTask SampleAsync(HostSnapshot snapshot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        cancellationToken.ThrowIfCancellationRequested();
        int t = _step;
        if (t >= _scenario.Periods)
        {
            throw new InvalidOperationException($"The scenario has {_scenario.Periods} periods; all were simulated.");
        }

        snapshot.Timestamp = _time.GetUtcNow();
        snapshot.Interval = _scenario.Period;
        snapshot.HostCapacity = _scenario.Capacity;
        ResourceSet scheduled = _scenario.Resources;
        IReadOnlyList<VmWorkload> vms = _scenario.Vms;
        _metrics.BeginPeriod();
        for (int i = 0; i < vms.Count; i++)
        {
            ref VmSample sample = ref snapshot.Add(_scenario.VmIds[i]);
            ResourceVector demand = vms[i].GetDemand(t);
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                double d = demand[r];
                if (!scheduled.Contains((ResourceKind)r))
                {
                    sample.Usage[r] = d;
                    continue;
                }

                double a = _allocation[i][r];
                double served = Math.Min(d, a);
                sample.Usage[r] = served;
                _unserved[i][r] += d - served;
                _metrics.Add(i, r, d, a, _scenario.Templates[i][r], t > 0 ? _previous[i][r] : double.NaN);
            }

            _previous[i] = _allocation[i];
        }

        _metrics.EndPeriod(ref _lastJain);
        _step++;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask ApplyAsync(AllocationPlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        cancellationToken.ThrowIfCancellationRequested();
        if (plan.DryRun)
        {
            return ValueTask.CompletedTask;
        }

        ResourceSet resources = plan.Resources & _scenario.Resources;
        ReadOnlySpan<VmId> vms = plan.Vms;
        ReadOnlySpan<ResourceVector> allocations = plan.Allocations;
        ReadOnlySpan<VmId> ids = _scenario.VmIds;
        for (int k = 0; k < vms.Length; k++)
        {
            int i = k < ids.Length && ids[k] == vms[k] ? k : _index.GetValueOrDefault(vms[k], -1);
            if (i < 0)
            {
                continue;
            }

            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                double a = allocations[k][r];
                if (resources.Contains((ResourceKind)r) && double.IsFinite(a) && a >= 0)
                {
                    _allocation[i][r] = a;
                }
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Puts every VM back at its template (what a real actuator's restore would do).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A completed task.</returns>
    public ValueTask RestoreAsync(CancellationToken cancellationToken)
    {
        _scenario.Templates.CopyTo(_allocation);
        return ValueTask.CompletedTask;
    }

    /// <summary>Accumulates the DESIGN.md evaluation metrics, per resource, without storing the history.</summary>
    private sealed class MetricsAccumulator
    {
        private readonly SimulationScenario _scenario;
        private readonly double[] _demand = new double[ResourceKinds.Count];
        private readonly double[] _unmet = new double[ResourceKinds.Count];
        private readonly double[] _served = new double[ResourceKinds.Count];
        private readonly long[] _violations = new long[ResourceKinds.Count];
        private readonly long[] _pairs = new long[ResourceKinds.Count];
        private readonly double[] _churn = new double[ResourceKinds.Count];
        private readonly long[] _churnCount = new long[ResourceKinds.Count];
        private readonly double[] _jainSum = new double[ResourceKinds.Count];
        private readonly long[] _jainPeriods = new long[ResourceKinds.Count];
        private readonly double[] _sx = new double[ResourceKinds.Count];
        private readonly double[] _sxx = new double[ResourceKinds.Count];
        private readonly int[] _m = new int[ResourceKinds.Count];
        private readonly ResourceVector[] _vmServed;
        private readonly ResourceVector[] _vmDemand;

        public MetricsAccumulator(SimulationScenario scenario)
        {
            _scenario = scenario;
            _vmServed = new ResourceVector[scenario.Vms.Count];
            _vmDemand = new ResourceVector[scenario.Vms.Count];
        }

        public void BeginPeriod()
        {
            Array.Clear(_sx);
            Array.Clear(_sxx);
            Array.Clear(_m);
        }

        public void Add(int vm, int r, double demand, double alloc, double template, double previousAlloc)
        {
            double served = Math.Min(demand, alloc);
            double capacity = _scenario.Capacity[r];
            _demand[r] += demand;
            _unmet[r] += demand - served;
            _served[r] += served;
            _pairs[r]++;
            double entitled = Math.Min(demand, template);
            if (alloc < entitled - (1e-9 * entitled) - (Epsilon * capacity))
            {
                _violations[r]++;
            }

            if (!double.IsNaN(previousAlloc))
            {
                // Changes below 1e-12 of the capacity are rounding (e.g. templates passed through the options), not churn.
                double change = Math.Abs(alloc - previousAlloc);
                _churn[r] += change > Epsilon * capacity ? change / capacity : 0;
                _churnCount[r]++;
            }

            if (demand > Epsilon * capacity)
            {
                double x = served / demand;
                _sx[r] += x;
                _sxx[r] += x * x;
                _m[r]++;
            }

            _vmServed[vm][r] += served;
            _vmDemand[vm][r] += demand;
        }

        public void EndPeriod(ref ResourceVector jain)
        {
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                if (_m[r] == 0)
                {
                    jain[r] = double.NaN;
                    continue;
                }

                double j = _sxx[r] > 0 ? _sx[r] * _sx[r] / (_m[r] * _sxx[r]) : 1;
                jain[r] = j;
                _jainSum[r] += j;
                _jainPeriods[r]++;
            }
        }

        public PolicyMetrics ToMetrics(long periods)
        {
            var values = new ResourceMetrics[ResourceKinds.Count];
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                if (!_scenario.Resources.Contains((ResourceKind)r))
                {
                    continue;
                }

                double sx = 0;
                double sxx = 0;
                int m = 0;
                for (int i = 0; i < _vmServed.Length; i++)
                {
                    if (_vmDemand[i][r] > 0)
                    {
                        double x = _vmServed[i][r] / _vmDemand[i][r];
                        sx += x;
                        sxx += x * x;
                        m++;
                    }
                }

                double capacity = _scenario.Capacity[r];
                values[r] = new ResourceMetrics(
                    UnmetDemand: _demand[r] > 0 ? _unmet[r] / _demand[r] : 0,
                    EntitlementViolations: _pairs[r] > 0 ? (double)_violations[r] / _pairs[r] : 0,
                    JainSatisfaction: RoundingToOne(_jainPeriods[r] > 0 ? _jainSum[r] / _jainPeriods[r] : 1),
                    JainSatisfactionRun: RoundingToOne(m > 0 && sxx > 0 ? sx * sx / (m * sxx) : 1),
                    Utilization: RoundingToOne(periods > 0 && capacity > 0 ? _served[r] / (capacity * periods) : 0),
                    Churn: _churnCount[r] > 0 ? _churn[r] / _churnCount[r] : 0);
            }

            return new PolicyMetrics(_scenario.Resources, values, periods, _vmServed.Length);
        }

        // A ratio that can only exceed 1 by floating-point rounding is reported as 1; a real excess (an allocator
        // handing out more than the capacity) is left visible.
        private static double RoundingToOne(double value) => value > 1 && value <= 1 + 1e-9 ? 1 : value;
    }
}
