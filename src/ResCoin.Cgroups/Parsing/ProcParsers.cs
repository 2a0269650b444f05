using static ResCoin.Cgroups.Parsing.Utf8Text;

namespace ResCoin.Cgroups.Parsing;

/// <summary>The aggregate <c>cpu</c> line of <c>/proc/stat</c>, in clock ticks.</summary>
internal readonly record struct ProcCpuTimes(long User, long Nice, long System, long Idle, long IoWait, long Irq, long SoftIrq, long Steal)
{
    /// <summary>All ticks (guest time is already inside user and nice).</summary>
    public long Total => User + Nice + System + Idle + IoWait + Irq + SoftIrq + Steal;

    /// <summary>Ticks not idle and not waiting for I/O.</summary>
    public long Busy => Total - Idle - IoWait;
}

/// <summary>Parsers for the /proc files the host monitor reads. Allocation-free; strict about garbage in used values.</summary>
internal static class ProcParsers
{
    /// <summary>The CPU counters (<see cref="ParseStat"/>).</summary>
    public const string StatPath = "/proc/stat";

    /// <summary>The memory counters (<see cref="ParseMemInfo(ReadOnlySpan{byte}, string, out long, out long)"/>).</summary>
    public const string MemInfoPath = "/proc/meminfo";

    /// <summary>The block device counters (<see cref="DiskStatsReader"/>).</summary>
    public const string DiskStatsPath = "/proc/diskstats";

    /// <summary>The network interface counters (<see cref="NetDevReader"/>).</summary>
    public const string NetDevPath = "/proc/net/dev";

