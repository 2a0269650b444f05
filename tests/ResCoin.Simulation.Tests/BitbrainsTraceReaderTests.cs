using ResCoin.Testing;

namespace ResCoin.Simulation.Tests;

public sealed class BitbrainsTraceReaderTests : IDisposable
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
