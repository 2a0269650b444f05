using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace ResCoin.Libvirt.Tests;

/// <summary>Monitor and actuator against real TCG guests on qemu:///system (see <see cref="GuestFixture"/>).</summary>
[Collection(KvmGuests.Name)]
public sealed class RealVmTests(GuestFixture guests) : IDisposable
{
    private readonly string _journal = Path.Combine(Path.GetTempPath(), "rescoin-test-journal-" + Guid.NewGuid().ToString("N") + ".json");

    public void Dispose()
    {
        File.Delete(_journal);
        File.Delete(_journal + ".tmp");
    }

    private LibvirtOptions Options(Action<LibvirtOptions>? configure = null)
    {
        var o = new LibvirtOptions { ConnectionUri = GuestFixture.Uri, JournalPath = _journal, MemoryStatsPeriodSeconds = 1 };
        configure?.Invoke(o);
        return o;
    }

    [SkippableFact]
    public async Task Monitor_CpuBurningGuest_MeasuresAboutOneCore()
    {
        guests.Require();
        using var monitor = new LibvirtMonitor(Options());
        var s = new HostSnapshot();
        await monitor.SampleAsync(s, default);
        await Task.Delay(TimeSpan.FromSeconds(3));
        s.Clear();
        await monitor.SampleAsync(s, default);

        Assert.InRange(s.Interval.TotalSeconds, 2.9, 4.5);
        Assert.Equal(Environment.ProcessorCount, s.HostCapacity.Cpu);
        Assert.True(s.HostCapacity.Memory > 1e9);
        VmSample cpu = s.Vms[s.IndexOf(new VmId(guests.CpuGuest))];
        VmSample idle = s.Vms[s.IndexOf(new VmId(guests.IdleGuest))];
        // A spinning TCG guest wants one host core. On a busy 2-core machine it gets less, and the rest of the
        // period its vCPU waits in the run queue (CPU pressure): used + waited is one core either way.
        Assert.InRange(cpu.Usage.Cpu, 0.1, 1.1);
        Assert.InRange(cpu.Usage.Cpu + cpu.Pressure.Cpu, 0.8, 1.2);
        Assert.InRange(idle.Usage.Cpu, 0.0, 0.5);
        Assert.True(cpu.Usage.Cpu + cpu.Pressure.Cpu > idle.Usage.Cpu + idle.Pressure.Cpu + 0.4);
        Assert.Equal(1, cpu.Limit.Cpu);
        Assert.Equal(GuestFixture.MemoryKiB * 1024.0, cpu.Limit.Memory);
        // Guest-used memory from balloon stats: well below the 192 MiB the guest has.
        Assert.InRange(idle.Usage.Memory, 4e6, GuestFixture.MemoryKiB * 1024.0);
        Assert.InRange(idle.Usage.DiskWrite, 0, 1e6);
    }

    [SkippableFact]
    public async Task Monitor_CpuAndVcpusFromQemuProcess_AgreeWithLibvirtd_AndLibvirtdIsNotAskedForThem()
    {
        guests.Require();
        using var fromProcess = new LibvirtMonitor(Options());
        using var fromLibvirtd = new LibvirtMonitor(Options(o => o.QemuRunDirectory = string.Empty));
        var a = new HostSnapshot();
        var b = new HostSnapshot();
        await fromProcess.SampleAsync(a, default);
        await fromLibvirtd.SampleAsync(b, default);
        await Task.Delay(TimeSpan.FromSeconds(4));
        a.Clear();
        b.Clear();
        await fromProcess.SampleAsync(a, default);
        await fromLibvirtd.SampleAsync(b, default);

        // The steady-state call leaves cpu-total and the vCPU group out when every VM's process and vCPU threads were
        // found; the other monitor asks for them.
        Assert.Equal(0u, fromProcess.LastStatsMask & Native.NativeMethods.StatsCpuTotal);
        Assert.NotEqual(0u, fromLibvirtd.LastStatsMask & Native.NativeMethods.StatsCpuTotal);
        Assert.Equal(0u, fromProcess.LastStatsMask & Native.NativeMethods.StatsVcpu);
        Assert.NotEqual(0u, fromLibvirtd.LastStatsMask & Native.NativeMethods.StatsVcpu);
        foreach (string name in new[] { guests.CpuGuest, guests.IdleGuest })
        {
            double p = a.Vms[a.IndexOf(new VmId(name))].Usage.Cpu;
            double l = b.Vms[b.IndexOf(new VmId(name))].Usage.Cpu;
            // Two counters of the same threads over nearly the same 4 s (10 ms ticks against nanoseconds).
            Assert.InRange(p, l - 0.08, l + 0.08);

            // The vCPU count and the CPU pressure: the threads' schedstat against libvirtd's vcpu group (stat and sched).
            VmSample ps = a.Vms[a.IndexOf(new VmId(name))];
            VmSample ls = b.Vms[b.IndexOf(new VmId(name))];
            Assert.Equal(ls.Limit.Cpu, ps.Limit.Cpu);
            Assert.InRange(ps.Pressure.Cpu, ls.Pressure.Cpu - 0.1, ls.Pressure.Cpu + 0.1);
        }

        Assert.True(a.Vms[a.IndexOf(new VmId(guests.CpuGuest))].Usage.Cpu > 0.1);
    }

