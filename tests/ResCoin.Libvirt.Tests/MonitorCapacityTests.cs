using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using ResCoin.Libvirt.Native;
using ResCoin.Scheduling;
using ResCoin.Testing;

namespace ResCoin.Libvirt.Tests;

/// <summary>
/// CPU pressure from the vCPUs' run and wait counters, the raw host capacity (one reserve: <see cref="ResCoinOptions.Reserve"/>),
/// and NaN for an unknown capacity.
/// </summary>
public sealed class MonitorCapacityTests
{
    [Theory]
    [InlineData(3e9, 1e9, 0.25)] // ran 3 s, waited 1 s: a quarter of the demand unserved
    [InlineData(1e9, 0, 0)] // never waited
    [InlineData(0, 2e9, 1)] // waited the whole time (paused by a quota, starved)
    [InlineData(0, 0, 0)] // no demand at all: nothing unserved
    public void UnservedShare_IsDelayOverRunPlusDelay(double run, double delay, double expected)
        => Assert.Equal(expected, LibvirtMonitor.VmState.UnservedShare(run, delay), 12);

    [Theory]
    [InlineData(double.NaN, 1e9)]
    [InlineData(1e9, double.NaN)]
    [InlineData(-1, 1e9)] // a counter went backwards (restart)
    [InlineData(1e9, -1)]
    public void UnservedShare_MissingOrResetCounter_IsNaN(double run, double delay)
        => Assert.True(double.IsNaN(LibvirtMonitor.VmState.UnservedShare(run, delay)));

    [Fact]
    public void VmState_Pressure_FromVcpuTimeAndDelayDeltas_NotFromWallTime()
    {
        var time = new FakeTimeProvider();
        var vm = new LibvirtMonitor.VmState("vm"u8.ToArray());
        DomainStats s = DomainStats.Empty;
        s.CpuTimeNs = 0;
        s.VcpuCurrent = 1;
        s.VcpuTimeNs = 10e9;
        s.VcpuDelayNs = 5e9;
        VmSample sample = VmSample.Unmeasured(new VmId("vm"));
        vm.Update(ref sample, s, 1, time.GetTimestamp(), 0, time, 30);
        Assert.True(double.IsNaN(sample.Pressure.Cpu)); // no interval yet

        // Over 4 s of wall time the vCPU ran 0.5 s and waited 1.5 s (it was idle the rest): 75 % of its demand was unserved,
        // although it waited only 37.5 % of the period.
        time.Advance(TimeSpan.FromSeconds(4));
        s.CpuTimeNs = 0.6e9;
        s.VcpuTimeNs = 10.5e9;
        s.VcpuDelayNs = 6.5e9;
        vm.Update(ref sample, s, 1, time.GetTimestamp(), 0, time, 30);
        Assert.Equal(0.75, sample.Pressure.Cpu, 12);
        Assert.Equal(0.15, sample.Usage.Cpu, 12);
        Assert.Equal(1, sample.Limit.Cpu);

        // The VM restarted (new domain id): NaN for one period, never a negative share.
        time.Advance(TimeSpan.FromSeconds(4));
        s.VcpuTimeNs = 1e9;
        s.VcpuDelayNs = 0;
        vm.Update(ref sample, s, 2, time.GetTimestamp(), 0, time, 30);
        Assert.True(double.IsNaN(sample.Pressure.Cpu));
    }

    [Fact]
    public void Options_UnknownCapacities_AreNaN_ZeroIsRejectedNamingTheKey()
    {
        var o = new LibvirtOptions();
        Assert.True(double.IsNaN(o.DiskReadCapacity));
        Assert.True(double.IsNaN(o.DiskWriteCapacity));
        Assert.True(double.IsNaN(o.NetRxCapacity));
        Assert.True(double.IsNaN(o.NetTxCapacity));
        LibvirtOptionsValidator.ThrowIfInvalid(o);

        o.NetTxCapacity = 0;
        OptionsValidationException ex = Assert.Throws<OptionsValidationException>(() => LibvirtOptionsValidator.ThrowIfInvalid(o));
        Assert.Contains("ResCoin:Libvirt:NetTxCapacity", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("DiskReadCapacity", ex.Message, StringComparison.Ordinal);

        o.NetTxCapacity = double.PositiveInfinity;
        Assert.Throws<OptionsValidationException>(() => LibvirtOptionsValidator.ThrowIfInvalid(o));
        o.NetTxCapacity = 1e9;
        LibvirtOptionsValidator.ThrowIfInvalid(o);
    }

    /// <summary>
    /// The reserve is taken once: the monitor reports the node's raw capacity and the controller subtracts
    /// <see cref="ResCoinOptions.Reserve"/>. With both taking it, the controller would see 16 - 1 - 1 = 14 cores.
    /// </summary>
    [SkippableFact]
    public async Task Controller_WithLibvirtMonitor_TakesTheReserveOnce()
    {
        Prerequisite.Require(NativeLibraryPresent(), "libvirt.so.0 is not installed (run scripts/setup-host.sh)");
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddResCoin(o =>
        {
            o.Resources = ResourceSet.Cpu | ResourceSet.Memory;
            o.Reserve.Cpu = 1;
            o.Reserve.Memory = 1024 * 1024 * 1024;
        });
        services.AddResCoinLibvirt(o => o.ConnectionUri = "test:///default");
        services.Replace(ServiceDescriptor.Singleton<IActuator>(new NoActuator()));
        await using ServiceProvider sp = services.BuildServiceProvider();

        var snapshot = new HostSnapshot();
        await sp.GetRequiredService<IMonitor>().SampleAsync(snapshot, default);
        Assert.Equal(16, snapshot.HostCapacity.Cpu); // the test driver's node: 16 CPUs, reported raw

        ResCoinController controller = sp.GetRequiredService<ResCoinController>();
        await controller.RunPeriodAsync(default);
        Assert.Equal(1, controller.LastPeriod.Index); // the period was computed
        Assert.Equal(15, controller.LastPeriod.Capacity.Cpu);
        Assert.Equal(snapshot.HostCapacity.Memory - (1024 * 1024 * 1024), controller.LastPeriod.Capacity.Memory);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool NativeLibraryPresent()
        => System.Runtime.InteropServices.NativeLibrary.TryLoad(NativeMethods.Library, out _);

    private sealed class NoActuator : IActuator
    {
        public ValueTask ApplyAsync(AllocationPlan plan, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask RestoreAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
