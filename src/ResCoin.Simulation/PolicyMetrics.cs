namespace ResCoin.Simulation;

/// <summary>How one policy did on one resource, over all VMs and periods (see the package README, "Evaluation metrics").</summary>
/// <param name="UnmetDemand">Σ (demand − served) / Σ demand; 0 to 1, lower is better (0 when there is no demand).</param>
/// <param name="EntitlementViolations">Share of (VM, period) pairs with served &lt; min(demand, template); 0 is the goal.</param>
/// <param name="JainSatisfaction">Mean over periods of Jain's index over the VMs with demand of served / demanded; 1 is perfectly fair.</param>
/// <param name="JainSatisfactionRun">Jain's index over VMs of (Σ served / Σ demanded) over the whole run.</param>
/// <param name="Utilization">Σ served / (capacity × periods); 0 to 1.</param>
/// <param name="Churn">Mean over VMs and periods, from the controller's second plan on, of |cap(t) − cap(t−1)| / capacity, with the effective cap (the controller's, else the VM's limit, at most the capacity); 0 for fixed settings.</param>
public readonly record struct ResourceMetrics(
    double UnmetDemand,
    double EntitlementViolations,
    double JainSatisfaction,
    double JainSatisfactionRun,
    double Utilization,
    double Churn)
{
    /// <summary>
    /// Mean served ÷ demanded over the burst pairs: (VM, period) pairs where the demand exceeds the template and the
    /// VM's mean demand over the previous <see cref="SimulatedHost.DefaultBurstLookback"/> periods was below it;
    /// NaN when there was no burst.
    /// </summary>
    public double BurstSatisfaction { get; init; }

    /// <summary>The 5th percentile (nearest rank, 1e-4 resolution) of served ÷ demanded over the burst pairs; NaN when there was no burst.</summary>
    public double BurstSatisfactionP5 { get; init; }

    /// <summary>The number of burst pairs <see cref="BurstSatisfaction"/> is taken over.</summary>
    public long BurstPairs { get; init; }

    /// <summary>The 5th percentile over VMs (linear interpolation) of Σ served ÷ Σ demanded over the run; NaN when no VM wanted the resource.</summary>
    public double PerVmP5 { get; init; }
}

/// <summary>The evaluation metrics of one policy run, per scheduled resource and per VM group.</summary>
public sealed class PolicyMetrics
{
    private readonly ResourceMetrics[] _values;
    private readonly string[] _groups;
    private readonly double[] _groupValues;

    internal PolicyMetrics(ResourceSet resources, ResourceMetrics[] values, long periods, int vms, string[] groups, double[] groupValues)
    {
        Resources = resources;
        _values = values;
        Periods = periods;
        VmCount = vms;
        _groups = groups;
        _groupValues = groupValues;
    }

    /// <summary>The resources that were scheduled (others have all-zero metrics).</summary>
    public ResourceSet Resources { get; }

    /// <summary>The number of periods measured.</summary>
    public long Periods { get; }

    /// <summary>The number of VMs.</summary>
    public int VmCount { get; }

    /// <summary>The VM groups (<see cref="SimulationScenario.Groups"/>).</summary>
    public IReadOnlyList<string> Groups => _groups;

    /// <summary>The metrics of one resource.</summary>
    /// <param name="kind">The resource.</param>
    public ResourceMetrics this[ResourceKind kind] => _values[(int)kind];

    /// <summary>
    /// A group's mean, over its VMs that wanted the resource, of each VM's Σ served ÷ Σ demanded over the run; NaN when
    /// none of them wanted it or the resource is not scheduled.
    /// </summary>
    /// <param name="group">The group's index in <see cref="Groups"/>.</param>
    /// <param name="kind">The resource.</param>
    /// <returns>The group's served share, 0 to 1.</returns>
    public double GetGroupServed(int group, ResourceKind kind)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(group);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(group, _groups.Length);
        return _groupValues[(group * ResourceKinds.Count) + (int)kind];
    }
}