    [SkippableFact]
    public async Task Monitor_BalloonGroup_OncePerGuestStatsPeriod_AndAtOnceAfterTheActuatorMovedABalloon()
    {
        guests.Require();
        var facts = new Native.DomainFacts();
        using var monitor = new LibvirtMonitor(Options(o => o.MemoryStatsPeriodSeconds = 2), null, null, facts);
        var s = new HostSnapshot();
        await monitor.SampleAsync(s, default);
        Assert.NotEqual(0u, monitor.LastStatsMask & Native.NativeMethods.StatsBalloon);
        double used = s.Vms[s.IndexOf(new VmId(guests.IdleGuest))].Usage.Memory;
        Assert.InRange(used, 4e6, GuestFixture.MemoryKiB * 1024.0);

        // 1 s later (half the guest's stats period): no balloon group; the last figures are repeated, and handed on.
        await Task.Delay(TimeSpan.FromSeconds(1));
        s.Clear();
        await monitor.SampleAsync(s, default);
        Assert.Equal(0u, monitor.LastStatsMask & Native.NativeMethods.StatsBalloon);
        Assert.Equal(used, s.Vms[s.IndexOf(new VmId(guests.IdleGuest))].Usage.Memory);
        VmId idle = s.Vms[s.IndexOf(new VmId(guests.IdleGuest))].Id;
        Assert.True(facts.TryGet(idle, s.Timestamp, out Native.DomainFacts.Fact fact));
        Assert.Equal((ulong)GuestFixture.MemoryKiB, fact.MaxMemoryKiB);
        Assert.True(fact.MemoryKiB > 0);

        // The actuator moved a balloon: the next sample reads the group again, though the period has not passed.
        facts.MarkMemoryChanged();
        s.Clear();
        await monitor.SampleAsync(s, default);
        Assert.NotEqual(0u, monitor.LastStatsMask & Native.NativeMethods.StatsBalloon);

        // And once the guest's stats period has passed.
        await Task.Delay(TimeSpan.FromSeconds(1));
        s.Clear();
        await monitor.SampleAsync(s, default);
        Assert.Equal(0u, monitor.LastStatsMask & Native.NativeMethods.StatsBalloon);
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        s.Clear();
        await monitor.SampleAsync(s, default);
        Assert.NotEqual(0u, monitor.LastStatsMask & Native.NativeMethods.StatsBalloon);
    }

