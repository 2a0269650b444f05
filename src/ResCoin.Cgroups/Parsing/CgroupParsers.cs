using static ResCoin.Cgroups.Parsing.Utf8Text;

namespace ResCoin.Cgroups.Parsing;

/// <summary>One line of a PSI file (<c>some avg10=0.00 avg60=0.00 avg300=0.00 total=0</c>).</summary>
internal readonly record struct PressureLine(bool Present, double Avg10, double Avg60, double Avg300, long Total);

/// <summary>
/// Parsers (and the matching formatters) for the cgroup v1 and v2 file formats. Every parser works on the bytes of
/// the whole file, allocates nothing, ignores keys and lines it does not use, and throws
/// <see cref="CgroupFormatException"/> naming the file and line when a value it needs, or a line's shape, is garbage.
/// </summary>
internal static class CgroupParsers
{
    /// <summary>A single-value file (<c>cpuacct.usage</c>, <c>memory.current</c>, <c>cpu.shares</c>, <c>cpu.cfs_quota_us</c>): one integer, possibly negative.</summary>
    public static long ParseInteger(ReadOnlySpan<byte> content, string path)
    {
        ReadOnlySpan<byte> line = SingleLine(content, path, out int number);
        if (!TryParseLong(line, out long value))
        {
            throw Error(path, number, line, "is not a number");
        }

        return value;
    }

    /// <summary>A single-value file that may hold <c>max</c> (<c>memory.high</c>, <c>memory.max</c>): <see cref="Utf8Text.Max"/> for max.</summary>
    public static long ParseIntegerOrMax(ReadOnlySpan<byte> content, string path)
    {
        ReadOnlySpan<byte> line = SingleLine(content, path, out int number);
        if (!TryParseLongOrMax(line, out long value))
        {
            throw Error(path, number, line, "is neither a non-negative number nor 'max'");
        }

        return value;
    }

    /// <summary>
    /// The value from which a v1 memory limit means "none": v1 shows an unset limit as the largest page count times the
    /// page size (9223372036854771712 with 4 KiB pages), never as <c>max</c>.
    /// </summary>
    public const long V1NoMemoryLimit = 1L << 60;

    /// <summary>
    /// A memory limit file: v2 <c>memory.max</c>/<c>memory.high</c> (a number or <c>max</c>, which is <see cref="Utf8Text.Max"/>),
    /// v1 <c>memory.limit_in_bytes</c>/<c>memory.soft_limit_in_bytes</c> (a number). The value as read: see <see cref="IsNoMemoryLimit"/>.
    /// </summary>
    public static long ParseMemoryLimit(ReadOnlySpan<byte> content, string path, bool v2)
        => v2 ? ParseIntegerOrMax(content, path) : ParseInteger(content, path);

    /// <summary>Whether a value of <see cref="ParseMemoryLimit"/> means "no limit" (v2 <c>max</c>, or v1 at or above <see cref="V1NoMemoryLimit"/>).</summary>
    public static bool IsNoMemoryLimit(long value) => value < 0 || value >= V1NoMemoryLimit;

    /// <summary>Formats an integer (or <c>max</c> for a negative value when <paramref name="negativeIsMax"/>) followed by a newline.</summary>
    public static int FormatInteger(long value, Span<byte> destination, bool negativeIsMax = false)
    {
        int n = negativeIsMax ? FormatOrMax(value, destination) : Format(value, destination);
        destination[n++] = (byte)'\n';
        return n;
    }

    /// <summary>
    /// Finds a key in a flat-keyed file (<c>cpu.stat</c>, <c>memory.stat</c>, <c>cpuacct.stat</c>): lines of
    /// <c>key value</c>. Every line must have two fields; the wanted key's value must be an integer.
    /// </summary>
    /// <returns><see langword="false"/> when the key is absent (a missing key is not an error).</returns>
    public static bool TryGetFlatKeyed(ReadOnlySpan<byte> content, string path, ReadOnlySpan<byte> key, out long value)
    {
        value = 0;
        bool found = false;
        var lines = new LineReader(content);
        while (lines.MoveNext())
        {
            // The line is trimmed and not empty: key, spaces, value, and no third field.
            ReadOnlySpan<byte> line = lines.Current;
            int gap = line.IndexOfAny(Spaces);
            ReadOnlySpan<byte> k = gap < 0 ? line : line[..gap];
            ReadOnlySpan<byte> v = gap < 0 ? default : line[gap..];
            v = v[Math.Max(0, v.IndexOfAnyExcept(Spaces))..];
            if (v.IsEmpty || v.ContainsAny(Spaces))
            {
                throw Error(path, lines.LineNumber, lines.Current, "is not 'key value'");
            }

            if (!found && k.SequenceEqual(key))
            {
                if (!TryParseLong(v, out value))
                {
                    throw Error(path, lines.LineNumber, lines.Current, "is not a number");
                }

                found = true;
            }
        }

        return found;
    }

