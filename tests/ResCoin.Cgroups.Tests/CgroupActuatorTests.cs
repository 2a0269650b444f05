using ResCoin.Cgroups.IO;

namespace ResCoin.Cgroups.Tests;

public sealed class CgroupActuatorTests : IDisposable
{
    private const string Vm1Name = "machine.slice/machine-qemu-1-vm1.scope";
    private const string Vm1 = "/sys/fs/cgroup/" + Vm1Name;
    private const string DockerName = "docker/3f2a9c";
    private const double MiB = 1024 * 1024;
    private static readonly ResourceVector None = ResourceVector.Fill(double.NaN);
    private readonly List<FixtureTree> _trees = [];
    private readonly string _journal = Path.Combine(Path.GetTempPath(), $"rescoin-journal-{Guid.NewGuid():N}.json");

    public void Dispose()
    {
        foreach (FixtureTree t in _trees)
        {
            t.Dispose();
        }

        File.Delete(_journal);
        File.Delete(_journal + ".lock");
    }

    [Fact]
    public async Task ApplyAsync_V2_WritesCapWeightHighAndIoMax_ThenRestoreBringsOriginalsBack()
    {
        FixtureTree tree = Tree("v2");
        using var actuator = new CgroupActuator(Options(), tree.FileSystem, null);

        AllocationPlan plan = Plan(Vm1Name, new ResourceVector(0.2, 600 * MiB, 5 * MiB, 2 * MiB), usedMemory: 400 * MiB,
            weight: new ResourceVector(1.5, double.NaN), guarantee: new ResourceVector(double.NaN, 300 * MiB));
        await actuator.ApplyAsync(plan, CancellationToken.None);

        Assert.Equal("20000 100000\n", tree.Read(Vm1 + "/cpu.max"));
        Assert.Equal("150\n", tree.Read(Vm1 + "/cpu.weight")); // KernelWeights: 100 × 1.5
        Assert.Equal($"{600 * 1024 * 1024}\n", tree.Read(Vm1 + "/memory.high"));
        Assert.Equal($"{300 * 1024 * 1024}\n", tree.Read(Vm1 + "/memory.low")); // the guarantee
        Assert.Equal("8:0 rbps=5242880 wbps=2097152\n", tree.Read(Vm1 + "/io.max"));
        Assert.Equal("1073741824\n", tree.Read(Vm1 + "/memory.max")); // never touched

        await actuator.RestoreAsync(CancellationToken.None);

        Assert.Equal("50000 100000\n", tree.Read(Vm1 + "/cpu.max"));
        Assert.Equal("100\n", tree.Read(Vm1 + "/cpu.weight"));
        Assert.Equal("max\n", tree.Read(Vm1 + "/memory.high"));
        Assert.Equal("0\n", tree.Read(Vm1 + "/memory.low"));
        Assert.Equal("8:0 rbps=10485760 wbps=max\n", tree.Read(Vm1 + "/io.max"));
        Assert.Equal(0, Actuation.SettingsJournal.Open(_journal).Count);
    }

