using System.Diagnostics;
using ResCoin.Testing;
using Xunit.Abstractions;

namespace ResCoin.Cgroups.GuestTests;

/// <summary>
/// Real cgroup v2 (this host's own v2 hierarchy has no controllers): <c>scripts/cgroup-guest/run.sh</c> publishes
/// <c>rescoin-cgroups</c> self-contained, boots a TCG guest whose init mounts cgroup2 with cpu, memory and io and runs the
/// scheduler against three real cgroups, and the guest checks what was written and restored. This test asserts every
/// check the guest reported. Needs root, qemu-system-x86_64 and the test guest of <c>scripts/setup-host.sh</c>; under
/// CI=true a missing prerequisite fails. Takes about 2-4 minutes (publish + TCG boot + two scheduler runs).
/// </summary>
public sealed class CgroupV2GuestTests(ITestOutputHelper output)
{
    /// <summary>Every check guest-init.sh makes; each must come back "ok".</summary>
    private static readonly string[] Checks =
    [
        "controllers", "virtio-disk", "run-a-periods", "run-a-wrote", "psi-read", "kill9-leaves-changes", "kill9-journal-kept",
        "restart-restores-leftovers", "run-b-periods", "run-b-wrote", "written-cpu.max", "written-cpu.weight",
        "written-memory.high", "written-memory.low", "written-io.max", "burner-capped-while-bursty-bursts", "bursty-gets-more-than-burner", "sigterm-exits",
        "sigterm-restores-originals", "journal-empty-after-stop",
    ];

    [SkippableFact]
    public void Guest_RealCgroupV2_SchedulerWritesPlansAndRestoresOriginals()
    {
        string root = RepositoryRoot();
        string script = Path.Combine(root, "scripts", "cgroup-guest", "run.sh");
        bool ready = Environment.UserName == "root" && OnPath("qemu-system-x86_64") && OnPath("cpio") &&
            File.Exists(Path.Combine(root, "artifacts", "kvm", "vmlinuz")) && File.Exists(Path.Combine(root, "artifacts", "kvm", "initramfs.gz"));
        Prerequisite.Require(ready, "root, qemu-system-x86_64, cpio and the test guest in artifacts/kvm are needed (run scripts/setup-host.sh)");
        string console = Path.Combine(root, "artifacts", "cgroup-guest", "console-test.log");

        var start = new ProcessStartInfo(script, [console]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        bool exited = process.WaitForExit(TimeSpan.FromMinutes(15));
        if (!exited)
        {
            process.Kill(entireProcessTree: true);
        }

        output.WriteLine(stdout.Result);
        output.WriteLine(stderr.Result);
        Assert.True(exited, "run.sh did not finish within 15 minutes");
        string[] lines = File.Exists(console) ? File.ReadAllLines(console) : [];
        var results = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in lines)
        {
            string[] f = line.TrimEnd('\r').Split(' ', 4);
            if (f.Length >= 3 && f[0] == "CGT" && f[2] is "ok" or "FAIL")
            {
                results[f[1]] = line;
            }
        }

        var failures = new List<string>();
        foreach (string check in Checks)
        {
            if (!results.TryGetValue(check, out string? line))
            {
                failures.Add($"{check}: not reported");
            }
            else if (!line.Contains(" ok", StringComparison.Ordinal))
            {
                failures.Add(line);
            }
        }

        Assert.True(failures.Count == 0, "guest checks failed:\n" + string.Join('\n', failures));
        Assert.Equal(0, process.ExitCode);
    }

    private static bool OnPath(string name)
        => (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Any(d => File.Exists(Path.Combine(d, name)));

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "ResCoin.sln")))
            {
                return d.FullName;
            }
        }

        throw new InvalidOperationException("ResCoin.sln not found above " + AppContext.BaseDirectory);
    }
}
