namespace ResCoin.Scheduling;

/// <summary>
/// One optional amount per resource, for configuration (capacity, reserve, a VM's template). An unset amount is
/// <see cref="double.NaN"/>, the default; what unset means depends on the option (see <see cref="ResCoinOptions"/>).
/// Units as in <see cref="ResourceKind"/>: cores, bytes, bytes per second.
/// </summary>
public sealed class ResourceAmounts
{
    /// <summary>Processor cores.</summary>
    public double Cpu { get; set; } = double.NaN;

    /// <summary>Memory bytes.</summary>
    public double Memory { get; set; } = double.NaN;

    /// <summary>Disk read bytes per second.</summary>
    public double DiskRead { get; set; } = double.NaN;

    /// <summary>Disk write bytes per second.</summary>
    public double DiskWrite { get; set; } = double.NaN;

    /// <summary>Network receive bytes per second.</summary>
    public double NetRx { get; set; } = double.NaN;

    /// <summary>Network transmit bytes per second.</summary>
    public double NetTx { get; set; } = double.NaN;

    /// <summary>Gets or sets the amount of one resource.</summary>
    /// <param name="kind">The resource.</param>
    public double this[ResourceKind kind]
    {
        get => kind switch
        {
            ResourceKind.Cpu => Cpu,
            ResourceKind.Memory => Memory,
            ResourceKind.DiskRead => DiskRead,
            ResourceKind.DiskWrite => DiskWrite,
            ResourceKind.NetRx => NetRx,
            ResourceKind.NetTx => NetTx,
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown resource kind."),
        };
        set
        {
            switch (kind)
            {
                case ResourceKind.Cpu: Cpu = value; break;
                case ResourceKind.Memory: Memory = value; break;
                case ResourceKind.DiskRead: DiskRead = value; break;
                case ResourceKind.DiskWrite: DiskWrite = value; break;
                case ResourceKind.NetRx: NetRx = value; break;
                case ResourceKind.NetTx: NetTx = value; break;
                default: throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown resource kind.");
            }
        }
    }

    /// <summary>Creates amounts from a vector (NaN elements stay unset).</summary>
    /// <param name="vector">The amounts.</param>
    /// <returns>The new amounts.</returns>
    public static ResourceAmounts FromVector(ResourceVector vector) => new()
    {
        Cpu = vector.Cpu,
        Memory = vector.Memory,
        DiskRead = vector.DiskRead,
        DiskWrite = vector.DiskWrite,
        NetRx = vector.NetRx,
        NetTx = vector.NetTx,
    };

    /// <summary>The amounts as a vector, NaN where unset.</summary>
    /// <returns>The vector.</returns>
    public ResourceVector ToVector() => new(Cpu, Memory, DiskRead, DiskWrite, NetRx, NetTx);

    /// <summary>The property name of a resource as it appears in configuration keys (<c>Cpu</c>, <c>Memory</c>, …).</summary>
    internal static string KeyOf(ResourceKind kind) => kind switch
    {
        ResourceKind.Cpu => nameof(Cpu),
        ResourceKind.Memory => nameof(Memory),
        ResourceKind.DiskRead => nameof(DiskRead),
        ResourceKind.DiskWrite => nameof(DiskWrite),
        ResourceKind.NetRx => nameof(NetRx),
        ResourceKind.NetTx => nameof(NetTx),
        _ => kind.ToString(),
    };
}
