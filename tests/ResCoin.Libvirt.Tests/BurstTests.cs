using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security;
using System.Text;
using ResCoin.Libvirt.Native;
using ResCoin.Scheduling;
using ResCoin.Testing;
using Xunit.Abstractions;

namespace ResCoin.Libvirt.Tests;

/// <summary>
/// Runs after every parallel collection (so no other test guest burns a core meanwhile) and alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KvmBurst
{
    public const string Name = "kvm-burst";
}

/// <summary>
/// The coin on a real host (issue 10, target 3): three 1-vCPU TCG guests under qemu:///system, two burning CPU all the
/// time (hogs), one idling and then bursting for a fixed time while counting its own work (scripts/kvm/init.sh,
/// <c>rescoin.work=burst</c>). In one run, since the machine's speed drifts: the burster's work per burst with no
/// controller (plain CFS, equal shares; before and after), alone (hogs paused with <c>virsh suspend</c>; before and after), with
/// <c>cpu_shares</c> set by hand (8192 against 256; a reference, not asserted) and with the real <c>rescoin-host</c>
/// running (period 1 s, guest templates in its configuration; its <c>cpu_shares</c>/quota land on the real cgroup).
/// The asserted ratios take every run's work at the same speed (its CPU-seconds times the mean work per CPU-second of
/// all runs), since the machine's speed per CPU-second drifts between runs by more than the margin; the raw ones are
/// reported beside them.
/// </summary>
[Collection(KvmBurst.Name)]
public sealed class BurstTests(ITestOutputHelper output)
{
    private const string Prefix = "rescoin-test-burst-";
    private const long MemoryKiB = 128 * 1024;

    /// <summary>How long each burst lasts (host clock).</summary>
    private const int BurstSeconds = 15;

    /// <summary>How long the burster idles under rescoin-host before its burst, building credit.</summary>
    private const int CreditIdleSeconds = 45;

    /// <summary>The host's CPU reserve and the three guests' CPU templates in the rescoin-host configuration.</summary>
    private const double ReserveCores = 0.25;

    /// <summary>
    /// <c>ResCoin:Weighting:MaxBoost</c> and <c>CreditPeriods</c>: what rescoin-host ships (its appsettings.json: 8 and
    /// 10) unless RESCOIN_BURST_MAXBOOST / RESCOIN_BURST_CREDITPERIODS say otherwise ("library" = the library's own
    /// 1.866 and 30, which gave the burster 0.68 cores, 0.75x its no-controller work: its vCPU thread shares a core with
    /// a hog's, and a boost b gives it b / (b + 1) of that core; docs/design.md, "Weights and caps").
    /// </summary>
    private static readonly string MaxBoost = Environment.GetEnvironmentVariable("RESCOIN_BURST_MAXBOOST") ?? "default";

    private static readonly string CreditPeriods = Environment.GetEnvironmentVariable("RESCOIN_BURST_CREDITPERIODS") ?? "default";

    private readonly string _tag = Guid.NewGuid().ToString("N")[..6];
    private readonly StringBuilder _report = new();

    private string Burster => Prefix + _tag + "-b";

    private string Hog1 => Prefix + _tag + "-h1";

    private string Hog2 => Prefix + _tag + "-h2";

    [SkippableFact]
    public async Task Burster_GetsMoreWorkPerBurst_UnderRescoinHost_ThanWithNoController()
    {
        (string? root, string? reason) = FindPrerequisites(out string hostDll);
        Prerequisite.Require(reason is null, reason ?? string.Empty);
        string kvm = Path.Combine(root!, "artifacts", "kvm");
        string dir = Directory.CreateTempSubdirectory("rescoin-burst-").FullName;
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
        }

