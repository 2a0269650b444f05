namespace ResCoin;

/// <summary>A resource that ResCoin schedules. Each is scheduled independently.</summary>
/// <remarks>Units: <see cref="Cpu"/> in cores, <see cref="Memory"/> in bytes, the others in bytes per second.</remarks>
public enum ResourceKind
{
    /// <summary>Processor time, in cores (1.0 = one core busy for the whole period).</summary>
    Cpu = 0,

    /// <summary>Memory, in bytes.</summary>
    Memory = 1,

    /// <summary>Disk read throughput, in bytes per second.</summary>
    DiskRead = 2,

    /// <summary>Disk write throughput, in bytes per second.</summary>
    DiskWrite = 3,

    /// <summary>Network receive throughput, in bytes per second.</summary>
    NetRx = 4,

    /// <summary>Network transmit throughput, in bytes per second.</summary>
    NetTx = 5,
}
