using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using ResCoin.Libvirt.Native;

namespace ResCoin.Libvirt.Tests;

/// <summary>
/// What keeps a period cheap for libvirtd: only the statistics groups of the monitored resources, the slow groups at most
/// every <see cref="LibvirtOptions.SlowStatsIntervalSeconds"/> (rates over the whole longer interval, repeated in between),
/// and the monitor's facts handed to the actuator only for the sample the plan came from (benchmarks/daemon-cost).
/// </summary>
public sealed class DaemonCostTests
{
    [Fact]
    public void StatsMask_AsksOnlyForTheGroupsOfTheMonitoredResources()
    {
        Assert.Equal(NativeMethods.StatsState | NativeMethods.StatsCpuTotal | NativeMethods.StatsVcpu, LibvirtMonitor.StatsMask(ResourceSet.Cpu));
        Assert.Equal(NativeMethods.StatsState | NativeMethods.StatsBalloon, LibvirtMonitor.StatsMask(ResourceSet.Memory));
        Assert.Equal(NativeMethods.StatsState | NativeMethods.StatsBlock, LibvirtMonitor.StatsMask(ResourceSet.DiskWrite));
        Assert.Equal(NativeMethods.StatsState | NativeMethods.StatsInterface, LibvirtMonitor.StatsMask(ResourceSet.NetRx));
        Assert.Equal(
            NativeMethods.StatsState | NativeMethods.StatsCpuTotal | NativeMethods.StatsVcpu | NativeMethods.StatsBalloon | NativeMethods.StatsBlock | NativeMethods.StatsInterface,
            LibvirtMonitor.StatsMask(ResourceSet.All));
        Assert.Equal(NativeMethods.StatsState, LibvirtMonitor.StatsMask(ResourceSet.None));
    }

    [Fact]
    public void VmState_WithoutSlowGroups_RepeatsTheLastRates_ThenCoversTheWholeInterval()
    {
        var time = new FakeTimeProvider();
        var vm = new LibvirtMonitor.VmState("vm"u8.ToArray());
        DomainStats s = DomainStats.Empty;
        s.CpuTimeNs = 0;
        s.VcpuCurrent = 2;
        s.VcpuTimeNs = 0;
        s.VcpuDelayNs = 0;
        s.BlockCount = 1;
        s.BlockReadBytes = 0;
        s.BlockWriteBytes = 0;
        VmSample sample = VmSample.Unmeasured(new VmId("vm"));
        vm.Update(ref sample, s, 1, time.GetTimestamp(), 0, time, 30, detailed: true);

        // 1 s later, everything read: 1 MB/s written, a quarter of the vCPU demand unserved.
        time.Advance(TimeSpan.FromSeconds(1));
        s.CpuTimeNs = 1e9;
        s.VcpuTimeNs = 3e9;
        s.VcpuDelayNs = 1e9;
        s.BlockWriteBytes = 1e6;
        vm.Update(ref sample, s, 1, time.GetTimestamp(), 0, time, 30, detailed: true);
        Assert.Equal(1e6, sample.Usage.DiskWrite, 6);
        Assert.Equal(0.25, sample.Pressure.Cpu, 12);

        // Two periods without the slow groups (the parser leaves them NaN): CPU is measured, the rest repeated.
        DomainStats fast = DomainStats.Empty;
        for (int i = 2; i <= 3; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            fast.CpuTimeNs = i * 0.5e9 + 0.5e9;
            vm.Update(ref sample, fast, 1, time.GetTimestamp(), 0, time, 30, detailed: false);
            Assert.Equal(0.5, sample.Usage.Cpu, 12);
            Assert.Equal(1e6, sample.Usage.DiskWrite, 6);
            Assert.Equal(0.25, sample.Pressure.Cpu, 12);
            Assert.Equal(2, sample.Limit.Cpu);
        }

        // The next full sample: 9 MB more over the 3 s since the last one = 3 MB/s; pressure over the same 3 s.
        time.Advance(TimeSpan.FromSeconds(1));
        s.CpuTimeNs = 2.5e9;
        s.VcpuTimeNs = 4e9;
        s.VcpuDelayNs = 4e9;
        s.BlockWriteBytes = 10e6;
        vm.Update(ref sample, s, 1, time.GetTimestamp(), 0, time, 30, detailed: true);
        Assert.Equal(3e6, sample.Usage.DiskWrite, 6);
        Assert.Equal(0.75, sample.Pressure.Cpu, 12);
        Assert.Equal(0.5, sample.Usage.Cpu, 12);

        // A restart (new domain id) in a fast period: nothing repeated from the old domain.
        time.Advance(TimeSpan.FromSeconds(1));
        vm.Update(ref sample, fast, 2, time.GetTimestamp(), 0, time, 30, detailed: false);
        Assert.True(double.IsNaN(sample.Usage.DiskWrite));
        Assert.True(double.IsNaN(sample.Pressure.Cpu));
        Assert.True(double.IsPositiveInfinity(sample.Limit.Cpu));
        Assert.Equal(0, vm.Vcpus);
    }

    [Fact]
    public void DomainFacts_OnlyForTheSampleThePlanCameFrom()
    {
        var facts = new DomainFacts();
        var vm = new VmId("vm", Guid.NewGuid());
        var t1 = new DateTimeOffset(2026, 12, 3, 10, 0, 0, TimeSpan.Zero);
        facts.Begin(t1);
        facts.Set(vm, new DomainFacts.Fact(7, 2, 1024, 2048));
        Assert.True(facts.TryGet(vm, t1, out DomainFacts.Fact f));
        Assert.Equal(new DomainFacts.Fact(7, 2, 1024, 2048), f);
        Assert.False(facts.TryGet(vm, t1.AddSeconds(1), out _)); // a plan from another sample
        Assert.False(facts.TryGet(new VmId("other", Guid.NewGuid()), t1, out _));

        facts.Begin(t1.AddSeconds(1)); // the next sample forgets VMs that were not seen again
        Assert.False(facts.TryGet(vm, t1.AddSeconds(1), out _));
        facts.Clear();
        Assert.False(facts.TryGet(vm, default, out _));
    }

    [Fact]
    public void AddResCoinLibvirt_MonitorAndActuator_ShareOneFactsObject()
    {
        var services = new ServiceCollection();
        services.AddResCoinLibvirt(o => o.ConnectionUri = "test:///default");
        using ServiceProvider sp = services.BuildServiceProvider();
        Assert.Same(sp.GetRequiredService<DomainFacts>(), sp.GetRequiredService<DomainFacts>());
        Assert.Equal(ServiceLifetime.Singleton, services.Single(d => d.ServiceType == typeof(DomainFacts)).Lifetime);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.PositiveInfinity)]
    public void Options_WeightDeadBandOutOfRange_FailsNamingTheKey(double value)
    {
        var o = new LibvirtOptions { WeightDeadBandFraction = value };
        var ex = Assert.Throws<OptionsValidationException>(() => LibvirtOptionsValidator.ThrowIfInvalid(o));
        Assert.Contains("WeightDeadBandFraction", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_SlowStatsIntervalNegative_FailsNamingTheKey()
    {
        var o = new LibvirtOptions { SlowStatsIntervalSeconds = -1 };
        var ex = Assert.Throws<OptionsValidationException>(() => LibvirtOptionsValidator.ThrowIfInvalid(o));
        Assert.Contains("SlowStatsIntervalSeconds", ex.Message, StringComparison.Ordinal);
    }
}
