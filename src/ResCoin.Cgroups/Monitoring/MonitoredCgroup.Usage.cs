using ResCoin.Cgroups.Parsing;

namespace ResCoin.Cgroups.Monitoring;

/// <summary>The per-period reading of a cgroup's usage: CPU, memory and disk counters and their rates.</summary>
internal sealed partial class MonitoredCgroup
{
    private long _previousTimestamp;
    private long _previousCpuNs = -1;
    private long _previousRead = -1;
    private long _previousWrite = -1;
    private long _inactive = -1;

    /// <summary>Whether the last <see cref="Measure"/> found the cgroup (false: it is gone and is to be dropped).</summary>
    public bool Present { get; private set; }

    /// <summary>What the last <see cref="Measure"/> read: CPU cores, memory bytes, disk bytes/s (NaN where unknown).</summary>
    public ResourceVector Usage { get; private set; }

    /// <summary>
    /// Reads the cgroup's files once: CPU cores from the <c>cpu.stat usage_usec</c> / <c>cpuacct.usage</c> delta over the
    /// wall time since the previous reading (one timestamp per cgroup, so a slow read does not skew the rate); memory as
    /// usage minus inactive file cache (<c>memory.stat</c>, a slow file); disk read/write bytes per second; pressure
    /// (<see cref="Pressure"/>). Sets <see cref="Present"/>, <see cref="Usage"/> and <see cref="Pressure"/>.
    /// </summary>
    /// <param name="buffer">The reading thread's buffer (replaced by a larger one when needed).</param>
    /// <param name="slowPeriod">Whether this period reads the slow files (PSI, <c>memory.stat</c>); a cgroup that never read them does anyway.</param>
    /// <exception cref="CgroupFormatException">A file held garbage.</exception>
    public void Measure(ref byte[] buffer, bool slowPeriod)
    {
        ResourceVector usage = ResourceVector.Fill(double.NaN);
        Usage = usage;
        Pressure = usage;
        long ts = _time.GetTimestamp();
        double seconds = _previousTimestamp == 0 ? double.NaN : _time.GetElapsedTime(_previousTimestamp, ts).TotalSeconds;
        _previousTimestamp = ts;
        bool slow = slowPeriod || !_slowRead;

        // CPU (also tells whether the cgroup still exists).
        if (_cpu is { } cpu)
        {
            int n = cpu.Read(ref buffer);
            if (n < 0)
            {
                Present = _fs.DirectoryExists(PrimaryDirectory);
                return;
            }

            ReadOnlySpan<byte> content = buffer.AsSpan(0, n);
            long ns = -1;
            if (_usesV2)
            {
                if (CgroupParsers.TryGetFlatKeyed(content, cpu.Path, "usage_usec"u8, out long usec))
                {
                    ns = usec * 1000;
                }
            }
            else
            {
                ns = CgroupParsers.ParseInteger(content, cpu.Path);
            }

            usage.Cpu = Rate(ns, ref _previousCpuNs, seconds) / 1e9;
        }

        // Memory: usage minus inactive file cache (reclaimable without pressure).
        if (_memoryCurrent is { } memoryCurrent)
        {
            int n = memoryCurrent.Read(ref buffer);
            if (n >= 0)
            {
                double current = CgroupParsers.ParseInteger(buffer.AsSpan(0, n), memoryCurrent.Path);
                if (slow && _memoryStat is { } memoryStat)
                {
                    _inactive = (n = memoryStat.Read(ref buffer)) >= 0 &&
                        CgroupParsers.TryGetFlatKeyed(buffer.AsSpan(0, n), memoryStat.Path, _usesV2 ? "inactive_file"u8 : "total_inactive_file"u8, out long inactive)
                        ? inactive
                        : -1;
                }

                if (_inactive >= 0)
                {
                    current = Math.Max(0, current - _inactive);
                }

                usage.Memory = current;
            }
        }

        // Disk.
        if (_io is { } io)
        {
            int n = io.Read(ref buffer);
            if (n >= 0)
            {
                long read, write;
                if (_usesV2)
                {
                    CgroupParsers.ParseIoStat(buffer.AsSpan(0, n), io.Path, out read, out write);
                }
                else
                {
                    CgroupParsers.ParseBlkioServiceBytes(buffer.AsSpan(0, n), io.Path, out read, out write);
                }

                usage.DiskRead = Rate(read, ref _previousRead, seconds);
                usage.DiskWrite = Rate(write, ref _previousWrite, seconds);
            }
        }

        if (slow)
        {
            ReadPressure(ref buffer, ts);
        }

        Usage = usage;
        Pressure = _pressure;
        Present = true;
    }

    /// <summary>
    /// The rate of a cumulative counter since its previous value (which it then replaces): NaN on the first reading, for an
    /// unreadable value (negative) and for a counter that went backwards (the cgroup was re-created), never a negative rate.
    /// </summary>
    private static double Rate(long value, ref long previous, double seconds)
    {
        double rate = value >= 0 && previous >= 0 && value >= previous && seconds > 0 ? (value - previous) / seconds : double.NaN;
        previous = value;
        return rate;
    }
}
