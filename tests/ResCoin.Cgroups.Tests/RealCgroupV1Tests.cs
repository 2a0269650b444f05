using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Options;
using ResCoin.Cgroups.Detection;
using ResCoin.Cgroups.IO;
using ResCoin.Prediction;
using ResCoin.Scheduling;
using ResCoin.Testing;
using Xunit.Abstractions;

namespace ResCoin.Cgroups.Tests;

/// <summary>
/// Real cgroup v1 on this host (root; v1 hierarchies writable): a CPU-burning child in a fresh
/// <c>rescoin-test-*</c> cgroup in the cpu, cpuacct, memory and blkio hierarchies, capped and restored.
/// Everything is removed afterwards, also when a test fails. Under CI=true a missing prerequisite fails.
/// </summary>
public sealed class RealCgroupV1Tests(ITestOutputHelper output)
{
    private const double Cap = 0.2;

    // Low enough that even a starved burner on a loaded machine exceeds it and gets throttled.
    private const double DirectCap = 0.1;

    // Generous on purpose: a loaded 2-core machine (other builds) can only push the measurement below the cap.
    private const double Tolerance = 0.1;
    private const double MiB = 1024 * 1024;

    [SkippableFact]
    public async Task MonitorAndActuator_CapBurningChild_FilesHoldWhatWasWritten_RestoreBringsOriginalsBack()
    {
        using RealCgroup cg = RealCgroup.CreateOrSkip();
        cg.StartBurner();
        string journal = Path.Combine(Path.GetTempPath(), $"rescoin-journal-{Guid.NewGuid():N}.json");
        var options = new CgroupOptions { Cgroups = [cg.Name], Devices = cg.Device is null ? [] : [cg.Device], JournalPath = journal };
        try
        {
            using var monitor = new CgroupMonitor(Options.Create(options));
            using var actuator = new CgroupActuator(Options.Create(options));
            Assert.False(monitor.UsesV2);

            string softLimitBefore = cg.Read("memory", "memory.soft_limit_in_bytes");
            VmSample before = await MeasureAsync(monitor, TimeSpan.FromSeconds(1.5));
            Assert.Equal([cg.Name], monitor.Cgroups);
            output.WriteLine($"before cap: cpu={before.Usage.Cpu:F3} cores, memory={before.Usage.Memory / MiB:F1} MiB");
            // Only that it burns: how much it gets depends on the other builds on this 2-core machine.
            Assert.True(before.Usage.Cpu > 0.01, $"the burner should be measured burning CPU (measured {before.Usage.Cpu:F3})");
            Assert.True(before.Usage.Memory >= 0);
            long throttledBefore = CpuStat(cg, "nr_throttled");

            double memory = before.Usage.Memory + (256 * MiB);
            var plan = new AllocationPlan { Resources = ResourceSet.All, Period = TimeSpan.FromSeconds(1) };
            plan.Add(new VmId(cg.Name), new ResourceVector(DirectCap, memory, 50 * MiB, 20 * MiB), ResourceVector.Fill(double.NaN), ResourceVector.Fill(double.NaN), before.Usage);
            await actuator.ApplyAsync(plan, CancellationToken.None);

            Assert.Equal("10000", cg.Read("cpu", "cpu.cfs_quota_us"));
            Assert.Equal("100000", cg.Read("cpu", "cpu.cfs_period_us"));
            Assert.Equal("1024", cg.Read("cpu", "cpu.shares")); // one cgroup: the default share
            long page = Environment.SystemPageSize;
            Assert.Equal(((long)Math.Ceiling(memory / page) * page).ToString(CultureInfo.InvariantCulture), cg.Read("memory", "memory.soft_limit_in_bytes"));
            if (cg.Device is not null)
            {
                Assert.Equal($"{cg.Device} {50 * 1024 * 1024}", cg.Read("blkio", "blkio.throttle.read_bps_device"));
                Assert.Equal($"{cg.Device} {20 * 1024 * 1024}", cg.Read("blkio", "blkio.throttle.write_bps_device"));
            }

            await Task.Delay(500);
            VmSample after = await MeasureAsync(monitor, TimeSpan.FromSeconds(2.5));
            output.WriteLine($"after cap {DirectCap}: cpu={after.Usage.Cpu:F3} cores");
            Assert.InRange(after.Usage.Cpu, 0, DirectCap + Tolerance);

            // The kernel enforced the cap: the group was throttled (it wanted a whole core).
            long throttled = CpuStat(cg, "nr_throttled") - throttledBefore;
            output.WriteLine($"throttled periods under the cap: {throttled}");
            Assert.True(throttled > 0, "the CFS quota should have throttled the burner");

            await actuator.RestoreAsync(CancellationToken.None);

            Assert.Equal("-1", cg.Read("cpu", "cpu.cfs_quota_us"));
            Assert.Equal("1024", cg.Read("cpu", "cpu.shares"));
            Assert.Equal(softLimitBefore, cg.Read("memory", "memory.soft_limit_in_bytes"));
            Assert.Equal(string.Empty, cg.Read("blkio", "blkio.throttle.read_bps_device"));
            Assert.Equal(string.Empty, cg.Read("blkio", "blkio.throttle.write_bps_device"));
            Assert.Equal(0, Actuation.SettingsJournal.Open(journal).Count);
        }
        finally
        {
            File.Delete(journal);
        }
    }

