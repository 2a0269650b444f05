using Microsoft.Extensions.Time.Testing;

namespace ResCoin.Cgroups.Tests;

/// <summary><see cref="CgroupOptions.SlowFilesEvery"/>: PSI and memory.stat read every N periods, the counters every period.</summary>
public sealed class CgroupMonitorSlowFilesTests : IDisposable
{
    private const string Vm1 = "/sys/fs/cgroup/machine.slice/machine-qemu-1-vm1.scope";
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 3, 0, 0, 0, TimeSpan.Zero));
    private readonly FixtureTree _tree = FixtureTree.Copy("v2");

    public void Dispose() => _tree.Dispose();

    [Fact]
    public void Sample_SlowFilesEvery3_PressureAndInactiveCacheRefreshOnlyEveryThirdPeriod_CountersEveryPeriod()
    {
        CgroupOptions options = CgroupMonitorTests.Options("machine.slice/machine-qemu-1-vm1.scope");
        options.SlowFilesEvery = 3;
        using var monitor = new CgroupMonitor(options, _tree.FileSystem, _time, null);
        var snapshot = new HostSnapshot();
        monitor.Sample(snapshot); // period 0: everything read (avg10 on the first read)
        Assert.Equal(0.015, snapshot.Vms[0].Pressure.Cpu, 9);
        Assert.Equal(536870912.0 - 104857600, snapshot.Vms[0].Usage.Memory);

        // Periods 1 and 2: the slow files change but are not read; memory.current and cpu.stat are.
        for (int period = 1; period <= 2; period++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            _tree.Write(Vm1 + "/cpu.pressure", $"some avg10=9.00 avg60=0.80 avg300=0.20 total={5000000 + (period * 300000)}\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
            _tree.Write(Vm1 + "/memory.stat", "anon 1\ninactive_file 4096\n");
            _tree.Write(Vm1 + "/memory.current", $"{536870912 + (period * 1048576)}\n");
            _tree.Write(Vm1 + "/cpu.stat", $"usage_usec {123456789 + (period * 500000)}\n");
            snapshot.Clear();
            monitor.Sample(snapshot);
            VmSample s = snapshot.Vms[0];
            Assert.Equal(0.015, s.Pressure.Cpu, 9);                                          // the last pressure, kept
            Assert.Equal(536870912.0 + (period * 1048576) - 104857600, s.Usage.Memory);      // new current − the last inactive_file
            Assert.Equal(0.5, s.Usage.Cpu, 9);                                               // counters every period
        }

        // Period 3: the slow files again; the stall share covers the 3 s since their last read (0.6 s stalled).
        _time.Advance(TimeSpan.FromSeconds(1));
        _tree.Write(Vm1 + "/cpu.pressure", "some avg10=9.00 avg60=0.80 avg300=0.20 total=5600000\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
        snapshot.Clear();
        monitor.Sample(snapshot);
        Assert.Equal(0.2, snapshot.Vms[0].Pressure.Cpu, 9);
        Assert.Equal(536870912.0 + (2 * 1048576) - 4096, snapshot.Vms[0].Usage.Memory);
    }

    [Fact]
    public void Sample_SlowFilesEvery10_SteadyStateAllocatesNothing()
    {
        CgroupOptions options = CgroupMonitorTests.Options("machine.slice/*.scope");
        options.SlowFilesEvery = 10;
        options.RescanInterval = TimeSpan.FromHours(1);
        using var monitor = new CgroupMonitor(options, _tree.FileSystem, _time, null);
        Assert.Equal(0, CgroupMonitorTests.AllocatedInSteadyState(monitor, _time, periods: 25));
    }
}
