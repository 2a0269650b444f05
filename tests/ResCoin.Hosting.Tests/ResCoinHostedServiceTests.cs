using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using ResCoin.Hosting;
using ResCoin.Scheduling;

namespace ResCoin.Hosting.Tests;

public sealed class ResCoinHostedServiceTests
{
    [Fact]
    public async Task GenericHost_RunsPeriodsOnTheTimerAndRestoresOnStop()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var monitor = new CountingMonitor();
        var actuator = new CountingActuator();
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddSingleton<IMonitor>(monitor);
        builder.Services.AddSingleton<IActuator>(actuator);
        builder.Services.AddResCoin(o => { o.Period = TimeSpan.FromSeconds(8); o.Resources = ResourceSet.Cpu; }).AddHostedService();
        builder.Services.AddResCoinHostedService(); // twice: still one service
        using IHost host = builder.Build();

        Assert.Single(host.Services.GetServices<IHostedService>().OfType<ResCoinHostedService>());
        await host.StartAsync();
        await WaitUntil(() => actuator.Applied == 1);
        time.Advance(TimeSpan.FromSeconds(8));
        await WaitUntil(() => actuator.Applied == 2);
        time.Advance(TimeSpan.FromSeconds(8));
        await WaitUntil(() => actuator.Applied == 3);
        Assert.Equal(0, actuator.Restored);
        Assert.Equal(3, host.Services.GetRequiredService<ResCoinController>().LastPeriod.Index);

        await host.StopAsync();
        Assert.Equal(1, actuator.Restored);
        Assert.Equal(3, monitor.Calls);
    }

    [Fact]
    public async Task GenericHost_InvalidOptions_FailsOnStartNamingTheKey()
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton<IMonitor>(new CountingMonitor());
        builder.Services.AddSingleton<IActuator>(new CountingActuator());
        builder.Services.AddResCoin(o => o.Window = 0);
        builder.Services.AddResCoinHostedService();
        using IHost host = builder.Build();
        var ex = await Assert.ThrowsAnyAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("ResCoin:Window must be >= 1", ex.Message, StringComparison.Ordinal);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the hosted loop");
            await Task.Delay(5);
        }
    }

    private sealed class CountingMonitor : IMonitor
    {
        private int _calls;

        public int Calls => _calls;

        public ValueTask SampleAsync(HostSnapshot snapshot, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            snapshot.HostCapacity = new ResourceVector(4, 8e9);
            snapshot.Add(new VmId("vm1")).Usage = new ResourceVector(1, 1e9);
            snapshot.Add(new VmId("vm2")).Usage = new ResourceVector(3.5, 1e9);
            return ValueTask.CompletedTask;
        }
    }

    private sealed class CountingActuator : IActuator
    {
        private int _applied;
        private int _restored;

        public int Applied => _applied;

        public int Restored => _restored;

        public ValueTask ApplyAsync(AllocationPlan plan, CancellationToken cancellationToken)
        {
            Assert.Equal(2, plan.Count);
            // CPU is weighted by default: no VM is capped above the host, and each gets a weight.
            Assert.All(plan.Caps.ToArray(), c => Assert.False(c.Cpu > 4 + 1e-9));
            Assert.All(plan.Weights.ToArray(), w => Assert.True(w.Cpu > 0));
            Interlocked.Increment(ref _applied);
            return ValueTask.CompletedTask;
        }

        public ValueTask RestoreAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _restored);
            return ValueTask.CompletedTask;
        }
    }
}
