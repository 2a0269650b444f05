using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using ResCoin.Actuation;
using ResCoin.Libvirt.Native;

namespace ResCoin.Libvirt.Tests;

/// <summary>
/// The child process of the fault campaign (<see cref="FaultCampaignTests"/>):
/// <c>dotnet exec ResCoin.Libvirt.Tests.dll fault-helper URI JOURNAL VM POINT N</c> applies one plan to the VM (CPU cap,
/// balloon shrink, disk read and write caps) in as many periods as it takes, prints <c>applied</c>, restores, prints <c>restored</c> and exits 0, unless
/// it kills itself with SIGKILL at the N-th passage of POINT:
/// <list type="bullet">
/// <item><c>temp-written</c>: a journal temporary file is written and fsynced, not yet renamed over the journal;</item>
/// <item><c>renamed</c>: the journal was renamed into place, its directory not yet fsynced;</item>
/// <item><c>synced</c>: the journal write is durable; the libvirt call it prepares is not made;</item>
/// <item><c>set</c>: a libvirt setter returned (the next journal write or setter not started);</item>
/// <item><c>restored</c>: a restore put a setting back in libvirt; its journal entry is not yet removed;</item>
/// <item><c>hold</c>: never crashes; after <c>applied</c> it waits to be killed (the parent's real kill -9);</item>
/// <item><c>eacces-before-restore</c>: never crashes; after <c>applied</c> it makes the journal's directory read-only
/// (0500), so that a helper run without CAP_DAC_OVERRIDE gets EACCES on every journal write of the restore.</item>
/// <item>any other name (e.g. <c>never</c>): never crashes.</item>
/// </list>
/// </summary>
internal static class FaultHelper
{
    public const string Command = "fault-helper";

    /// <summary>The point at which the helper takes the write permission on the journal's directory away before restoring.</summary>
    public const string TakeWriteAway = "eacces-before-restore";

    /// <summary>The plan the helper applies: what the campaign expects to be undone.</summary>
    public static AllocationPlan Plan(string vm)
    {
        var plan = new AllocationPlan { Resources = ResourceSet.Cpu | ResourceSet.Memory | ResourceSet.DiskRead | ResourceSet.DiskWrite, Period = TimeSpan.FromSeconds(1) };
        plan.Add(new VmId(vm), new ResourceVector(0.25, 1, 8 * 1024 * 1024, 4 * 1024 * 1024), ResourceVector.Fill(double.NaN), ResourceVector.Fill(double.NaN), new ResourceVector(double.NaN, 16 * 1024 * 1024));
        return plan;
    }

    public static LibvirtOptions Options(string uri, string journal) => new()
    {
        ConnectionUri = uri,
        JournalPath = journal,
        MemoryStatsPeriodSeconds = 0,
        MemoryMaxDecreaseFraction = 0.25,
        CallTimeoutSeconds = 10,
    };

    /// <summary>The settings <see cref="Plan"/> changes on the campaign's guest: CPU quota, balloon, disk read and write caps.</summary>
    public const int PlannedSettings = 4;

    /// <summary>
    /// Applies <see cref="Plan"/> period after period (0.3 s apart, at most 20) until all four settings are changed, as a
    /// daemon does: the balloon is changed only once it is at rest (its original read then), which takes a second period,
    /// more when it was still moving from an earlier change.
    /// </summary>
    public static async Task ApplyUntilJournaledAsync(LibvirtActuator actuator, string vm)
    {
        for (int period = 0; period < 20; period++)
        {
            await actuator.ApplyAsync(Plan(vm), default);
            if (actuator.JournaledSettings >= PlannedSettings)
            {
                return;
            }

            await Task.Delay(300);
        }
    }

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length != 6)
        {
            await Console.Error.WriteLineAsync("usage: fault-helper URI JOURNAL VM POINT N");
            return 2;
        }

        string point = args[4];
        int n = int.Parse(args[5], CultureInfo.InvariantCulture);
        int seen = 0;
        void Passage(string at)
        {
            if (at == point && ++seen == n)
            {
                Console.Out.Flush();
                Process.GetCurrentProcess().Kill(); // SIGKILL: nothing after this line runs.
            }
        }

        JournalFiles.FaultHook = Passage;
        LibvirtApi.AfterSet = _ => Passage("set");
        var log = new ListLogger<LibvirtActuator>();
        using var actuator = new LibvirtActuator(Options(args[1], args[2]), logger: log);
        actuator.FaultHook = at => Passage(at.StartsWith("restored:", StringComparison.Ordinal) ? "restored" : at);
        await ApplyUntilJournaledAsync(actuator, args[3]);
        Console.WriteLine("applied " + actuator.JournaledSettings.ToString(CultureInfo.InvariantCulture));
        if (point == "hold")
        {
            await Task.Delay(Timeout.Infinite);
        }

        if (point == TakeWriteAway && !OperatingSystem.IsWindows())
        {
            // The owner may change the mode without any capability; without CAP_DAC_OVERRIDE it then obeys it.
            File.SetUnixFileMode(Path.GetDirectoryName(Path.GetFullPath(args[2]))!, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        }

        await actuator.RestoreAsync(default);
        Console.WriteLine("restored " + actuator.JournaledSettings.ToString(CultureInfo.InvariantCulture));
        foreach ((LogLevel level, string message) in log.Lines)
        {
            if (level >= LogLevel.Warning)
            {
                Console.WriteLine("log: " + message); // what the parent checks the cause of a failure with
            }
        }

        return 0;
    }
}
