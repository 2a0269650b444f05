
namespace ResCoin.Simulation;

/// <summary>
/// A host that exists only in memory: it implements <see cref="IMonitor"/> and <see cref="IActuator"/> so that the
/// real <c>ResCoinController</c> runs unchanged against it.
/// </summary>
/// <remarks>
/// <para>Each call to <see cref="SampleAsync"/> simulates the next period the way the Linux kernel would serve it:
/// every VM wants its true demand; for the resources actuated by a weight (<see cref="WeightedResources"/>, CPU by
/// default) the capacity is divided by weighted water-filling under the caps in force
/// (<c>served = min(demand, cap, λ·weight)</c>, λ such that nothing is left idle while a VM below its cap wants more);
/// the other resources are served up to their caps (in proportion when the host runs out). The monitor reports what
/// was served as usage (a capped or out-competed VM looks censored, as on a real host), the unserved share of its
/// demand as <see cref="VmSample.Pressure"/> (what PSI or vCPU delay would show) and the VM's own limit as
/// <see cref="VmSample.Limit"/>. What a VM did not get is recorded (<see cref="GetUnserved"/>) and the evaluation
/// metrics are accumulated against the true demand.</para>
/// <para><see cref="ApplyAsync"/> records the caps and weights that govern the <em>next</em> period; a NaN cap or
/// weight puts back the host's own setting. The host starts with no caps and the kernel's default weight for every
/// VM (what a host without a controller does), and <see cref="RestoreAsync"/> goes back to that. Weights are
/// rounded as the kernel would store them (<c>cpu.shares</c> for CPU, cgroup v2 <c>io.weight</c> otherwise).
/// Resources the scenario does not schedule are served in full.</para>
/// </remarks>
public sealed class SimulatedHost : IMonitor, IActuator
{
    /// <summary>The number of periods before a burst over which <c>burstSatisfaction</c> looks for a VM that stayed under its template.</summary>
    public const int DefaultBurstLookback = 10;

    private readonly SimulationScenario _scenario;
    private readonly TimeProvider _time;
    private readonly Dictionary<VmId, int> _index;
    private readonly ResourceVector[] _cap;
    private readonly ResourceVector[] _weight;
    private readonly ResourceVector[] _served;
    private readonly ResourceVector[] _unserved;
    private readonly MetricsAccumulator _metrics;
    private readonly double[] _colDemand;
    private readonly double[] _colCap;
    private readonly double[] _colWeight;
    private readonly double[] _colServed;
    private readonly double[] _keys;
    private readonly int[] _order;
    private ResourceVector _lastJain;
    private int _step;

    /// <summary>Creates a host at period 0 with no caps and default weights.</summary>
    /// <param name="scenario">The VMs, capacity, templates and limits.</param>
    /// <param name="timeProvider">The clock stamped on snapshots; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="weightedResources">The resources the host divides by weight under contention (the others by cap only); CPU when null.</param>
    /// <param name="burstLookback">The number of periods before a burst over which the VM's mean demand must be under its template for the period to count in <c>burstSatisfaction</c> (at least 1).</param>
    public SimulatedHost(SimulationScenario scenario, TimeProvider? timeProvider = null, ResourceSet? weightedResources = null, int burstLookback = DefaultBurstLookback)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentOutOfRangeException.ThrowIfLessThan(burstLookback, 1);
        _scenario = scenario;
        _time = timeProvider ?? TimeProvider.System;
        WeightedResources = weightedResources ?? ResourceSet.Cpu;
        int n = scenario.Vms.Count;
        _index = new Dictionary<VmId, int>(n);
        for (int i = 0; i < n; i++)
        {
            _index[scenario.VmIds[i]] = i;
        }

