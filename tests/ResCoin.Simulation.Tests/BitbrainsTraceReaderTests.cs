using ResCoin.Testing;

namespace ResCoin.Simulation.Tests;

public sealed class BitbrainsTraceReaderTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private const long T0 = 1_375_308_176;
    private const double Kb = 1024;
    private readonly TraceFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void ReadFile_PlainRows_ConvertsUnits()
    {
        string path = _files.Write("1.csv",
        [
            TraceFiles.Row(T0, 2, 5200, 1300, 8_388_608, 1_048_576, 10, 20, 30, 40),
            TraceFiles.Row(T0 + 300, 2, 5200, 2600, 8_388_608, 2_097_152, 1, 2, 3, 4),
        ]);

        VmWorkload vm = BitbrainsTraceReader.ReadFile(path);

        Assert.Equal("1", vm.Name);
        Assert.Equal(2, vm.Length);
        Assert.Equal(0.5, vm.GetDemand(ResourceKind.Cpu)[0], 12); // 1300 MHz / 2600 MHz per core
        Assert.Equal(1.0, vm.GetDemand(ResourceKind.Cpu)[1], 12);
        Assert.Equal(1_048_576 * Kb, vm.GetDemand(ResourceKind.Memory)[0]);
        Assert.Equal(10 * Kb, vm.GetDemand(ResourceKind.DiskRead)[0]);
        Assert.Equal(20 * Kb, vm.GetDemand(ResourceKind.DiskWrite)[0]);
        Assert.Equal(30 * Kb, vm.GetDemand(ResourceKind.NetRx)[0]);
        Assert.Equal(40 * Kb, vm.GetDemand(ResourceKind.NetTx)[0]);
        Assert.Equal(2, vm.Size.Cpu);
        Assert.Equal(8_388_608 * Kb, vm.Size.Memory);
        Assert.Equal([1300, 2600], vm.RawCpuMhz.ToArray());
    }

    [Fact]
    public void ReadFile_GzipAndPlain_GiveTheSameSeries()
    {
        string[] rows = [TraceFiles.Row(T0, 1, 2600, 100, 1000, 500), TraceFiles.Row(T0 + 300, 1, 2600, 900, 1000, 700)];
        VmWorkload plain = BitbrainsTraceReader.ReadFile(_files.Write("3.csv", rows));
        VmWorkload gz = BitbrainsTraceReader.ReadFile(_files.Write("4.csv.gz", rows));

        Assert.Equal("4", gz.Name);
        foreach (ResourceKind k in ResourceKinds.All)
        {
            Assert.Equal(plain.GetDemand(k).ToArray(), gz.GetDemand(k).ToArray());
        }
    }

    [Fact]
    public void ReadFile_Gap_RepeatsTheLastValue()
    {
        string path = _files.Write("gap.csv",
        [
            TraceFiles.Row(T0, 1, 2600, 260, 1000, 100),
            TraceFiles.Row(T0 + 300, 1, 2600, 520, 1000, 200),
            TraceFiles.Row(T0 + 1500, 1, 2600, 1300, 1000, 500), // 20 min gap: slots 2, 3, 4 missing
        ]);

        VmWorkload vm = BitbrainsTraceReader.ReadFile(path);

        Assert.Equal(6, vm.Length);
        Assert.Equal([0.1, 0.2, 0.2, 0.2, 0.2, 0.5], vm.GetDemand(ResourceKind.Cpu).ToArray().Select(x => Math.Round(x, 12)));
        Assert.Equal(200 * Kb, vm.GetDemand(ResourceKind.Memory)[3]);
    }

    [Fact]
    public void ReadFile_DuplicateTimestamps_AreAveraged()
    {
        string path = _files.Write("dup.csv",
        [
            TraceFiles.Row(T0, 1, 2600, 260, 1000, 100),
            TraceFiles.Row(T0 + 300, 1, 2600, 520, 1000, 200),
            TraceFiles.Row(T0 + 300, 1, 2600, 1040, 1000, 400),
            TraceFiles.Row(T0 + 600, 1, 2600, 260, 1000, 100),
        ]);

        VmWorkload vm = BitbrainsTraceReader.ReadFile(path);

        Assert.Equal(3, vm.Length);
        Assert.Equal(0.3, vm.GetDemand(ResourceKind.Cpu)[1], 12);
        Assert.Equal(300 * Kb, vm.GetDemand(ResourceKind.Memory)[1]);
        Assert.Equal(4, vm.RawCpuMhz.Length); // the raw series keeps every row
    }

    [Fact]
    public void ReadFile_HalfPeriodSampling_TwoRowsPerSlotAveraged()
    {
        var rows = new List<string>();
        for (int i = 0; i < 8; i++)
        {
            rows.Add(TraceFiles.Row(T0 + (i * 151), 1, 2600, i % 2 == 0 ? 0 : 2600, 1000, 100));
        }

        VmWorkload vm = BitbrainsTraceReader.ReadFile(_files.Write("20.csv", rows));

        // 8 rows over 1057 s fall into 5 slots of 300 s; every value is an average of 0 and 1 core or a single row.
        Assert.Equal(5, vm.Length);
        Assert.All(vm.GetDemand(ResourceKind.Cpu).ToArray(), x => Assert.InRange(x, 0, 1));
        Assert.Equal(0.5, vm.GetDemand(ResourceKind.Cpu)[1], 12);
    }

    [Fact]
    public void ReadFile_ZeroCapacityRow_UsesTheLastValidMhzPerCore()
    {
        string path = _files.Write("zero.csv",
        [
            TraceFiles.Row(T0, 0, 0, 1000, 0, 0),          // before any valid row: the first valid row's 2000 MHz/core
            TraceFiles.Row(T0 + 300, 2, 4000, 1000, 1000, 100),
            TraceFiles.Row(T0 + 600, 0, 0, 3000, 0, 0),    // VM reconfigured: last valid 2000 MHz/core
        ]);

        VmWorkload vm = BitbrainsTraceReader.ReadFile(path);

        Assert.Equal([0.5, 0.5, 1.5], vm.GetDemand(ResourceKind.Cpu).ToArray());
        Assert.All(vm.GetDemand(ResourceKind.Cpu).ToArray(), x => Assert.True(double.IsFinite(x)));
    }

    [Fact]
    public void ReadFile_NoValidCapacityAtAll_UsesTheDefaultMhzPerCore()
    {
        VmWorkload vm = BitbrainsTraceReader.ReadFile(_files.Write("nocap.csv", [TraceFiles.Row(T0, 0, 0, 2600, 0, 0)]));
        Assert.Equal(2600 / BitbrainsTraceReader.DefaultMhzPerCore, vm.GetDemand(ResourceKind.Cpu)[0], 12);
        Assert.True(double.IsNaN(vm.Size.Cpu));
    }

    [Fact]
    public void ReadFile_CpuAbove100Percent_IsKept()
    {
        VmWorkload vm = BitbrainsTraceReader.ReadFile(_files.Write("hot.csv", [TraceFiles.Row(T0, 2, 5200, 5928, 1000, 100)])); // 114 %
        Assert.Equal(2.28, vm.GetDemand(ResourceKind.Cpu)[0], 12);
    }

    [Fact]
    public void ReadFile_ZeroMemory_IsTreatedAsNotMeasured()
    {
        string path = _files.Write("mem.csv",
        [
            TraceFiles.Row(T0, 1, 2600, 0, 1000, 0),
            TraceFiles.Row(T0 + 300, 1, 2600, 0, 1000, 400),
            TraceFiles.Row(T0 + 600, 1, 2600, 0, 1000, 0),
        ]);

        VmWorkload vm = BitbrainsTraceReader.ReadFile(path);

        Assert.Equal([400 * Kb, 400 * Kb, 400 * Kb], vm.GetDemand(ResourceKind.Memory).ToArray());
    }

    [Fact]
    public void ReadFile_ENotation_IsParsed()
    {
        string path = _files.Write("e.csv", ["1.375308176E9;\t4;\t1.04E4;\t2.6E3;\t25.0;\t3.2596228E7;\t1.6E7;\t0.0;\t1.5E-2;\t0;\t0"]);
        VmWorkload vm = BitbrainsTraceReader.ReadFile(path);
        Assert.Equal(1.0, vm.GetDemand(ResourceKind.Cpu)[0], 12);
        Assert.Equal(3.2596228E7 * Kb, vm.Size.Memory);
        Assert.Equal(1.6E7 * Kb, vm.GetDemand(ResourceKind.Memory)[0]);
        Assert.Equal(1.5E-2 * Kb, vm.GetDemand(ResourceKind.DiskWrite)[0], 12);
    }

    [Fact]
    public void ReadFile_WrongColumnCount_NamesFileAndLine()
    {
        string path = _files.Write("bad.csv", [TraceFiles.Row(T0, 1, 2600, 0, 1000, 1), TraceFiles.Row(T0 + 300, 1, 2600, 0, 1000, 1), "1375308776;\t1;\t2600"]);

        TraceFormatException e = Assert.Throws<TraceFormatException>(() => BitbrainsTraceReader.ReadFile(path));

        Assert.Equal(path, e.FileName);
        Assert.Equal(4, e.LineNumber);
        Assert.Contains($"{path}:4:", e.Message, StringComparison.Ordinal);
        Assert.Contains("columns", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-5")]
    [InlineData("NaN")]
    [InlineData("")]
    public void ReadFile_BadNumber_NamesFileLineAndColumn(string value)
    {
        string row = TraceFiles.Row(T0, 1, 2600, 0, 1000, 1).Replace(";\t0;\t", $";\t{value};\t", StringComparison.Ordinal);
        string path = _files.Write("num.csv.gz", [TraceFiles.Row(T0, 1, 2600, 0, 1000, 1), row]);

        TraceFormatException e = Assert.Throws<TraceFormatException>(() => BitbrainsTraceReader.ReadFile(path));

        Assert.Equal(3, e.LineNumber);
        Assert.Contains("num.csv.gz:3:", e.Message, StringComparison.Ordinal);
        Assert.Contains("CPU usage [MHZ]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadFile_EmptyFile_IsAnError()
    {
        string path = _files.Write("empty.csv", [], header: false);
        TraceFormatException e = Assert.Throws<TraceFormatException>(() => BitbrainsTraceReader.ReadFile(path));
        Assert.Contains("empty", e.Message, StringComparison.Ordinal);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadFile_HeaderOnly_IsAnError()
    {
        string path = _files.Write("header.csv.gz", []);
        TraceFormatException e = Assert.Throws<TraceFormatException>(() => BitbrainsTraceReader.ReadFile(path));
        Assert.Contains("empty", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadFile_NotGzip_IsAnErrorNamingTheFile()
    {
        string path = Path.Combine(_files.Directory, "fake.csv.gz");
        File.WriteAllText(path, "this is not gzip");
        TraceFormatException e = Assert.Throws<TraceFormatException>(() => BitbrainsTraceReader.ReadFile(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ListFiles_NumericOrder()
    {
        foreach (string n in new[] { "10.csv.gz", "2.csv", "1.csv.gz", "notes.txt", "100.csv" })
        {
            File.WriteAllText(Path.Combine(_files.Directory, n), string.Empty);
        }

        IReadOnlyList<string> files = BitbrainsTraceReader.ListFiles(_files.Directory);

        Assert.Equal(["1.csv.gz", "2.csv", "10.csv.gz", "100.csv"], files.Select(Path.GetFileName));
    }

    [Fact]
    public void ReadDirectory_TakesTheFirstNFilesInNumericOrder()
    {
        _files.WriteSyntheticSet(vms: 5, rows: 20, seed: 1);
        IReadOnlyList<VmWorkload> vms = BitbrainsTraceReader.ReadDirectory(_files.Directory, maxVms: 3);
        Assert.Equal(["1", "2", "3"], vms.Select(v => v.Name));
    }

    [Fact]
    public void ReadDirectory_Missing_Throws()
    {
        Assert.Throws<DirectoryNotFoundException>(() => BitbrainsTraceReader.ReadDirectory(Path.Combine(_files.Directory, "nope")));
    }

    [Fact]
    public void ReadDirectory_NoTraceFiles_IsAnError()
    {
        TraceFormatException e = Assert.Throws<TraceFormatException>(() => BitbrainsTraceReader.ReadDirectory(_files.Directory));
        Assert.Contains("no trace files", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Reads a file and returns the bytes the current thread allocated doing it (after one warm-up read of a good file).</summary>
    private long AllocatedReading(string path, out Exception? error)
    {
        BitbrainsTraceReader.ReadFile(_files.Write("warm.csv", [TraceFiles.Row(T0, 1, 2600, 100, 1000, 100), TraceFiles.Row(T0 + 300, 1, 2600, 100, 1000, 100)]));
        error = null;
        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            BitbrainsTraceReader.ReadFile(path);
        }
        catch (Exception e)
        {
            error = e;
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private const long FewMiB = 4L << 20;

    [Fact]
    public void ReadFile_TwoRows3e9SecondsApart_IsRefusedNamingTheLine_WithoutAllocating()
    {
        string path = _files.Write("far.csv", [TraceFiles.Row(T0, 1, 2600, 100, 1000, 100), TraceFiles.Row(T0 + 3_000_000_000L, 1, 2600, 100, 1000, 100)]);
        Assert.InRange(new FileInfo(path).Length, 100, 600);

        long allocated = AllocatedReading(path, out Exception? error);

        TraceFormatException e = Assert.IsType<TraceFormatException>(error);
        Assert.Equal(3, e.LineNumber);
        Assert.Contains("far.csv:3:", e.Message, StringComparison.Ordinal);
        Assert.Contains("limit", e.Message, StringComparison.Ordinal);
        Assert.Single(e.Message.Split('\n'));
        output.WriteLine($"{new FileInfo(path).Length}-byte file, rows 3e9 s apart: refused after allocating {allocated} bytes: {e.Message}");
        Assert.True(allocated < FewMiB, $"allocated {allocated} bytes");
    }

    [Theory]
    [InlineData(1_000_000_000_000L)]
    [InlineData(T0 + 1_000_000_000_000L)]
    public void ReadFile_Timestamp1e12_IsATraceFormatError_NotOverflow(long far)
    {
        string single = _files.Write("one.csv", [TraceFiles.Row(far, 1, 2600, 100, 1000, 100)]);
        string pair = _files.Write("two.csv", [TraceFiles.Row(T0, 1, 2600, 100, 1000, 100), TraceFiles.Row(far, 1, 2600, 100, 1000, 100)]);

        TraceFormatException a = Assert.Throws<TraceFormatException>(() => BitbrainsTraceReader.ReadFile(single));
        TraceFormatException b = Assert.Throws<TraceFormatException>(() => BitbrainsTraceReader.ReadFile(pair));

        Assert.Equal(2, a.LineNumber);
        Assert.Contains("Unix seconds", a.Message, StringComparison.Ordinal);
        Assert.Equal(3, b.LineNumber);
    }

    [Theory]
    [InlineData(1, "CPU cores")]
    [InlineData(2, "CPU capacity provisioned [MHZ]")]
    [InlineData(3, "CPU usage [MHZ]")]
    [InlineData(4, "CPU usage [%]")]
    [InlineData(5, "Memory capacity provisioned [KB]")]
    [InlineData(6, "Memory usage [KB]")]
    [InlineData(7, "Disk read throughput [KB/s]")]
    [InlineData(8, "Disk write throughput [KB/s]")]
    [InlineData(9, "Network received throughput [KB/s]")]
    [InlineData(10, "Network transmitted throughput [KB/s]")]
    public void ReadFile_Value1e308_IsRefusedNamingFileLineAndColumn(int column, string name)
    {
        string[] cells = TraceFiles.Row(T0 + 300, 2, 5200, 100, 1000, 100, 1, 1, 1, 1).Split(";\t");
        cells[column] = "1e308";
        string path = _files.Write("huge.csv", [TraceFiles.Row(T0, 2, 5200, 100, 1000, 100), string.Join(";\t", cells)]);

        TraceFormatException e = Assert.Throws<TraceFormatException>(() => BitbrainsTraceReader.ReadFile(path));

        Assert.Equal(3, e.LineNumber);
        Assert.Contains("huge.csv:3:", e.Message, StringComparison.Ordinal);
        Assert.Contains(name, e.Message, StringComparison.Ordinal);
        Assert.Contains("above the limit", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadFile_ValuesAtTheLimits_GiveFiniteDemand()
    {
        const double Pib = 1099511627776;
        string row = string.Join(";\t", new[] { T0, 4096, 1e8, 1e8, 1e6, Pib, Pib, Pib, Pib, Pib, Pib }.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
        string path = _files.Write("max.csv", [row, row.Replace(T0.ToString(System.Globalization.CultureInfo.InvariantCulture), (T0 + 300).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)]);

        VmWorkload vm = BitbrainsTraceReader.ReadFile(path);

        foreach (ResourceKind k in ResourceKinds.All)
        {
            Assert.All(vm.GetDemand(k).ToArray(), x => Assert.True(double.IsFinite(x), $"{k}: {x}"));
        }

        Assert.Equal(Pib * 1024, vm.GetDemand(ResourceKind.Memory)[0]);
    }

    [Fact]
    public void ReadFile_CapacityBelowOneMhzPerCore_IsRefused()
    {
        string path = _files.Write("tiny.csv", [TraceFiles.Row(T0, 1, 2600, 100, 1000, 100), $"{T0 + 300};\t32;\t1e-300;\t1e8;\t50;\t1000;\t100;\t0;\t0;\t0;\t0"]);
        TraceFormatException e = Assert.Throws<TraceFormatException>(() => BitbrainsTraceReader.ReadFile(path));
        Assert.Equal(3, e.LineNumber);
        Assert.Contains("1 MHz per core", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadFile_GapOfExactlyOneDay_IsFilled_OneSecondMore_IsRefused()
    {
        long day = (long)BitbrainsTraceReader.MaxGap.TotalSeconds;
        VmWorkload ok = BitbrainsTraceReader.ReadFile(_files.Write("day.csv", [TraceFiles.Row(T0, 1, 2600, 260, 1000, 100), TraceFiles.Row(T0 + day, 1, 2600, 520, 1000, 100)]));
        Assert.Equal(289, ok.Length);

        string path = _files.Write("daymore.csv",
        [
            TraceFiles.Row(T0, 1, 2600, 260, 1000, 100),
            TraceFiles.Row(T0 + 300, 1, 2600, 260, 1000, 100),
            TraceFiles.Row(T0 + 300 + day + 1, 1, 2600, 520, 1000, 100),
        ]);
        TraceFormatException e = Assert.Throws<TraceFormatException>(() => BitbrainsTraceReader.ReadFile(path));
        Assert.Equal(4, e.LineNumber);
        Assert.Contains("from the previous row", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadFile_BackwardJumpBeyondTheGapLimit_IsRefused()
    {
        string path = _files.Write("back.csv", [TraceFiles.Row(T0, 1, 2600, 260, 1000, 100), TraceFiles.Row(T0 - 200_000, 1, 2600, 520, 1000, 100)]);
        TraceFormatException e = Assert.Throws<TraceFormatException>(() => BitbrainsTraceReader.ReadFile(path));
        Assert.Equal(3, e.LineNumber);
    }

    [Fact]
    public void ReadFile_SpanBeyond400Days_InDailySteps_IsRefusedNamingTheLine()
    {
        long day = 86_400;
        string path = _files.Write("long.csv", Enumerable.Range(0, 402).Select(i => TraceFiles.Row(T0 + (i * day), 1, 2600, 260, 1000, 100)));
        TraceFormatException e = Assert.Throws<TraceFormatException>(() => BitbrainsTraceReader.ReadFile(path));
        Assert.Equal(403, e.LineNumber); // data row i is on line i + 2; row 401 is 401 days from row 0
        Assert.Contains("span at most", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadFile_PeriodBelowOneSecond_IsAnArgumentError()
    {
        string path = _files.Write("p.csv", [TraceFiles.Row(T0, 1, 2600, 260, 1000, 100)]);
        Assert.Throws<ArgumentOutOfRangeException>(() => BitbrainsTraceReader.ReadFile(path, TimeSpan.FromMilliseconds(10)));
    }

    [Fact]
    public void ReadFile_SlotsBeyondTheLimit_AtAShortPeriod_AreRefused()
    {
        // 13 days in 1-day steps at a 1 s period: 1.1 million slots > MaxSlots.
        string path = _files.Write("slots.csv", Enumerable.Range(0, 14).Select(i => TraceFiles.Row(T0 + (i * 86_400L), 1, 2600, 260, 1000, 100)));
        TraceFormatException e = Assert.Throws<TraceFormatException>(() => BitbrainsTraceReader.ReadFile(path, TimeSpan.FromSeconds(1)));
        Assert.Contains("slots", e.Message, StringComparison.Ordinal);
        Assert.Contains("slots.csv", e.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Random small files (a few rows with awkward timestamps and values, some gzip): every one either reads into
    /// finite non-negative demand or is refused with a one-line <see cref="TraceFormatException"/> naming the file; none
    /// allocates more than a few MiB.
    /// </summary>
    [Fact]
    public void ReadFile_RandomSmallFiles_FiniteOrOneLineError_AndBoundedAllocation()
    {
        string[] awkward = ["0", "1", "2600", "1e308", "1.7976931348623157E308", "4.9E-324", "1e12", "3e9", "1099511627776", "1099511627777", "4096", "4097", "1e8", "100000001", "0.5", "-0", "1e-300"];
        var rng = new Random(13);
        int read = 0, refused = 0;
        long worst = 0;
        for (int i = 0; i < 300; i++)
        {
            int rows = rng.Next(1, 6);
            var lines = new List<string>();
            double ts = T0;
            for (int r = 0; r < rows; r++)
            {
                ts += rng.Next(6) switch { 0 or 1 or 2 => 300, 3 => rng.NextDouble() * 200_000, 4 => -rng.NextDouble() * 1000, _ => Math.Pow(10, rng.Next(13)) };
                string[] cells = new string[11];
                cells[0] = rng.Next(12) == 0 ? awkward[rng.Next(awkward.Length)] : Math.Max(ts, 0).ToString("R", System.Globalization.CultureInfo.InvariantCulture);
                for (int c = 1; c < 11; c++)
                {
                    // Mostly plausible values with one awkward value now and then, so files are both read and refused.
                    cells[c] = rng.Next(24) == 0
                        ? awkward[rng.Next(awkward.Length)]
                        : (c switch { 1 => rng.Next(0, 33), 2 => rng.Next(0, 90_000), 3 => rng.NextDouble() * 90_000, 4 => rng.NextDouble() * 120, _ => rng.NextDouble() * 1e9 })
                            .ToString("R", System.Globalization.CultureInfo.InvariantCulture);
                }

                lines.Add(string.Join(";\t", cells));
            }

            string name = $"r{i}.csv" + (i % 3 == 0 ? ".gz" : string.Empty);
            string path = _files.Write(name, lines);
            long allocated = AllocatedReading(path, out Exception? error);
            worst = Math.Max(worst, allocated);
            Assert.True(allocated < FewMiB, $"{name}: allocated {allocated} bytes");
            if (error is null)
            {
                read++;
                VmWorkload vm = BitbrainsTraceReader.ReadFile(path);
                foreach (ResourceKind k in ResourceKinds.All)
                {
                    Assert.All(vm.GetDemand(k).ToArray(), x => Assert.True(double.IsFinite(x) && x >= 0, $"{name} {k}: {x}"));
                }
            }
            else
            {
                refused++;
                TraceFormatException e = Assert.IsType<TraceFormatException>(error);
                Assert.Contains(name, e.Message, StringComparison.Ordinal);
                Assert.Single(e.Message.Split('\n'));
            }
        }

        output.WriteLine($"300 random small files: read {read}, refused {refused}, worst allocation {worst} bytes");
        Assert.True(read > 10 && refused > 10, $"read {read}, refused {refused}, worst allocation {worst} bytes");
    }

    /// <summary>
    /// The real Bitbrains traces are not part of the project; this reads them where the workplace provides them
    /// (RESCOIN_TRACE_DIR, or ../shared/traces/bitbrains-rnd-2013-8 beside the repository).
    /// </summary>
    [SkippableFact]
    public void ReadDirectory_RealBitbrainsTraces_SurviveEveryAnomaly()
    {
        string? dir = RealTraceDirectory();
        Prerequisite.Require(dir is not null, "the Bitbrains traces (set RESCOIN_TRACE_DIR or put shared/traces beside the repository)");

        IReadOnlyList<string> files = BitbrainsTraceReader.ListFiles(dir!);
        string[] pick = files.Where(f => Path.GetFileName(f) is "1.csv.gz" or "20.csv.gz" or "2.csv.gz").ToArray();
        Assert.NotEmpty(pick);
        foreach (string f in pick)
        {
            VmWorkload vm = BitbrainsTraceReader.ReadFile(f);
            Assert.InRange(vm.Length, 8000, 9000); // ~30 days of 300 s, also for VM 20 with ~25.7k rows at 151 s
            foreach (ResourceKind k in ResourceKinds.All)
            {
                Assert.All(vm.GetDemand(k).ToArray(), x => Assert.True(double.IsFinite(x) && x >= 0));
            }
        }
    }

    internal static string? RealTraceDirectory()
    {
        string? env = Environment.GetEnvironmentVariable("RESCOIN_TRACE_DIR");
        if (!string.IsNullOrEmpty(env))
        {
            return System.IO.Directory.Exists(env) ? env : null;
        }

        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "ResCoin.sln")))
            {
                string candidate = Path.Combine(d.FullName, "..", "shared", "traces", "bitbrains-rnd-2013-8");
                return System.IO.Directory.Exists(candidate) ? candidate : null;
            }
        }

        return null;
    }
}
