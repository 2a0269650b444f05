using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ResCoin.Actuation;
using ResCoin.Cgroups.Ksm;

namespace ResCoin.Cgroups.Tests.Ksm;

/// <summary>The KSM rule (pure) and the controller on a fixture tree: writes, journal, restore, crash recovery, dry run, metrics.</summary>
public sealed class KsmControllerTests : IDisposable
{
    private const long GiB = 1024L * 1024 * 1024;
    private readonly FixtureTree _tree = FixtureTree.Empty();
    private readonly string _journal = Path.Combine(Path.GetTempPath(), $"rescoin-ksm-journal-{Guid.NewGuid():N}.json");

    public KsmControllerTests()
    {
        WriteKsm(run: 0, pages: 100, sleep: 20);
        _tree.Write("/sys/kernel/mm/ksm/pages_shared", "120\n");
        _tree.Write("/sys/kernel/mm/ksm/pages_sharing", "4000\n");
        _tree.Write("/sys/kernel/mm/ksm/full_scans", "7\n");
        _tree.Write("/proc/37/comm", "ksmd\n");
        _tree.Write("/proc/37/stat", "37 (ksmd) S 2 0 0 0 -1 2097216 0 0 0 0 250 130 0 0 25 5 1 0 28 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 1 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
        _tree.Write("/proc/1/comm", "init\n");
        SetMemory(totalGiB: 16, availableGiB: 12, anonGiB: 2);
    }

    public void Dispose()
    {
        _tree.Dispose();
        File.Delete(_journal);
        File.Delete(_journal + ".lock");
    }

    [Fact]
    public void Decide_PlentyFreeLittleAnonymous_StopsAndLeavesTheTuningAlone()
    {
        KsmDecision d = KsmController.Decide(new KsmOptions(), 16 * GiB, 12 * GiB, 2 * GiB, pagesToScan: 333, sleepMilliseconds: 44);
        Assert.False(d.Run);
        Assert.False(d.UnderPressure);
        Assert.Equal(333, d.PagesToScan);
        Assert.Equal(44, d.SleepMilliseconds);
    }

    [Fact]
    public void Decide_FreeBelowThreshold_RunsBoostsAndScalesSleepToMemory()
    {
        var o = new KsmOptions();
        KsmDecision d = KsmController.Decide(o, 32 * GiB, 6 * GiB, 2 * GiB, pagesToScan: 100, sleepMilliseconds: 20);
        Assert.True(d.Run);
        Assert.True(d.UnderPressure);
        Assert.Equal(400, d.PagesToScan); // +300
        Assert.Equal(5, d.SleepMilliseconds); // 10 ms × 16 GiB / 32 GiB
        Assert.Equal((long)(32 * GiB * 0.2), d.ThresholdBytes);

        // Boosting stops at the maximum.
        Assert.Equal(o.MaxPagesToScan, KsmController.Decide(o, 32 * GiB, 6 * GiB, 0, 1200, 20).PagesToScan);
    }

    [Fact]
    public void Decide_MuchAnonymousMemoryButFreeAboveThreshold_RunsAndDecaysToTheMinimum()
    {
        var o = new KsmOptions();
        KsmDecision d = KsmController.Decide(o, 16 * GiB, 8 * GiB, 14 * GiB, pagesToScan: 100, sleepMilliseconds: 20);
        Assert.True(d.Run);
        Assert.False(d.UnderPressure);
        Assert.Equal(64, d.PagesToScan); // 100 - 50 → kept at 64
        Assert.Equal(10, d.SleepMilliseconds);
    }

    [Fact]
    public void Decide_SmallHost_SleepIsCappedByMaxSleep()
    {
        var o = new KsmOptions { MaxSleepMilliseconds = 100 };
        Assert.Equal(100, KsmController.Decide(o, GiB / 4, 0, 0, 100, 20).SleepMilliseconds); // 10 × 64 = 640 → 100
    }

    [Fact]
    public void Step_UnderPressure_WritesTuningThenRunJournalsOriginalsAndRestoreBringsThemBack()
    {
        SetMemory(totalGiB: 16, availableGiB: 1, anonGiB: 10);
        using (KsmController ksm = Create())
        {
            KsmDecision d = ksm.Step();
            Assert.True(d.Run);
            Assert.Equal("1", Read("run"));
            Assert.Equal("400", Read("pages_to_scan"));
            Assert.Equal("10", Read("sleep_millisecs"));

            using SettingsJournal journal = SettingsJournal.Open(_journal);
            Assert.True(journal.TryGetOriginal(KsmController.JournalKey, "run", out string run));
            Assert.Equal("0", run);
            Assert.True(journal.TryGetOriginal(KsmController.JournalKey, "pages_to_scan", out string pages));
            Assert.Equal("100", pages);

            // Still under pressure: boosts again, the originals stay the first ones.
            ksm.Step();
            Assert.Equal("700", Read("pages_to_scan"));
            Assert.Equal("100", Get("pages_to_scan"));
            Assert.Equal(4000, ksm.LastStatus!.Value.PagesSharing);
            Assert.Equal(3.8, ksm.LastStatus!.Value.KsmdCpuSeconds, 6); // (250 + 130) ticks / 100

            ksm.Restore();
        }

        Assert.Equal("0", Read("run"));
        Assert.Equal("100", Read("pages_to_scan"));
        Assert.Equal("20", Read("sleep_millisecs"));
        Assert.Equal(0, JournalCount());
    }

    [Fact]
    public void Step_FreeMemoryReturns_StopsKsm()
    {
        SetMemory(totalGiB: 16, availableGiB: 1, anonGiB: 10);
        using KsmController ksm = Create(o => o.FreeAverageSamples = 1);
        Assert.True(ksm.Step().Run);
        SetMemory(totalGiB: 16, availableGiB: 12, anonGiB: 2);
        Assert.False(ksm.Step().Run);
        Assert.Equal("0", Read("run"));
        Assert.Equal("400", Read("pages_to_scan")); // left as it was
    }

    [Fact]
    public void Step_FreeMemoryIsAveraged_OneGoodSampleDoesNotStopKsm()
    {
        SetMemory(totalGiB: 16, availableGiB: 1, anonGiB: 2);
        using KsmController ksm = Create(o => o.FreeAverageSamples = 3);
        Assert.True(ksm.Step().Run);
        Assert.True(ksm.Step().Run);
        SetMemory(totalGiB: 16, availableGiB: 4, anonGiB: 2); // average (1 + 1 + 4) / 3 = 2 GiB < 3.2 GiB
        KsmDecision d = ksm.Step();
        Assert.True(d.Run);
        Assert.Equal(2 * GiB, d.AverageFreeBytes);
    }

    [Fact]
    public void Step_AfterCrash_FirstStepRestoresTheJournalBeforeDeciding()
    {
        SetMemory(totalGiB: 16, availableGiB: 1, anonGiB: 10);
        using (KsmController crashed = Create())
        {
            crashed.Step(); // no Restore: the process "dies"
        }

        Assert.Equal("400", Read("pages_to_scan"));
        SetMemory(totalGiB: 16, availableGiB: 12, anonGiB: 2);
        using KsmController next = Create();
        Assert.False(next.Step().Run);
        Assert.Equal("0", Read("run"));
        Assert.Equal("100", Read("pages_to_scan")); // the original, put back before the rule ran
        Assert.Equal("20", Read("sleep_millisecs"));
        Assert.Equal(0, JournalCount());
    }

    [Fact]
    public void Step_DryRun_WritesNothingNotEvenTheJournal()
    {
        SetMemory(totalGiB: 16, availableGiB: 1, anonGiB: 10);
        using KsmController ksm = Create(o => o.DryRun = true);
        KsmDecision d = ksm.Step();
        Assert.True(d.Run);
        Assert.Equal("0", Read("run"));
        Assert.Equal("100", Read("pages_to_scan"));
        Assert.False(File.Exists(_journal));
    }

    [Fact]
    public void Step_NoKsmInTheKernel_FailsNamingTheFile()
    {
        File.Delete(_tree.Physical("/sys/kernel/mm/ksm/run"));
        using KsmController ksm = Create();
        InvalidOperationException ex = Assert.Throws<InvalidOperationException>(() => ksm.Step());
        Assert.Contains("/sys/kernel/mm/ksm/run", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Step_GarbageInAKsmFile_FailsNamingFileAndLine()
    {
        _tree.Write("/sys/kernel/mm/ksm/pages_to_scan", "lots\n");
        using KsmController ksm = Create();
        CgroupFormatException ex = Assert.Throws<CgroupFormatException>(() => ksm.Step());
        Assert.Contains("/sys/kernel/mm/ksm/pages_to_scan line 1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Metrics_AfterAStep_ReportSharingScansAndKsmdCpu()
    {
        using KsmController ksm = Create();
        ksm.Step();
        var seen = new Dictionary<string, double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name.StartsWith("rescoin.ksm.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((i, v, _, _) => seen[i.Name] = v);
        listener.Start();
        listener.RecordObservableInstruments();
        Assert.Equal(120, seen["rescoin.ksm.pages_shared"]);
        Assert.Equal(4000, seen["rescoin.ksm.pages_sharing"]);
        Assert.Equal(4000.0 * Environment.SystemPageSize, seen["rescoin.ksm.memory.saved"]);
        Assert.Equal(7, seen["rescoin.ksm.full_scans"]);
        Assert.Equal(3.8, seen["rescoin.ksm.cpu.time"], 6);
        Assert.Equal(0, seen["rescoin.ksm.run"]);
        Assert.Equal(100, seen["rescoin.ksm.pages_to_scan"]);
    }

    [Fact]
    public void Metrics_BeforeTheFirstStepAndForCountersTheKernelLacks_ReportNothing()
    {
        File.Delete(_tree.Physical("/sys/kernel/mm/ksm/full_scans"));
        using KsmController ksm = Create();
        var seen = new Dictionary<string, double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name.StartsWith("rescoin.ksm.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((i, v, _, _) => seen[i.Name] = v);
        listener.Start();
        listener.RecordObservableInstruments();
        Assert.Empty(seen);
        Assert.Null(ksm.LastStatus);

        ksm.Step();
        Assert.True(double.IsNaN(ksm.LastStatus!.Value.FullScans));
        listener.RecordObservableInstruments();
        Assert.False(seen.ContainsKey("rescoin.ksm.full_scans"));
        Assert.Equal(4000, seen["rescoin.ksm.pages_sharing"]);
    }

    [Fact]
    public void Options_MinAboveMaxAndBadPeriod_FailOnStartNamingTheKeys()
    {
        var services = new ServiceCollection();
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        services.AddResCoinKsm(o =>
        {
            o.MinPagesToScan = 2000;
            o.Period = TimeSpan.Zero;
            o.FreeFraction = 2;
        });
        using ServiceProvider sp = services.BuildServiceProvider();
        OptionsValidationException ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<KsmOptions>>().Value);
        string all = string.Join(" | ", ex.Failures);
        Assert.Contains("MinPagesToScan", all, StringComparison.Ordinal);
        Assert.Contains("Period", all, StringComparison.Ordinal);
        Assert.Contains("FreeFraction", all, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddResCoinKsm_HostedService_StepsAndRestoresOnStop()
    {
        SetMemory(totalGiB: 16, availableGiB: 1, anonGiB: 10);
        var services = new ServiceCollection();
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        services.AddResCoinKsm(o =>
        {
            o.HostRoot = _tree.Root;
            o.JournalPath = _journal;
            o.Period = TimeSpan.FromMilliseconds(100);
        });
        services.AddResCoinKsm(); // harmless second call
        await using ServiceProvider sp = services.BuildServiceProvider();
        IHostedService[] hosted = [.. sp.GetServices<IHostedService>()];
        Assert.Single(hosted);
        await hosted[0].StartAsync(CancellationToken.None);
        for (int i = 0; i < 100 && Read("run") != "1"; i++)
        {
            await Task.Delay(20);
        }

        Assert.Equal("1", Read("run"));
        await hosted[0].StopAsync(CancellationToken.None);
        Assert.Equal("0", Read("run"));
        Assert.Equal("100", Read("pages_to_scan"));
    }

    private string Get(string setting)
    {
        using SettingsJournal journal = SettingsJournal.Open(_journal);
        return journal.TryGetOriginal(KsmController.JournalKey, setting, out string v) ? v : "(none)";
    }

    private int JournalCount()
    {
        using SettingsJournal journal = SettingsJournal.Open(_journal);
        return journal.Count;
    }

    private KsmController Create(Action<KsmOptions>? configure = null)
    {
        var o = new KsmOptions { HostRoot = _tree.Root, JournalPath = _journal };
        configure?.Invoke(o);
        return new KsmController(o, _tree.FileSystem, null, null);
    }

    private string Read(string name) => _tree.Read("/sys/kernel/mm/ksm/" + name).Trim();

    private void WriteKsm(int run, int pages, int sleep)
    {
        _tree.Write("/sys/kernel/mm/ksm/run", run.ToString(CultureInfo.InvariantCulture) + "\n");
        _tree.Write("/sys/kernel/mm/ksm/pages_to_scan", pages.ToString(CultureInfo.InvariantCulture) + "\n");
        _tree.Write("/sys/kernel/mm/ksm/sleep_millisecs", sleep.ToString(CultureInfo.InvariantCulture) + "\n");
    }

    private void SetMemory(long totalGiB, long availableGiB, long anonGiB)
        => _tree.Write("/proc/meminfo", string.Create(CultureInfo.InvariantCulture,
            $"MemTotal:       {totalGiB * 1024 * 1024} kB\nMemFree:        {availableGiB * 1024 * 1024} kB\nMemAvailable:   {availableGiB * 1024 * 1024} kB\nAnonPages:      {anonGiB * 1024 * 1024} kB\n"));
}