    /// <summary>Formats one flat-keyed line.</summary>
    public static int FormatFlatKeyed(ReadOnlySpan<byte> key, long value, Span<byte> destination)
    {
        int n = Append(key, destination);
        destination[n++] = (byte)' ';
        n += Format(value, destination[n..]);
        destination[n++] = (byte)'\n';
        return n;
    }

    /// <summary><c>cpu.max</c> (v2): <c>$MAX $PERIOD</c>, where $MAX is <c>max</c> or microseconds.</summary>
    public static void ParseCpuMax(ReadOnlySpan<byte> content, string path, out long quota, out long period)
    {
        ReadOnlySpan<byte> line = SingleLine(content, path, out int number);
        ReadOnlySpan<byte> rest = line;
        ReadOnlySpan<byte> q = NextField(ref rest);
        ReadOnlySpan<byte> p = NextField(ref rest);
        if (!NextField(ref rest).IsEmpty)
        {
            throw Error(path, number, line, "is not '$MAX $PERIOD'");
        }

        if (!TryParseLongOrMax(q, out quota))
        {
            throw Error(path, number, line, "has a quota that is neither a number nor 'max'");
        }

        period = 100_000;
        if (!p.IsEmpty && (!TryParseLong(p, out period) || period <= 0))
        {
            throw Error(path, number, line, "has a period that is not a positive number");
        }
    }

    /// <summary>Formats <c>cpu.max</c>: <c>max 100000</c> or <c>20000 100000</c>.</summary>
    public static int FormatCpuMax(long quota, long period, Span<byte> destination)
    {
        int n = FormatOrMax(quota, destination);
        destination[n++] = (byte)' ';
        n += Format(period, destination[n..]);
        destination[n++] = (byte)'\n';
        return n;
    }

    /// <summary>A PSI file (<c>cpu.pressure</c>, <c>memory.pressure</c>, <c>io.pressure</c>): <c>some</c> and <c>full</c> lines; other lines are ignored.</summary>
    public static void ParsePressure(ReadOnlySpan<byte> content, string path, out PressureLine some, out PressureLine full)
    {
        some = default;
        full = default;
        var lines = new LineReader(content);
        while (lines.MoveNext())
        {
            ReadOnlySpan<byte> rest = lines.Current;
            ReadOnlySpan<byte> kind = NextField(ref rest);
            bool isSome = kind.SequenceEqual("some"u8);
            if (!isSome && !kind.SequenceEqual("full"u8))
            {
                continue;
            }

            double a10 = double.NaN, a60 = double.NaN, a300 = double.NaN;
            long total = -1;
            ReadOnlySpan<byte> field;
            while (!(field = NextField(ref rest)).IsEmpty)
            {
                int eq = field.IndexOf((byte)'=');
                if (eq <= 0)
                {
                    throw Error(path, lines.LineNumber, lines.Current, "is not 'some|full key=value ...'");
                }

                ReadOnlySpan<byte> k = field[..eq];
                ReadOnlySpan<byte> v = field[(eq + 1)..];
                bool ok = true;
                if (k.SequenceEqual("avg10"u8))
                {
                    ok = TryParseDouble(v, out a10);
                }
                else if (k.SequenceEqual("avg60"u8))
                {
                    ok = TryParseDouble(v, out a60);
                }
                else if (k.SequenceEqual("avg300"u8))
                {
                    ok = TryParseDouble(v, out a300);
                }
                else if (k.SequenceEqual("total"u8))
                {
                    ok = TryParseLong(v, out total) && total >= 0;
                }

                if (!ok)
                {
                    throw Error(path, lines.LineNumber, lines.Current, "has a value that is not a number");
                }
            }

            if (total < 0 || double.IsNaN(a10))
            {
                throw Error(path, lines.LineNumber, lines.Current, "lacks avg10 or total");
            }

            var parsed = new PressureLine(true, a10, a60, a300, total);
            if (isSome)
            {
                some = parsed;
            }
            else
            {
                full = parsed;
            }
        }
    }

