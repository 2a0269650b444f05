using System.Globalization;
using System.IO.Compression;
using nietras.SeparatedValues;

namespace ResCoin.Simulation;

/// <summary>
/// Reads Bitbrains GWA-T-12 VM traces (<c>.csv</c> or <c>.csv.gz</c>, one VM per file, <c>;</c>+TAB delimited,
/// 11 columns) into <see cref="VmWorkload"/>s on a fixed period grid.
/// </summary>
/// <remarks>
/// <para>Units: CPU cores = usage MHz / (capacity MHz / cores); memory bytes = usage KB × 1024;
/// disk and network bytes/s = KB/s × 1024.</para>
/// <para>Anomalies: rows are placed on the grid <c>round((timestamp - first) / period)</c>; several rows in one
/// slot (duplicate timestamps, 150 s sampling) are averaged; an empty slot (a gap) repeats the previous slot.
/// A row with 0 cores or 0 capacity converts its MHz with the VM's last valid MHz-per-core (before the first
/// valid row: the first valid row's; none at all: <see cref="DefaultMhzPerCore"/>). CPU above 100 % is kept (it is
/// what the VM used). A memory usage of 0 is treated as "not measured" and filled like a gap. A malformed row
/// (wrong column count, a value that is not a finite non-negative number) is an error naming file and line.</para>
/// <para>Limits (every input is bounded, so a small file cannot make the reader allocate much or produce infinite
/// demand; each violation is a <see cref="TraceFormatException"/> naming file and line): timestamps at most
/// <see cref="MaxTimestampSeconds"/>; consecutive rows at most <see cref="MaxGap"/> apart (either direction); every row
/// within <see cref="MaxSpan"/> of the first; at most <see cref="MaxSlots"/> grid slots and <see cref="MaxRows"/> rows;
/// CPU cores ≤ 4 096, CPU capacity and usage ≤ 10⁸ MHz, CPU usage ≤ 10⁶ %, memory capacity and usage ≤ 2⁴⁰ KB (1 PiB),
/// disk and network ≤ 2⁴⁰ KB/s; a stated CPU capacity below 1 MHz per core is an error too. With the default period a file of n rows yields
/// at most n × 288 + 1 slots.</para>
/// </remarks>
public static class BitbrainsTraceReader
{
    /// <summary>The traces' nominal sampling period (300 s).</summary>
    public static readonly TimeSpan DefaultPeriod = TimeSpan.FromSeconds(300);

    /// <summary>The MHz of one core assumed for a VM whose trace never states its capacity (the set's median, 2.6 GHz).</summary>
    public const double DefaultMhzPerCore = 2600;

    /// <summary>The largest timestamp accepted, in Unix seconds (10¹⁰ s, the year 2286).</summary>
    public const double MaxTimestampSeconds = 1e10;

    /// <summary>The most grid slots one file may span (2²⁰; 10 years at the default period).</summary>
    public const int MaxSlots = 1 << 20;

    /// <summary>The most data rows one file may hold (the real set has at most ~26 000).</summary>
    public const int MaxRows = 4_000_000;

    /// <summary>The longest time between two consecutive rows (one day; the longest real gap is ~66 min).</summary>
    public static readonly TimeSpan MaxGap = TimeSpan.FromDays(1);

    /// <summary>The longest time between the first row and any other (400 days; the real traces cover one month).</summary>
    public static readonly TimeSpan MaxSpan = TimeSpan.FromDays(400);

    private const int ColumnCount = 11;

    /// <summary>The largest value accepted per column (inclusive), in the column's own unit.</summary>
    private static readonly double[] s_maxima =
    [
        MaxTimestampSeconds, 4096, 1e8, 1e8, 1e6, 1099511627776, 1099511627776,
        1099511627776, 1099511627776, 1099511627776, 1099511627776,
    ];

    private static readonly string[] s_columns =
    [
        "Timestamp [ms]", "CPU cores", "CPU capacity provisioned [MHZ]", "CPU usage [MHZ]", "CPU usage [%]",
        "Memory capacity provisioned [KB]", "Memory usage [KB]", "Disk read throughput [KB/s]",
        "Disk write throughput [KB/s]", "Network received throughput [KB/s]", "Network transmitted throughput [KB/s]",
    ];

