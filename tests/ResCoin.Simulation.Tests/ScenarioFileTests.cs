namespace ResCoin.Simulation.Tests;

/// <summary>Scenario files: the shipped ones, every demand kind, and one-line errors that name the field.</summary>
public sealed class ScenarioFileTests : IDisposable
{
    private const double GiB = 1024d * 1024 * 1024;
    private readonly TraceFiles _files = new();

    public void Dispose() => _files.Dispose();

    private static SimulationScenario Parse(string json, string dir = ".") => ScenarioFile.Parse(json, dir, "s.json");

    private static string Shipped(string name) => Simulator.Evaluation.ReadShippedScenario(name);

    [Fact]
    public void BurstyVsHogs_TheIssuesScenarioPlusADatabase()
    {
        SimulationScenario s = Parse(Shipped("bursty-vs-hogs.json"));

        Assert.Equal("bursty-vs-hogs", s.Name);
        Assert.Equal(5400, s.Periods);
        Assert.Equal(TimeSpan.FromSeconds(8), s.Period);
        Assert.Equal(ResourceSet.Cpu, s.Resources);
        Assert.Equal(40, s.Capacity.Cpu);
        Assert.Equal(["hog", "burst", "db"], s.Groups);
        Assert.Equal(13, s.Vms.Count);
        Assert.Equal(["hog-1", "hog-2", "hog-3", "hog-4"], s.Vms.Take(4).Select(v => v.Name));
        Assert.Equal("db", s.Vms[12].Name);
        Assert.Equal(4, s.Templates[0].Cpu);
        Assert.Equal(2, s.Templates[4].Cpu);
        Assert.Equal(8, s.Templates[12].Cpu);
        Assert.Equal(5, s.Limits[4].Cpu);
        Assert.All(s.Vms[0].GetDemand(ResourceKind.Cpu).ToArray(), d => Assert.Equal(8, d));
        Assert.All(s.Vms[12].GetDemand(ResourceKind.Cpu).ToArray(), d => Assert.Equal(8, d));

        // A bursty VM idles at 0.2 and bursts to 5 for exactly 5 periods, about every 100 periods.
        double[] burst = s.Vms[4].GetDemand(ResourceKind.Cpu).ToArray();
        Assert.All(burst, d => Assert.True(d is 0.2 or 5, $"{d}"));
        int starts = 0;
        int run = 0;
        for (int t = 0; t < burst.Length; t++)
        {
            if (burst[t] == 5)
            {
                starts += run == 0 ? 1 : 0;
                run++;
            }
            else
            {
                Assert.True(run is 0 or 5, $"a burst of {run} periods ended at {t}");
                run = 0;
            }
        }

        Assert.InRange(starts, 30, 70); // 5400 / (100 + 5) ≈ 51
    }

    [Fact]
    public void MemoryAndDisk_UnitsAndEveryResourceKind()
    {
        SimulationScenario s = Parse(Shipped("memory-and-disk.json"));

        Assert.Equal(ResourceSet.Cpu | ResourceSet.Memory | ResourceSet.DiskRead | ResourceSet.DiskWrite, s.Resources);
        Assert.Equal(64 * GiB, s.Capacity.Memory);
        Assert.Equal(400 * 1024d * 1024, s.Capacity.DiskRead);
        Assert.Equal(16 * GiB, s.Templates[0].Memory);
        Assert.Equal(12.5 * 1024 * 1024, s.Templates[4].DiskWrite);
        Assert.Equal(24 * GiB, s.Limits[0].Memory);
        Assert.True(double.IsNaN(s.Limits[0].DiskRead));
        Assert.Equal(["db", "cache", "batch"], s.Groups);
        double max = s.Vms[2].GetDemand(ResourceKind.Memory).ToArray().Max();
        Assert.InRange(max, 4 * GiB, 20 * GiB); // the cache's random walk stays within [min, max]
    }

