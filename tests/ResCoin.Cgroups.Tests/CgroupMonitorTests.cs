using Microsoft.Extensions.Time.Testing;

namespace ResCoin.Cgroups.Tests;

public sealed class CgroupMonitorTests : IDisposable
{
    private const string Slice = "/sys/fs/cgroup/machine.slice";
    private const string Vm1 = Slice + "/machine-qemu-1-vm1.scope";
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 26, 0, 0, 0, TimeSpan.Zero));
    private readonly List<FixtureTree> _trees = [];

    public void Dispose()
    {
        foreach (FixtureTree t in _trees)
        {
            t.Dispose();
        }
    }

    [Fact]
    public void Sample_V2Fixture_FirstPeriod_MemoryPressureLimitsAndCapacity()
    {
        FixtureTree tree = Tree("v2");
        using var monitor = new CgroupMonitor(Options("machine.slice/*.scope"), tree.FileSystem, _time, null);
        var snapshot = new HostSnapshot();

        monitor.Sample(snapshot);

        Assert.Equal(CgroupMode.V2, monitor.Mode);
        Assert.True(monitor.UsesV2);
        Assert.Equal(["machine.slice/machine-qemu-1-vm1.scope", "machine.slice/machine-qemu-2-vm2.scope"], monitor.Cgroups);
        Assert.Equal(2, snapshot.Count);
        Assert.Equal(4, snapshot.HostCapacity.Cpu);
        Assert.Equal(16384000.0 * 1024, snapshot.HostCapacity.Memory);
        Assert.True(double.IsNaN(snapshot.HostCapacity.DiskRead));
        Assert.Equal(TimeSpan.Zero, snapshot.Interval);

        VmSample vm1 = snapshot.Vms[0];
        Assert.Equal(new VmId("machine.slice/machine-qemu-1-vm1.scope"), vm1.Id);
        Assert.True(double.IsNaN(vm1.Usage.Cpu)); // no delta yet
        Assert.Equal(536870912.0 - 104857600, vm1.Usage.Memory);
        Assert.Equal(1073741824.0, vm1.Limit.Memory);
        Assert.Equal(0.015, vm1.Pressure.Cpu, 9); // some avg10 / 100 on the first sample
        Assert.Equal(0.1225, vm1.Pressure.DiskRead, 9);

        VmSample vm2 = snapshot.Vms[1];
        Assert.Equal(0, vm2.Usage.Memory);
        Assert.Equal(double.PositiveInfinity, vm2.Limit.Memory);
        Assert.True(double.IsNaN(vm2.Pressure.Memory)); // vm2 has no memory.pressure
    }

    [Fact]
    public void Sample_V2Fixture_SecondPeriod_RatesFromDeltasOverMeasuredTime()
    {
        FixtureTree tree = Tree("v2");
        using var monitor = new CgroupMonitor(Options("machine.slice/*.scope"), tree.FileSystem, _time, null);
        var snapshot = new HostSnapshot();
        monitor.Sample(snapshot);

        _time.Advance(TimeSpan.FromSeconds(2));
        tree.Write(Vm1 + "/cpu.stat", "usage_usec 126456789\nuser_usec 1\nsystem_usec 2\nnr_periods 9\n");
        tree.Write(Vm1 + "/io.stat", "8:0 rbytes=3145728 wbytes=2097152 rios=100 wios=200 dbytes=0 dios=0\n253:0 rbytes=4096 wbytes=1048576 rios=1 wios=0 dbytes=0 dios=0\n");
        tree.Write(Vm1 + "/cpu.pressure", "some avg10=1.50 avg60=0.80 avg300=0.20 total=5500000\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=1000000\n");
        snapshot.Clear();
        monitor.Sample(snapshot);

        Assert.Equal(TimeSpan.FromSeconds(2), snapshot.Interval);
        VmSample vm1 = snapshot.Vms[0];
        Assert.Equal(1.5, vm1.Usage.Cpu, 9);              // 3 s of CPU in 2 s
        Assert.Equal(1048576.0, vm1.Usage.DiskRead, 6);   // 2 MiB in 2 s
        Assert.Equal(524288.0, vm1.Usage.DiskWrite, 6);
        Assert.Equal(0.25, vm1.Pressure.Cpu, 9);          // 0.5 s stalled in 2 s
        Assert.Equal(0, snapshot.Vms[1].Usage.Cpu);
    }

    [Fact]
    public void Sample_CounterReset_GivesNaNNotNegative()
    {
        FixtureTree tree = Tree("v2");
        using var monitor = new CgroupMonitor(Options("machine.slice/machine-qemu-1-vm1.scope"), tree.FileSystem, _time, null);
        var snapshot = new HostSnapshot();
        monitor.Sample(snapshot);
        _time.Advance(TimeSpan.FromSeconds(1));
        tree.Write(Vm1 + "/cpu.stat", "usage_usec 5\n");
        snapshot.Clear();
        monitor.Sample(snapshot);
        Assert.True(double.IsNaN(snapshot.Vms[0].Usage.Cpu));
    }

    [Fact]
    public void Sample_CgroupsComeAndGo_BetweenPeriods()
    {
        FixtureTree tree = Tree("v2");
        using var monitor = new CgroupMonitor(Options("machine.slice/*.scope"), tree.FileSystem, _time, null);
        var snapshot = new HostSnapshot();
        monitor.Sample(snapshot);
        Assert.Equal(2, snapshot.Count);

        // A systemd-escaped scope name appears, vm2 goes away.
        string escaped = Slice + "/machine-qemu\\x2d3\\x2dvm3.scope";
        tree.Write(escaped + "/cpu.stat", "usage_usec 10\n");
        Directory.Delete(tree.Physical(Slice + "/machine-qemu-2-vm2.scope"), recursive: true);
        _time.Advance(TimeSpan.FromSeconds(1));
        snapshot.Clear();
        monitor.Sample(snapshot);

        Assert.Equal(["machine.slice/machine-qemu-1-vm1.scope", "machine.slice/machine-qemu\\x2d3\\x2dvm3.scope"], monitor.Cgroups);
        Assert.Equal(2, snapshot.Count);
        Assert.Equal(new VmId("machine.slice/machine-qemu\\x2d3\\x2dvm3.scope"), snapshot.Vms[1].Id);
        Assert.True(double.IsNaN(snapshot.Vms[1].Usage.Memory)); // no memory.current in the new one
    }

    [Fact]
    public async Task SampleAsync_GarbageCounter_ThrowsNamingFileAndLine()
    {
        FixtureTree tree = Tree("v2");
        tree.Write(Vm1 + "/cpu.stat", "usage_usec 12\nuser_usec abc\n");
        using var monitor = new CgroupMonitor(Options("machine.slice/machine-qemu-1-vm1.scope"), tree.FileSystem, _time, null);
        tree.Write(Vm1 + "/cpu.stat", "user_usec 1\nusage_usec abc\n");
        var ex = await Assert.ThrowsAsync<CgroupFormatException>(() => monitor.SampleAsync(new HostSnapshot(), CancellationToken.None).AsTask());
        Assert.Equal($"{Vm1}/cpu.stat line 2: 'usage_usec abc' is not a number", ex.Message);
    }

    [Fact]
    public void Sample_V1HybridFixture_ReadsV1FilesAndPsiFromUnified()
    {
        FixtureTree tree = Tree("v1");
        using var monitor = new CgroupMonitor(Options("docker/*"), tree.FileSystem, _time, null);
        var snapshot = new HostSnapshot();
        monitor.Sample(snapshot);

        Assert.Equal(CgroupMode.Hybrid, monitor.Mode);
        Assert.False(monitor.UsesV2);
        Assert.Equal(2, snapshot.HostCapacity.Cpu);
        Assert.Equal(2, snapshot.Count);
        VmSample a = snapshot.Vms[0];
        Assert.Equal(new VmId("docker/3f2a9c"), a.Id);
        Assert.Equal(208752640.0 - 147877888, a.Usage.Memory);
        Assert.Equal(double.PositiveInfinity, a.Limit.Memory);
        Assert.Equal(0.25, a.Pressure.Cpu, 9);
        VmSample b = snapshot.Vms[1];
        Assert.Equal(536870912.0, b.Limit.Memory);
        Assert.True(double.IsNaN(b.Pressure.Cpu)); // not mirrored in the v2 hierarchy

        const string acct = "/sys/fs/cgroup/cpu,cpuacct/docker/3f2a9c/cpuacct.usage";
        const string blkio = "/sys/fs/cgroup/blkio/docker/3f2a9c/blkio.throttle.io_service_bytes";
        _time.Advance(TimeSpan.FromSeconds(4));
        tree.Write(acct, "370142591276\n");
        tree.Write(blkio, "8:0 Read 5242880\n8:0 Write 4194304\n8:0 Total 9437184\n253:0 Read 4096\n253:0 Write 0\nTotal 9441280\n");
        snapshot.Clear();
        monitor.Sample(snapshot);
        Assert.Equal(0.5, snapshot.Vms[0].Usage.Cpu, 9);        // 2 s of CPU in 4 s
        Assert.Equal(1048576.0, snapshot.Vms[0].Usage.DiskRead, 6);
        Assert.Equal(0, snapshot.Vms[0].Usage.DiskWrite);
    }

    [Fact]
    public void Sample_SteadyState_AllocatesNothing()
    {
        FixtureTree tree = Tree("v2");
        CgroupOptions options = Options("machine.slice/*.scope");
        options.RescanInterval = TimeSpan.FromHours(1);
        using var monitor = new CgroupMonitor(options, tree.FileSystem, _time, null);
        Assert.Equal(0, AllocatedInSteadyState(monitor, _time, periods: 10));
    }

    [Fact]
    public void Constructor_InvalidOptions_FailsWithKeyName()
    {
        var options = new CgroupOptions { Cgroups = [], Devices = ["sda"] };
        var ex = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => new CgroupMonitor(Microsoft.Extensions.Options.Options.Create(options)));
        Assert.Contains("Cgroups:", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>Runs 3 warm-up periods (a second apart), then <paramref name="periods"/> more: the bytes the calling thread allocated in those.</summary>
    internal static long AllocatedInSteadyState(CgroupMonitor monitor, FakeTimeProvider time, int periods)
    {
        var snapshot = new HostSnapshot();
        for (int i = 0; i < 3; i++)
        {
            snapshot.Clear();
            time.Advance(TimeSpan.FromSeconds(1));
            monitor.Sample(snapshot);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < periods; i++)
        {
            snapshot.Clear();
            time.Advance(TimeSpan.FromSeconds(1));
            monitor.Sample(snapshot);
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    internal static CgroupOptions Options(params string[] patterns) => new() { Cgroups = patterns, JournalPath = Path.Combine(Path.GetTempPath(), $"rescoin-journal-{Guid.NewGuid():N}.json") };

    private FixtureTree Tree(string name)
    {
        FixtureTree tree = FixtureTree.Copy(name);
        _trees.Add(tree);
        return tree;
    }
}