    [SkippableFact]
    public async Task Monitor_QuietPeriod_AsksLibvirtdNothing_UntilADomainIsPausedOrResumed()
    {
        guests.Require();
        // Nothing due from libvirtd between calls: the slow groups once an hour, the balloon every 5 s.
        using var monitor = new LibvirtMonitor(Options(o =>
        {
            o.SlowStatsIntervalSeconds = 3600;
            o.MemoryStatsPeriodSeconds = 5;
        }));
        var s = new HostSnapshot();
        await monitor.SampleAsync(s, default);
        Assert.NotEqual(0u, monitor.LastStatsMask);
        double used = s.Vms[s.IndexOf(new VmId(guests.IdleGuest))].Usage.Memory;

        // 1 s later: no call at all; CPU measured from the processes, memory repeated, both VMs still there.
        await Task.Delay(TimeSpan.FromSeconds(1));
        s.Clear();
        await monitor.SampleAsync(s, default);
        Assert.Equal(0u, monitor.LastStatsMask);
        Assert.InRange(s.Interval.TotalSeconds, 0.9, 2.5);
        Assert.InRange(s.Vms[s.IndexOf(new VmId(guests.CpuGuest))].Usage.Cpu, 0.1, 1.1);
        Assert.InRange(s.Vms[s.IndexOf(new VmId(guests.IdleGuest))].Usage.Cpu, 0.0, 0.5);
        Assert.Equal(used, s.Vms[s.IndexOf(new VmId(guests.IdleGuest))].Usage.Memory);

        // A paused domain: libvirtd rewrote its status file, so the next sample asks, and leaves the paused VM out.
        Live.Virsh("suspend", guests.IdleGuest);
        try
        {
            s.Clear();
            await monitor.SampleAsync(s, default);
            Assert.NotEqual(0u, monitor.LastStatsMask);
            Assert.True(s.IndexOf(new VmId(guests.IdleGuest)) < 0, "the paused VM was sampled");
            Assert.True(s.IndexOf(new VmId(guests.CpuGuest)) >= 0);
            s.Clear();
            await monitor.SampleAsync(s, default);
            Assert.Equal(0u, monitor.LastStatsMask);
            Assert.True(s.IndexOf(new VmId(guests.IdleGuest)) < 0, "the paused VM came back without a call");
        }
        finally
        {
            Live.Virsh("resume", guests.IdleGuest);
        }

        // Resumed: asked again, and the VM is back.
        s.Clear();
        await monitor.SampleAsync(s, default);
        Assert.NotEqual(0u, monitor.LastStatsMask);
        Assert.True(s.IndexOf(new VmId(guests.IdleGuest)) >= 0);
    }

    [SkippableFact]
    public async Task Actuator_CapsCpu_QuotaInSchedulerAndCgroup_UsageDrops_RestoreUndoes()
    {
        guests.Require();
        using var monitor = new LibvirtMonitor(Options());
        using var actuator = new LibvirtActuator(Options());
        Assert.Equal(-1, Live.SchedulerParameter(guests.CpuGuest, "global_quota"));

        await actuator.ApplyAsync(Live.Plan(guests.CpuGuest, ResourceSet.Cpu, new ResourceVector(0.3, 0), ResourceVector.Fill(double.NaN)), default);
        try
        {
            Assert.Equal(30_000, Live.SchedulerParameter(guests.CpuGuest, "global_quota"));
            string? cgroup = Live.CpuCgroup(guests.CpuGuest);
            if (cgroup is not null)
            {
                Assert.Equal("30000", File.ReadAllText(Path.Combine(cgroup, "cpu.cfs_quota_us")).Trim());
            }

            Assert.True(actuator.JournaledSettings > 0);
            VmSample capped = await Live.MeasureAsync(monitor, guests.CpuGuest, TimeSpan.FromSeconds(3));
            Assert.InRange(capped.Usage.Cpu, 0.02, 0.4);
            // Still demanding a full core: the throttled time shows as pressure.
            Assert.True(capped.Usage.Cpu + capped.Pressure.Cpu > 0.8, $"used {capped.Usage.Cpu:F2} + waited {capped.Pressure.Cpu:F2}");
        }
        finally
        {
            await actuator.RestoreAsync(default);
        }

        Assert.Equal(-1, Live.SchedulerParameter(guests.CpuGuest, "global_quota"));
        Assert.Equal(0, actuator.JournaledSettings);
        string? group = Live.CpuCgroup(guests.CpuGuest);
        if (group is not null)
        {
            Assert.Equal("-1", File.ReadAllText(Path.Combine(group, "cpu.cfs_quota_us")).Trim());
        }
    }

