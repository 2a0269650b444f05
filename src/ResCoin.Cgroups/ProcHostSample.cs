namespace ResCoin.Cgroups;

/// <summary>One reading of the host's /proc counters and the rates since the previous reading.</summary>
public readonly record struct ProcHostSample
{
    /// <summary>When the reading was taken.</summary>
    public DateTimeOffset Timestamp { get; init; }

    /// <summary>The wall time since the previous reading (zero on the first).</summary>
    public TimeSpan Interval { get; init; }

    /// <summary>The number of CPUs (<c>cpuN</c> lines of <c>/proc/stat</c>).</summary>
    public int CpuCount { get; init; }

    /// <summary>Busy clock ticks since boot (all but idle and iowait).</summary>
    public long CpuBusyTicks { get; init; }

    /// <summary>All clock ticks since boot.</summary>
    public long CpuTotalTicks { get; init; }

    /// <summary>Busy cores over the interval (busy share of ticks times <see cref="CpuCount"/>); NaN on the first reading.</summary>
    public double CpuBusyCores { get; init; }

    /// <summary><c>MemTotal</c>, in bytes.</summary>
    public long MemoryTotalBytes { get; init; }

    /// <summary><c>MemAvailable</c>, in bytes.</summary>
    public long MemoryAvailableBytes { get; init; }

    /// <summary>Bytes read from whole disks since boot (<c>/proc/diskstats</c>; partitions, loop, ram, zram, dm and md devices excluded).</summary>
    public long DiskReadBytes { get; init; }

    /// <summary>Bytes written to whole disks since boot.</summary>
    public long DiskWriteBytes { get; init; }

    /// <summary>Disk read bytes per second over the interval; NaN on the first reading.</summary>
    public double DiskReadBytesPerSecond { get; init; }

    /// <summary>Disk write bytes per second over the interval; NaN on the first reading.</summary>
    public double DiskWriteBytesPerSecond { get; init; }

    /// <summary>Bytes received on all interfaces but <c>lo</c> since boot (<c>/proc/net/dev</c>).</summary>
    public long NetReceivedBytes { get; init; }

    /// <summary>Bytes transmitted on all interfaces but <c>lo</c> since boot.</summary>
    public long NetTransmittedBytes { get; init; }

    /// <summary>Received bytes per second over the interval; NaN on the first reading.</summary>
    public double NetReceivedBytesPerSecond { get; init; }

    /// <summary>Transmitted bytes per second over the interval; NaN on the first reading.</summary>
    public double NetTransmittedBytesPerSecond { get; init; }

    /// <summary>The host's capacity as a resource vector: CPUs and total memory; disk and network NaN (not knowable from /proc).</summary>
    public ResourceVector Capacity => new(CpuCount, MemoryTotalBytes, double.NaN, double.NaN, double.NaN, double.NaN);

    /// <summary>The host's usage as a resource vector: busy cores, used memory (total − available), disk and network rates.</summary>
    public ResourceVector Usage => new(CpuBusyCores, MemoryTotalBytes - MemoryAvailableBytes, DiskReadBytesPerSecond, DiskWriteBytesPerSecond, NetReceivedBytesPerSecond, NetTransmittedBytesPerSecond);
}