    [Fact]
    public async Task ApplyAsync_DryRun_ChangesNothingAndWritesNoJournal()
    {
        FixtureTree tree = Tree("v2");
        var logger = new TestLogger();
        using var actuator = new CgroupActuator(Options(), tree.FileSystem, logger);
        AllocationPlan plan = Plan(Vm1Name, new ResourceVector(0.2, 600 * MiB, 5 * MiB, 2 * MiB), usedMemory: 400 * MiB);
        plan.DryRun = true;

        await actuator.ApplyAsync(plan, CancellationToken.None);

        Assert.Equal("50000 100000\n", tree.Read(Vm1 + "/cpu.max"));
        Assert.Equal("max\n", tree.Read(Vm1 + "/memory.high"));
        Assert.False(File.Exists(_journal));
        Assert.Contains(logger.Lines, l => l.Contains("dry run: would write " + Vm1 + "/cpu.max = 20000 100000", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ApplyAsync_SafetyRules_FloorsStepLimitAndNeverZero()
    {
        FixtureTree tree = Tree("v2");
        tree.Write(Vm1 + "/memory.high", "1073741824\n");
        using var actuator = new CgroupActuator(Options(), tree.FileSystem, null);

        // CPU shrinks at most 90 % per period (0.5 -> 0.05 core); memory at most 10 %.
        await actuator.ApplyAsync(Plan(Vm1Name, new ResourceVector(0, 100 * MiB, double.NaN, double.NaN), usedMemory: 50 * MiB), CancellationToken.None);
        Assert.Equal("5000 100000\n", tree.Read(Vm1 + "/cpu.max"));
        Assert.Equal($"{(long)Math.Ceiling(1073741824 * 0.9 / 4096) * 4096}\n", tree.Read(Vm1 + "/memory.high"));

        // From unlimited, CPU 0 becomes the floor: never zero (0.01 core = the kernel's 1 ms minimum quota).
        tree.Write(Vm1 + "/cpu.max", "max 100000\n");
        await actuator.ApplyAsync(Plan(Vm1Name, new ResourceVector(0, double.NaN, double.NaN, double.NaN), usedMemory: 50 * MiB), CancellationToken.None);
        Assert.Equal("1000 100000\n", tree.Read(Vm1 + "/cpu.max"));

        // Memory never below measured usage + margin.
        tree.Write(Vm1 + "/memory.high", "max\n");
        await actuator.ApplyAsync(Plan(Vm1Name, new ResourceVector(0.5, 10 * MiB, double.NaN, double.NaN), usedMemory: 500 * MiB), CancellationToken.None);
        Assert.Equal($"{(long)Math.Ceiling(500 * MiB * 1.1 / 4096) * 4096}\n", tree.Read(Vm1 + "/memory.high"));
    }

    [Fact]
    public async Task ApplyAsync_UnknownUsage_LeavesMemoryAlone_DeadBandSkipsTinyChanges()
    {
        FixtureTree tree = Tree("v2");
        using var actuator = new CgroupActuator(Options(), tree.FileSystem, null);
        await actuator.ApplyAsync(Plan(Vm1Name, new ResourceVector(0.505, 600 * MiB, double.NaN, double.NaN), usedMemory: double.NaN), CancellationToken.None);
        Assert.Equal("50000 100000\n", tree.Read(Vm1 + "/cpu.max")); // 1 % change: inside the 2 % dead-band
        Assert.Equal("max\n", tree.Read(Vm1 + "/memory.high"));
    }

    [Fact]
    public async Task ApplyAsync_FailedWrite_IsLoggedWithFileAndValue_OthersStillApplied()
    {
        FixtureTree tree = Tree("v2");
        var fs = new FailingFileSystem(tree.FileSystem, Vm1 + "/cpu.max");
        var logger = new TestLogger();
        using var actuator = new CgroupActuator(Options(), fs, logger);

        await actuator.ApplyAsync(Plan(Vm1Name, new ResourceVector(0.2, 600 * MiB, 5 * MiB, 2 * MiB), usedMemory: 400 * MiB), CancellationToken.None);

        Assert.Contains(logger.Lines, l => l.StartsWith("Error:", StringComparison.Ordinal) && l.Contains(Vm1 + "/cpu.max = 20000 100000", StringComparison.Ordinal) && l.Contains("Invalid argument", StringComparison.Ordinal));
        Assert.Equal("50000 100000\n", tree.Read(Vm1 + "/cpu.max"));
        Assert.Equal("100\n", tree.Read(Vm1 + "/cpu.weight"));
        Assert.Equal($"{600 * 1024 * 1024}\n", tree.Read(Vm1 + "/memory.high"));
        Assert.Equal("8:0 rbps=5242880 wbps=2097152\n", tree.Read(Vm1 + "/io.max"));
    }

    [Fact]
    public async Task ApplyAsync_GoneCgroup_DoesNotStopOthers()
    {
        FixtureTree tree = Tree("v2");
        var logger = new TestLogger();
        using var actuator = new CgroupActuator(Options(), tree.FileSystem, logger);
        var plan = new AllocationPlan { Resources = ResourceSet.All };
        plan.Add(new VmId("machine.slice/gone.scope"), new ResourceVector(0.2, 600 * MiB), None, None, new ResourceVector(0.1, 400 * MiB));
        plan.Add(new VmId(Vm1Name), new ResourceVector(0.2, 600 * MiB), None, None, new ResourceVector(0.1, 400 * MiB));

        await actuator.ApplyAsync(plan, CancellationToken.None);

        Assert.Contains(logger.Lines, l => l.Contains("gone.scope/cpu.max does not exist", StringComparison.Ordinal));
        Assert.Equal("20000 100000\n", tree.Read(Vm1 + "/cpu.max"));
    }

    [Fact]
    public async Task ApplyAsync_AfterCrash_RestoresLeftoversFirst()
    {
        FixtureTree tree = Tree("v2");
        using (var crashed = new CgroupActuator(Options(), tree.FileSystem, null))
        {
            await crashed.ApplyAsync(Plan(Vm1Name, new ResourceVector(0.2, 600 * MiB, double.NaN, double.NaN), usedMemory: 400 * MiB), CancellationToken.None);
        }

        // No RestoreAsync: the process "crashed". The next start restores before it changes anything.
        Assert.Equal("20000 100000\n", tree.Read(Vm1 + "/cpu.max"));
        var logger = new TestLogger();
        using var next = new CgroupActuator(Options(), tree.FileSystem, logger);
        await next.ApplyAsync(new AllocationPlan { Resources = ResourceSet.Cpu }, CancellationToken.None);

        Assert.Equal("50000 100000\n", tree.Read(Vm1 + "/cpu.max"));
        Assert.Equal("max\n", tree.Read(Vm1 + "/memory.high"));
        Assert.Contains(logger.Lines, l => l.Contains("restoring 2 settings a previous run left", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ApplyAsync_NaNAfterAValue_PutsTheOriginalBackAndForgetsIt()
    {
        FixtureTree tree = Tree("v2");
        var logger = new TestLogger();
        using var actuator = new CgroupActuator(Options(), tree.FileSystem, logger);
        await actuator.ApplyAsync(Plan(Vm1Name, new ResourceVector(0.2, 600 * MiB, 5 * MiB, 2 * MiB), usedMemory: 400 * MiB,
            weight: new ResourceVector(3, double.NaN), guarantee: new ResourceVector(double.NaN, 300 * MiB)), CancellationToken.None);
        Assert.Equal("300\n", tree.Read(Vm1 + "/cpu.weight"));
        Assert.Equal("20000 100000\n", tree.Read(Vm1 + "/cpu.max"));

        // Next period the controller sets nothing: no cap, no weight, no guarantee.
        await actuator.ApplyAsync(Plan(Vm1Name, None, usedMemory: 400 * MiB), CancellationToken.None);

        Assert.Equal("50000 100000\n", tree.Read(Vm1 + "/cpu.max"));
        Assert.Equal("100\n", tree.Read(Vm1 + "/cpu.weight"));
        Assert.Equal("max\n", tree.Read(Vm1 + "/memory.high"));
        Assert.Equal("0\n", tree.Read(Vm1 + "/memory.low"));
        Assert.Equal("8:0 rbps=10485760 wbps=max\n", tree.Read(Vm1 + "/io.max"));
        Assert.Contains(logger.Lines, l => l.Contains("put the original back: " + Vm1 + "/cpu.weight = 100", StringComparison.Ordinal));
        using (var journal = Actuation.SettingsJournal.Open(_journal))
        {
            Assert.Equal(0, journal.Count);
        }

        // A setting ResCoin never changed is left alone when the plan says NaN.
        tree.Write(Vm1 + "/cpu.weight", "77\n");
        await actuator.ApplyAsync(Plan(Vm1Name, None, usedMemory: 400 * MiB), CancellationToken.None);
        Assert.Equal("77\n", tree.Read(Vm1 + "/cpu.weight"));
    }

    [Fact]
    public async Task ApplyAsync_WorkConserving_WritesWeightOnly()
    {
        FixtureTree tree = Tree("v2");
        CgroupOptions options = Options();
        options.WorkConserving = true;
        using var actuator = new CgroupActuator(options, tree.FileSystem, null);
        AllocationPlan plan = Plan(Vm1Name, new ResourceVector(3, double.NaN, double.NaN, double.NaN), usedMemory: double.NaN, weight: new ResourceVector(1.5, double.NaN));
        plan.Add(new VmId("machine.slice/machine-qemu-2-vm2.scope"), new ResourceVector(1, double.NaN), new ResourceVector(0.5, double.NaN), None, new ResourceVector(1, double.NaN));
        await actuator.ApplyAsync(plan, CancellationToken.None);
        Assert.Equal("50000 100000\n", tree.Read(Vm1 + "/cpu.max"));
        Assert.Equal("max 100000\n", tree.Read("/sys/fs/cgroup/machine.slice/machine-qemu-2-vm2.scope/cpu.max"));
        Assert.Equal("150\n", tree.Read(Vm1 + "/cpu.weight"));
        Assert.Equal("50\n", tree.Read("/sys/fs/cgroup/machine.slice/machine-qemu-2-vm2.scope/cpu.weight"));
    }

    [Fact]
    public async Task ApplyAsync_V1_WritesQuotaSharesSoftLimitAndBlkio_ThenRestores()
    {
        FixtureTree tree = Tree("v1");
        using var actuator = new CgroupActuator(Options(), tree.FileSystem, null);
        const string cpu = "/sys/fs/cgroup/cpu,cpuacct/" + DockerName;
        const string mem = "/sys/fs/cgroup/memory/" + DockerName;
        const string blk = "/sys/fs/cgroup/blkio/" + DockerName;

        await actuator.ApplyAsync(Plan(DockerName, new ResourceVector(0.2, 300 * MiB, 5 * MiB, 4 * MiB), usedMemory: 100 * MiB, weight: new ResourceVector(0.25, double.NaN)), CancellationToken.None);

        Assert.Equal("20000\n", tree.Read(cpu + "/cpu.cfs_quota_us"));
        Assert.Equal("100000\n", tree.Read(cpu + "/cpu.cfs_period_us"));
        Assert.Equal("256\n", tree.Read(cpu + "/cpu.shares")); // KernelWeights: 1024 × 0.25
        Assert.Equal($"{300 * 1024 * 1024}\n", tree.Read(mem + "/memory.soft_limit_in_bytes"));
        Assert.Equal("8:0 5242880\n", tree.Read(blk + "/blkio.throttle.read_bps_device"));
        Assert.Equal("8:0 4194304\n", tree.Read(blk + "/blkio.throttle.write_bps_device"));
        Assert.Equal("9223372036854771712\n", tree.Read(mem + "/memory.limit_in_bytes"));

        await actuator.RestoreAsync(CancellationToken.None);

        Assert.Equal("-1\n", tree.Read(cpu + "/cpu.cfs_quota_us"));
        Assert.Equal("1024\n", tree.Read(cpu + "/cpu.shares"));
        Assert.Equal("-1\n", tree.Read(mem + "/memory.soft_limit_in_bytes")); // -1: the kernel's "unlimited"
        Assert.Equal("8:0 0\n", tree.Read(blk + "/blkio.throttle.read_bps_device")); // 0 removes the rule
        Assert.Equal("8:0 1048576\n", tree.Read(blk + "/blkio.throttle.write_bps_device"));
    }

    private static AllocationPlan Plan(string vm, ResourceVector cap, double usedMemory, ResourceVector? weight = null, ResourceVector? guarantee = null)
    {
        var plan = new AllocationPlan { Resources = ResourceSet.All, Period = TimeSpan.FromSeconds(8) };
        plan.Add(new VmId(vm), cap, weight ?? None, guarantee ?? None, new ResourceVector(0.1, usedMemory, 0, 0, 0, 0));
        return plan;
    }

    private CgroupOptions Options() => new() { Cgroups = ["*"], Devices = ["8:0"], JournalPath = _journal };

    private FixtureTree Tree(string name)
    {
        FixtureTree tree = FixtureTree.Copy(name);
        _trees.Add(tree);
        return tree;
    }

    /// <summary>Fails writes to one file the way the kernel refuses a value (EINVAL).</summary>
    private sealed class FailingFileSystem(ICgroupFileSystem inner, string failingPath) : ICgroupFileSystem
    {
        public int ReadAll(string path, ref byte[] buffer) => inner.ReadAll(path, ref buffer);

        public void Write(string path, ReadOnlySpan<byte> content)
        {
            if (path == failingPath)
            {
                throw new IOException($"Invalid argument : '{path}'", 22);
            }

            inner.Write(path, content);
        }

        public bool FileExists(string path) => inner.FileExists(path);

        public bool DirectoryExists(string path) => inner.DirectoryExists(path);

        public IEnumerable<string> EnumerateDirectoryNames(string path) => inner.EnumerateDirectoryNames(path);

        public void Forget(string directory) => inner.Forget(directory);
    }
}