    [Fact]
    public void Parse_SameFileSameScenario_OtherSeedOtherDemand()
    {
        string json = Shipped("bursty-vs-hogs.json");
        Assert.Equal(Parse(json).Vms[5].GetDemand(ResourceKind.Cpu).ToArray(), Parse(json).Vms[5].GetDemand(ResourceKind.Cpu).ToArray());
        Assert.NotEqual(Parse(json).Vms[5].GetDemand(ResourceKind.Cpu).ToArray(), Parse(json.Replace("\"seed\": 7", "\"seed\": 8", StringComparison.Ordinal)).Vms[5].GetDemand(ResourceKind.Cpu).ToArray());
        Assert.NotEqual(Parse(json).Vms[5].GetDemand(ResourceKind.Cpu).ToArray(), Parse(json).Vms[6].GetDemand(ResourceKind.Cpu).ToArray());
    }

    [Fact]
    public void Parse_MissingTemplatesShareWhatIsLeft_DefaultsApply()
    {
        SimulationScenario s = Parse("""
            { "periods": 10, "capacity": { "cpu": 10 }, // comments and trailing commas are fine
              "groups": [ { "name": "a", "template": { "cpu": 4 } }, { "name": "b", "count": 3, }, ] }
            """);

        Assert.Equal(TimeSpan.FromSeconds(ScenarioFile.DefaultPeriodSeconds), s.Period);
        Assert.Equal(4, s.Templates[0].Cpu);
        Assert.Equal(2, s.Templates[1].Cpu, 12);
        Assert.Equal(2, s.Templates[3].Cpu, 12);
        Assert.Equal(0, s.Vms[1].GetDemand(ResourceKind.Cpu)[5]); // no demand given: idle
        Assert.Equal("s", s.Name);
    }

    [Fact]
    public void Parse_DiurnalAndRandomWalk_StayInRange()
    {
        SimulationScenario s = Parse("""
            { "periods": 500, "capacity": { "cpu": 10 }, "groups": [
              { "name": "d", "demand": { "cpu": { "kind": "diurnal", "mean": 2, "amplitude": 1, "cyclePeriods": 100 } } },
              { "name": "w", "demand": { "cpu": { "kind": "randomwalk", "start": 1, "step": 0.5, "min": 0.5, "max": 3 } } } ] }
            """);

        double[] d = s.Vms[0].GetDemand(ResourceKind.Cpu).ToArray();
        Assert.Equal(2, d[0], 9);
        Assert.Equal(3, d[25], 9); // noise 0 by default: the sine's peak a quarter cycle in
        Assert.Equal(1, d[75], 9);
        Assert.All(s.Vms[1].GetDemand(ResourceKind.Cpu).ToArray(), x => Assert.InRange(x, 0.5, 3));
    }

    [Fact]
    public void Parse_Trace_RelativeToTheFile_WrapsAround_ScaledAndOffset()
    {
        _files.Write("7.csv", [
            TraceFiles.Row(1_375_308_176, 2, 5200, 2600, 1000, 10),
            TraceFiles.Row(1_375_308_476, 2, 5200, 5200, 1000, 10),
            TraceFiles.Row(1_375_308_776, 2, 5200, 1300, 1000, 10)]);
        string dir = Path.Combine(_files.Directory, "scenarios");
        Directory.CreateDirectory(dir);

        SimulationScenario s = Parse("""
            { "periods": 5, "capacity": { "cpu": 8 }, "groups": [
              { "name": "t", "count": 2, "demand": { "cpu": { "kind": "trace", "file": "../7.csv", "scale": 2, "offset": 1 } } } ] }
            """, dir);

        // Trace cores: 1, 2, 0.5 (MHz / 2600 per core); offset 1, doubled, repeated: 4, 1, 2, 4, 1.
        Assert.Equal([4, 1, 2, 4, 1], s.Vms[0].GetDemand(ResourceKind.Cpu).ToArray());
        Assert.Equal([4, 1, 2, 4, 1], s.Vms[1].GetDemand(ResourceKind.Cpu).ToArray());

        // A directory: VM k replays the k-th file.
        _files.Write("8.csv", [TraceFiles.Row(1_375_308_176, 1, 2600, 2600, 1000, 10), TraceFiles.Row(1_375_308_476, 1, 2600, 2600, 1000, 10)]);
        s = Parse("""{ "periods": 2, "capacity": { "cpu": 8 }, "groups": [ { "name": "t", "count": 3, "demand": { "cpu": { "kind": "trace", "file": ".." } } } ] }""", dir);
        Assert.Equal([1, 2], s.Vms[0].GetDemand(ResourceKind.Cpu).ToArray());
        Assert.Equal([1, 1], s.Vms[1].GetDemand(ResourceKind.Cpu).ToArray());
        Assert.Equal([1, 2], s.Vms[2].GetDemand(ResourceKind.Cpu).ToArray());
    }

