namespace ResCoin.Libvirt.Native;

/// <summary>
/// What the monitor's bulk statistics said about each running VM in its last sample, for the actuator of the same host:
/// the domain id (a restart changes it), the vCPU count and the balloon's current and maximum size. The actuator
/// takes them instead of asking libvirtd again (<c>virDomainLookupByUUID</c> and <c>virDomainGetInfo</c> per VM per
/// period), but only when they belong to the sample the plan was computed from (<see cref="Timestamp"/> equals the
/// plan's). Written by the monitor's thread, read by the actuator's call gate: thread-safe.
/// </summary>
internal sealed class DomainFacts
{
    private readonly Lock _lock = new();
    private readonly Dictionary<VmId, Fact> _facts = [];
    private DateTimeOffset _timestamp;
    private bool _memoryChanged;

    /// <summary>The timestamp of the sample the facts come from (the snapshot's and so the plan's).</summary>
    public DateTimeOffset Timestamp
    {
        get
        {
            lock (_lock)
            {
                return _timestamp;
            }
        }
    }

    /// <summary>Starts a new sample: forgets every fact.</summary>
    public void Begin(DateTimeOffset timestamp)
    {
        lock (_lock)
        {
            _facts.Clear();
            _timestamp = timestamp;
        }
    }

    /// <summary>Records one running VM of the sample.</summary>
    public void Set(VmId vm, in Fact fact)
    {
        lock (_lock)
        {
            _facts[vm] = fact;
        }
    }

    /// <summary>The actuator changed a balloon: the next sample must read the balloon group again.</summary>
    public void MarkMemoryChanged()
    {
        lock (_lock)
        {
            _memoryChanged = true;
        }
    }

    /// <summary>Whether a balloon changed since the last call (and clears it).</summary>
    public bool TakeMemoryChanged()
    {
        lock (_lock)
        {
            bool changed = _memoryChanged;
            _memoryChanged = false;
            return changed;
        }
    }

    /// <summary>Invalidates every fact (a sample that failed half-way).</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _facts.Clear();
            _timestamp = default;
        }
    }

    /// <summary>The VM's facts from the sample taken at <paramref name="timestamp"/>; false when there are none.</summary>
    public bool TryGet(VmId vm, DateTimeOffset timestamp, out Fact fact)
    {
        lock (_lock)
        {
            if (_timestamp == timestamp && timestamp != default && _facts.TryGetValue(vm, out fact))
            {
                return true;
            }
        }

        fact = default;
        return false;
    }

    /// <summary>One VM's facts.</summary>
    /// <param name="DomainId">The domain id (changes when the VM restarts).</param>
    /// <param name="Vcpus">The vCPUs in use (<c>vcpu.current</c>); 0 when unknown.</param>
    /// <param name="MemoryKiB">The balloon's current size (<c>balloon.current</c>, as <c>virDomainGetInfo</c>'s memory); 0 when unknown.</param>
    /// <param name="MaxMemoryKiB">The VM's maximum memory (<c>balloon.maximum</c>); 0 when unknown.</param>
    internal readonly record struct Fact(uint DomainId, int Vcpus, ulong MemoryKiB, ulong MaxMemoryKiB);
}