    /// <summary>Formats one PSI line (<c>some avg10=1.00 avg60=0.50 avg300=0.10 total=123</c>).</summary>
    public static int FormatPressureLine(ReadOnlySpan<byte> kind, in PressureLine line, Span<byte> destination)
    {
        int n = Append(kind, destination);
        n += Append(" avg10="u8, destination[n..]);
        n += FormatAvg(line.Avg10, destination[n..]);
        n += Append(" avg60="u8, destination[n..]);
        n += FormatAvg(line.Avg60, destination[n..]);
        n += Append(" avg300="u8, destination[n..]);
        n += FormatAvg(line.Avg300, destination[n..]);
        n += Append(" total="u8, destination[n..]);
        n += Format(line.Total, destination[n..]);
        destination[n++] = (byte)'\n';
        return n;
    }

    /// <summary>
    /// <c>io.stat</c> (v2): <c>MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N</c> per device, summed over
    /// devices. Keys other than rbytes/wbytes may hold anything of the form key=value (e.g. iocost's <c>cost.vrate=100.00</c>).
    /// </summary>
    public static void ParseIoStat(ReadOnlySpan<byte> content, string path, out long readBytes, out long writeBytes)
    {
        readBytes = 0;
        writeBytes = 0;
        var lines = new LineReader(content);
        while (lines.MoveNext())
        {
            ReadOnlySpan<byte> rest = lines.Current;
            if (!TryParseDevice(NextField(ref rest), out _, out _))
            {
                throw Error(path, lines.LineNumber, lines.Current, "does not start with a device MAJ:MIN");
            }

            ReadOnlySpan<byte> field;
            while (!(field = NextField(ref rest)).IsEmpty)
            {
                int eq = field.IndexOf((byte)'=');
                if (eq <= 0)
                {
                    throw Error(path, lines.LineNumber, lines.Current, "is not 'MAJ:MIN key=value ...'");
                }

                ReadOnlySpan<byte> k = field[..eq];
                bool isRead = k.SequenceEqual("rbytes"u8);
                if (isRead || k.SequenceEqual("wbytes"u8))
                {
                    if (!TryParseLong(field[(eq + 1)..], out long v) || v < 0)
                    {
                        throw Error(path, lines.LineNumber, lines.Current, "has a byte count that is not a number");
                    }

                    if (isRead)
                    {
                        readBytes += v;
                    }
                    else
                    {
                        writeBytes += v;
                    }
                }
            }
        }
    }

    /// <summary>Formats one <c>io.stat</c> line.</summary>
    public static int FormatIoStatLine(int major, int minor, long readBytes, long writeBytes, long readIos, long writeIos, Span<byte> destination)
    {
        int n = FormatDevice(major, minor, destination);
        n += Append(" rbytes="u8, destination[n..]);
        n += Format(readBytes, destination[n..]);
        n += Append(" wbytes="u8, destination[n..]);
        n += Format(writeBytes, destination[n..]);
        n += Append(" rios="u8, destination[n..]);
        n += Format(readIos, destination[n..]);
        n += Append(" wios="u8, destination[n..]);
        n += Format(writeIos, destination[n..]);
        n += Append(" dbytes=0 dios=0\n"u8, destination[n..]);
        return n;
    }