    [Fact]
    public void Load_PeriodsOverride_CutsTheScenario()
    {
        string path = Path.Combine(_files.Directory, "b.json");
        File.WriteAllText(path, Shipped("bursty-vs-hogs.json"));
        Assert.Equal(120, ScenarioFile.Load(path, 120).Periods);
        ScenarioFormatException e = Assert.Throws<ScenarioFormatException>(() => ScenarioFile.Load(path, 6000));
        Assert.Equal("periods", e.Field);
    }

    [Fact]
    public void Load_MissingFile_OneLine()
    {
        ScenarioFormatException e = Assert.Throws<ScenarioFormatException>(() => ScenarioFile.Load(Path.Combine(_files.Directory, "nope.json")));
        Assert.EndsWith("nope.json: file not found", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "periods": 10, "capacity": { "cpu": 4 }, "groups": [ { "name": "a" }, { "name": "b", "demand": { "cpu": { "kind": "onoff", "idle": 0, "burst": -1, "burstPeriods": 5, "meanGapPeriods": 100 } } } ] }""", "groups[1].demand.cpu.burst: must be >= 0 (was -1)")]
    [InlineData("""{ "capacity": { "cpu": 4 }, "groups": [ { "name": "a" } ] }""", "periods: is required")]
    [InlineData("""{ "periods": 1.5, "capacity": { "cpu": 4 }, "groups": [ { "name": "a" } ] }""", "periods: must be an integer")]
    [InlineData("""{ "periods": 1, "capacity": { "cpu": 4 }, "groups": [ { "name": "a" } ] }""", "periods: must be between 2 and")]
    [InlineData("""{ "periods": 10, "capacity": { "cpu": 4 }, "groups": [ { "name": "a", "tempalte": { "cpu": 1 } } ] }""", "groups[0].tempalte: unknown field; valid here: name, description, count, template, limit, demand")]
    [InlineData("""{ "periods": 10, "capacity": { "gpu": 4 }, "groups": [ { "name": "a" } ] }""", "capacity.gpu: unknown resource; valid: cpu, memory, diskRead, diskWrite, netRx, netTx")]
    [InlineData("""{ "periods": 10, "capacity": { "cpu": 0 }, "groups": [ { "name": "a" } ] }""", "capacity: give at least one resource")]
    [InlineData("""{ "periods": 10, "capacity": { "cpu": 4 }, "groups": [] }""", "groups: must be a non-empty array")]
    [InlineData("""{ "periods": 10, "capacity": { "cpu": 4 }, "groups": [ { "name": "a", "demand": { "cpu": { "kind": "sine" } } } ] }""", "groups[0].demand.cpu.kind: unknown kind 'sine'; valid: constant, onoff, diurnal, randomwalk, trace")]
    [InlineData("""{ "periods": 10, "capacity": { "cpu": 4 }, "groups": [ { "name": "a", "demand": { "cpu": { "kind": "constant" } } } ] }""", "groups[0].demand.cpu.level: is required")]
    [InlineData("""{ "periods": 10, "capacity": { "cpu": 4 }, "groups": [ { "name": "a", "demand": { "cpu": { "kind": "constant", "level": 1, "burst": 2 } } } ] }""", "groups[0].demand.cpu.burst: unknown field; valid here: kind, level, noise")]
    [InlineData("""{ "periods": 10, "capacity": { "cpu": 4 }, "groups": [ { "name": "a", "count": 3, "template": { "cpu": 2 } } ] }""", "groups: the cpu templates add up to 6 (count x template), more than capacity.cpu 4")]
    [InlineData("""{ "periods": 10, "capacity": { "cpu": 4 }, "groups": [ { "name": "a", "demand": { "memory": { "kind": "constant", "level": 1 } } } ] }""", "groups[0].demand.memory: the host has no memory capacity; add capacity.memory or remove this")]
    [InlineData("""{ "periods": 10, "capacity": { "cpu": 4 }, "groups": [ { "name": "a", "template": { "cpu": 3 }, "limit": { "cpu": 2 } } ] }""", "groups[0].template.cpu: 3 is above the group's limit 2")]
    [InlineData("""{ "periods": 10, "capacity": { "cpu": 4 }, "groups": [ { "name": "a", "limit": { "cpu": 0 } } ] }""", "groups[0].limit.cpu: must be > 0 (was 0)")]
    [InlineData("""{ "periods": 10, "capacity": { "cpu": 4, "memory": "8 GB/x" }, "groups": [ { "name": "a" } ] }""", "capacity.memory: '8 GB/x' is not an amount")]
    [InlineData("""{ "periods": 10, "capacity": { "cpu": 4 }, "groups": [ { "name": "a" }, { "name": "a" } ] }""", "groups[1].name: another group is already named 'a'")]
    [InlineData("""{ "periods": 10, "capacity": { "cpu": 4 }, "groups": [ { "name": "a b" } ] }""", "groups[0].name: must be 1 to 64 letters")]
    [InlineData("""{ "periods": 10, "capacity": { "cpu": 4 }, "groups": [ { "name": "a", "count": "2" } ] }""", "groups[0].count: must be an integer")]
    [InlineData("""{ "periods": 10, "capacity": { "cpu": 4 }, "groups": [ { "name": "a", "demand": { "cpu": { "kind": "trace", "file": "missing.csv" } } } ] }""", "groups[0].demand.cpu.file: not found: missing.csv")]
    [InlineData("""{ "periods": 10, "capacity": { "cpu": 4 }, "groups": [ { "name": "a", "demand": { "cpu": { "kind": "randomwalk", "start": 1, "step": 1, "min": 2, "max": 1 } } } ] }""", "groups[0].demand.cpu.max: must be >= min (2)")]
    [InlineData("""{ "periods": 10, "capacity": { "cpu": 4 }, "capacity": { "cpu": 5 }, "groups": [ { "name": "a" } ] }""", "capacity: given twice")]
    [InlineData("""[ 1, 2 ]""", "s.json: the file must hold one JSON object")]
    [InlineData("""{ "periods": 10, "capacity": { "cpu": 4 }, "groups": [ { "name": "a" } """, "s.json: line 1, column")]
    public void Parse_BadField_OneLineNamingIt(string json, string expected)
    {
        ScenarioFormatException e = Assert.Throws<ScenarioFormatException>(() => Parse(json));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.StartsWith("s.json: ", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Parse_BadTraceFile_NamesTheFieldAndTheTraceLine()
    {
        _files.Write("1.csv", [TraceFiles.Row(1_375_308_176, 1, 2600, 100, 1000, 10), "1375308476;\t1;\t2600;\toops;\t1;\t1000;\t10;\t0;\t0;\t0;\t0"]);
        ScenarioFormatException e = Assert.Throws<ScenarioFormatException>(() => Parse(
            """{ "periods": 2, "capacity": { "cpu": 4 }, "groups": [ { "name": "a", "demand": { "cpu": { "kind": "trace", "file": "1.csv" } } } ] }""",
            _files.Directory));
        Assert.Contains("groups[0].demand.cpu.file: ", e.Message, StringComparison.Ordinal);
        Assert.Contains("1.csv:3:", e.Message, StringComparison.Ordinal);
    }
}
