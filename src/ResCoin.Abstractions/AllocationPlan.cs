namespace ResCoin;

/// <summary>
/// What the allocator decided for one period, per VM and resource (for the resources in <see cref="Resources"/>): a
/// <see cref="Caps">cap</see> (hard limit), a <see cref="Weights">weight</see> (share under instantaneous contention)
/// and a <see cref="Guarantees">guarantee</see>. Owned and reused by the controller; actuators read it and must not
/// keep it. The semantics are in <c>docs/design.md</c> ("Actuation").
/// </summary>
/// <remarks>
/// NaN means "the controller sets nothing here this period": the actuator keeps, or puts back, the VM's original
/// setting (the one it found before its first change). A cap of NaN is therefore "no cap from ResCoin", and a weight
/// of NaN is "the weight the VM had", not "weight 0".
/// </remarks>
public sealed class AllocationPlan
{
    private VmId[] _vms;
    private ResourceVector[] _caps;
    private ResourceVector[] _weights;
    private ResourceVector[] _guarantees;
    private ResourceVector[] _usage;
    private int _count;

    /// <summary>Creates an empty plan.</summary>
    /// <param name="initialCapacity">Room for this many VMs before the buffers grow.</param>
    public AllocationPlan(int initialCapacity = 16)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(initialCapacity);
        initialCapacity = Math.Max(initialCapacity, 1);
        _vms = new VmId[initialCapacity];
        _caps = new ResourceVector[initialCapacity];
        _weights = new ResourceVector[initialCapacity];
        _guarantees = new ResourceVector[initialCapacity];
        _usage = new ResourceVector[initialCapacity];
    }

    /// <summary>When the plan was made.</summary>
    public DateTimeOffset Timestamp { get; set; }

    /// <summary>The control period the plan is for.</summary>
    public TimeSpan Period { get; set; }

    /// <summary>The resources that are scheduled; actuators leave the others alone.</summary>
    public ResourceSet Resources { get; set; }

    /// <summary>When set, actuators log what they would do and change nothing.</summary>
    public bool DryRun { get; set; }

    /// <summary>The number of VMs in the plan.</summary>
    public int Count => _count;

    /// <summary>The VMs.</summary>
    public ReadOnlySpan<VmId> Vms => _vms.AsSpan(0, _count);

    /// <summary>
    /// Each VM's cap per resource: the most it may use this period, in the resource's unit (cores, bytes, bytes/s).
    /// Never above the VM's own limit. NaN: no cap from the controller (the VM's original setting applies).
    /// </summary>
    public ReadOnlySpan<ResourceVector> Caps => _caps.AsSpan(0, _count);

    /// <summary>
    /// Each VM's weight per resource: its relative share when the resource is contended within a period,
    /// dimensionless and greater than zero; 1 is the kernel's default weight (see
    /// <see cref="Actuation.KernelWeights"/> for the mapping to <c>cpu.shares</c>, <c>cpu.weight</c>, …). NaN: no
    /// weight from the controller (the VM's original weight applies).
    /// </summary>
    public ReadOnlySpan<ResourceVector> Weights => _weights.AsSpan(0, _count);

    /// <summary>
    /// What each VM is guaranteed under contention, per resource (the smaller of its template and its cap); NaN where
    /// nothing is guaranteed. Actuators that can protect an amount (cgroup v2 <c>memory.low</c>) use it; others ignore it.
    /// </summary>
    public ReadOnlySpan<ResourceVector> Guarantees => _guarantees.AsSpan(0, _count);

    /// <summary>Each VM's measured usage in the period the plan was computed from (NaN where not measured).</summary>
    public ReadOnlySpan<ResourceVector> Usage => _usage.AsSpan(0, _count);

    /// <summary>Empties the plan (keeps its buffers).</summary>
    public void Clear() => _count = 0;

    /// <summary>Appends a VM's decision.</summary>
    /// <param name="id">The VM.</param>
    /// <param name="cap">Its caps (NaN: none).</param>
    /// <param name="weight">Its weights (NaN: none).</param>
    /// <param name="guarantee">Its guarantees (NaN: none).</param>
    /// <param name="usage">Its measured usage.</param>
    public void Add(VmId id, in ResourceVector cap, in ResourceVector weight, in ResourceVector guarantee, in ResourceVector usage)
    {
        if (_count == _vms.Length)
        {
            int size = _vms.Length * 2;
            Array.Resize(ref _vms, size);
            Array.Resize(ref _caps, size);
            Array.Resize(ref _weights, size);
            Array.Resize(ref _guarantees, size);
            Array.Resize(ref _usage, size);
        }

        _vms[_count] = id;
        _caps[_count] = cap;
        _weights[_count] = weight;
        _guarantees[_count] = guarantee;
        _usage[_count] = usage;
        _count++;
    }
}