    /// <summary>
    /// Finds a device's line in <c>io.max</c> (v2): <c>MAJ:MIN rbps=max wbps=max riops=max wiops=max</c>.
    /// An empty file, or no line for the device, means no limit (both <see cref="Utf8Text.Max"/>), and returns false.
    /// </summary>
    public static bool TryGetIoMax(ReadOnlySpan<byte> content, string path, int major, int minor, out long readBps, out long writeBps)
    {
        readBps = Max;
        writeBps = Max;
        bool found = false;
        var lines = new LineReader(content);
        while (lines.MoveNext())
        {
            ReadOnlySpan<byte> rest = lines.Current;
            if (!TryParseDevice(NextField(ref rest), out int maj, out int min))
            {
                throw Error(path, lines.LineNumber, lines.Current, "does not start with a device MAJ:MIN");
            }

            bool mine = maj == major && min == minor;
            ReadOnlySpan<byte> field;
            while (!(field = NextField(ref rest)).IsEmpty)
            {
                int eq = field.IndexOf((byte)'=');
                if (eq <= 0 || !TryParseLongOrMax(field[(eq + 1)..], out long v))
                {
                    throw Error(path, lines.LineNumber, lines.Current, "is not 'MAJ:MIN key=number|max ...'");
                }

                if (mine && field[..eq].SequenceEqual("rbps"u8))
                {
                    readBps = v;
                }
                else if (mine && field[..eq].SequenceEqual("wbps"u8))
                {
                    writeBps = v;
                }
            }

            found |= mine;
        }

        return found;
    }

    /// <summary>Formats an <c>io.max</c> write for one device: <c>MAJ:MIN rbps=N|max wbps=N|max</c> (other keys untouched).</summary>
    public static int FormatIoMax(int major, int minor, long readBps, long writeBps, Span<byte> destination)
    {
        int n = FormatDevice(major, minor, destination);
        n += Append(" rbps="u8, destination[n..]);
        n += FormatOrMax(readBps, destination[n..]);
        n += Append(" wbps="u8, destination[n..]);
        n += FormatOrMax(writeBps, destination[n..]);
        destination[n++] = (byte)'\n';
        return n;
    }

    /// <summary>
    /// <c>blkio.throttle.io_service_bytes[_recursive]</c> (v1): <c>MAJ:MIN Read|Write|Sync|Async|Discard|Total N</c>
    /// lines and a final <c>Total N</c>; Read and Write are summed over devices.
    /// </summary>
    public static void ParseBlkioServiceBytes(ReadOnlySpan<byte> content, string path, out long readBytes, out long writeBytes)
    {
        readBytes = 0;
        writeBytes = 0;
        var lines = new LineReader(content);
        while (lines.MoveNext())
        {
            ReadOnlySpan<byte> rest = lines.Current;
            ReadOnlySpan<byte> first = NextField(ref rest);
            if (first.SequenceEqual("Total"u8))
            {
                if (!TryParseLong(NextField(ref rest), out _) || !NextField(ref rest).IsEmpty)
                {
                    throw Error(path, lines.LineNumber, lines.Current, "is not 'Total N'");
                }

                continue;
            }

            if (!TryParseDevice(first, out _, out _))
            {
                throw Error(path, lines.LineNumber, lines.Current, "does not start with a device MAJ:MIN");
            }

            ReadOnlySpan<byte> op = NextField(ref rest);
            if (op.IsEmpty || !TryParseLong(NextField(ref rest), out long v) || v < 0 || !NextField(ref rest).IsEmpty)
            {
                throw Error(path, lines.LineNumber, lines.Current, "is not 'MAJ:MIN Operation N'");
            }

            if (op.SequenceEqual("Read"u8))
            {
                readBytes += v;
            }
            else if (op.SequenceEqual("Write"u8))
            {
                writeBytes += v;
            }
        }
    }

    /// <summary>Formats one device's block of <c>blkio.throttle.io_service_bytes</c> (Read, Write, Sync, Async, Discard, Total).</summary>
    public static int FormatBlkioServiceBytes(int major, int minor, long readBytes, long writeBytes, Span<byte> destination)
    {
        int n = 0;
        n += Op(major, minor, "Read"u8, readBytes, destination[n..]);
        n += Op(major, minor, "Write"u8, writeBytes, destination[n..]);
        n += Op(major, minor, "Sync"u8, writeBytes, destination[n..]);
        n += Op(major, minor, "Async"u8, readBytes, destination[n..]);
        n += Op(major, minor, "Discard"u8, 0, destination[n..]);
        n += Op(major, minor, "Total"u8, readBytes + writeBytes, destination[n..]);
        return n;

        static int Op(int major, int minor, ReadOnlySpan<byte> op, long value, Span<byte> d)
        {
            int k = FormatDevice(major, minor, d);
            d[k++] = (byte)' ';
            k += Append(op, d[k..]);
            d[k++] = (byte)' ';
            k += Format(value, d[k..]);
            d[k++] = (byte)'\n';
            return k;
        }
    }

