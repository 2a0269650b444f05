using System.Text;
using Microsoft.Extensions.Time.Testing;
using ResCoin.Libvirt.Native;

namespace ResCoin.Libvirt.Tests;

/// <summary>
/// The monitor's CPU time straight from each VM's QEMU process (<see cref="QemuProcess"/>): the <c>/proc/PID/stat</c>
/// parser, the pid file and the command-line check that keeps a reused pid from being read, and the rule that a change
/// of counter (process or libvirtd) gives no CPU rate for that period. The real-VM comparison with libvirtd's own
/// counter is in <see cref="RealVmTests"/>.
/// </summary>
public sealed class QemuProcessTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rescoin-qemu-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("16699 (qemu-system-x86) S 1 16698 16698 0 -1 4194624 9138 0 0 0 1234 567 0 0 20 0 6 0 4242 1 2 3", 1801)]
    [InlineData("42 (a) b) (c ) R 1 2 3 4 5 6 7 8 9 10 7 8 0 0", 15)] // a command name with spaces and parentheses
    [InlineData("42 (x) S 1 2 3 4 5 6 7 8 9 10 0 0", 0)]
    public void ParseCpuTicks_UtimePlusStime_CountedFromTheLastParenthesis(string line, long expected)
        => Assert.Equal(expected, QemuProcess.ParseCpuTicks(Encoding.ASCII.GetBytes(line)));

    [Theory]
    [InlineData("")]
    [InlineData("42 qemu S 1 2")]
    [InlineData("42 (qemu) S 1 2 3 4 5 6 7 8 9")]
    [InlineData("42 (qemu) S 1 2 3 4 5 6 7 8 9 10 x 5")]
    [InlineData("42 (qemu) S 1 2 3 4 5 6 7 8 9 10 -1 5")]
    public void ParseCpuTicks_Malformed_IsNull(string line)
        => Assert.Null(QemuProcess.ParseCpuTicks(Encoding.ASCII.GetBytes(line)));

    [Theory]
    [InlineData("/usr/bin/qemu-system-x86_64\0-name\0guest=vm1,debug-threads=on\0-S\0", "vm1", true)]
    [InlineData("/usr/bin/qemu-system-x86_64\0-name\0guest=vm1\0", "vm1", true)]
    [InlineData("/usr/bin/qemu-system-x86_64\0-name\0vm1\0", "vm1", true)]
    [InlineData("/usr/bin/qemu-system-x86_64\0-name\0guest=a,,b,debug-threads=on\0", "a,b", true)]
    [InlineData("/usr/bin/qemu-system-x86_64\0-name\0guest=vm10,debug-threads=on\0", "vm1", false)]
    [InlineData("/usr/bin/qemu-system-x86_64\0-name\0guest=vm1,debug-threads=on\0", "vm10", false)]
    [InlineData("/bin/sleep\0100\0", "vm1", false)]
    public void CommandLineNamesDomain_OnlyThisDomainsQemu(string cmdline, string name, bool expected)
        => Assert.Equal(expected, QemuProcess.CommandLineNamesDomain(Encoding.UTF8.GetBytes(cmdline), name));

    [Theory]
    [InlineData("qemu:///system", true)]
    [InlineData("qemu+unix:///system", true)]
    [InlineData("qemu:///session", true)]
    [InlineData("qemu+ssh://root@host/system", false)]
    [InlineData("qemu+tcp://10.0.0.1/system", false)]
    public void IsLocal_OnlyUrisWithoutAHost(string uri, bool expected) => Assert.Equal(expected, LibvirtMonitor.IsLocal(uri));

    [Fact]
    public void TryOpen_ReadsTheProcessThePidFileNames_WhenItsCommandLineNamesTheDomain()
    {
        string run = Path.Combine(_dir, "run");
        string proc = Path.Combine(_dir, "proc");
        Directory.CreateDirectory(run);
        Directory.CreateDirectory(Path.Combine(proc, "4242"));
        File.WriteAllText(Path.Combine(run, "vm1.pid"), "4242");
        File.WriteAllText(Path.Combine(run, "other.pid"), "4242");
        File.WriteAllText(Path.Combine(proc, "4242", "cmdline"), "/usr/bin/qemu-system-x86_64\0-name\0guest=vm1,debug-threads=on\0");
        File.WriteAllText(Path.Combine(proc, "4242", "stat"), "4242 (qemu-system-x86) S 1 2 3 4 5 6 7 8 9 10 300 50 0 0 20 0\n");

        using QemuProcess? p = QemuProcess.TryOpen(run, "vm1", proc);
        Assert.NotNull(p);
        Assert.Equal(4242, p.Pid);
        Assert.Equal(350 * (1e9 / 100), p.ReadCpuNs(), 3);

        // The file is kept open and read again: a new value is seen.
        File.WriteAllText(Path.Combine(proc, "4242", "stat"), "4242 (qemu-system-x86) S 1 2 3 4 5 6 7 8 9 10 400 50 0 0 20 0\n");
        Assert.Equal(450 * (1e9 / 100), p.ReadCpuNs(), 3);

        // A pid file whose process is not that domain's QEMU (a reused pid), a missing pid file, garbage: not read.
        Assert.Null(QemuProcess.TryOpen(run, "other", proc));
        Assert.Null(QemuProcess.TryOpen(run, "missing", proc));
        File.WriteAllText(Path.Combine(run, "bad.pid"), "42x");
        Assert.Null(QemuProcess.TryOpen(run, "bad", proc));
        Assert.Null(QemuProcess.TryOpen(run, "../vm1", proc));
        Assert.Null(QemuProcess.TryOpen(string.Empty, "vm1", proc));
    }

    [Fact]
    public void TryOpen_TheRealProcFs_ReadsThisProcessCpuTime()
    {
        // This test process is not a QEMU, so its pid file is refused by the command-line check ...
        string run = Path.Combine(_dir, "run");
        Directory.CreateDirectory(run);
        File.WriteAllText(Path.Combine(run, "vm1.pid"), Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Null(QemuProcess.TryOpen(run, "vm1"));

        // ... and the parser agrees with the runtime on the real /proc/self/stat (10 ms ticks).
        long? ticks = QemuProcess.ParseCpuTicks(File.ReadAllBytes("/proc/self/stat"));
        Assert.NotNull(ticks);
        double runtime = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        Assert.InRange(ticks.Value / 100.0, runtime - 0.5, runtime + 0.05);
    }

    [Fact]
    public void VmState_ChangeOfCpuCounter_GivesNoRateForThatPeriod()
    {
        var time = new FakeTimeProvider();
        var vm = new LibvirtMonitor.VmState("vm"u8.ToArray());
        DomainStats s = DomainStats.Empty;
        VmSample sample = VmSample.Unmeasured(new VmId("vm"));
        s.CpuTimeNs = 5e9; // libvirtd's counter
        vm.Update(ref sample, s, 1, time.GetTimestamp(), 0, time, 30, detailed: false, cpuFromProcess: false);
        time.Advance(TimeSpan.FromSeconds(1));
        s.CpuTimeNs = 2e9; // the process's counter: a different origin
        vm.Update(ref sample, s, 1, time.GetTimestamp(), 0, time, 30, detailed: false, cpuFromProcess: true);
        Assert.True(double.IsNaN(sample.Usage.Cpu));
        time.Advance(TimeSpan.FromSeconds(2));
        s.CpuTimeNs = 3e9;
        vm.Update(ref sample, s, 1, time.GetTimestamp(), 0, time, 30, detailed: false, cpuFromProcess: true);
        Assert.Equal(0.5, sample.Usage.Cpu, 12);
    }

    [Fact]
    public void VmState_WithoutTheBalloonGroup_RepeatsTheLastMemoryFigures_ARestartForgetsThem()
    {
        var time = new FakeTimeProvider();
        var vm = new LibvirtMonitor.VmState("vm"u8.ToArray());
        DomainStats s = DomainStats.Empty;
        s.BalloonCurrentKiB = 200_000;
        s.BalloonMaximumKiB = 262_144;
        s.BalloonRssKiB = 150_000;
        VmSample sample = VmSample.Unmeasured(new VmId("vm"));
        vm.Update(ref sample, s, 1, time.GetTimestamp(), 0, time, 30, detailed: false, balloonRead: true);
        Assert.Equal(150_000 * 1024.0, sample.Usage.Memory);
        Assert.Equal(262_144 * 1024.0, sample.Limit.Memory);

        time.Advance(TimeSpan.FromSeconds(1));
        VmSample next = VmSample.Unmeasured(new VmId("vm"));
        vm.Update(ref next, DomainStats.Empty, 1, time.GetTimestamp(), 0, time, 30, detailed: false, balloonRead: false);
        Assert.Equal(150_000 * 1024.0, next.Usage.Memory);
        Assert.Equal(262_144 * 1024.0, next.Limit.Memory);
        Assert.Equal(200_000, vm.BalloonCurrentKiB);

        // A new domain id (the VM restarted): nothing is repeated from before.
        time.Advance(TimeSpan.FromSeconds(1));
        vm.Update(ref next, DomainStats.Empty, 2, time.GetTimestamp(), 0, time, 30, detailed: false, balloonRead: false);
        Assert.True(double.IsNaN(next.Usage.Memory));
        Assert.True(double.IsNaN(vm.BalloonCurrentKiB));
    }

    [Fact]
    public void DomainFacts_MemoryChanged_TakenOnce()
    {
        var facts = new DomainFacts();
        Assert.False(facts.TakeMemoryChanged());
        facts.MarkMemoryChanged();
        Assert.True(facts.TakeMemoryChanged());
        Assert.False(facts.TakeMemoryChanged());
    }
}