    [SkippableFact]
    public async Task Controller_WritesThePlannedWeightAndCap_AndRestoresOnStop()
    {
        using RealCgroup cg = RealCgroup.CreateOrSkip();
        cg.StartBurner();
        string journal = Path.Combine(Path.GetTempPath(), $"rescoin-journal-{Guid.NewGuid():N}.json");
        var options = new CgroupOptions { Cgroups = ["rescoin-test-*"], JournalPath = journal };
        try
        {
            using var monitor = new CgroupMonitor(Options.Create(options));
            using var actuator = new CgroupActuator(Options.Create(options));
            var rescoin = new ResCoinOptions
            {
                Period = TimeSpan.FromSeconds(1),
                Resources = ResourceSet.Cpu,
                Capacity = new ResourceAmounts { Cpu = Cap },
                Predictor = "last",
            };
            await using (var controller = new ResCoinController(monitor, Predictors.Create("last"), Allocators.Create("rescoin"), actuator, rescoin))
            {
                for (int i = 0; i < 3; i++)
                {
                    Assert.True((await controller.RunPeriodAsync(CancellationToken.None)).Succeeded, $"period {i} failed");
                    await Task.Delay(700);
                }

                int index = controller.LastPeriod.Vms.IndexOf(new VmId(cg.Name));
                Assert.True(index >= 0, "the controller should schedule the test cgroup");
                double cap = controller.LastPeriod.Caps[index].Cpu;
                double weight = controller.LastPeriod.Weights[index].Cpu;
                output.WriteLine($"controller: usage={controller.LastPeriod.Usage[index].Cpu:F3} cap={cap:F3} weight={weight:F3}");

                // The weight is written through KernelWeights; a lone cgroup has nobody to yield to, so it gets no cap
                // (NaN: the original quota stays), and a cap, when there is one, lands in the quota.
                Assert.True(weight > 0, $"the rescoin policy weighs CPU (got {weight})");
                Assert.Equal(Actuation.KernelWeights.ToCpuShares(weight).ToString(CultureInfo.InvariantCulture), cg.Read("cpu", "cpu.shares"));
                long quota = long.Parse(cg.Read("cpu", "cpu.cfs_quota_us"), CultureInfo.InvariantCulture);
                if (double.IsNaN(cap))
                {
                    Assert.Equal(-1, quota);
                }
                else
                {
                    Assert.InRange(quota, 1000, (long)Math.Round(Math.Max(cap, 0.01) * 100_000 * 1.02) + 1);
                }
            }

            await actuator.RestoreAsync(CancellationToken.None);
            Assert.Equal("-1", cg.Read("cpu", "cpu.cfs_quota_us"));
            Assert.Equal("1024", cg.Read("cpu", "cpu.shares"));
        }
        finally
        {
            File.Delete(journal);
        }
    }