    /// <summary>
    /// Finds a device in a v1 per-device throttle file (<c>blkio.throttle.read_bps_device</c>): lines <c>MAJ:MIN N</c>.
    /// </summary>
    /// <returns><see langword="false"/> when the device has no rule (no limit).</returns>
    public static bool TryGetDeviceValue(ReadOnlySpan<byte> content, string path, int major, int minor, out long value)
    {
        value = 0;
        bool found = false;
        var lines = new LineReader(content);
        while (lines.MoveNext())
        {
            ReadOnlySpan<byte> rest = lines.Current;
            if (!TryParseDevice(NextField(ref rest), out int maj, out int min) ||
                !TryParseLong(NextField(ref rest), out long v) || v < 0 || !NextField(ref rest).IsEmpty)
            {
                throw Error(path, lines.LineNumber, lines.Current, "is not 'MAJ:MIN N'");
            }

            if (!found && maj == major && min == minor)
            {
                value = v;
                found = true;
            }
        }

        return found;
    }

    /// <summary>Formats a v1 per-device throttle write, <c>MAJ:MIN N</c> (N = 0 removes the rule).</summary>
    public static int FormatDeviceValue(int major, int minor, long value, Span<byte> destination)
    {
        int n = FormatDevice(major, minor, destination);
        destination[n++] = (byte)' ';
        n += Format(value, destination[n..]);
        destination[n++] = (byte)'\n';
        return n;
    }

    /// <summary>A CPU list (<c>cpuset.cpus.effective</c>, <c>/sys/devices/system/cpu/online</c>): <c>0-3,5,7-8</c>; returns the number of CPUs.</summary>
    public static int ParseCpuListCount(ReadOnlySpan<byte> content, string path)
    {
        var lines = new LineReader(content);
        if (!lines.MoveNext())
        {
            return 0;
        }

        ReadOnlySpan<byte> line = lines.Current;
        int number = lines.LineNumber;
        if (lines.MoveNext())
        {
            throw Error(path, lines.LineNumber, lines.Current, "is an extra line in a CPU list");
        }

        int count = 0;
        ReadOnlySpan<byte> rest = line;
        while (!rest.IsEmpty)
        {
            int comma = rest.IndexOf((byte)',');
            ReadOnlySpan<byte> part = comma < 0 ? rest : rest[..comma];
            rest = comma < 0 ? default : rest[(comma + 1)..];
            int dash = part.IndexOf((byte)'-');
            long lo = 0, hi = 0;
            bool ok = dash < 0
                ? TryParseLong(part, out lo) && (hi = lo) >= 0
                : TryParseLong(part[..dash], out lo) && TryParseLong(part[(dash + 1)..], out hi);
            if (!ok || lo < 0 || hi < lo)
            {
                throw Error(path, number, line, "is not a CPU list like 0-3,5");
            }

            count += (int)(hi - lo + 1);
        }

        return count;
    }

    /// <summary>Formats <c>MAJ:MIN</c>.</summary>
    public static int FormatDevice(int major, int minor, Span<byte> destination)
    {
        int n = Format(major, destination);
        destination[n++] = (byte)':';
        n += Format(minor, destination[n..]);
        return n;
    }

    private static int FormatAvg(double value, Span<byte> destination)
        => value.TryFormat(destination, out int written, "F2", System.Globalization.CultureInfo.InvariantCulture)
            ? written
            : throw new ArgumentException("The destination is too small.", nameof(destination));

    private static ReadOnlySpan<byte> SingleLine(ReadOnlySpan<byte> content, string path, out int number)
    {
        var lines = new LineReader(content);
        if (!lines.MoveNext())
        {
            throw Error(path, 1, content, "is empty, expected a value");
        }

        ReadOnlySpan<byte> line = lines.Current;
        number = lines.LineNumber;
        if (lines.MoveNext())
        {
            throw Error(path, lines.LineNumber, lines.Current, "is an unexpected extra line");
        }

        return line;
    }
}