    /// <summary>Lists the trace files of a directory (<c>*.csv</c>, <c>*.csv.gz</c>) in numeric order of their names (<c>2</c> before <c>10</c>).</summary>
    /// <param name="directory">The directory.</param>
    /// <returns>The full paths.</returns>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    public static IReadOnlyList<string> ListFiles(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"trace directory not found: {directory}");
        }

        var files = new List<string>();
        foreach (string f in Directory.EnumerateFiles(directory))
        {
            if (f.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".csv.gz", StringComparison.OrdinalIgnoreCase))
            {
                files.Add(f);
            }
        }

        files.Sort(CompareNumeric);
        return files;
    }

    /// <summary>Reads the first <paramref name="maxVms"/> files of a directory (in numeric order), in parallel.</summary>
    /// <param name="directory">The directory.</param>
    /// <param name="maxVms">The most files to read.</param>
    /// <param name="period">The grid period; <see cref="DefaultPeriod"/> when null.</param>
    /// <returns>One workload per file, in file order.</returns>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="TraceFormatException">The directory holds no trace file, or a file is unreadable, malformed or empty.</exception>
    public static IReadOnlyList<VmWorkload> ReadDirectory(string directory, int maxVms = int.MaxValue, TimeSpan? period = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxVms, 1);
        IReadOnlyList<string> files = ListFiles(directory);
        if (files.Count == 0)
        {
            throw new TraceFormatException(directory, 0, "no trace files (*.csv, *.csv.gz) in this directory");
        }

        int n = Math.Min(maxVms, files.Count);
        var result = new VmWorkload[n];
        try
        {
            Parallel.For(0, n, i => result[i] = ReadFile(files[i], period));
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            // Report the first failing file in file order so the message is deterministic.
            Exception first = e.InnerExceptions[0];
            foreach (Exception inner in e.InnerExceptions)
            {
                if (inner is TraceFormatException tf && first is TraceFormatException ft
                    && CompareNumeric(tf.FileName, ft.FileName) < 0)
                {
                    first = inner;
                }
            }

            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
            throw;
        }

        return result;
    }

    /// <summary>Reads one trace file.</summary>
    /// <param name="path">A <c>.csv</c> or <c>.csv.gz</c> file.</param>
    /// <param name="period">The grid period; <see cref="DefaultPeriod"/> when null.</param>
    /// <returns>The workload, named after the file (without extensions).</returns>
    /// <exception cref="TraceFormatException">The file is unreadable, malformed or has no data row.</exception>
    public static VmWorkload ReadFile(string path, TimeSpan? period = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        double periodSeconds = (period ?? DefaultPeriod).TotalSeconds;
        if (!(periodSeconds >= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(period), period, "The period must be at least one second.");
        }

        string name = Path.GetFileName(path);
        name = name.EndsWith(".csv.gz", StringComparison.OrdinalIgnoreCase) ? name[..^7]
            : name.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? name[..^4] : name;

        Rows rows;
        try
        {
            using FileStream file = File.OpenRead(path);
            using Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
                ? new GZipStream(file, CompressionMode.Decompress)
                : file;
            rows = ParseRows(stream, path);
        }
        catch (TraceFormatException)
        {
            throw;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new TraceFormatException(path, 0, $"cannot read: {e.Message}", e);
        }

        if (rows.Count == 0)
        {
            throw new TraceFormatException(path, 0, "empty trace (no data rows)");
        }

        return ToGrid(path, name, rows, periodSeconds);
    }

    private static Rows ParseRows(Stream stream, string path)
    {
        var rows = new Rows();
        using var text = new StreamReader(stream);
        SepReader reader;
        try
        {
            reader = Sep.New(';').Reader(o => o with
            {
                HasHeader = true,
                DisableColCountCheck = true,
                DisableQuotesParsing = true,
                CultureInfo = CultureInfo.InvariantCulture,
            }).From(text);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw new TraceFormatException(path, 0, $"cannot read: {e.Message}", e);
        }

        using (reader)
        {
            if (reader.Header.IsEmpty && !reader.HasRows)
            {
                return rows;
            }

            if (reader.Header.ColNames.Count != ColumnCount)
            {
                throw new TraceFormatException(path, 1, $"expected a header of {ColumnCount} columns separated by ';', found {reader.Header.ColNames.Count}");
            }

            Span<double> values = stackalloc double[ColumnCount];
            double first = double.NaN;
            double previous = double.NaN;
            double maxGap = MaxGap.TotalSeconds;
            double maxSpan = MaxSpan.TotalSeconds;
            foreach (SepReader.Row row in reader)
            {
                long line = row.LineNumberFrom;
                if (row.ColCount == 1 && row.Span.Trim().IsEmpty)
                {
                    continue; // a blank line
                }

                if (row.ColCount != ColumnCount)
                {
                    throw new TraceFormatException(path, line, $"expected {ColumnCount} columns separated by ';', found {row.ColCount}");
                }

                for (int c = 0; c < ColumnCount; c++)
                {
                    ReadOnlySpan<char> cell = row[c].Span.Trim();
                    if (!double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v) || v < 0)
                    {
                        throw new TraceFormatException(path, line, $"column '{s_columns[c]}' is not a finite non-negative number: '{cell.ToString()}'");
                    }

                    if (v > s_maxima[c])
                    {
                        throw new TraceFormatException(path, line, string.Create(
                            CultureInfo.InvariantCulture, $"column '{s_columns[c]}' value {v:R} is above the limit {s_maxima[c]:R}{(c == 0 ? " (timestamps are Unix seconds)" : string.Empty)}"));
                    }

                    values[c] = v;
                }

                if (values[1] > 0 && values[2] > 0 && values[2] < values[1])
                {
                    throw new TraceFormatException(path, line, string.Create(
                        CultureInfo.InvariantCulture, $"CPU capacity {values[2]:R} MHz for {values[1]:R} cores is below 1 MHz per core"));
                }

                double ts = values[0];
                if (double.IsNaN(first))
                {
                    first = ts;
                }
                else if (Math.Abs(ts - previous) > maxGap)
                {
                    throw new TraceFormatException(path, line, string.Create(
                        CultureInfo.InvariantCulture, $"timestamp {ts:R} is {Math.Abs(ts - previous):R} s from the previous row's {previous:R}; the limit is {maxGap:R} s"));
                }
                else if (Math.Abs(ts - first) > maxSpan)
                {
                    throw new TraceFormatException(path, line, string.Create(
                        CultureInfo.InvariantCulture, $"timestamp {ts:R} is {Math.Abs(ts - first):R} s from the first row's {first:R}; a trace may span at most {maxSpan:R} s"));
                }

                previous = ts;
                if (rows.Count >= MaxRows)
                {
                    throw new TraceFormatException(path, line, string.Create(CultureInfo.InvariantCulture, $"more than {MaxRows} data rows"));
                }

                rows.Add(values);
            }
        }

        return rows;
    }

    private static VmWorkload ToGrid(string path, string name, Rows rows, double periodSeconds)
    {
        int n = rows.Count;
        double t0 = double.PositiveInfinity;
        double t1 = double.NegativeInfinity;
        double firstMhzPerCore = double.NaN;
        double maxCores = 0;
        double maxMemoryKb = 0;
        for (int i = 0; i < n; i++)
        {
            double ts = rows.Get(i, 0);
            t0 = Math.Min(t0, ts);
            t1 = Math.Max(t1, ts);
            double cores = rows.Get(i, 1);
            double capacity = rows.Get(i, 2);
            if (double.IsNaN(firstMhzPerCore) && cores > 0 && capacity > 0)
            {
                firstMhzPerCore = capacity / cores;
            }

            maxCores = Math.Max(maxCores, cores);
            maxMemoryKb = Math.Max(maxMemoryKb, rows.Get(i, 5));
        }

        if (double.IsNaN(firstMhzPerCore))
        {
            firstMhzPerCore = DefaultMhzPerCore;
        }

        double slotCount = Math.Floor(((t1 - t0) / periodSeconds) + 0.5) + 1;
        if (!(slotCount <= MaxSlots))
        {
            throw new TraceFormatException(path, 0, string.Create(
                CultureInfo.InvariantCulture, $"the rows span {t1 - t0:R} s, {slotCount:R} slots of {periodSeconds:R} s; the limit is {MaxSlots} slots"));
        }

        int slots = (int)slotCount;
        var sums = new double[ResourceKinds.Count][];
        var demand = new double[ResourceKinds.Count][];
        for (int r = 0; r < ResourceKinds.Count; r++)
        {
            sums[r] = new double[slots];
            demand[r] = sums[r];
        }

        var counts = new int[slots];
        var memoryCounts = new int[slots];
        var raw = new double[n];
        double mhzPerCore = firstMhzPerCore;
        for (int i = 0; i < n; i++)
        {
            int slot = (int)Math.Floor(((rows.Get(i, 0) - t0) / periodSeconds) + 0.5);
            double cores = rows.Get(i, 1);
            double capacity = rows.Get(i, 2);
            if (cores > 0 && capacity > 0)
            {
                mhzPerCore = capacity / cores;
            }

            double mhz = rows.Get(i, 3);
            raw[i] = mhz;
            counts[slot]++;
            sums[(int)ResourceKind.Cpu][slot] += mhz / mhzPerCore;
            double memoryKb = rows.Get(i, 6);
            if (memoryKb > 0)
            {
                memoryCounts[slot]++;
                sums[(int)ResourceKind.Memory][slot] += memoryKb * 1024;
            }

            sums[(int)ResourceKind.DiskRead][slot] += rows.Get(i, 7) * 1024;
            sums[(int)ResourceKind.DiskWrite][slot] += rows.Get(i, 8) * 1024;
            sums[(int)ResourceKind.NetRx][slot] += rows.Get(i, 9) * 1024;
            sums[(int)ResourceKind.NetTx][slot] += rows.Get(i, 10) * 1024;
        }

        // Averages, then gap filling: an empty slot repeats the previous one (leading empty slots take the first value).
        for (int r = 0; r < ResourceKinds.Count; r++)
        {
            int[] c = r == (int)ResourceKind.Memory ? memoryCounts : counts;
            double[] s = sums[r];
            double last = double.NaN;
            int firstFilled = -1;
            for (int t = 0; t < slots; t++)
            {
                if (c[t] > 0)
                {
                    s[t] /= c[t];
                    last = s[t];
                    if (firstFilled < 0)
                    {
                        firstFilled = t;
                    }
                }
                else
                {
                    s[t] = last;
                }
            }

            double lead = firstFilled >= 0 ? s[firstFilled] : 0;
            for (int t = 0; t < slots && (firstFilled < 0 || t < firstFilled); t++)
            {
                s[t] = lead;
            }
        }

        var size = ResourceVector.Fill(double.NaN);
        size.Cpu = maxCores > 0 ? maxCores : double.NaN;
        size.Memory = maxMemoryKb > 0 ? maxMemoryKb * 1024 : double.NaN;
        return VmWorkload.Wrap(name, size, demand, raw);
    }

    private static int CompareNumeric(string a, string b)
    {
        string na = Path.GetFileName(a);
        string nb = Path.GetFileName(b);
        bool ha = long.TryParse(StemOf(na), NumberStyles.None, CultureInfo.InvariantCulture, out long ia);
        bool hb = long.TryParse(StemOf(nb), NumberStyles.None, CultureInfo.InvariantCulture, out long ib);
        if (ha && hb && ia != ib)
        {
            return ia.CompareTo(ib);
        }

        if (ha != hb)
        {
            return ha ? -1 : 1; // numbered files first
        }

        return string.CompareOrdinal(na, nb);
    }

    private static string StemOf(string fileName)
    {
        int dot = fileName.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? fileName : fileName[..dot];
    }

    /// <summary>A growable row-major table of parsed values.</summary>
    private sealed class Rows
    {
        private double[] _data = new double[ColumnCount * 64];

        public int Count { get; private set; }

        public double Get(int row, int column) => _data[(row * ColumnCount) + column];

        public void Add(ReadOnlySpan<double> values)
        {
            if ((Count + 1) * ColumnCount > _data.Length)
            {
                Array.Resize(ref _data, _data.Length * 2);
            }

            values.CopyTo(_data.AsSpan(Count * ColumnCount));
            Count++;
        }
    }
}
