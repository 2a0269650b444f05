using System.Text;
using ResCoin.Cgroups.IO;
using ResCoin.Cgroups.Parsing;

namespace ResCoin.Cgroups;

/// <summary>
/// The host monitor of the 2014 prototype: host CPU (<c>/proc/stat</c>), memory (<c>/proc/meminfo</c>), disk
/// (<c>/proc/diskstats</c>) and network (<c>/proc/net/dev</c>) counters, and their rates between two calls of
/// <see cref="Sample"/>. A separate API rather than an <see cref="IMonitor"/>: it describes the host, not the scheduled units;
/// use it for host-level capacity and sanity checks (e.g. the sum of the cgroups' usage against the host's).
/// After the first call a reading allocates nothing. Not thread-safe.
/// </summary>
public sealed class ProcHostMonitor : IDisposable
{
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
        ProcParsers.ParseStat(Read(ProcParsers.StatPath), ProcParsers.StatPath, out ProcCpuTimes cpu, out int cpuCount);
        ProcParsers.ParseMemInfo(Read(ProcParsers.MemInfoPath), ProcParsers.MemInfoPath, out long memTotal, out long memAvailable);

        long sectorsRead = 0, sectorsWritten = 0;
        var disks = new DiskStatsReader(Read(ProcParsers.DiskStatsPath), ProcParsers.DiskStatsPath);
        while (disks.MoveNext())
        {
            if (IsWholeDisk(disks.Major, disks.Minor, disks.Name))
            {
                sectorsRead += disks.SectorsRead;
                sectorsWritten += disks.SectorsWritten;
            }
        }

        long rx = 0, tx = 0;
        var nets = new NetDevReader(Read(ProcParsers.NetDevPath), ProcParsers.NetDevPath);
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