    private static long CpuStat(RealCgroup cg, string key)
    {
        foreach (string line in cg.Read("cpu", "cpu.stat").Split('\n'))
        {
            string[] f = line.Split(' ');
            if (f.Length == 2 && f[0] == key)
            {
                return long.Parse(f[1], CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"cpu.stat has no {key}");
    }

    private static async Task<VmSample> MeasureAsync(CgroupMonitor monitor, TimeSpan window)
    {
        var snapshot = new HostSnapshot();
        await monitor.SampleAsync(snapshot, CancellationToken.None);
        await Task.Delay(window);
        snapshot.Clear();
        await monitor.SampleAsync(snapshot, CancellationToken.None);
        Assert.Equal(1, snapshot.Count);
        return snapshot.Vms[0];
    }

    /// <summary>A <c>rescoin-test-*</c> cgroup in the v1 cpu, cpuacct, memory and blkio hierarchies, with an optional burner.</summary>
    private sealed class RealCgroup : IDisposable
    {
        private static readonly string[] s_controllers = ["cpu", "cpuacct", "memory", "blkio"];
        private readonly Dictionary<string, string> _roots;
        private Process? _burner;

        private RealCgroup(string name, Dictionary<string, string> roots, string? device)
        {
            Name = name;
            _roots = roots;
            Device = device;
        }

        public string Name { get; }

        public string? Device { get; }

        public static RealCgroup CreateOrSkip()
        {
            Dictionary<string, string>? roots = FindV1Roots(out string why);
            Prerequisite.Require(roots is not null, $"writable cgroup v1 cpu, cpuacct, memory and blkio hierarchies are needed (run as root on a v1/hybrid host): {why}");
            string name = $"rescoin-test-{Guid.NewGuid():N}"[..24];
            var cg = new RealCgroup(name, roots!, FindBlockDevice());
            try
            {
                foreach (string controller in s_controllers)
                {
                    Directory.CreateDirectory(cg.Dir(controller));
                }
            }
            catch
            {
                cg.Dispose();
                throw;
            }

            return cg;
        }

        public string Dir(string controller) => _roots[controller] + "/" + Name;

        public string Read(string controller, string file) => File.ReadAllText(Dir(controller) + "/" + file).Trim();

        public void StartBurner()
        {
            var start = new ProcessStartInfo("sh") { UseShellExecute = false };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add("while :; do :; done");
            _burner = Process.Start(start) ?? throw new InvalidOperationException("could not start sh");
            string pid = _burner.Id.ToString(CultureInfo.InvariantCulture);
            foreach (string controller in s_controllers)
            {
                File.WriteAllText(Dir(controller) + "/cgroup.procs", pid);
            }
        }

        public void Dispose()
        {
            if (_burner is not null)
            {
                try
                {
                    _burner.Kill(entireProcessTree: true);
                    _burner.WaitForExit(5000);
                }
                catch (InvalidOperationException)
                {
                }

                _burner.Dispose();
            }

            foreach (string controller in s_controllers)
            {
                string dir = Dir(controller);
                if (!Directory.Exists(dir))
                {
                    continue;
                }

                for (int attempt = 0; attempt < 50; attempt++)
                {
                    try
                    {
                        // Move any process left out to the root, then rmdir (cgroupfs directories are removed empty-of-tasks).
                        foreach (string pid in File.ReadAllLines(dir + "/cgroup.procs"))
                        {
                            try
                            {
                                File.WriteAllText(_roots[controller] + "/cgroup.procs", pid);
                            }
                            catch (IOException)
                            {
                            }
                        }

                        Directory.Delete(dir);
                        break;
                    }
                    catch (IOException)
                    {
                        Thread.Sleep(100);
                    }
                }
            }
        }

        private static Dictionary<string, string>? FindV1Roots(out string why)
        {
            if (!OperatingSystem.IsLinux() || !Environment.IsPrivilegedProcess)
            {
                why = "not root on Linux";
                return null;
            }

            try
            {
                using var fs = new CgroupFileSystem("/");
                CgroupLayout layout = CgroupLayout.Detect(fs, CgroupVersionPreference.Auto);
                var roots = new Dictionary<string, string>();
                foreach (string c in s_controllers)
                {
                    string? root = layout.V1Root(c);
                    if (root is null || !File.Exists(root + "/cgroup.procs"))
                    {
                        why = $"no v1 '{c}' hierarchy (mode {layout.Mode})";
                        return null;
                    }

                    roots[c] = root;
                }

                why = string.Empty;
                return roots;
            }
            catch (InvalidOperationException ex)
            {
                why = ex.Message;
                return null;
            }
        }

        private static string? FindBlockDevice()
        {
            if (!Directory.Exists("/sys/block"))
            {
                return null;
            }

            foreach (string dir in Directory.EnumerateDirectories("/sys/block").Order(StringComparer.Ordinal))
            {
                string name = Path.GetFileName(dir);
                if (name.StartsWith("loop", StringComparison.Ordinal) || name.StartsWith("ram", StringComparison.Ordinal) ||
                    name.StartsWith("zram", StringComparison.Ordinal) || name.StartsWith("dm-", StringComparison.Ordinal) ||
                    name.StartsWith("sr", StringComparison.Ordinal) || name.StartsWith("md", StringComparison.Ordinal))
                {
                    continue;
                }

                if (File.Exists(dir + "/dev"))
                {
                    return File.ReadAllText(dir + "/dev").Trim();
                }
            }

            return null;
        }
    }
}
