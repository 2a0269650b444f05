namespace ResCoin;

/// <summary>
/// What the allocator decided for one period: one allocation per VM, for the resources in
/// <see cref="Resources"/>. Owned and reused by the controller; actuators read it and must not keep it.
/// </summary>
public sealed class AllocationPlan
{
    private VmId[] _vms;
    private ResourceVector[] _allocations;
    private ResourceVector[] _usage;
    private int _count;

    /// <summary>Creates an empty plan.</summary>
    /// <param name="initialCapacity">Room for this many VMs before the buffers grow.</param>
    public AllocationPlan(int initialCapacity = 16)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(initialCapacity);
        initialCapacity = Math.Max(initialCapacity, 1);
        _vms = new VmId[initialCapacity];
        _allocations = new ResourceVector[initialCapacity];
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

    /// <summary>The allocation of each VM (same order as <see cref="Vms"/>), in the units of <see cref="ResourceKind"/>.</summary>
    public ReadOnlySpan<ResourceVector> Allocations => _allocations.AsSpan(0, _count);

    /// <summary>The usage each VM was last measured at (same order as <see cref="Vms"/>); NaN where unknown. Actuators use it for safety floors.</summary>
    public ReadOnlySpan<ResourceVector> Usage => _usage.AsSpan(0, _count);

    /// <summary>Removes every VM, keeping the buffers.</summary>
    public void Clear() => _count = 0;

    /// <summary>Appends a VM's allocation.</summary>
    /// <param name="id">The VM.</param>
    /// <param name="allocation">Its allocation.</param>
    /// <param name="usage">Its last measured usage.</param>
    public void Add(VmId id, in ResourceVector allocation, in ResourceVector usage)
    {
        if (_count == _vms.Length)
        {
            int size = _vms.Length * 2;
            Array.Resize(ref _vms, size);
            Array.Resize(ref _allocations, size);
            Array.Resize(ref _usage, size);
        }

        _vms[_count] = id;
        _allocations[_count] = allocation;
        _usage[_count] = usage;
        _count++;
    }
}