        _cap = new ResourceVector[n];
        _weight = new ResourceVector[n];
        _served = new ResourceVector[n];
        _unserved = new ResourceVector[n];
        _colDemand = new double[n];
        _colCap = new double[n];
        _colWeight = new double[n];
        _colServed = new double[n];
        _keys = new double[n];
        _order = new int[n];
        ResetSettings();
        _metrics = new MetricsAccumulator(scenario, burstLookback);
        _lastJain = ResourceVector.Fill(double.NaN);
    }

    /// <summary>The scenario being simulated.</summary>
    public SimulationScenario Scenario => _scenario;

    /// <summary>The resources divided by weight under contention; the others are served up to their caps.</summary>
    public ResourceSet WeightedResources { get; }

    /// <summary>The number of periods simulated so far (the index of the next one).</summary>
    public int Step => _step;

    /// <summary>The caps in force for the next period, per VM (scenario order); NaN: none.</summary>
    public ReadOnlySpan<ResourceVector> Caps => _cap;

    /// <summary>The weights in force for the next period, per VM (scenario order), as the kernel stores them (1 = default).</summary>
    public ReadOnlySpan<ResourceVector> Weights => _weight;

    /// <summary>What each VM was served in the last simulated period (scenario order).</summary>
    public ReadOnlySpan<ResourceVector> LastServed => _served;

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
        Simulate();
        snapshot.Timestamp = _time.GetUtcNow();
        snapshot.Interval = _scenario.Period;
        snapshot.HostCapacity = _scenario.Capacity;
        IReadOnlyList<VmWorkload> vms = _scenario.Vms;
        ReadOnlySpan<ResourceVector> limits = _scenario.Limits;
        int t = _step - 1;
        for (int i = 0; i < vms.Count; i++)
        {
            ref VmSample sample = ref snapshot.Add(_scenario.VmIds[i]);
            ResourceVector demand = vms[i].GetDemand(t);
            sample.Usage = _served[i];
            sample.Limit = limits[i];
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                double d = demand[r];
                sample.Pressure[r] = d > 0 ? Math.Clamp((d - _served[i][r]) / d, 0, 1) : 0;
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Simulates the next period under the caps and weights in force, without producing a snapshot (what the host
    /// does while no controller runs).
    /// </summary>
    /// <exception cref="InvalidOperationException">Every period of the scenario was already simulated.</exception>
    public void Simulate()
    {
        int t = _step;
        if (t >= _scenario.Periods)
        {
            throw new InvalidOperationException($"The scenario has {_scenario.Periods} periods; all were simulated.");
        }

        IReadOnlyList<VmWorkload> vms = _scenario.Vms;
        int n = vms.Count;
        ResourceSet scheduled = _scenario.Resources;
        _metrics.BeginPeriod();
        for (int r = 0; r < ResourceKinds.Count; r++)
        {
            for (int i = 0; i < n; i++)
            {
                _colDemand[i] = vms[i].GetDemand((ResourceKind)r)[t];
            }

            if (!scheduled.Contains((ResourceKind)r))
            {
                for (int i = 0; i < n; i++)
                {
                    _served[i][r] = _colDemand[i];
                }

                continue;
            }

            for (int i = 0; i < n; i++)
            {
                _colCap[i] = _cap[i][r];
                _colWeight[i] = _weight[i][r];
            }

            double capacity = _scenario.Capacity[r];
            if (WeightedResources.Contains((ResourceKind)r))
            {
                HostWaterFill.Weighted(_colDemand, _colCap, _colWeight, capacity, _colServed, _keys, _order);
            }
            else
            {
                HostWaterFill.CapOnly(_colDemand, _colCap, capacity, _colServed);
            }

            for (int i = 0; i < n; i++)
            {
                double d = _colDemand[i];
                double served = _colServed[i];
                _served[i][r] = served;
                _unserved[i][r] += d - served;
                _metrics.Add(i, r, t, d, served, _colCap[i]);
            }
        }

        _metrics.EndPeriod(ref _lastJain);
        _step++;
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
        ReadOnlySpan<ResourceVector> caps = plan.Caps;
        ReadOnlySpan<ResourceVector> weights = plan.Weights;
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
                if (!resources.Contains((ResourceKind)r))
                {
                    continue;
                }

                double c = caps[k][r];
                _cap[i][r] = double.IsFinite(c) && c >= 0 ? c : double.NaN;
                _weight[i][r] = KernelWeight((ResourceKind)r, weights[k][r]);
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Removes every cap and puts every weight back to the kernel's default (what a real actuator's restore does).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A completed task.</returns>
    public ValueTask RestoreAsync(CancellationToken cancellationToken)
    {
        ResetSettings();
        return ValueTask.CompletedTask;
    }

    private void ResetSettings()
    {
        _cap.AsSpan().Fill(ResourceVector.Fill(double.NaN));
        _weight.AsSpan().Fill(ResourceVector.Fill(1));
    }

    // The weight as the kernel would hold it: NaN is the default (1); others are rounded and clamped like cpu.shares
    // (CPU) or cgroup v2 io.weight (the rest).
    private static double KernelWeight(ResourceKind kind, double weight)
    {
        if (double.IsNaN(weight))
        {
            return 1;
        }

        weight = weight > 0 ? Math.Min(weight, 1e6) : double.Epsilon;
        return kind == ResourceKind.Cpu
            ? Actuation.KernelWeights.ToCpuShares(weight) / (double)Actuation.KernelWeights.DefaultCpuShares
            : Actuation.KernelWeights.ToCgroup2Weight(weight) / (double)Actuation.KernelWeights.DefaultCgroup2Weight;
    }

    /// <summary>Accumulates the evaluation metrics, per resource, without storing the history.</summary>
    private sealed class MetricsAccumulator
    {
        // burstSatisfaction's distribution: bins of 1e-4 over [0, 1) plus one bin for "fully served".
        private const int Bins = 10_000;
        private const double Epsilon = 1e-12;

        private readonly SimulationScenario _scenario;
        private readonly int _lookback;
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
        private readonly double[] _burstSum = new double[ResourceKinds.Count];
        private readonly long[] _burstCount = new long[ResourceKinds.Count];
        private readonly long[][] _burstHistogram = new long[ResourceKinds.Count][];
        private readonly ResourceVector[] _vmServed;
        private readonly ResourceVector[] _vmDemand;
        private readonly ResourceVector[] _lookbackSum;
        private readonly ResourceVector[] _previousCap;

        public MetricsAccumulator(SimulationScenario scenario, int lookback)
        {
            _scenario = scenario;
            _lookback = lookback;
            int n = scenario.Vms.Count;
            _vmServed = new ResourceVector[n];
            _vmDemand = new ResourceVector[n];
            _lookbackSum = new ResourceVector[n];
            _previousCap = new ResourceVector[n];
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                _burstHistogram[r] = new long[Bins + 1];
            }
        }

        public void BeginPeriod()
        {
            Array.Clear(_sx);
            Array.Clear(_sxx);
            Array.Clear(_m);
        }

        public void Add(int vm, int r, int t, double demand, double served, double cap)
        {
            double capacity = _scenario.Capacity[r];
            double template = _scenario.Templates[vm][r];
            _demand[r] += demand;
            _unmet[r] += demand - served;
            _served[r] += served;
            _pairs[r]++;
            double entitled = Math.Min(demand, template);
            if (served < entitled - (1e-9 * entitled) - (Epsilon * capacity))
            {
                _violations[r]++;
            }

            // Churn: how far the effective cap (the controller's, else the VM's limit, never above the host) moved.
            double limit = _scenario.Limits[vm][r];
            double effective = Math.Min(double.IsNaN(cap) ? capacity : cap, double.IsNaN(limit) ? capacity : Math.Min(limit, capacity));
            if (t > 1)
            {
                // From the second plan on (the first replaces the host's own settings). Changes below 1e-12 of the
                // capacity are rounding, not churn.
                double change = Math.Abs(effective - _previousCap[vm][r]);
                _churn[r] += change > Epsilon * capacity ? change / capacity : 0;
                _churnCount[r]++;
            }

            _previousCap[vm][r] = effective;

            if (demand > Epsilon * capacity)
            {
                double x = served / demand;
                _sx[r] += x;
                _sxx[r] += x * x;
                _m[r]++;
            }

            // A burst: the VM wants more than its template now, after wanting less than it on average over the
            // previous lookback periods (as many as there are, from period 1 on).
            ReadOnlySpan<double> series = _scenario.Vms[vm].GetDemand((ResourceKind)r);
            int history = Math.Min(t, _lookback);
            if (history > 0 && demand > template * (1 + 1e-9) + (Epsilon * capacity) && _lookbackSum[vm][r] < template * history)
            {
                double x = Math.Clamp(served / demand, 0, 1);
                _burstSum[r] += x;
                _burstCount[r]++;
                _burstHistogram[r][x >= 1 - 1e-9 ? Bins : Math.Min((int)(x * Bins), Bins - 1)]++;
            }

            _lookbackSum[vm][r] += demand - (t >= _lookback ? series[t - _lookback] : 0);
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
            int groups = _scenario.Groups.Count;
            var values = new ResourceMetrics[ResourceKinds.Count];
            var groupValues = new double[groups * ResourceKinds.Count];
            groupValues.AsSpan().Fill(double.NaN);
            var ratios = new List<double>(_vmServed.Length);
            var groupSum = new double[groups];
            var groupCount = new int[groups];
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                if (!_scenario.Resources.Contains((ResourceKind)r))
                {
                    continue;
                }

                double sx = 0;
                double sxx = 0;
                ratios.Clear();
                Array.Clear(groupSum);
                Array.Clear(groupCount);
                for (int i = 0; i < _vmServed.Length; i++)
                {
                    if (_vmDemand[i][r] > 0)
                    {
                        double x = _vmServed[i][r] / _vmDemand[i][r];
                        sx += x;
                        sxx += x * x;
                        ratios.Add(x);
                        int g = _scenario.GroupOf[i];
                        groupSum[g] += x;
                        groupCount[g]++;
                    }
                }

                for (int g = 0; g < groups; g++)
                {
                    groupValues[(g * ResourceKinds.Count) + r] = groupCount[g] > 0 ? groupSum[g] / groupCount[g] : double.NaN;
                }

                int m = ratios.Count;
                double[] sorted = [.. ratios];
                double capacity = _scenario.Capacity[r];
                values[r] = new ResourceMetrics(
                    UnmetDemand: _demand[r] > 0 ? _unmet[r] / _demand[r] : 0,
                    EntitlementViolations: _pairs[r] > 0 ? (double)_violations[r] / _pairs[r] : 0,
                    JainSatisfaction: RoundingToOne(_jainPeriods[r] > 0 ? _jainSum[r] / _jainPeriods[r] : 1),
                    JainSatisfactionRun: RoundingToOne(m > 0 && sxx > 0 ? sx * sx / (m * sxx) : 1),
                    Utilization: RoundingToOne(periods > 0 && capacity > 0 ? _served[r] / (capacity * periods) : 0),
                    Churn: _churnCount[r] > 0 ? _churn[r] / _churnCount[r] : 0)
                {
                    BurstSatisfaction = _burstCount[r] > 0 ? RoundingToOne(_burstSum[r] / _burstCount[r]) : double.NaN,
                    BurstSatisfactionP5 = _burstCount[r] > 0 ? HistogramQuantile(_burstHistogram[r], _burstCount[r], 0.05) : double.NaN,
                    BurstPairs = _burstCount[r],
                    PerVmP5 = m > 0 ? RoundingToOne(SimulationScenario.Percentile(sorted, 0.05)) : double.NaN,
                };
            }

            return new PolicyMetrics(_scenario.Resources, values, periods, _vmServed.Length, [.. _scenario.Groups], groupValues);
        }

        // Nearest rank: the smallest value with at least p of the count at or below it (bin centres; 1 for "fully served").
        private static double HistogramQuantile(long[] histogram, long count, double p)
        {
            long rank = Math.Max(1, (long)Math.Ceiling(p * count));
            long seen = 0;
            for (int b = 0; b < histogram.Length; b++)
            {
                seen += histogram[b];
                if (seen >= rank)
                {
                    return b == Bins ? 1 : (b + 0.5) / Bins;
                }
            }

            return 1;
        }

        // A ratio that can only exceed 1 by floating-point rounding is reported as 1; a real excess (an allocator
        // handing out more than the capacity) is left visible.
        private static double RoundingToOne(double value) => value > 1 && value <= 1 + 1e-9 ? 1 : value;
    }
}
