using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ResCoin.Scheduling.Tests;

public sealed class ResCoinControllerTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly FakeActuator _actuator = new();
    private readonly EchoPredictor _predictor = new();
    private readonly ListLogger<ResCoinController> _logger = new();
    private readonly FakeMonitor _monitor;

    public ResCoinControllerTests() => _monitor = new FakeMonitor(_time);

    private ResCoinController Create(Action<ResCoinOptions>? configure = null, IAllocator? allocator = null)
    {
        // The controller mechanics are tested with the prototype's sliding window and caps on every resource; the bucket
        // and weights have their own tests (CreditBucketTests, WeightedAllocationTests).
        var options = new ResCoinOptions { Window = 3, Resources = ResourceSet.Cpu | ResourceSet.Memory, Headroom = HeadroomPolicy.None, CreditMode = CreditMode.SlidingWindow, WeightedResources = ResourceSet.None };
        configure?.Invoke(options);
        return new ResCoinController(_monitor, _predictor, allocator ?? new CreditAllocator(options.Headroom), _actuator, options, _time, _logger);
    }

    [Fact]
    public async Task RunPeriodAsync_TwoVms_DefaultTemplatesSplitCapacityAndPlanApplied()
    {
        _monitor.Vms["a"] = new ResourceVector(1, 2e9);
        _monitor.Vms["b"] = new ResourceVector(6, 1e9);
        await using ResCoinController controller = Create();

        Assert.True((await controller.RunPeriodAsync(CancellationToken.None)).Succeeded);

        ControllerPeriod p = controller.LastPeriod;
        Assert.Equal(1, p.Index);
        Assert.Equal(_time.GetUtcNow(), p.Timestamp);
        Assert.Equal(ResourceSet.Cpu | ResourceSet.Memory, p.Resources);
        Assert.Equal(8, p.Capacity.Cpu);
        Assert.True(double.IsNaN(p.Capacity.DiskRead));
        Assert.Equal(2, p.Count);
        int a = p.IndexOf(new VmId("a"));
        int b = p.IndexOf(new VmId("b"));
        Assert.Equal(4, p.Templates[a].Cpu);
        Assert.Equal(8e9, p.Templates[b].Memory);
        Assert.Equal(3, p.Credits[a].Cpu);
        Assert.Equal(-2, p.Credits[b].Cpu);

        // Echo predictor: estimates = usage; a wants 1, b wants 6: 7 <= 8, no contention, no headroom.
        Assert.Equal(1, p.Caps[a].Cpu, 12);
        Assert.Equal(6, p.Caps[b].Cpu, 12);
        Assert.True(double.IsNaN(p.Caps[a].DiskRead));
        var plan = Assert.Single(_actuator.Plans);
        Assert.Equal(p.Caps[b], plan.Single(x => x.Vm == new VmId("b")).Allocation);
    }

    [Fact]
    public async Task RunPeriodAsync_VmAppears_StartsWithZeroCreditWhileOthersKeepTheirs()
    {
        _monitor.Vms["a"] = new ResourceVector(1, 0);
        await using ResCoinController controller = Create(o => o.Capacity.Cpu = 8);
        await controller.RunPeriodAsync(default);
        Assert.Equal(7, controller.LastPeriod.Credits[0].Cpu); // template 8 (alone), used 1

        _monitor.Vms["b"] = new ResourceVector(2, 0);
        await controller.RunPeriodAsync(default);
        ControllerPeriod p = controller.LastPeriod;
        Assert.Equal(2, p.Count);
        Assert.Equal(7 + 3, p.Credits[p.IndexOf(new VmId("a"))].Cpu); // template now 4
        Assert.Equal(2, p.Credits[p.IndexOf(new VmId("b"))].Cpu); // one term: 4 - 2
        Assert.Contains(_logger.Entries, e => e.Message.Contains("VM b appeared", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunPeriodAsync_VmVanishes_SlotAndCreditResetNotInheritedByNextVm()
    {
        _monitor.Vms["a"] = new ResourceVector(1, 0);
        _monitor.Vms["b"] = new ResourceVector(0, 0);
        await using ResCoinController controller = Create(o => o.Capacity.Cpu = 8);
        await controller.RunPeriodAsync(default);
        await controller.RunPeriodAsync(default);
        Assert.Equal(8, controller.LastPeriod.Credits[controller.LastPeriod.IndexOf(new VmId("b"))].Cpu); // 2 × (4 - 0)

        _monitor.Vms.Remove("b");
        await controller.RunPeriodAsync(default);
        Assert.Equal(1, controller.LastPeriod.Count);
        Assert.Equal(-1, controller.LastPeriod.IndexOf(new VmId("b")));
        Assert.Contains(_logger.Entries, e => e.Message.Contains("VM b vanished (slot 1", StringComparison.Ordinal));
        Assert.Contains(1, _predictor.Resets);

        // c takes slot 1 and starts from scratch: one term of (4 - 3), nothing of b's 8.
        _monitor.Vms["c"] = new ResourceVector(3, 0);
        _predictor.Resets.Clear();
        await controller.RunPeriodAsync(default);
        ControllerPeriod p = controller.LastPeriod;
        Assert.Equal(1, p.Credits[p.IndexOf(new VmId("c"))].Cpu);
        Assert.Equal([1], _predictor.Resets);

        // And b coming back is a new VM too.
        _monitor.Vms["b"] = new ResourceVector(0, 0);
        await controller.RunPeriodAsync(default);
        p = controller.LastPeriod;
        Assert.Equal(8.0 / 3, p.Credits[p.IndexOf(new VmId("b"))].Cpu, 12);
    }

    [Fact]
    public async Task RunPeriodAsync_MonitorThrows_LoggedReturnsFalseAndNextPeriodRuns()
    {
        _monitor.Vms["a"] = new ResourceVector(1, 0);
        await using ResCoinController controller = Create();
        _monitor.Throw = new IOException("libvirt went away");

        PeriodResult failed = await controller.RunPeriodAsync(default);
        Assert.False(failed.Succeeded);
        Assert.Equal(PeriodStage.Monitor, failed.FailedStage);
        Assert.IsType<IOException>(failed.Error);
        Assert.Contains(_logger.Entries, e => e.Level == LogLevel.Error && e.Exception is IOException);
        Assert.Empty(_actuator.Plans);
        Assert.Equal(0, controller.LastPeriod.Index);

        Assert.True((await controller.RunPeriodAsync(default)).Succeeded);
        Assert.Single(_actuator.Plans);
        Assert.Equal(1, controller.LastPeriod.Index);
    }

    [Fact]
    public async Task RunPeriodAsync_PredictorOrActuatorThrows_LoggedReturnsFalseAndNextPeriodRuns()
    {
        _monitor.Vms["a"] = new ResourceVector(1, 0);
        await using ResCoinController controller = Create();
        _predictor.Throw = new InvalidOperationException("predictor bug");
        Assert.False((await controller.RunPeriodAsync(default)).Succeeded);
        Assert.Contains(_logger.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("computing the allocation failed", StringComparison.Ordinal));

        _actuator.Throw = new InvalidOperationException("virDomainSetBlockIoTune failed");
        PeriodResult actuate = await controller.RunPeriodAsync(default);
        Assert.Equal(PeriodStage.Actuate, actuate.FailedStage);
        Assert.True(actuate.Computed);
        Assert.Equal(1, actuate.VmCount);
        Assert.Contains(_logger.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("actuator failed", StringComparison.Ordinal));

        Assert.True((await controller.RunPeriodAsync(default)).Succeeded);
        Assert.Single(_actuator.Plans);
    }

    [Fact]
    public async Task RunPeriodAsync_Observers_SeeEveryPeriodEvenWhenOneThrows()
    {
        _monitor.Vms["a"] = new ResourceVector(1, 0);
        var seen = new RecordingObserver();
        var options = new ResCoinOptions { Resources = ResourceSet.Cpu };
        await using var controller = new ResCoinController(_monitor, _predictor, new CreditAllocator(), _actuator, options, _time, _logger, observers: [new ThrowingObserver(), seen]);

        await controller.RunPeriodAsync(default);
        _monitor.Throw = new IOException("gone");
        await controller.RunPeriodAsync(default);
        _monitor.Throw = null;
        await controller.RunPeriodAsync(default);

        Assert.Equal([(1L, PeriodStage.None, 1), (2L, PeriodStage.Monitor, 0), (3L, PeriodStage.None, 1)], seen.Results);
        Assert.Equal(3, _logger.Entries.Count(e => e.Message.Contains("ThrowingObserver", StringComparison.Ordinal)));
    }

    private sealed class RecordingObserver : IPeriodObserver
    {
        public List<(long, PeriodStage, int)> Results { get; } = [];

        public void OnPeriodCompleted(in PeriodResult result, ControllerPeriod period) => Results.Add((result.Index, result.FailedStage, result.Computed ? period.Count : 0));
    }

    private sealed class ThrowingObserver : IPeriodObserver
    {
        public void OnPeriodCompleted(in PeriodResult result, ControllerPeriod period) => throw new InvalidOperationException("observer bug");
    }

    [Fact]
    public async Task RunPeriodAsync_NaNUsage_CreditNotUpdatedAndEstimateRepeated()
    {
        _monitor.Vms["a"] = new ResourceVector(1, 0);
        await using ResCoinController controller = Create(o => o.Capacity.Cpu = 4);
        await controller.RunPeriodAsync(default);
        _monitor.Vms["a"] = new ResourceVector(double.NaN, 0);
        await controller.RunPeriodAsync(default);
        Assert.Equal(3, controller.LastPeriod.Credits[0].Cpu);
        Assert.Equal(1, controller.LastPeriod.Estimates[0].Cpu);

        _monitor.Vms["a"] = new ResourceVector(double.PositiveInfinity, 0);
        Assert.True((await controller.RunPeriodAsync(default)).Succeeded);
        Assert.Equal(3, controller.LastPeriod.Credits[0].Cpu);
        Assert.Contains(_logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("invalid cpu usage", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunPeriodAsync_ConfiguredCapacityReserveAndTemplates_Applied()
    {
        _monitor.Vms["a"] = new ResourceVector(10, 0);
        _monitor.Vms["b"] = new ResourceVector(10, 0);
        await using ResCoinController controller = Create(o =>
        {
            o.Capacity.Cpu = 12;
            o.Reserve.Cpu = 2;
            o.Templates["a"] = new ResourceAmounts { Cpu = 7 };
            o.DryRun = true;
        });
        await controller.RunPeriodAsync(default);
        ControllerPeriod p = controller.LastPeriod;
        Assert.Equal(10, p.Capacity.Cpu);
        Assert.Equal(7, p.Templates[p.IndexOf(new VmId("a"))].Cpu);
        Assert.Equal(5, p.Templates[p.IndexOf(new VmId("b"))].Cpu); // default: 10 / 2
        Assert.Equal(16e9, p.Capacity.Memory); // from the monitor
        Assert.True(_actuator.DryRuns.Single());
        Assert.Equal(10, p.Caps[0].Cpu + p.Caps[1].Cpu, 9);
    }

    [Fact]
    public async Task RunPeriodAsync_ResourceWithoutCapacity_NotScheduled()
    {
        _monitor.Vms["a"] = new ResourceVector(1, 0, 5);
        _monitor.HostCapacity = new ResourceVector(8, 16e9, double.NaN);
        await using ResCoinController controller = Create(o => o.Resources = ResourceSet.Cpu | ResourceSet.DiskRead);
        await controller.RunPeriodAsync(default);
        Assert.Equal(ResourceSet.Cpu, controller.LastPeriod.Resources);
        Assert.Contains(_logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("Resources scheduled changed to Cpu", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunPeriodAsync_CapacityUnreadable_HeldThenReleasedByRestoreThenScheduledAgain()
    {
        _monitor.Vms["a"] = new ResourceVector(1, 1e9);
        await using ResCoinController controller = Create(o => { o.Period = TimeSpan.FromSeconds(5); o.CapacityHold = TimeSpan.FromSeconds(12); });
        await controller.RunPeriodAsync(default);

        // The monitor stops reporting the CPU capacity: the last good value (8) is held for 12 s.
        _monitor.HostCapacity = new ResourceVector(double.NaN, 16e9, 1e8, 1e8, 1e8, 1e8);
        for (int i = 0; i < 2; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(5));
            Assert.True((await controller.RunPeriodAsync(default)).Succeeded);
            Assert.Equal(ResourceSet.Cpu | ResourceSet.Memory, controller.LastPeriod.Resources);
            Assert.Equal(8, controller.LastPeriod.Capacity.Cpu);
        }

        Assert.Single(_logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("no usable cpu capacity", StringComparison.Ordinal));
        Assert.Equal(0, _actuator.Restores);

        // 15 s without a capacity: released. Everything the controller changed is restored once, before the plan,
        // and the plan leaves CPU alone (no cap can stay frozen).
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.True((await controller.RunPeriodAsync(default)).Succeeded);
        Assert.Equal(ResourceSet.Memory, controller.LastPeriod.Resources);
        Assert.Equal(1, _actuator.Restores);
        Assert.Equal(['A', 'A', 'A', 'R', 'A'], _actuator.Calls);
        Assert.Equal(ResourceSet.Memory, _actuator.Resources[^1]);
        Assert.Contains(_logger.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("cpu capacity has been unreadable", StringComparison.Ordinal));

        _time.Advance(TimeSpan.FromSeconds(5));
        await controller.RunPeriodAsync(default);
        Assert.Equal(1, _actuator.Restores);
        Assert.Equal(ResourceSet.Memory, controller.LastPeriod.Resources);

        // Readable again: scheduled again.
        _monitor.HostCapacity = new ResourceVector(6, 16e9, 1e8, 1e8, 1e8, 1e8);
        _time.Advance(TimeSpan.FromSeconds(5));
        await controller.RunPeriodAsync(default);
        Assert.Equal(ResourceSet.Cpu | ResourceSet.Memory, controller.LastPeriod.Resources);
        Assert.Equal(6, controller.LastPeriod.Capacity.Cpu);
        Assert.Equal(1, _actuator.Restores);
    }

    [Fact]
    public async Task RunPeriodAsync_MonitorHangs_PeriodAbandonedAtDeadlineAndNextPeriodRuns()
    {
        _monitor.Vms["a"] = new ResourceVector(1, 1e9);
        await using ResCoinController controller = Create(o => { o.Period = TimeSpan.FromSeconds(5); o.PeriodDeadline = TimeSpan.FromSeconds(3); });

        // The first period also pays for start-up: its deadline is 30 s.
        _monitor.Hang = true;
        ValueTask<PeriodResult> first = controller.RunPeriodAsync(default);
        _time.Advance(TimeSpan.FromSeconds(29));
        await Task.Delay(50);
        Assert.False(first.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Contains("period deadline of 00:00:30", (await first.AsTask().WaitAsync(TimeSpan.FromSeconds(10))).Error!.Message, StringComparison.Ordinal);

        _monitor.Hang = true;
        ValueTask<PeriodResult> hung = controller.RunPeriodAsync(default);
        _time.Advance(TimeSpan.FromSeconds(2));
        await Task.Delay(50);
        Assert.False(hung.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(1));
        PeriodResult result = await hung.AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(PeriodStage.Monitor, result.FailedStage);
        TimeoutException timeout = Assert.IsType<TimeoutException>(result.Error);
        Assert.Contains("period deadline of 00:00:03", timeout.Message, StringComparison.Ordinal);
        Assert.Empty(_actuator.Plans);

        // The next period has a fresh deadline and runs.
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.True((await controller.RunPeriodAsync(default)).Succeeded);
        Assert.Single(_actuator.Plans);

        // An outer cancellation is still the caller's, not a missed deadline.
        _monitor.Hang = true;
        using var cts = new CancellationTokenSource();
        ValueTask<PeriodResult> cancelled = controller.RunPeriodAsync(cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await cancelled);
    }

    [Fact]
    public async Task Deadline_ASynchronousMonitorThatOverran_TheActuatorStartsCancelled_ReportedAsTimeout()
    {
        _monitor.Vms["a"] = new ResourceVector(1, 1e9);
        await using ResCoinController controller = Create(o => { o.Period = TimeSpan.FromSeconds(5); o.PeriodDeadline = TimeSpan.FromSeconds(3); });
        Assert.True((await controller.RunPeriodAsync(default)).Succeeded);
        _time.Advance(TimeSpan.FromSeconds(5));

        // A monitor that returns synchronously after 4 s (no timer is armed for it): the actuator gets a cancelled token.
        _monitor.During = () => _time.Advance(TimeSpan.FromSeconds(4));
        PeriodResult late = await controller.RunPeriodAsync(default);
        Assert.Equal(PeriodStage.Actuate, late.FailedStage);
        Assert.Contains("period deadline of 00:00:03", Assert.IsType<TimeoutException>(late.Error).Message, StringComparison.Ordinal);
        Assert.Single(_actuator.Plans);

        // Within the deadline again: applied.
        _monitor.During = () => _time.Advance(TimeSpan.FromSeconds(2));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True((await controller.RunPeriodAsync(default)).Succeeded);
        Assert.Equal(2, _actuator.Plans.Count);

        // A synchronous monitor that fails after the deadline (a blocking call that gave up late) counts as the deadline.
        _monitor.During = () => _time.Advance(TimeSpan.FromSeconds(4));
        _monitor.Throw = new IOException("gave up late");
        _time.Advance(TimeSpan.FromSeconds(3));
        PeriodResult failedLate = await controller.RunPeriodAsync(default);
        Assert.Equal(PeriodStage.Monitor, failedLate.FailedStage);
        Assert.IsType<IOException>(Assert.IsType<TimeoutException>(failedLate.Error).InnerException);
    }

    [Fact]
    public async Task RunAsync_PeriodsDrivenByTimer_RestoresOnCancel()
    {
        _monitor.Vms["a"] = new ResourceVector(1, 0);
        await using ResCoinController controller = Create(o => o.Period = TimeSpan.FromSeconds(5));
        using var cts = new CancellationTokenSource();
        Task loop = controller.RunAsync(cts.Token);

        await WaitUntil(() => _monitor.Calls == 1);
        _time.Advance(TimeSpan.FromSeconds(4));
        await Task.Delay(50);
        Assert.Equal(1, _monitor.Calls);
        _time.Advance(TimeSpan.FromSeconds(1));
        await WaitUntil(() => _monitor.Calls == 2);
        _monitor.Throw = new IOException("transient");
        _time.Advance(TimeSpan.FromSeconds(5));
        await WaitUntil(() => _monitor.Calls == 3);
        _time.Advance(TimeSpan.FromSeconds(5));
        await WaitUntil(() => _monitor.Calls == 4);
        await WaitUntil(() => controller.LastPeriod.Index == 3);
        Assert.Equal(0, _actuator.Restores);

        await cts.CancelAsync();
        await loop.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, _actuator.Restores);
        Assert.Equal(3, _actuator.Plans.Count);
    }

    [Fact]
    public async Task RunAsync_OnTheSystemClock_OwnThreadOnePeriodPerTick_HungPeriodEnded_StopsAtOnceAndRestores()
    {
        var monitor = new FakeMonitor(TimeProvider.System);
        monitor.Vms["a"] = new ResourceVector(1, 0);
        var options = new ResCoinOptions
        {
            Window = 3,
            Resources = ResourceSet.Cpu,
            Period = TimeSpan.FromMilliseconds(100),
            PeriodDeadline = TimeSpan.FromMilliseconds(300),
        };
        await using var controller = new ResCoinController(monitor, _predictor, new CreditAllocator(), _actuator, options, timeProvider: null, _logger);
        using var cts = new CancellationTokenSource();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Task loop = controller.RunAsync(cts.Token);

        // The first period at once, then one per 100 ms tick, on the controller's own thread.
        await WaitUntil(() => monitor.Calls >= 6);
        Assert.InRange(clock.Elapsed.TotalSeconds, 0.45, 5);
        Assert.Equal("rescoin-controller", monitor.ThreadName);

        // A failing period and a hung one (ended by the deadline) do not end the loop.
        monitor.Throw = new IOException("transient");
        await WaitUntil(() => monitor.Throw is null);
        int calls = monitor.Calls;
        monitor.Hang = true;
        await WaitUntil(() => monitor.Calls >= calls + 3);
        Assert.Equal(0, _actuator.Restores);

        // Cancelled between ticks: stops without waiting for the next one, and restores.
        await cts.CancelAsync();
        await loop.WaitAsync(TimeSpan.FromSeconds(2));
        Assert.Equal(1, _actuator.Restores);
    }

    [Fact]
    public async Task RunAsync_OnTheSystemClock_CancelledDuringALongWait_StopsAtOnce()
    {
        var monitor = new FakeMonitor(TimeProvider.System);
        monitor.Vms["a"] = new ResourceVector(1, 0);
        var options = new ResCoinOptions { Window = 3, Resources = ResourceSet.Cpu, Period = TimeSpan.FromHours(1) };
        await using var controller = new ResCoinController(monitor, _predictor, new CreditAllocator(), _actuator, options, timeProvider: null, _logger);
        using var cts = new CancellationTokenSource();
        Task loop = controller.RunAsync(cts.Token);
        await WaitUntil(() => controller.LastPeriod.Index == 1);
        await Task.Delay(50);
        Assert.Equal(1, monitor.Calls);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await cts.CancelAsync();
        await loop.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"stopping took {clock.Elapsed}");
        Assert.Equal(1, _actuator.Restores);
    }

    [Fact]
    public async Task DecisionLog_OneJsonLinePerPeriodWithTheDecisions()
    {
        string path = Path.Combine(Path.GetTempPath(), "rescoin-test-" + Guid.NewGuid().ToString("N"), "decisions.jsonl");
        try
        {
            _monitor.Vms["a"] = new ResourceVector(1, 1e9);
            _monitor.Vms["b"] = new ResourceVector(double.NaN, 2e9);
            await using (ResCoinController controller = Create(o => o.DecisionLogPath = path))
            {
                await controller.RunPeriodAsync(default);
                _time.Advance(TimeSpan.FromSeconds(8));
                await controller.RunPeriodAsync(default);
                string[] lines = File.ReadAllLines(path);
                Assert.Equal(2, lines.Length);
                using JsonDocument doc = JsonDocument.Parse(lines[1]);
                JsonElement root = doc.RootElement;
                Assert.Equal(2, root.GetProperty("index").GetInt64());
                Assert.Equal(_time.GetUtcNow(), root.GetProperty("timestamp").GetDateTimeOffset());
                Assert.Equal(["cpu", "memory"], root.GetProperty("resources").EnumerateArray().Select(e => e.GetString()));
                Assert.Equal(8, root.GetProperty("capacity").GetProperty("cpu").GetDouble());
                JsonElement[] vms = root.GetProperty("vms").EnumerateArray().ToArray();
                Assert.Equal(["a", "b"], vms.Select(v => v.GetProperty("vm").GetString()));
                ControllerPeriod p = controller.LastPeriod;
                for (int i = 0; i < 2; i++)
                {
                    Assert.Equal(p.Caps[i].Cpu, vms[i].GetProperty("cap").GetProperty("cpu").GetDouble());
                    Assert.Equal(p.Credits[i].Memory, vms[i].GetProperty("credit").GetProperty("memory").GetDouble());
                    Assert.Equal(p.Templates[i].Cpu, vms[i].GetProperty("template").GetProperty("cpu").GetDouble());
                    Assert.Equal(p.Estimates[i].Cpu, vms[i].GetProperty("estimate").GetProperty("cpu").GetDouble());
                }

                Assert.Equal(JsonValueKind.Null, vms[1].GetProperty("usage").GetProperty("cpu").ValueKind);
                Assert.False(vms[0].GetProperty("usage").TryGetProperty("diskRead", out _));
            }
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    [Fact]
    public async Task Metrics_GaugesReadLastPeriodAndCountersCount()
    {
        _monitor.Vms["a"] = new ResourceVector(1, 0);
        using var factory = new TestMeterFactory();
        var options = new ResCoinOptions { Resources = ResourceSet.Cpu, WeightedResources = ResourceSet.None };
        await using var controller = new ResCoinController(_monitor, _predictor, new CreditAllocator(), _actuator, options, _time, _logger, factory);
        var seen = new List<(string Name, double Value, string? Vm)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) =>
        {
            if (ReferenceEquals(i.Meter, controller.Meter))
            {
                l.EnableMeasurementEvents(i);
            }
        };
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => seen.Add((i.Name, v, Tag(tags, "vm"))));
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => seen.Add((i.Name, v, Tag(tags, "stage"))));
        listener.Start();

        Assert.Equal("ResCoin", controller.Meter.Name);
        await controller.RunPeriodAsync(default);
        _monitor.Throw = new IOException("x");
        await controller.RunPeriodAsync(default);
        listener.RecordObservableInstruments();

        Assert.Contains(seen, s => s.Name == "rescoin.vm.cap" && s.Vm == "a" && s.Value == controller.LastPeriod.Caps[0].Cpu);
        Assert.Contains(seen, s => s.Name == "rescoin.vm.credit" && s.Vm == "a" && s.Value == 7);
        Assert.Contains(seen, s => s.Name == "rescoin.vm.usage" && s.Vm == "a" && s.Value == 1);
        Assert.Contains(seen, s => s.Name == "rescoin.periods");
        Assert.Contains(seen, s => s.Name == "rescoin.period.duration");
        Assert.Contains(seen, s => s.Name == "rescoin.period.failures" && s.Vm == "monitor");
    }

    [Fact]
    public async Task AddResCoin_ResolvesControllerWithNamedPolicyAndPredictor_UserRegistrationWins()
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(_time);
        services.AddSingleton<IMonitor>(_monitor);
        services.AddSingleton<IActuator>(_actuator);
        services.AddResCoin(o => { o.Policy = "share"; o.Predictor = "last"; });
        services.AddResCoin();
        await using ServiceProvider sp = services.BuildServiceProvider();
        Assert.Equal("share", sp.GetRequiredService<IAllocator>().Name);
        Assert.Equal("last", sp.GetRequiredService<IPredictor>().Name);
        Assert.Same(sp.GetRequiredService<ResCoinController>(), sp.GetRequiredService<ResCoinController>());

        var mine = new DrfAllocator();
        var services2 = new ServiceCollection().AddSingleton<IMonitor>(_monitor).AddSingleton<IActuator>(_actuator).AddSingleton<IAllocator>(mine);
        services2.AddResCoin();
        await using ServiceProvider sp2 = services2.BuildServiceProvider();
        Assert.Same(mine, sp2.GetRequiredService<IAllocator>());
        _monitor.Vms["a"] = new ResourceVector(1, 0);
        Assert.True((await sp2.GetRequiredService<ResCoinController>().RunPeriodAsync(default)).Succeeded);
    }

    [Fact]
    public async Task UsePredictorAndAllocator_UsersPolicyIsFirstClass_ConfigurationPicksByName()
    {
        // Typed: the user's types are built by the container and selected.
        var services = new ServiceCollection().AddSingleton<TimeProvider>(_time).AddSingleton<IMonitor>(_monitor).AddSingleton<IActuator>(_actuator);
        services.AddResCoin(o => o.Resources = ResourceSet.Cpu).UsePredictor<EchoPredictor>("echo").UseAllocator<HalfAllocator>().AddObserver<CountingObserver>();
        await using (ServiceProvider sp = services.BuildServiceProvider())
        {
            Assert.IsType<EchoPredictor>(sp.GetRequiredService<IPredictor>());
            Assert.IsType<HalfAllocator>(sp.GetRequiredService<IAllocator>());
            _monitor.Vms["a"] = new ResourceVector(1, 0);
            ResCoinController controller = sp.GetRequiredService<ResCoinController>();
            Assert.True((await controller.RunPeriodAsync(default)).Succeeded);
            Assert.Equal(4, controller.LastPeriod.Caps[0].Cpu, 12); // half of 8 cores
            Assert.Equal(1, ((CountingObserver)sp.GetRequiredService<IPeriodObserver>()).Count);
        }

        // By name from configuration: a registered (not selected) allocator is picked like a built-in one.
        var configured = new ServiceCollection().AddSingleton<IMonitor>(_monitor).AddSingleton<IActuator>(_actuator);
        IConfiguration config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ResCoin:Policy"] = "half",
            ["ResCoin:Predictor"] = "ewma",
            ["ResCoin:Predictors:Ewma:CpuAlpha"] = "0.25",
        }).Build();
        configured.AddResCoin(config.GetSection("ResCoin")).AddAllocator("half", _ => new HalfAllocator());
        await using (ServiceProvider sp = configured.BuildServiceProvider())
        {
            Assert.IsType<HalfAllocator>(sp.GetRequiredService<IAllocator>());
            Assert.Equal(0.25, sp.GetRequiredService<IOptions<ResCoin.Prediction.EwmaOptions>>().Value.CpuAlpha);
            Assert.Equal("ewma", sp.GetRequiredService<IPredictor>().Name);
        }

        // An unknown name lists what is registered, the user's included.
        var unknown = new ServiceCollection();
        unknown.AddResCoin(o => o.Policy = "fifo").AddAllocator("half", _ => new HalfAllocator());
        await using (ServiceProvider sp = unknown.BuildServiceProvider())
        {
            var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<ResCoinOptions>>().Value);
            Assert.Contains("ResCoin:Policy 'fifo' is unknown; valid policies: rescoin, none, static, share, drf, half", ex.Message, StringComparison.Ordinal);
        }
    }

    private sealed class HalfAllocator : IAllocator
    {
        public string Name => "half";

        public void Allocate(scoped in AllocationInput input, scoped in AllocationOutput output)
        {
            for (int i = 0; i < input.Count; i++)
            {
                output.Caps[i] = input.Capacity * 0.5;
                output.Weights[i] = ResourceVector.Fill(double.NaN);
            }
        }
    }

    private sealed class CountingObserver : IPeriodObserver
    {
        public int Count { get; private set; }

        public void OnPeriodCompleted(in PeriodResult result, ControllerPeriod period) => Count++;
    }

    [Fact]
    public void AddResCoin_InvalidOptions_ResolvingFailsNamingTheKey()
    {
        var services = new ServiceCollection().AddSingleton<IMonitor>(_monitor).AddSingleton<IActuator>(_actuator);
        services.AddResCoin(o => o.Templates["vm1"] = new ResourceAmounts { Cpu = -1 });
        using ServiceProvider sp = services.BuildServiceProvider();
        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<ResCoinOptions>>().Value);
        Assert.Contains("ResCoin:Templates:vm1:Cpu must be ≥ 0", ex.Message, StringComparison.Ordinal);
    }

    private static string? Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string key)
    {
        foreach (KeyValuePair<string, object?> t in tags)
        {
            if (t.Key == key)
            {
                return t.Value as string;
            }
        }

        return null;
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the loop");
            await Task.Delay(5);
        }
    }
}

internal sealed class TestMeterFactory : IMeterFactory
{
    private readonly List<Meter> _meters = [];

    public Meter Create(MeterOptions options)
    {
        var meter = new Meter(options);
        _meters.Add(meter);
        return meter;
    }

    public void Dispose() => _meters.ForEach(m => m.Dispose());
}
