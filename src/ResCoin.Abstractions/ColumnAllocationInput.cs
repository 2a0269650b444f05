using System.Globalization;

namespace ResCoin;

/// <summary>
/// One resource's allocation inputs for <see cref="IColumnAllocator.AllocateColumn"/>: one contiguous column per
/// quantity, index i = VM i. NaN means "unknown" or "not set", as in <see cref="AllocationPlan"/>.
/// </summary>
/// <remarks>
/// The controller and <c>ResCoin.Scheduling.ColumnAllocator</c> check the values before the call: capacity, templates and
/// estimates are finite and at least 0, credits finite, limits NaN or at least 0 (+∞ becomes NaN), usage NaN or finite and
/// at least 0, pressure NaN or at least 0 (1 and above: nothing served). They pass every column at full length
/// (<see cref="Count"/>); a column whose data is unknown for every VM is NaN throughout.
/// </remarks>
public readonly ref struct ColumnAllocationInput
{
    /// <summary>Creates an input; the optional columns are set with their <c>init</c> accessors.</summary>
    /// <param name="resource">The resource.</param>
    /// <param name="capacity">The capacity to divide.</param>
    /// <param name="templates">Each VM's entitlement; its length is the VM count.</param>
    /// <param name="estimates">Each VM's predicted demand (after demand discovery).</param>
    /// <param name="credits">Each VM's credit.</param>
    public ColumnAllocationInput(ResourceKind resource, double capacity, ReadOnlySpan<double> templates, ReadOnlySpan<double> estimates, ReadOnlySpan<double> credits)
    {
        Resource = resource;
        Capacity = capacity;
        Templates = templates;
        Estimates = estimates;
        Credits = credits;
    }

    /// <summary>The resource.</summary>
    public ResourceKind Resource { get; }

    /// <summary>The capacity to divide (finite, at least 0), in the resource's unit.</summary>
    public double Capacity { get; }

    /// <summary>
    /// Whether the host arbitrates this resource by weight within a period (<see cref="AllocationInput.WeightedResources"/>):
    /// weights act and caps may be loose. Otherwise only caps act.
    /// </summary>
    public bool Weighted { get; init; }

    /// <summary>The VMs, to name them in error messages; empty or <see cref="Count"/> long.</summary>
    public ReadOnlySpan<VmId> Vms { get; init; }

    /// <summary>Each VM's entitlement (template): finite, at least 0.</summary>
    public ReadOnlySpan<double> Templates { get; }

    /// <summary>Each VM's predicted demand: finite, at least 0.</summary>
    public ReadOnlySpan<double> Estimates { get; }

    /// <summary>Each VM's credit: finite, may be negative.</summary>
    public ReadOnlySpan<double> Credits { get; }

    /// <summary>Each VM's own upper bound (vCPU count, maximum memory); NaN: unknown.</summary>
    public ReadOnlySpan<double> Limits { get; init; }

    /// <summary>Each VM's usage in the last period; NaN: not measured.</summary>
    public ReadOnlySpan<double> Usage { get; init; }

    /// <summary>Each VM's pressure in the last period, the share of its demand not served (0 to 1); NaN: not reported.</summary>
    public ReadOnlySpan<double> Pressure { get; init; }

    /// <summary>Each VM's cap in the last period; NaN: none.</summary>
    public ReadOnlySpan<double> PreviousCaps { get; init; }

    /// <summary>The number of VMs.</summary>
    public int Count => Templates.Length;

    /// <summary>A VM's name for error messages: its identity, or <c>#index</c> when none was given.</summary>
    /// <param name="index">The VM's index.</param>
    /// <returns>The name.</returns>
    public string NameOf(int index)
        => index < Vms.Length ? Vms[index].Name : string.Create(CultureInfo.InvariantCulture, $"#{index}");
}