    [SkippableFact]
    public async Task Actuator_Balloon_ShowsInBalloonCurrent_NeverBelowUsedPlusMargin_Restored()
    {
        guests.Require();
        using var monitor = new LibvirtMonitor(Options());
        using var actuator = new LibvirtActuator(Options(o => o.MemoryMaxDecreaseFraction = 0.5));
        var s = new HostSnapshot();
        await monitor.SampleAsync(s, default);
        VmSample idle = s.Vms[s.IndexOf(new VmId(guests.IdleGuest))];
        Assert.True(double.IsFinite(idle.Usage.Memory));

        // Ask for 1 byte: the floor (max(64 MiB, used + 32 MiB)) and the 50 % step limit decide. The balloon's first
        // change comes in the period its original is read at rest (seen in an earlier period too): the second, or later.
        for (int period = 0; period < 10 && actuator.JournaledSettings == 0; period++)
        {
            await actuator.ApplyAsync(Live.Plan(guests.IdleGuest, ResourceSet.Memory, new ResourceVector(0, 1), idle.Usage), default);
            await Task.Delay(300);
        }

        Assert.Equal(1, actuator.JournaledSettings);
        try
        {
            double floor = Math.Max(64 * 1024 * 1024, idle.Usage.Memory + (32 * 1024 * 1024));
            ulong expected = (ulong)Math.Ceiling(Math.Max(floor, GuestFixture.MemoryKiB * 1024 * 0.5) / 1024);
            ulong target = await Live.WaitForBalloonAsync(guests.IdleGuest, expected);
            Assert.InRange(target, expected - 1024, expected + 1024);
            s.Clear();
            await Task.Delay(1500);
            await monitor.SampleAsync(s, default);
            Assert.True(s.Vms[s.IndexOf(new VmId(guests.IdleGuest))].Usage.Memory < target * 1024.0);
        }
        finally
        {
            await actuator.RestoreAsync(default);
        }

        Assert.Equal((ulong)GuestFixture.MemoryKiB, await Live.WaitForBalloonAsync(guests.IdleGuest, GuestFixture.MemoryKiB));
    }

    [SkippableFact]
    public async Task Actuator_DiskLimits_ShowInBlockIoTune_ZeroNeverSent_Restored()
    {
        guests.Require();
        using var actuator = new LibvirtActuator(Options());
        var alloc = new ResourceVector(0, 0, diskRead: 8 * 1024 * 1024, diskWrite: 0);
        await actuator.ApplyAsync(Live.Plan(guests.IdleGuest, ResourceSet.DiskRead | ResourceSet.DiskWrite, alloc, ResourceVector.Fill(double.NaN)), default);
        try
        {
            Assert.Equal(8 * 1024 * 1024, Live.BlockIoTune(guests.IdleGuest, "vda", "read_bytes_sec"));
            // A computed 0 became the 1 MiB/s floor, never 0 (which would mean unlimited).
            Assert.Equal(1024 * 1024, Live.BlockIoTune(guests.IdleGuest, "vda", "write_bytes_sec"));
        }
        finally
        {
            await actuator.RestoreAsync(default);
        }

        Assert.Equal(0, Live.BlockIoTune(guests.IdleGuest, "vda", "read_bytes_sec"));
        Assert.Equal(0, Live.BlockIoTune(guests.IdleGuest, "vda", "write_bytes_sec"));
    }

    [SkippableFact]
    public async Task Actuator_NetworkLimitFails_LoggedClearly_OtherResourcesApplied()
    {
        guests.Require();
        var log = new ListLogger<LibvirtActuator>();
        using var actuator = new LibvirtActuator(Options(), logger: log);
        var alloc = new ResourceVector(0.5, 0, 0, 0, netRx: 1024 * 1024, netTx: 1024 * 1024);
        await actuator.ApplyAsync(Live.Plan(guests.IdleGuest, ResourceSet.Cpu | ResourceSet.NetRx | ResourceSet.NetTx, alloc, ResourceVector.Fill(double.NaN)), default);
        try
        {
            Assert.Equal(50_000, Live.SchedulerParameter(guests.IdleGuest, "global_quota"));
            (LogLevel level, string message) = Assert.Single(log.Lines, l => l.Message.Contains("network", StringComparison.Ordinal));
            // On these machines the sfq qdisc is missing, so the set fails: logged as an error naming VM and interface.
            Assert.Equal(LogLevel.Error, level);
            Assert.Contains(guests.IdleGuest, message, StringComparison.Ordinal);
            Assert.Contains("virDomainSetInterfaceParameters", message, StringComparison.Ordinal);
            Assert.DoesNotContain(log.Lines, l => l.Message.Contains("restored net:", StringComparison.Ordinal));
        }
        finally
        {
            await actuator.RestoreAsync(default);
        }

        Assert.Equal(-1, Live.SchedulerParameter(guests.IdleGuest, "global_quota"));
        Assert.Equal(0, actuator.JournaledSettings);
    }