    /// <summary><c>/proc/stat</c>: the aggregate <c>cpu</c> line and the number of <c>cpuN</c> lines. Other lines are ignored.</summary>
    public static void ParseStat(ReadOnlySpan<byte> content, string path, out ProcCpuTimes total, out int cpuCount)
    {
        total = default;
        cpuCount = 0;
        bool found = false;
        Span<long> v = stackalloc long[8];
        var lines = new LineReader(content);
        while (lines.MoveNext())
        {
            ReadOnlySpan<byte> rest = lines.Current;
            ReadOnlySpan<byte> name = NextField(ref rest);
            if (!name.StartsWith("cpu"u8))
            {
                continue;
            }

            if (name.Length > 3)
            {
                if (!TryParseLong(name[3..], out _))
                {
                    throw Error(path, lines.LineNumber, lines.Current, "is not a 'cpuN' line");
                }

                cpuCount++;
                continue;
            }

            v.Clear();
            int i = 0;
            ReadOnlySpan<byte> field;
            while (!(field = NextField(ref rest)).IsEmpty)
            {
                if (!TryParseLong(field, out long x) || x < 0)
                {
                    throw Error(path, lines.LineNumber, lines.Current, "has a tick count that is not a number");
                }

                if (i < v.Length)
                {
                    v[i] = x;
                }

                i++;
            }

            if (i < 4)
            {
                throw Error(path, lines.LineNumber, lines.Current, "has fewer than 4 tick counts");
            }

            total = new ProcCpuTimes(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
            found = true;
        }

        if (!found)
        {
            throw Error(path, 1, default, "lacks the aggregate 'cpu' line");
        }
    }

    /// <summary>Formats the aggregate and per-CPU lines of <c>/proc/stat</c> (per-CPU lines get an even share).</summary>
    public static int FormatStat(in ProcCpuTimes t, int cpuCount, Span<byte> destination)
    {
        int n = Line("cpu "u8, t, destination);
        for (int c = 0; c < cpuCount; c++)
        {
            n += Append("cpu"u8, destination[n..]);
            n += Format(c, destination[n..]);
            n += Line(default, new ProcCpuTimes(t.User / cpuCount, t.Nice / cpuCount, t.System / cpuCount, t.Idle / cpuCount, t.IoWait / cpuCount, t.Irq / cpuCount, t.SoftIrq / cpuCount, t.Steal / cpuCount), destination[n..]);
        }

        n += Append("intr 12345 0 9 0 0\nctxt 987654\nbtime 1700000000\nprocesses 4242\nprocs_running 2\nprocs_blocked 0\n"u8, destination[n..]);
        return n;

        static int Line(ReadOnlySpan<byte> name, in ProcCpuTimes t, Span<byte> d)
        {
            int k = Append(name, d);
            ReadOnlySpan<long> values = [t.User, t.Nice, t.System, t.Idle, t.IoWait, t.Irq, t.SoftIrq, t.Steal, 0, 0];
            foreach (long x in values)
            {
                d[k++] = (byte)' ';
                k += Format(x, d[k..]);
            }

            d[k++] = (byte)'\n';
            return k;
        }
    }

    /// <summary><c>/proc/meminfo</c>: <c>MemTotal</c> and <c>MemAvailable</c> in bytes (-1 when absent). Every line must be <c>Key: N [kB]</c>.</summary>
    public static void ParseMemInfo(ReadOnlySpan<byte> content, string path, out long totalBytes, out long availableBytes)
        => ParseMemInfo(content, path, out totalBytes, out availableBytes, out _);

    /// <summary><c>/proc/meminfo</c>: MemTotal, MemAvailable and AnonPages in bytes (-1 when absent); every line is checked.</summary>
    public static void ParseMemInfo(ReadOnlySpan<byte> content, string path, out long totalBytes, out long availableBytes, out long anonBytes)
    {
        totalBytes = -1;
        availableBytes = -1;
        anonBytes = -1;
        var lines = new LineReader(content);
        while (lines.MoveNext())
        {
            ReadOnlySpan<byte> rest = lines.Current;
            ReadOnlySpan<byte> key = NextField(ref rest);
            ReadOnlySpan<byte> value = NextField(ref rest);
            ReadOnlySpan<byte> unit = NextField(ref rest);
            if (key.Length < 2 || key[^1] != (byte)':' || !TryParseLong(value, out long v) || v < 0 ||
                !(unit.IsEmpty || unit.SequenceEqual("kB"u8)) || !NextField(ref rest).IsEmpty)
            {
                throw Error(path, lines.LineNumber, lines.Current, "is not 'Key: N kB'");
            }

            long bytes = unit.IsEmpty ? v : v * 1024;
            if (key.SequenceEqual("MemTotal:"u8))
            {
                totalBytes = bytes;
            }
            else if (key.SequenceEqual("MemAvailable:"u8))
            {
                availableBytes = bytes;
            }
            else if (key.SequenceEqual("AnonPages:"u8))
            {
                anonBytes = bytes;
            }
        }
    }

    /// <summary>Formats <c>/proc/meminfo</c> lines (kB).</summary>
    public static int FormatMemInfo(long totalBytes, long freeBytes, long availableBytes, Span<byte> destination)
    {
        int n = Kb("MemTotal:       "u8, totalBytes, destination);
        n += Kb("MemFree:        "u8, freeBytes, destination[n..]);
        n += Kb("MemAvailable:   "u8, availableBytes, destination[n..]);
        n += Kb("Buffers:        "u8, 1024 * 1024, destination[n..]);
        n += Append("HugePages_Total:       0\n"u8, destination[n..]);
        return n;

        static int Kb(ReadOnlySpan<byte> key, long bytes, Span<byte> d)
        {
            int k = Append(key, d);
            k += Format(bytes / 1024, d[k..]);
            k += Append(" kB\n"u8, d[k..]);
            return k;
        }
    }
}

/// <summary>
/// Enumerates <c>/proc/diskstats</c>: <c>major minor name reads merged sectorsRead msRead writes merged sectorsWritten ...</c>
/// (14, 18 or 20 fields depending on the kernel). Sectors are 512 bytes.
/// </summary>
internal ref struct DiskStatsReader
{
    private LineReader _lines;
    private readonly string _path;

    public DiskStatsReader(ReadOnlySpan<byte> content, string path)
    {
        _lines = new LineReader(content);
        _path = path;
    }

    public int Major { get; private set; }

    public int Minor { get; private set; }

    public ReadOnlySpan<byte> Name { get; private set; }

    public long SectorsRead { get; private set; }

    public long SectorsWritten { get; private set; }

    public bool MoveNext()
    {
        if (!_lines.MoveNext())
        {
            return false;
        }

        ReadOnlySpan<byte> rest = _lines.Current;
        bool ok = TryParseLong(NextField(ref rest), out long major) & TryParseLong(NextField(ref rest), out long minor);
        Name = NextField(ref rest);
        long sectorsRead = 0, sectorsWritten = 0;
        int i = 0;
        ReadOnlySpan<byte> field;
        while (ok && !(field = NextField(ref rest)).IsEmpty)
        {
            ok = TryParseLong(field, out long v) && v >= 0;
            if (i == 2)
            {
                sectorsRead = v;
            }
            else if (i == 6)
            {
                sectorsWritten = v;
            }

            i++;
        }

        if (!ok || Name.IsEmpty || i < 11)
        {
            throw Error(_path, _lines.LineNumber, _lines.Current, "is not 'major minor name' followed by at least 11 counters");
        }

        Major = (int)major;
        Minor = (int)minor;
        SectorsRead = sectorsRead;
        SectorsWritten = sectorsWritten;
        return true;
    }

    public static int FormatLine(int major, int minor, ReadOnlySpan<byte> name, long sectorsRead, long sectorsWritten, Span<byte> d)
    {
        int n = Format(major, d);
        d[n++] = (byte)' ';
        n += Format(minor, d[n..]);
        d[n++] = (byte)' ';
        n += Append(name, d[n..]);
        ReadOnlySpan<long> values = [10, 1, sectorsRead, 30, 20, 2, sectorsWritten, 40, 0, 50, 70, 0, 0, 0, 0, 0, 0];
        foreach (long v in values)
        {
            d[n++] = (byte)' ';
            n += Format(v, d[n..]);
        }

        d[n++] = (byte)'\n';
        return n;
    }
}

/// <summary>Enumerates the interfaces of <c>/proc/net/dev</c> (the two header lines are skipped): name, received and transmitted bytes.</summary>
internal ref struct NetDevReader
{
    private LineReader _lines;
    private readonly string _path;

    public NetDevReader(ReadOnlySpan<byte> content, string path)
    {
        _lines = new LineReader(content);
        _path = path;
    }

    public ReadOnlySpan<byte> Name { get; private set; }

    public long ReceivedBytes { get; private set; }

    public long TransmittedBytes { get; private set; }

    public bool MoveNext()
    {
        while (_lines.MoveNext())
        {
            ReadOnlySpan<byte> line = _lines.Current;
            if (line.IndexOf((byte)'|') >= 0)
            {
                continue; // header
            }

            int colon = line.IndexOf((byte)':');
            if (colon <= 0)
            {
                throw Error(_path, _lines.LineNumber, line, "is not 'iface: counters'");
            }

            Name = Trim(line[..colon]);
            ReadOnlySpan<byte> rest = line[(colon + 1)..];
            long rx = 0, tx = 0;
            int i = 0;
            ReadOnlySpan<byte> field;
            while (!(field = NextField(ref rest)).IsEmpty)
            {
                if (!TryParseLong(field, out long v) || v < 0)
                {
                    throw Error(_path, _lines.LineNumber, line, "has a counter that is not a number");
                }

                if (i == 0)
                {
                    rx = v;
                }
                else if (i == 8)
                {
                    tx = v;
                }

                i++;
            }

            if (i < 16)
            {
                throw Error(_path, _lines.LineNumber, line, "has fewer than 16 counters");
            }

            ReceivedBytes = rx;
            TransmittedBytes = tx;
            return true;
        }

        return false;
    }

    public static int FormatHeader(Span<byte> d)
        => Append("Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"u8, d);

    public static int FormatLine(ReadOnlySpan<byte> name, long rx, long tx, Span<byte> d)
    {
        int n = Append("  "u8, d);
        n += Append(name, d[n..]);
        d[n++] = (byte)':';
        ReadOnlySpan<long> values = [rx, 10, 0, 0, 0, 0, 0, 0, tx, 20, 0, 0, 0, 0, 0, 0];
        foreach (long v in values)
        {
            d[n++] = (byte)' ';
            n += Format(v, d[n..]);
        }

        d[n++] = (byte)'\n';
        return n;
    }
}
