using System.Globalization;
using ResCoin.Cgroups.Ksm;
using ResCoin.Testing;
using Xunit.Abstractions;

namespace ResCoin.Cgroups.Tests.Ksm;

/// <summary>
/// The KSM controller against this host's real <c>/sys/kernel/mm/ksm</c> (root). The test forces the pressure branch
/// (FreeFraction 0.99: free memory is always below 99 % of the total), checks that the kernel holds what the rule wrote,
/// and that <see cref="KsmController.Restore"/> puts the originals back; the originals are also written back by the test
/// itself whatever happens. Under CI=true a missing prerequisite fails.
/// </summary>
public sealed class RealKsmTests(ITestOutputHelper output)
{
    private const string Ksm = "/sys/kernel/mm/ksm/";

    [SkippableFact]
    public void Step_RealKsm_KernelHoldsTheRuleAndRestoreBringsOriginalsBack()
    {
        bool writable = File.Exists(Ksm + "run") && Environment.UserName == "root";
        Prerequisite.Require(writable, "a writable /sys/kernel/mm/ksm is needed (a kernel with CONFIG_KSM, run as root)");
        string[] names = ["run", "pages_to_scan", "sleep_millisecs"];
        var originals = names.ToDictionary(n => n, Read);
        string journal = Path.Combine(Path.GetTempPath(), $"rescoin-ksm-real-{Guid.NewGuid():N}.json");
        try
        {
            // A dry run first: nothing changes.
            using (var dry = new KsmController(new KsmOptions { FreeFraction = 0.99, DryRun = true, JournalPath = journal }, null, null, null))
            {
                Assert.True(dry.Step().Run);
                Assert.Equal(originals, names.ToDictionary(n => n, Read));
                Assert.False(File.Exists(journal));
            }

            using var ksm = new KsmController(new KsmOptions { FreeFraction = 0.99, FreeAverageSamples = 1, JournalPath = journal }, null, null, null);
            KsmDecision d = ksm.Step();
            output.WriteLine($"originals {string.Join(", ", originals.Select(e => e.Key + "=" + e.Value))}; decision {d}");
            Assert.True(d.Run);
            Assert.True(d.UnderPressure);
            int expectedPages = Math.Clamp(int.Parse(originals["pages_to_scan"], CultureInfo.InvariantCulture) + KsmOptions.DefaultPagesBoost, KsmOptions.DefaultMinPagesToScan, KsmOptions.DefaultMaxPagesToScan);
            Assert.Equal("1", Read("run"));
            Assert.Equal(expectedPages.ToString(CultureInfo.InvariantCulture), Read("pages_to_scan"));
            Assert.Equal(d.SleepMilliseconds.ToString(CultureInfo.InvariantCulture), Read("sleep_millisecs"));
            KsmStatus s = ksm.LastStatus!.Value;
            output.WriteLine($"status {s}");
            Assert.Equal(1, s.Run);
            Assert.True(s.PagesShared >= 0 && s.PagesSharing >= 0 && s.FullScans >= 0);
            Assert.False(double.IsNaN(s.KsmdCpuSeconds), "ksmd's /proc/PID/stat should be found");

            ksm.Restore();
            Assert.Equal(originals, names.ToDictionary(n => n, Read));
        }
        finally
        {
            // Tuning first, run last, whatever the test did.
            foreach (string n in new[] { "pages_to_scan", "sleep_millisecs", "run" })
            {
                if (Read(n) != originals[n])
                {
                    File.WriteAllText(Ksm + n, originals[n] + "\n");
                }
            }

            File.Delete(journal);
            File.Delete(journal + ".lock");
        }
    }

    private static string Read(string name) => File.ReadAllText(Ksm + name).Trim();
}