    [SkippableFact]
    public async Task Actuator_VmVanishes_LoggedNotFatal_DryRunTouchesNothing()
    {
        guests.Require();
        var log = new ListLogger<LibvirtActuator>();
        using var actuator = new LibvirtActuator(Options(), logger: log);
        var plan = new AllocationPlan { Resources = ResourceSet.All, DryRun = true };
        plan.Add(new VmId(GuestFixture.Prefix + "does-not-exist"), new ResourceVector(0.2, 1e8, 1e6, 1e6, 1e6, 1e6), ResourceVector.Fill(double.NaN), ResourceVector.Fill(double.NaN), ResourceVector.Fill(double.NaN));
        plan.Add(new VmId(guests.CpuGuest), new ResourceVector(0.2, 1e8, 1e6, 1e6, 1e6, 1e6), ResourceVector.Fill(double.NaN), ResourceVector.Fill(double.NaN), ResourceVector.Fill(double.NaN));
        await actuator.ApplyAsync(plan, default);

        Assert.Contains(log.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains("does-not-exist", StringComparison.Ordinal));
        Assert.Contains(log.Lines, l => l.Message.StartsWith("dry-run: VM " + guests.CpuGuest + ": would set global_quota", StringComparison.Ordinal));
        Assert.Equal(-1, Live.SchedulerParameter(guests.CpuGuest, "global_quota"));
        Assert.Equal(0, Live.BlockIoTune(guests.CpuGuest, "vda", "read_bytes_sec"));
        Assert.Equal(0, actuator.JournaledSettings);
    }

    [SkippableFact]
    public async Task Journal_AfterKill9_NextStartRestoresOriginals()
    {
        guests.Require();
        string dll = typeof(RealVmTests).Assembly.Location;
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in new[] { "exec", dll, "crash-helper", GuestFixture.Uri, _journal, guests.IdleGuest })
        {
            psi.ArgumentList.Add(a);
        }

        using (Process child = Process.Start(psi)!)
        {
            try
            {
                Task<string?> line = child.StandardOutput.ReadLineAsync();
                Task done = await Task.WhenAny(line, Task.Delay(TimeSpan.FromSeconds(180)));
                Assert.True(done == line, "the crash helper did not apply within 180 s");
                Assert.Equal("applied", await line);
                Assert.Equal(25_000, Live.SchedulerParameter(guests.IdleGuest, "global_quota"));
                Assert.Equal(4 * 1024 * 1024, Live.BlockIoTune(guests.IdleGuest, "vda", "write_bytes_sec"));
            }
            finally
            {
                child.Kill(); // SIGKILL: no restore runs in the child.
                await child.WaitForExitAsync();
            }
        }

        // The kill left the VM throttled and the journal on disk.
        Assert.Equal(25_000, Live.SchedulerParameter(guests.IdleGuest, "global_quota"));
        Assert.True(File.Exists(_journal));

        // The next start: the first period restores the leftovers before applying anything new.
        var log = new ListLogger<LibvirtActuator>();
        using var next = new LibvirtActuator(Options(), logger: log);
        Assert.Equal(2, next.JournaledSettings);
        await next.ApplyAsync(new AllocationPlan { Resources = ResourceSet.All }, default);
        Assert.Equal(-1, Live.SchedulerParameter(guests.IdleGuest, "global_quota"));
        Assert.Equal(0, Live.BlockIoTune(guests.IdleGuest, "vda", "write_bytes_sec"));
        Assert.Contains(log.Lines, l => l.Message.Contains("did not stop cleanly", StringComparison.Ordinal));

        // The originals stay journaled until a clean stop (a restore in progress is not a new original).
        Assert.Equal(2, next.JournaledSettings);
        await next.RestoreAsync(default);
        Assert.Equal(0, next.JournaledSettings);
    }
}
