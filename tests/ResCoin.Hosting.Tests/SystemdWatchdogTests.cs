using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Time.Testing;
using ResCoin.Hosting;
using ResCoin.Scheduling;

namespace ResCoin.Hosting.Tests;

public sealed class SystemdWatchdogTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly RecordingNotifier _notifier = new();

    [Fact]
    public async Task Pings_EveryHalfInterval_WhilePeriodsComplete_StopWhenTheLoopStalls_ResumeWhenItMovesAgain()
    {
        using var watchdog = new SystemdWatchdog(TimeSpan.FromSeconds(20), _notifier, TimeSpan.FromSeconds(10), _time, null);
        Assert.True(watchdog.IsEnabled);
        await watchdog.StartAsync(default);
        await WaitUntil(() => _notifier.Pings == 1);

        // A period completes at t = 5; pings every 5 s until 20 s after it (t = 25).
        _time.Advance(TimeSpan.FromSeconds(5));
        watchdog.OnPeriodCompleted(default, null!);
        await WaitUntil(() => _notifier.Pings == 2);
        for (int t = 10; t <= 25; t += 5)
        {
            _time.Advance(TimeSpan.FromSeconds(5));
            await WaitUntil(() => _notifier.Pings == 1 + (t / 5));
        }

        // t = 30 and 35: 25 s and 30 s since the last period, over the stall limit: no ping, so systemd would restart us.
        _time.Advance(TimeSpan.FromSeconds(5));
        _time.Advance(TimeSpan.FromSeconds(5));
        await Task.Delay(100);
        Assert.Equal(6, _notifier.Pings);

        // The loop moves again: pings resume.
        watchdog.OnPeriodCompleted(default, null!);
        _time.Advance(TimeSpan.FromSeconds(5));
        await WaitUntil(() => _notifier.Pings == 7);
        Assert.All(_notifier.States, s => Assert.Equal("WATCHDOG=1", s));
        await watchdog.StopAsync(default);
    }

    [Fact]
    public async Task NoWatchdogInterval_OrNotUnderSystemd_NeverPings()
    {
        using var noInterval = new SystemdWatchdog(TimeSpan.FromSeconds(20), _notifier, TimeSpan.Zero, _time, null);
        using var notSystemd = new SystemdWatchdog(TimeSpan.FromSeconds(20), new RecordingNotifier { Enabled = false }, TimeSpan.FromSeconds(10), _time, null);
        Assert.False(noInterval.IsEnabled);
        Assert.False(notSystemd.IsEnabled);
        await noInterval.StartAsync(default);
        await notSystemd.StartAsync(default);
        _time.Advance(TimeSpan.FromSeconds(30));
        await Task.Delay(50);
        Assert.Equal(0, _notifier.Pings);
    }

    [Fact]
    public void AddHostedService_RegistersTheWatchdogAsObserverAndService_StallLimitFromTheOptions()
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton<IMonitor>(new NoMonitor());
        builder.Services.AddSingleton<IActuator>(new NoActuator());
        builder.Services.AddSingleton<ISystemdNotifier>(_notifier);
        builder.Services.AddResCoin(o => { o.Period = TimeSpan.FromSeconds(8); o.PeriodDeadline = TimeSpan.FromSeconds(5); }).AddHostedService();
        builder.Services.AddResCoinHostedService();
        using IHost host = builder.Build();

        SystemdWatchdog watchdog = host.Services.GetRequiredService<SystemdWatchdog>();
        Assert.Same(watchdog, Assert.Single(host.Services.GetServices<IHostedService>().OfType<SystemdWatchdog>()));
        Assert.Contains(watchdog, host.Services.GetServices<IPeriodObserver>());
        Assert.NotNull(host.Services.GetRequiredService<ResCoinController>());
        Assert.Equal(TimeSpan.FromSeconds(8 + 8 + 5 + 30), watchdog.StallLimit);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the watchdog");
            await Task.Delay(5);
        }
    }

    private sealed class RecordingNotifier : ISystemdNotifier
    {
        private readonly List<string> _states = [];

        public bool Enabled { get; init; } = true;

        public bool IsEnabled => Enabled;

        public int Pings
        {
            get
            {
                lock (_states)
                {
                    return _states.Count;
                }
            }
        }

        public string[] States
        {
            get
            {
                lock (_states)
                {
                    return [.. _states];
                }
            }
        }

        public void Notify(ServiceState state)
        {
            lock (_states)
            {
                _states.Add(state.ToString());
            }
        }
    }

    private sealed class NoMonitor : IMonitor
    {
        public ValueTask SampleAsync(HostSnapshot snapshot, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    private sealed class NoActuator : IActuator
    {
        public ValueTask ApplyAsync(AllocationPlan plan, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask RestoreAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
