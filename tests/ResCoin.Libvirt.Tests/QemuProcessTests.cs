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

    [Theory]
    [InlineData("38683926257 4937565055 26958\n", 38683926257L, 4937565055L)]
    [InlineData("0 0 0", 0L, 0L)]
    [InlineData("12 34", 12L, 34L)]
    public void ParseSchedStat_RunAndWaitNanoseconds(string line, long run, long wait)
        => Assert.Equal((run, wait), QemuProcess.ParseSchedStat(Encoding.ASCII.GetBytes(line)));

    [Theory]
    [InlineData("")]
    [InlineData("12")]
    [InlineData("12 x 3")]
    [InlineData("-1 2 3")]
    [InlineData("12 34x 3")]
    public void ParseSchedStat_Malformed_IsNull(string line)
        => Assert.Null(QemuProcess.ParseSchedStat(Encoding.ASCII.GetBytes(line)));

    [Fact]
    public void FindVcpus_OnlyTheCpuThreads_TheirRunAndWaitSummed_AThreadGoneIsSeen()
    {
        string run = Path.Combine(_dir, "run");
        string proc = Path.Combine(_dir, "proc");
        Directory.CreateDirectory(run);
        string pid = Path.Combine(proc, "4242");
        File.WriteAllText(Path.Combine(run, "vm1.pid"), "4242");
        Directory.CreateDirectory(pid);
        File.WriteAllText(Path.Combine(pid, "cmdline"), "/usr/bin/qemu-system-x86_64\0-name\0guest=vm1,debug-threads=on\0");
        File.WriteAllText(Path.Combine(pid, "stat"), "4242 (qemu-system-x86) S 1 2 3 4 5 6 7 8 9 10 300 50 0 0 20 0\n");
        void Task(string tid, string comm, string schedstat)
        {
            Directory.CreateDirectory(Path.Combine(pid, "task", tid));
            File.WriteAllText(Path.Combine(pid, "task", tid, "comm"), comm + "\n");
            File.WriteAllText(Path.Combine(pid, "task", tid, "schedstat"), schedstat + "\n");
        }

        Task("4242", "qemu-system-x86", "900 900 9");
        Task("4244", "IO mon_iothread", "500 500 5");
        Task("4245", "CPU 0/TCG", "1000 200 10");
        Task("4246", "CPU 1/TCG", "3000 800 30");
        Task("4247", "CPUx", "7 7 7");

        using QemuProcess? p = QemuProcess.TryOpen(run, "vm1", proc);
        Assert.NotNull(p);
        Assert.False(p.ReadVcpuTimes(out _, out _)); // not looked for yet
        Assert.True(p.FindVcpus());
        Assert.Equal(2, p.VcpuCount);
        Assert.True(p.ReadVcpuTimes(out double runNs, out double waitNs));
        Assert.Equal(4000, runNs);
        Assert.Equal(1000, waitNs);

        // The files stay open and are read again.
        File.WriteAllText(Path.Combine(pid, "task", "4245", "schedstat"), "1500 300 11\n");
        Assert.True(p.ReadVcpuTimes(out runNs, out waitNs));
        Assert.Equal(4500, runNs);
        Assert.Equal(1100, waitNs);

        // No vCPU thread at all: none found.
        Directory.Delete(Path.Combine(pid, "task", "4245"), recursive: true);
        Directory.Delete(Path.Combine(pid, "task", "4246"), recursive: true);
        Assert.False(p.FindVcpus());
        Assert.Equal(0, p.VcpuCount);
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
    public void VmState_ChangeOfVcpuCounters_GivesNoPressureForThatPeriod()
    {
        var time = new FakeTimeProvider();
        var vm = new LibvirtMonitor.VmState("vm"u8.ToArray());
        DomainStats s = DomainStats.Empty;
        VmSample sample = VmSample.Unmeasured(new VmId("vm"));
        s.VcpuCurrent = 2;
        s.VcpuTimeNs = 10e9; // libvirtd's counters
        s.VcpuDelayNs = 1e9;
        vm.Update(ref sample, s, 1, time.GetTimestamp(), 0, time, 30, detailed: true, vcpuFromProcess: false);
        time.Advance(TimeSpan.FromSeconds(1));
        s.VcpuTimeNs = 4e9; // the threads' schedstat: another origin
        s.VcpuDelayNs = 0.5e9;
        vm.Update(ref sample, s, 1, time.GetTimestamp(), 0, time, 30, detailed: true, vcpuFromProcess: true);
        Assert.True(double.IsNaN(sample.Pressure.Cpu));
        Assert.Equal(2, sample.Limit.Cpu);
        time.Advance(TimeSpan.FromSeconds(1));
        s.VcpuTimeNs = 4.6e9; // ran 0.6 s, waited 0.2 s
        s.VcpuDelayNs = 0.7e9;
        vm.Update(ref sample, s, 1, time.GetTimestamp(), 0, time, 30, detailed: true, vcpuFromProcess: true);
        Assert.Equal(0.25, sample.Pressure.Cpu, 12);
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