        var total = Stopwatch.StartNew();
        try
        {
            using (ConnectionHandle conn = LibvirtApi.Open(GuestFixture.Uri))
            {
                DestroyAll(conn, Prefix);
                foreach ((string name, string work) in new[] { (Burster, "burst"), (Hog1, "cpu"), (Hog2, "cpu") })
                {
                    string disk = Path.Combine(dir, name + ".raw");
                    using (FileStream f = File.Create(disk))
                    {
                        f.SetLength(1024 * 1024);
                    }

                    string xml = DomainXml(name, Path.Combine(kvm, "vmlinuz"), Path.Combine(kvm, "initramfs.gz"), disk, Path.Combine(dir, name + ".log"), work);
                    using DomainHandle dom = NativeMethods.virDomainCreateXML(conn, xml, 0);
                    Assert.False(dom.IsInvalid, LibvirtApi.LastError($"virDomainCreateXML({name})").Message);
                }
            }

            foreach (string name in new[] { Burster, Hog1, Hog2 })
            {
                await WaitForConsoleAsync(Path.Combine(dir, name + ".log"), "rescoin-guest: ready work=", TimeSpan.FromSeconds(180));
            }

            Note($"guests booted in {total.Elapsed.TotalSeconds:F0} s");

            // The contention under test is between the three guests. The machine is shared (builds of other work run in
            // the root cgroup, each task weighing as much as libvirt's whole machine partition), so the partition gets
            // the largest weight while the test runs, and its original weight back afterwards.
            using var partition = PartitionWeight.Raise(Burster, this);
            string[] vms = [Burster, Hog1, Hog2];
            long[] originalShares = [.. vms.Select(vm => Live.SchedulerParameter(vm, "cpu_shares"))];
            long[] originalQuota = [.. vms.Select(vm => Live.SchedulerParameter(vm, "global_quota"))];
            var burst = new BurstRunner(this, dir);

            // (a) No controller: plain CFS, equal shares.
            Measured a1 = await burst.RunAsync("a1 no controller");

            // (c) The burster alone: the hogs paused.
            Live.Virsh("suspend", Hog1);
            Live.Virsh("suspend", Hog2);
            Measured alone;
            try
            {
                alone = await burst.RunAsync("c  alone (hogs suspended)");
            }
            finally
            {
                Live.Virsh("resume", Hog1);
                Live.Virsh("resume", Hog2);
            }

            // (h) Shares set by hand: what the kernel can do with weights alone (a reference figure, not asserted).
            SetShares(Burster, 8192);
            SetShares(Hog1, 256);
            SetShares(Hog2, 256);
            Measured byHand;
            try
            {
                byHand = await burst.RunAsync("h  cpu_shares 8192 vs 256 by hand");
            }
            finally
            {
                for (int i = 0; i < vms.Length; i++)
                {
                    SetShares(vms[i], originalShares[i]);
                }
            }

            // (b) rescoin-host running: the burster idles (earning credit), then bursts.
            Measured withHost;
            string config = WriteHostConfig(dir);
            using (var host = new HostProcess(hostDll, config, Path.Combine(dir, "journal.json")))
            {
                await host.WaitForPeriodAsync(Burster, TimeSpan.FromSeconds(60));
                Note($"rescoin-host running; the burster idles {CreditIdleSeconds} s to build credit");
                await Task.Delay(TimeSpan.FromSeconds(CreditIdleSeconds));
                string before = host.LastLines(Burster, 1);
                withHost = await burst.RunAsync("b  rescoin-host");
                Note("rescoin-host before the burst: " + before);
                Note("rescoin-host at its end:       " + host.LastLines(Burster, 1));
                foreach (string line in host.SettingLines(8))
                {
                    Note("  applied: " + line);
                }

                int exit = await host.StopAsync(TimeSpan.FromSeconds(60));
                Assert.Equal(0, exit);
            }

            // Stopping rescoin-host put every original setting back.
            for (int i = 0; i < vms.Length; i++)
            {
                Assert.Equal(originalShares[i], Live.SchedulerParameter(vms[i], "cpu_shares"));
                Assert.Equal(originalQuota[i], Live.SchedulerParameter(vms[i], "global_quota"));
            }

            // (a) again: the machine drifts; the no-controller figure is the mean of the runs before and after.
            Measured a2 = await burst.RunAsync("a2 no controller");

            // (c) again: the alone figure drifts like the no-controller one (a1 and a2 differed by 18 % in one CI run while
            // the burster had half a core both times), so it is the mean of a run before and one after too.
            Live.Virsh("suspend", Hog1);
            Live.Virsh("suspend", Hog2);
            Measured alone2;
            try
            {
                alone2 = await burst.RunAsync("c2 alone (hogs suspended)");
            }
            finally
            {
                Live.Virsh("resume", Hog1);
                Live.Virsh("resume", Hog2);
            }

            double a = (a1.Work + a2.Work) / 2;
            double soloWork = (alone.Work + alone2.Work) / 2;
            Note(string.Create(CultureInfo.InvariantCulture,
                $"work per {BurstSeconds} s burst: no controller {a1.Work:F0} / {a2.Work:F0} (mean {a:F0}), alone {alone.Work:F0} / {alone2.Work:F0} (mean {soloWork:F0}), shares by hand {byHand.Work:F0}, rescoin-host {withHost.Work:F0}"));
            Note(string.Create(CultureInfo.InvariantCulture,
                $"raw: rescoin-host / no controller = {withHost.Work / a:F2}; rescoin-host / alone = {withHost.Work / soloWork:F2}; by hand / no controller = {byHand.Work / a:F2}"));
            Note(string.Create(CultureInfo.InvariantCulture,
                $"burster cores while bursting: no controller {a1.Cores:F2} / {a2.Cores:F2}, alone {alone.Cores:F2} / {alone2.Cores:F2}, shares by hand {byHand.Cores:F2}, rescoin-host {withHost.Cores:F2}"));
            // The machine's speed drifts between runs: a TCG guest's work per CPU-second on this shared VM moved by up to
            // 2x between two 15 s runs of the same configuration (549k and 1.06M loop iterations per CPU-second, no
            // controller) and by 20 % between the two "alone" runs of one CI run, which once put the raw ratio at
            // 1.249 while the burster had 0.99 cores under rescoin-host against 0.73 with no controller. So every run's
            // work is taken at the same speed: its own CPU-seconds times the mean speed (work per CPU-second) of all
            // six runs. What the scheduler decides, the burster's share of the CPU, stays in; the drift goes. The raw
            // ratios are reported beside them.
            Measured[] runs = [a1, a2, alone, alone2, byHand, withHost];
            double speed = runs.Average(r => r.Work / r.Cores);
            double AtMeanSpeed(Measured r) => r.Cores * speed;
            double ratio = AtMeanSpeed(withHost) / ((AtMeanSpeed(a1) + AtMeanSpeed(a2)) / 2);
            double ofAlone = AtMeanSpeed(withHost) / ((AtMeanSpeed(alone) + AtMeanSpeed(alone2)) / 2);
            Note(string.Create(CultureInfo.InvariantCulture,
                $"speed (work per CPU-second): no controller {a1.Work / a1.Cores:F0} / {a2.Work / a2.Cores:F0}, alone {alone.Work / alone.Cores:F0} / {alone2.Work / alone2.Cores:F0}, by hand {byHand.Work / byHand.Cores:F0}, rescoin-host {withHost.Work / withHost.Cores:F0}; mean {speed:F0}"));
            Note(string.Create(CultureInfo.InvariantCulture,
                $"at the mean speed: rescoin-host / no controller = {ratio:F2} (target >= 1.25); rescoin-host / alone = {ofAlone:F2} (target >= 0.8)"));
            Note($"total {total.Elapsed.TotalSeconds:F0} s");

            Assert.True(ratio >= 1.25, $"rescoin-host gave the burster {ratio:F2}x its no-controller work per burst at the runs' mean speed (want >= 1.25; raw {withHost.Work / a:F2})\n{_report}");
            Assert.True(ofAlone >= 0.8, $"rescoin-host gave the burster {ofAlone:F2} of its work alone at the runs' mean speed (want >= 0.8; raw {withHost.Work / soloWork:F2})\n{_report}");
        }
        finally
        {
            try
            {
                using ConnectionHandle conn = LibvirtApi.Open(GuestFixture.Uri);
                DestroyAll(conn, Prefix + _tag);
            }
            catch (LibvirtException)
            {
            }

            output.WriteLine(_report.ToString());
            WriteResultFile(root);
            KeepConsoles(root, dir);
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static (string? Root, string? Reason) FindPrerequisites(out string hostDll)
    {
        hostDll = string.Empty;
        string? root = GuestFixture.FindRepoRoot();
        if (root is null)
        {
            return (null, "cannot find ResCoin.sln above the test assembly");
        }

        if (!Environment.IsPrivilegedProcess)
        {
            return (root, "the burst test needs root (qemu:///system, virsh)");
        }

        string kvm = Path.Combine(root, "artifacts", "kvm");
        if (!File.Exists(Path.Combine(kvm, "vmlinuz")) || !File.Exists(Path.Combine(kvm, "initramfs.gz")))
        {
            return (root, "no test guest in artifacts/kvm: run scripts/setup-host.sh");
        }

        // rescoin-host is built beside this test assembly's configuration (the project references it).
        string testProject = Path.Combine(root, "tests", "ResCoin.Libvirt.Tests");
        string relative = Path.GetRelativePath(testProject, AppContext.BaseDirectory);
        hostDll = Path.Combine(root, "samples", "ResCoin.Host", relative, "rescoin-host.dll");
        if (!File.Exists(hostDll))
        {
            return (root, $"rescoin-host is not built ({hostDll}): build samples/ResCoin.Host");
        }

        try
        {
            using ConnectionHandle conn = LibvirtApi.Open(GuestFixture.Uri);
        }
        catch (Exception ex) when (ex is LibvirtException or DllNotFoundException)
        {
            return (root, $"cannot connect to {GuestFixture.Uri} (run scripts/setup-host.sh): {ex.Message}");
        }

        try
        {
            Live.Virsh("version");
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return (root, "virsh does not run (run scripts/setup-host.sh): " + ex.Message);
        }

        return (root, null);
    }

    private string WriteHostConfig(string dir)
    {
        double template = (Environment.ProcessorCount - ReserveCores) / 3;
        string t = template.ToString("R", CultureInfo.InvariantCulture);
        string json = string.Create(CultureInfo.InvariantCulture, $$"""
            {
              "Logging": { "LogLevel": { "Default": "Warning", "ResCoin.Libvirt": "Information" } },
              "ResCoin": {
                "Policy": "rescoin",
                "Resources": "Cpu",
                "Reserve": { "Cpu": {{ReserveCores}} },
                "Weighting": { {{Setting("MaxBoost", MaxBoost)}}{{Setting("CreditPeriods", CreditPeriods)}}"UnservedPressure": 0.02 },
                "Templates": {
                  "{{Burster}}": { "Cpu": {{t}} },
                  "{{Hog1}}": { "Cpu": {{t}} },
                  "{{Hog2}}": { "Cpu": {{t}} }
                }
              }
            }
            """);
        string path = Path.Combine(dir, "rescoin-host.json");
        File.WriteAllText(path, json);
        Note($"rescoin-host configuration: period 1 s, CPU only, reserve {ReserveCores} core, template {t} cores each, MaxBoost {(MaxBoost == "default" ? "as shipped (appsettings.json)" : MaxBoost)}, CreditPeriods {(CreditPeriods == "default" ? "as shipped" : CreditPeriods)}");
        return path;

        static string Setting(string key, string value)
            => value == "default" ? string.Empty
            : value == "library" ? $"\"{key}\": {(key == "MaxBoost" ? CreditWeighting.DefaultMaxBoost : CreditWeighting.DefaultCreditPeriods).ToString(CultureInfo.InvariantCulture)}, "
            : $"\"{key}\": {double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture)}, ";
    }

    private static void SetShares(string vm, long shares)
    {
        using ConnectionHandle c = LibvirtApi.Open(GuestFixture.Uri);
        using DomainHandle d = LibvirtApi.Lookup(c, vm);
        using var p = new TypedParameterBuffer(1);
        p.Add("cpu_shares", TypedParameterType.ULLong, shares);
        LibvirtApi.SetSchedulerParameters(d, vm, p);
    }

    private static void DestroyAll(ConnectionHandle conn, string prefix)
    {
        foreach (string name in LibvirtApi.ListRunningDomainNames(conn))
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal))
            {
                try
                {
                    using DomainHandle d = LibvirtApi.Lookup(conn, name);
                    _ = NativeMethods.virDomainDestroy(d);
                }
                catch (LibvirtException)
                {
                }
            }
        }
    }

    private static async Task<string> WaitForConsoleAsync(string log, string text, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (File.Exists(log))
            {
                foreach (string line in await File.ReadAllLinesAsync(log))
                {
                    if (line.StartsWith(text, StringComparison.Ordinal))
                    {
                        return line;
                    }
                }
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"no '{text}' on the console {log} within {timeout.TotalSeconds:F0} s");
    }

    private static string DomainXml(string name, string kernel, string initrd, string disk, string log, string work)
    {
        static string E(string s) => SecurityElement.Escape(s);
        return string.Create(CultureInfo.InvariantCulture, $"""
            <domain type='qemu'>
              <name>{E(name)}</name>
              <memory unit='KiB'>{MemoryKiB}</memory>
              <currentMemory unit='KiB'>{MemoryKiB}</currentMemory>
              <vcpu>1</vcpu>
              <os><type arch='x86_64' machine='pc'>hvm</type>
                <kernel>{E(kernel)}</kernel><initrd>{E(initrd)}</initrd>
                <cmdline>console=ttyS0 quiet rescoin.work={work}</cmdline></os>
              <on_poweroff>destroy</on_poweroff><on_crash>destroy</on_crash>
              <devices>
                <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{E(disk)}'/><target dev='vda' bus='virtio'/></disk>
                <serial type='file'><source path='{E(log)}'/><target port='0'/></serial>
                <memballoon model='none'/>
              </devices>
            </domain>
            """);
    }

    private void Note(string line)
    {
        _report.AppendLine(line);
    }

    private static void KeepConsoles(string? root, string dir)
    {
        if (root is null)
        {
            return;
        }

        try
        {
            string keep = Path.Combine(root, "artifacts", "test-results", "burst-consoles");
            Directory.CreateDirectory(keep);
            foreach (string log in Directory.EnumerateFiles(dir, "*.log"))
            {
                File.Copy(log, Path.Combine(keep, Path.GetFileName(log)), overwrite: true);
            }
        }
        catch (IOException)
        {
        }
    }

    private void WriteResultFile(string? root)
    {
        if (root is null)
        {
            return;
        }

        try
        {
            string dir = Path.Combine(root, "artifacts", "test-results");
            Directory.CreateDirectory(dir);
            File.AppendAllText(Path.Combine(dir, "burst.txt"),
                $"== {DateTimeOffset.UtcNow:u}\n{_report}");
        }
        catch (IOException)
        {
        }
    }

    private readonly record struct Measured(double Work, double Cores);

    /// <summary>
    /// For the test: the guests' parent cgroup (libvirt's partition, cgroup v1 <c>cpu</c>) gets the largest
    /// <c>cpu.shares</c>, and this process (with the rescoin-host and virsh it starts) and libvirtd move into a child of
    /// that partition with the largest weight too (they mostly sleep), so that the contention measured is between the guests, the harness and libvirtd are not starved by
    /// them, and the rest of a shared machine's load (each task of the root cgroup weighs as much as the whole partition)
    /// weighs little. Everything is put back on dispose; leftovers of a killed run are put back on the next start.
    /// </summary>
    private sealed class PartitionWeight : IDisposable
    {
        private const string HarnessPrefix = "rescoin-test-harness-";
        private const string LibvirtDefaultShares = "1024";
        private readonly string? _sharesFile;
        private readonly string? _originalShares;
        private readonly string? _harness;
        private readonly List<(int Pid, string Home)> _moved = [];

        private PartitionWeight(string? sharesFile, string? originalShares, string? harness)
        {
            _sharesFile = sharesFile;
            _originalShares = originalShares;
            _harness = harness;
        }

        public static PartitionWeight Raise(string vm, BurstTests test)
        {
            string? group = Live.CpuCgroup(vm);
            string? parent = group is null ? null : Path.GetDirectoryName(group);
            string? mount = parent is null ? null : Path.GetDirectoryName(parent);
            if (parent is null || mount is null || !File.Exists(Path.Combine(parent, "cpu.shares")) || CpuCgroupOf(Environment.ProcessId, mount) is null)
            {
                test.Note("no cgroup v1 cpu hierarchy above the guests: the partition keeps its weight, the harness its cgroup");
                return new PartitionWeight(null, null, null);
            }

            string sharesFile = Path.Combine(parent, "cpu.shares");
            CleanLeftovers(parent, mount, sharesFile);
            string original = File.ReadAllText(sharesFile).Trim();
            string harness = Path.Combine(parent, HarnessPrefix + test._tag);
            Directory.CreateDirectory(harness);

            // The harness, libvirtd and rescoin-host mostly sleep; with a small weight a sleeping group waking beside a
            // guest of weight 8192 waits seconds for a CPU (seen: the console went unread for 45 s), so they get the most.
            File.WriteAllText(Path.Combine(harness, "cpu.shares"), "262144");
            var raised = new PartitionWeight(sharesFile, original, harness);
            File.WriteAllText(sharesFile, "262144");
            var pids = new List<int> { Environment.ProcessId };
            pids.AddRange(PidsOf("libvirtd"));
            foreach (int pid in pids)
            {
                string? home = CpuCgroupOf(pid, mount);
                if (home is not null)
                {
                    File.WriteAllText(Path.Combine(harness, "cgroup.procs"), pid.ToString(CultureInfo.InvariantCulture));
                    raised._moved.Add((pid, home));
                }
            }

            test.Note($"{sharesFile}: {original} -> 262144 for the test; this process and libvirtd run in {harness}");
            return raised;
        }

        public void Dispose()
        {
            foreach ((int pid, string home) in _moved)
            {
                try
                {
                    File.WriteAllText(Path.Combine(home, "cgroup.procs"), pid.ToString(CultureInfo.InvariantCulture));
                }
                catch (IOException)
                {
                    // The process is gone.
                }
            }

            if (_sharesFile is not null && _originalShares is not null)
            {
                File.WriteAllText(_sharesFile, _originalShares);
            }

            if (_harness is not null)
            {
                TryRemove(_harness);
            }
        }

        /// <summary>A killed run left its harness group (and the raised weight): tasks back to the root, libvirt's default weight back.</summary>
        private static void CleanLeftovers(string parent, string mount, string sharesFile)
        {
            bool found = false;
            foreach (string dir in Directory.EnumerateDirectories(parent, HarnessPrefix + "*"))
            {
                found = true;
                foreach (string pid in File.ReadAllLines(Path.Combine(dir, "cgroup.procs")))
                {
                    try
                    {
                        File.WriteAllText(Path.Combine(mount, "cgroup.procs"), pid);
                    }
                    catch (IOException)
                    {
                    }
                }

                TryRemove(dir);
            }

            if (found && File.ReadAllText(sharesFile).Trim() == "262144")
            {
                File.WriteAllText(sharesFile, LibvirtDefaultShares);
            }
        }

        private static void TryRemove(string dir)
        {
            try
            {
                Directory.Delete(dir);
            }
            catch (IOException)
            {
                // A child process still in it: it goes when the process exits; the name is unique per run.
            }
        }

        private static IEnumerable<int> PidsOf(string comm)
        {
            foreach (string dir in Directory.EnumerateDirectories("/proc"))
            {
                if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
                    && File.Exists(Path.Combine(dir, "comm")))
                {
                    string name;
                    try
                    {
                        name = File.ReadAllText(Path.Combine(dir, "comm")).Trim();
                    }
                    catch (IOException)
                    {
                        continue;
                    }

                    if (name == comm)
                    {
                        yield return pid;
                    }
                }
            }
        }

        /// <summary>A process's cgroup in the v1 <c>cpu</c> hierarchy mounted at <paramref name="mount"/> (from /proc/PID/cgroup).</summary>
        private static string? CpuCgroupOf(int pid, string mount)
        {
            foreach (string line in File.ReadAllLines($"/proc/{pid}/cgroup"))
            {
                string[] f = line.Split(':', 3);
                if (f.Length == 3 && f[1].Split(',').Contains("cpu"))
                {
                    return Path.Combine(mount, f[2].TrimStart('/'));
                }
            }

            return null;
        }
    }

    /// <summary>
    /// Starts and stops the burster's bursts through the first line of its disk and reads its running work count from
    /// its console file. The host times each burst: the burster's work per burst is its work rate between the first and
    /// the last count seen, times <see cref="BurstSeconds"/> (a starved TCG guest's own clock runs slow).
    /// </summary>
    private sealed class BurstRunner(BurstTests test, string dir)
    {
        private readonly ConsoleTail _console = new(Path.Combine(dir, test.Burster + ".log"));
        private readonly string _disk = Path.Combine(dir, test.Burster + ".raw");
        private int _seq;

        public async Task<Measured> RunAsync(string label)
        {
            int seq = ++_seq;
            string work = string.Create(CultureInfo.InvariantCulture, $"rescoin-work: {seq} ");
            _console.Skip();
            WriteCommand(string.Create(CultureInfo.InvariantCulture, $"go {seq}"));
            (TimeSpan t0, double c0) = await _console.WaitForCountAsync(work, TimeSpan.FromSeconds(60));
            // cpu.time is read off this loop (a slow libvirtd must not delay the console reads, which time the work).
            Task<(long Ns, TimeSpan At)> cpu0 = Task.Run(() => (CpuTimeNs(test.Burster), _console.Now));
            TimeSpan end = t0 + TimeSpan.FromSeconds(BurstSeconds);
            (TimeSpan t1, double c1) = (t0, c0);
            Task<(long Ns, TimeSpan At)>? cpu1 = null;
            int lines = 1;

            // Until the first count seen at or after the end (the console may lag; the rate is over what was seen).
            while (t1 < end && _console.Now < end + TimeSpan.FromSeconds(30))
            {
                await Task.Delay(50);
                if (cpu1 is null && _console.Now >= end)
                {
                    cpu1 = Task.Run(() => (CpuTimeNs(test.Burster), _console.Now));
                }

                foreach ((TimeSpan t, string line) in _console.Read())
                {
                    if (line.StartsWith(work, StringComparison.Ordinal))
                    {
                        (t1, c1) = (t, ParseCount(line, work));
                        lines++;
                    }
                }
            }

            cpu1 ??= Task.Run(() => (CpuTimeNs(test.Burster), _console.Now));
            ((long Ns, TimeSpan At) first, (long Ns, TimeSpan At) last) = (await cpu0, await cpu1);

            WriteCommand("idle");
            await _console.WaitForCountAsync(string.Create(CultureInfo.InvariantCulture, $"rescoin-burst: {seq} "), TimeSpan.FromSeconds(60));

            double seconds = (t1 - t0).TotalSeconds;
            Assert.True(seconds >= BurstSeconds, $"{label}: the burster's count reached the console over {seconds:F1} s only ({c1 - c0:F0} iterations, {lines} lines)\n{test._report}");
            double perBurst = (c1 - c0) / seconds * BurstSeconds;
            double cores = (last.Ns - first.Ns) / 1e9 / (last.At - first.At).TotalSeconds;
            Assert.True(perBurst > 0, label + ": no work");
            test.Note(string.Create(CultureInfo.InvariantCulture,
                $"{label,-36} work/burst {perBurst,9:F0}   ({c1 - c0:F0} over {seconds:F1} s, {lines} lines)   burster {cores:F2} cores (cpu.time)"));
            return new Measured(perBurst, cores);
        }

        private void WriteCommand(string command)
        {
            byte[] sector = new byte[512];
            Encoding.ASCII.GetBytes(command + "\n").CopyTo(sector, 0);
            using var f = new FileStream(_disk, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
            f.Write(sector);
            f.Flush(flushToDisk: true);
        }

        private static double ParseCount(string line, string prefix)
            => double.Parse(line.AsSpan(prefix.Length).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture);

        private static long CpuTimeNs(string vm)
        {
            using ConnectionHandle c = LibvirtApi.Open(GuestFixture.Uri);
            using DomainHandle d = LibvirtApi.Lookup(c, vm);
            return (long)LibvirtApi.GetInfo(d, vm).CpuTimeNs;
        }

        /// <summary>Reads the lines appended to a console file, each stamped with when it was first seen.</summary>
        private sealed class ConsoleTail(string path)
        {
            private readonly Stopwatch _clock = Stopwatch.StartNew();
            private readonly StringBuilder _partial = new();
            private long _offset;

            public TimeSpan Now => _clock.Elapsed;

            public void Skip() => _ = Read().Count;

            public List<(TimeSpan Seen, string Line)> Read()
            {
                var lines = new List<(TimeSpan, string)>();
                using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                TimeSpan now = _clock.Elapsed;
                if (f.Length <= _offset)
                {
                    return lines;
                }

                f.Position = _offset;
                byte[] buffer = new byte[f.Length - _offset];
                f.ReadExactly(buffer);
                _offset += buffer.Length;
                foreach (char ch in Encoding.ASCII.GetString(buffer))
                {
                    if (ch == '\n')
                    {
                        lines.Add((now, _partial.ToString().TrimEnd('\r')));
                        _partial.Clear();
                    }
                    else
                    {
                        _partial.Append(ch);
                    }
                }

                return lines;
            }

            public async Task<(TimeSpan Seen, double Count)> WaitForCountAsync(string prefix, TimeSpan timeout)
            {
                TimeSpan deadline = Now + timeout;
                while (Now < deadline)
                {
                    foreach ((TimeSpan t, string line) in Read())
                    {
                        if (line.StartsWith(prefix, StringComparison.Ordinal))
                        {
                            return (t, ParseCount(line, prefix));
                        }
                    }

                    await Task.Delay(50);
                }

                throw new TimeoutException($"no '{prefix}' on the console {path} within {timeout.TotalSeconds:F0} s");
            }
        }
    }

    /// <summary>The real rescoin-host (<c>dotnet exec rescoin-host.dll</c>), its output kept for the report.</summary>
    private sealed class HostProcess : IDisposable
    {
        private readonly Process _process;
        private readonly ConcurrentQueue<string> _lines = new();

        public HostProcess(string dll, string config, string journal)
        {
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string a in new[] { "exec", dll, "--config", config, "--period", "1", "--journal", journal, "--metrics", "none", "--report", "vms" })
            {
                psi.ArgumentList.Add(a);
            }

            psi.Environment["DOTNET_ENVIRONMENT"] = "Production";
            _process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start rescoin-host");
            _process.OutputDataReceived += (_, e) => Keep(e.Data);
            _process.ErrorDataReceived += (_, e) => Keep(e.Data);
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        public async Task WaitForPeriodAsync(string vm, TimeSpan timeout)
        {
            var sw = Stopwatch.StartNew();
            while (sw.Elapsed < timeout)
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"rescoin-host exited with {_process.ExitCode}: {string.Join('\n', _lines)}");
                }

                if (_lines.Any(l => l.Contains(" " + vm, StringComparison.Ordinal) && l.StartsWith("period ", StringComparison.Ordinal)))
                {
                    return;
                }

                await Task.Delay(200);
            }

            throw new TimeoutException($"rescoin-host printed no period for {vm} within {timeout.TotalSeconds:F0} s: {string.Join('\n', _lines)}");
        }

        public string LastLines(string vm, int count)
            => string.Join(" / ", _lines.Where(l => l.StartsWith("period ", StringComparison.Ordinal) && l.Contains(vm, StringComparison.Ordinal)).TakeLast(count));

        public IEnumerable<string> SettingLines(int count)
            => _lines.Where(l => l.Contains("->", StringComparison.Ordinal)).TakeLast(count);

        public async Task<int> StopAsync(TimeSpan timeout)
        {
            // SIGTERM: the host stops its loop and restores every journaled setting.
            using (Process kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            using var cts = new CancellationTokenSource(timeout);
            await _process.WaitForExitAsync(cts.Token);
            return _process.ExitCode;
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit();
            }

            _process.Dispose();
        }

        private void Keep(string? line)
        {
            if (line is not null)
            {
                _lines.Enqueue(line);
            }
        }
    }
}
