using System.Diagnostics;
using ResCoin.Testing;

namespace ResCoin.Libvirt.Tests;

/// <summary>
/// The fault campaign's real EACCES: root bypasses file permissions through CAP_DAC_OVERRIDE, so the daemon (the fault
/// helper) runs as root without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (<c>setpriv --bounding-set</c>), still allowed
/// on qemu:///system, against a journal directory it may not write to.
/// </summary>
public sealed partial class FaultCampaignTests
{
    private static readonly string[] s_withoutDacOverride = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "dotnet"];

    [SkippableFact]
    public async Task JournalDirectoryNotWritable_RealEaccesWithoutDacOverride_NoChangeThenRestoreKeepsEntries()
    {
        _guests.Require();
        Prerequisite.Require(!OperatingSystem.IsWindows() && File.Exists("/usr/bin/setpriv"), "setpriv (util-linux) is missing");
        string dir = Path.Combine(_dir, "eacces");
        string journal = Path.Combine(dir, "libvirt-journal.json");
        await WithAdminSettingsAsync(async () =>
        {
            using (new LibvirtActuator(Options(journal)))
            {
                // Creates the directory (0700) and the lock file, as a first start would.
            }

            // (a) The directory is not writable from the start: no original can be journaled (EACCES), nothing changes.
            SetMode(dir, UnixFileMode.UserRead | UnixFileMode.UserExecute);
            string output = await RunHelperToEndAsync("never", journal, s_withoutDacOverride);
            Assert.Contains("applied 0", output, StringComparison.Ordinal);
            Assert.Contains("cannot be journaled", output, StringComparison.Ordinal);
            Assert.Contains("Permission denied (errno 13)", output, StringComparison.Ordinal);
            int lost = await CountLostAsync("EACCES from the start");

            // (b) Writable while applying, not before the restore: every value is put back, the journal keeps them all
            // (its removals get EACCES); the next start restores them again (the same values) and drops them.
            SetMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            output = await RunHelperToEndAsync(FaultHelper.TakeWriteAway, journal, s_withoutDacOverride);
            Assert.Contains("applied " + FaultHelper.PlannedSettings, output, StringComparison.Ordinal);
            Assert.Contains("restored " + FaultHelper.PlannedSettings, output, StringComparison.Ordinal);
            Assert.Contains("could not drop it", output, StringComparison.Ordinal);
            Assert.Contains("Permission denied (errno 13)", output, StringComparison.Ordinal);
            lost += await CountLostAsync("EACCES before the restore");
            SetMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            await RestartAndStopAsync(journal: journal);
            lost += await CountLostAsync("EACCES before the restore, next start");
            Record("journal directory not writable, real EACCES (root without CAP_DAC_OVERRIDE): from the start; before the restore, then restart", 2, 12, lost);
        });
    }

    private static void SetMode(string path, UnixFileMode mode)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, mode);
        }
    }

    private async Task<string> RunHelperToEndAsync(string point, string journal, string[] wrapper)
    {
        using Process p = StartHelper(point, 1, journal, wrapper);
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await p.WaitForExitAsync(cts.Token);
        string output = await stdout;
        Assert.True(p.ExitCode == 0, $"fault-helper {point} exited {p.ExitCode}: {output} {await stderr}");
        _output.WriteLine($"fault-helper {point} (without CAP_DAC_OVERRIDE): {output.ReplaceLineEndings(" ")}");
        return output;
    }
}
