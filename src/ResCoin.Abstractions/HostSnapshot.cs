namespace ResCoin;

/// <summary>
/// One period's view of a host: its capacity and one <see cref="VmSample"/> per running VM.
/// A monitor fills a snapshot the caller owns; the caller reuses it every period, so a steady state
/// allocates nothing.
/// </summary>
public sealed class HostSnapshot
{
    private VmSample[] _vms;
    private int _count;

    /// <summary>Creates an empty snapshot.</summary>
    /// <param name="initialCapacity">Room for this many VMs before the buffer grows.</param>
    public HostSnapshot(int initialCapacity = 16)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(initialCapacity);
        _vms = new VmSample[Math.Max(initialCapacity, 1)];
        HostCapacity = ResourceVector.Fill(double.NaN);
    }

    /// <summary>When the sample was taken.</summary>
    public DateTimeOffset Timestamp { get; set; }

    /// <summary>The wall time the usage rates were measured over (zero on a first sample).</summary>
    public TimeSpan Interval { get; set; }

    /// <summary>
    /// What the host itself reports it has (cores, physical memory, …), NaN where it does not know.
    /// Configured capacity and reserves are applied by the controller, not the monitor.
    /// </summary>
    public ResourceVector HostCapacity { get; set; }

    /// <summary>The number of VMs in the snapshot.</summary>
    public int Count => _count;

    /// <summary>The VMs, in the order the monitor added them.</summary>
    public Span<VmSample> Vms => _vms.AsSpan(0, _count);

    /// <summary>Removes every VM (keeps the buffer) and resets the host fields.</summary>
    public void Clear()
    {
        Array.Clear(_vms, 0, _count);
        _count = 0;
        Timestamp = default;
        Interval = TimeSpan.Zero;
        HostCapacity = ResourceVector.Fill(double.NaN);
    }

    /// <summary>Adds a VM whose values are all NaN and returns it by reference for the monitor to fill.</summary>
    /// <param name="id">The VM.</param>
    /// <returns>A reference to the new sample, valid until the next <see cref="Add"/> or <see cref="Clear"/>.</returns>
    public ref VmSample Add(VmId id)
    {
        if (id.IsEmpty)
        {
            throw new ArgumentException("A VM identity must have a name.", nameof(id));
        }

        if (_count == _vms.Length)
        {
            Array.Resize(ref _vms, _vms.Length * 2);
        }

        ref VmSample slot = ref _vms[_count++];
        slot = VmSample.Unmeasured(id);
        return ref slot;
    }

    /// <summary>Finds a VM by identity.</summary>
    /// <param name="id">The VM.</param>
    /// <returns>Its index, or -1.</returns>
    public int IndexOf(VmId id)
    {
        for (int i = 0; i < _count; i++)
        {
            if (_vms[i].Id == id)
            {
                return i;
            }
        }

        return -1;
    }
}
