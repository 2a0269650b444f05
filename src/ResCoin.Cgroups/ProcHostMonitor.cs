using System.Text;
using ResCoin.Cgroups.IO;
using ResCoin.Cgroups.Parsing;

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

/// <summary>
/// The host monitor of the 2014 prototype: host CPU (<c>/proc/stat</c>), memory (<c>/proc/meminfo</c>), disk
/// (<c>/proc/diskstats</c>) and network (<c>/proc/net/dev</c>) counters, and their rates between two calls of
/// <see cref="Sample"/>. A separate API rather than an <see cref="IMonitor"/>: it describes the host, not the scheduled units;
/// use it for host-level capacity and sanity checks (e.g. the sum of the cgroups' usage against the host's).
/// After the first call a reading allocates nothing. Not thread-safe.
/// </summary>
public sealed class ProcHostMonitor : IDisposable
{
    private const string StatPath = "/proc/stat";
    private const string MemInfoPath = "/proc/meminfo";
    private const string DiskStatsPath = "/proc/diskstats";
    private const string NetDevPath = "/proc/net/dev";
    private readonly ICgroupFileSystem _fs;
    private readonly bool _ownsFileSystem;
    private readonly TimeProvider _time;
    private readonly Dictionary<(int Major, int Minor), bool> _wholeDisk = [];
    private byte[] _buffer = new byte[8192];
    private long _lastTimestamp;
    private ProcHostSample _last;

    /// <summary>Creates a monitor of the host's /proc.</summary>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="hostRoot">The directory the host's /proc and /sys are under (<c>/</c> normally).</param>
    public ProcHostMonitor(TimeProvider? timeProvider = null, string hostRoot = "/")
        : this(new CgroupFileSystem(hostRoot), ownsFileSystem: true, timeProvider)
    {
    }

    internal ProcHostMonitor(ICgroupFileSystem fileSystem, bool ownsFileSystem, TimeProvider? timeProvider)
    {
        _fs = fileSystem;
        _ownsFileSystem = ownsFileSystem;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Reads the counters and computes rates since the previous call.</summary>
    /// <returns>The reading.</returns>
    /// <exception cref="CgroupFormatException">A file is malformed (the message names the file and line).</exception>
    /// <exception cref="IOException">A file cannot be read.</exception>
    public ProcHostSample Sample()
    {
        long now = _time.GetTimestamp();
        ProcParsers.ParseStat(Read(StatPath), StatPath, out ProcCpuTimes cpu, out int cpuCount);
        ProcParsers.ParseMemInfo(Read(MemInfoPath), MemInfoPath, out long memTotal, out long memAvailable);

        long sectorsRead = 0, sectorsWritten = 0;
        var disks = new DiskStatsReader(Read(DiskStatsPath), DiskStatsPath);
        while (disks.MoveNext())
        {
            if (IsWholeDisk(disks.Major, disks.Minor, disks.Name))
            {
                sectorsRead += disks.SectorsRead;
                sectorsWritten += disks.SectorsWritten;
            }
        }

        long rx = 0, tx = 0;
        var nets = new NetDevReader(Read(NetDevPath), NetDevPath);
        while (nets.MoveNext())
        {
            if (!nets.Name.SequenceEqual("lo"u8))
            {
                rx += nets.ReceivedBytes;
                tx += nets.TransmittedBytes;
            }
        }

        bool first = _lastTimestamp == 0;
        TimeSpan interval = first ? TimeSpan.Zero : _time.GetElapsedTime(_lastTimestamp, now);
        double seconds = interval.TotalSeconds;
        long totalTicks = cpu.Total - _last.CpuTotalTicks;
        var sample = new ProcHostSample
        {
            Timestamp = _time.GetUtcNow(),
            Interval = interval,
            CpuCount = cpuCount,
            CpuBusyTicks = cpu.Busy,
            CpuTotalTicks = cpu.Total,
            CpuBusyCores = first || totalTicks <= 0 ? double.NaN : Math.Max(0, (double)(cpu.Busy - _last.CpuBusyTicks) / totalTicks) * cpuCount,
            MemoryTotalBytes = memTotal,
            MemoryAvailableBytes = memAvailable,
            DiskReadBytes = sectorsRead * 512,
            DiskWriteBytes = sectorsWritten * 512,
            DiskReadBytesPerSecond = Rate(sectorsRead * 512, _last.DiskReadBytes, first, seconds),
            DiskWriteBytesPerSecond = Rate(sectorsWritten * 512, _last.DiskWriteBytes, first, seconds),
            NetReceivedBytes = rx,
            NetTransmittedBytes = tx,
            NetReceivedBytesPerSecond = Rate(rx, _last.NetReceivedBytes, first, seconds),
            NetTransmittedBytesPerSecond = Rate(tx, _last.NetTransmittedBytes, first, seconds),
        };
        _last = sample;
        _lastTimestamp = now;
        return sample;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsFileSystem && _fs is IDisposable d)
        {
            d.Dispose();
        }
    }

    private static double Rate(long value, long previous, bool first, double seconds)
        => first || seconds <= 0 || value < previous ? double.NaN : (value - previous) / seconds;

    private ReadOnlySpan<byte> Read(string path)
    {
        int n = _fs.ReadAll(path, ref _buffer);
        return n >= 0 ? _buffer.AsSpan(0, n) : throw new FileNotFoundException($"{path} does not exist.", path);
    }

    private bool IsWholeDisk(int major, int minor, ReadOnlySpan<byte> name)
    {
        if (_wholeDisk.TryGetValue((major, minor), out bool whole))
        {
            return whole;
        }

        // Virtual and stacked devices would count the same bytes twice; partitions are inside their disk.
        whole = !(name.StartsWith("loop"u8) || name.StartsWith("ram"u8) || name.StartsWith("zram"u8) ||
                  name.StartsWith("dm-"u8) || name.StartsWith("md"u8)) &&
                _fs.DirectoryExists("/sys/block/" + Encoding.UTF8.GetString(name));
        _wholeDisk[(major, minor)] = whole;
        return whole;
    }
}
