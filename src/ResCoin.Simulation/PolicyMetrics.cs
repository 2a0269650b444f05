namespace ResCoin.Simulation;

/// <summary>How one policy did on one resource, over all VMs and periods (see DESIGN.md, "Evaluation metrics").</summary>
/// <param name="UnmetDemand">Σ max(0, demand − alloc) / Σ demand; 0 to 1, lower is better (0 when there is no demand).</param>
/// <param name="EntitlementViolations">Share of (VM, period) pairs with alloc &lt; min(demand, template); 0 is the goal.</param>
/// <param name="JainSatisfaction">Mean over periods of Jain's index over the VMs with demand of served / demanded; 1 is perfectly fair.</param>
/// <param name="JainSatisfactionRun">Jain's index over VMs of (Σ served / Σ demanded) over the whole run.</param>
/// <param name="Utilization">Σ min(demand, alloc) / (capacity × periods); 0 to 1.</param>
/// <param name="Churn">Mean over VMs and periods of |alloc(t) − alloc(t−1)| / capacity; 0 for a fixed allocation.</param>
public readonly record struct ResourceMetrics(
    double UnmetDemand,
    double EntitlementViolations,
    double JainSatisfaction,
    double JainSatisfactionRun,
    double Utilization,
    double Churn);

/// <summary>The evaluation metrics of one policy run, per scheduled resource.</summary>
public sealed class PolicyMetrics
{
    private readonly ResourceMetrics[] _values;

    internal PolicyMetrics(ResourceSet resources, ResourceMetrics[] values, long periods, int vms)
    {
        Resources = resources;
        _values = values;
        Periods = periods;
        VmCount = vms;
    }

    /// <summary>The resources that were scheduled (others have all-zero metrics).</summary>
    public ResourceSet Resources { get; }

    /// <summary>The number of periods measured.</summary>
    public long Periods { get; }

    /// <summary>The number of VMs.</summary>
    public int VmCount { get; }

    /// <summary>The metrics of one resource.</summary>
    /// <param name="kind">The resource.</param>
    public ResourceMetrics this[ResourceKind kind] => _values[(int)kind];
}
