namespace ResCoin;

/// <summary>The inputs of one allocation: one entry per VM in each span, all spans of the same length.</summary>
public readonly ref struct AllocationInput
{
    /// <summary>Creates an input.</summary>
    /// <param name="capacity">The capacity to divide, per resource.</param>
    /// <param name="resources">The resources to allocate.</param>
    /// <param name="vms">The VMs (used to name them in errors; may be empty).</param>
    /// <param name="templates">Each VM's entitlement.</param>
    /// <param name="estimates">Each VM's predicted demand for the period.</param>
    /// <param name="credits">Each VM's credit (unused entitlement over the window; may be negative).</param>
    public AllocationInput(
        ResourceVector capacity,
        ResourceSet resources,
        ReadOnlySpan<VmId> vms,
        ReadOnlySpan<ResourceVector> templates,
        ReadOnlySpan<ResourceVector> estimates,
        ReadOnlySpan<ResourceVector> credits)
    {
        Capacity = capacity;
        Resources = resources;
        Vms = vms;
        Templates = templates;
        Estimates = estimates;
        Credits = credits;
    }

    /// <summary>The capacity to divide, per resource (at least 0).</summary>
    public ResourceVector Capacity { get; }

    /// <summary>The resources to allocate.</summary>
    public ResourceSet Resources { get; }

    /// <summary>The VMs, to name them in error messages; empty or the same length as the other spans.</summary>
    public ReadOnlySpan<VmId> Vms { get; }

    /// <summary>Each VM's entitlement (template).</summary>
    public ReadOnlySpan<ResourceVector> Templates { get; }

    /// <summary>Each VM's predicted demand.</summary>
    public ReadOnlySpan<ResourceVector> Estimates { get; }

    /// <summary>Each VM's credit; may be negative. Policies that do not use credit ignore it.</summary>
    public ReadOnlySpan<ResourceVector> Credits { get; }

    /// <summary>
    /// Each VM's own upper bound per resource (vCPU count, maximum memory); NaN or +∞ where unknown. Empty: unknown
    /// for every VM. No cap is ever above a known limit.
    /// </summary>
    public ReadOnlySpan<ResourceVector> Limits { get; init; }

    /// <summary>Each VM's measured usage in the last period (NaN where not measured). Empty: not given.</summary>
    public ReadOnlySpan<ResourceVector> Usage { get; init; }

    /// <summary>
    /// Each VM's pressure in the last period: the share (0 to 1) of its demand that was not served (vCPU delay, cgroup
    /// throttling, PSI); NaN where not reported. Empty: not given.
    /// </summary>
    public ReadOnlySpan<ResourceVector> Pressure { get; init; }

    /// <summary>
    /// Each VM's caps in the last period (NaN where none); used to tell a VM that was held at its cap and wanted more
    /// from one that was satisfied. Empty: not given (a new controller, or a caller without history).
    /// </summary>
    public ReadOnlySpan<ResourceVector> PreviousCaps { get; init; }

    /// <summary>
    /// The resources the host arbitrates by weight within a period (the kernel's CPU scheduler): for these the
    /// allocator's weights act and its caps may be loose. For the others only caps act.
    /// </summary>
    public ResourceSet WeightedResources { get; init; }

    /// <summary>The number of VMs.</summary>
    public int Count => Templates.Length;

    /// <summary>A VM's name for error messages: its identity, or <c>#index</c> when none was given.</summary>
    /// <param name="index">The VM's index.</param>
    /// <returns>The name.</returns>
    public string NameOf(int index)
        => index < Vms.Length ? Vms[index].Name : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"#{index}");
}
