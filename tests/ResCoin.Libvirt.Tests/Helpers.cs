using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using ResCoin.Libvirt.Native;

namespace ResCoin.Libvirt.Tests;

/// <summary>Collects log lines for assertions.</summary>
public sealed class ListLogger<T> : ILogger<T>
{
    public ConcurrentQueue<(LogLevel Level, string Message)> Lines { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        => Lines.Enqueue((logLevel, formatter(state, exception)));
}

/// <summary>Reads a domain's live settings through the binding (what virsh schedinfo/dommemstat/blkdeviotune show).</summary>
internal static class Live
{
    /// <summary>Runs <c>virsh</c> on the test connection; throws with its error output when it fails.</summary>
    public static string Virsh(params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("virsh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in (string[])["-q", "-c", GuestFixture.Uri, .. args])
        {
            psi.ArgumentList.Add(a);
        }

        using System.Diagnostics.Process p = System.Diagnostics.Process.Start(psi) ?? throw new InvalidOperationException("cannot run virsh");
        string output = p.StandardOutput.ReadToEnd();
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode == 0 ? output : throw new InvalidOperationException($"virsh {string.Join(' ', args)} exited {p.ExitCode}: {error.Trim()}");
    }

    public static long SchedulerParameter(string vm, string field)
    {
        using ConnectionHandle c = LibvirtApi.Open(GuestFixture.Uri);
        using DomainHandle d = LibvirtApi.Lookup(c, vm);
        using TypedParameterBuffer p = LibvirtApi.GetSchedulerParameters(d, vm);
        Assert.True(p.TryGet(System.Text.Encoding.UTF8.GetBytes(field), out TypedParameter v), field + " missing");
        return v.AsInt64();
    }

    public static long BlockIoTune(string vm, string disk, string field)
    {
        using ConnectionHandle c = LibvirtApi.Open(GuestFixture.Uri);
        using DomainHandle d = LibvirtApi.Lookup(c, vm);
        using TypedParameterBuffer p = LibvirtApi.GetBlockIoTune(d, vm, disk);
        Assert.True(p.TryGet(System.Text.Encoding.UTF8.GetBytes(field), out TypedParameter v), field + " missing");
        return v.AsInt64();
    }

    public static (ulong CurrentKiB, ulong MaxKiB, uint Id) Info(string vm)
    {
        using ConnectionHandle c = LibvirtApi.Open(GuestFixture.Uri);
        using DomainHandle d = LibvirtApi.Lookup(c, vm);
        DomainInfo i = LibvirtApi.GetInfo(d, vm);
        return (i.MemoryKiB.Value, i.MaxMemKiB.Value, NativeMethods.virDomainGetID(d.DangerousGetHandle()));
    }

    /// <summary>The VM's cgroup v1 cpu directory (libvirt's machine/qemu-ID-NAME.libvirt-qemu), or null.</summary>
    public static string? CpuCgroup(string vm)
    {
        const string root = "/sys/fs/cgroup/cpu/machine";
        if (!Directory.Exists(root))
        {
            return null;
        }

        uint id = Info(vm).Id;
        foreach (string dir in Directory.EnumerateDirectories(root, "qemu-" + id + "-*"))
        {
            return dir;
        }

        return null;
    }

    public static async Task<ulong> WaitForBalloonAsync(string vm, ulong expectedKiB)
    {
        ulong current = 0;
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(20))
        {
            current = Info(vm).CurrentKiB;
            if (Math.Abs((double)current - expectedKiB) <= 1024)
            {
                break;
            }

            await Task.Delay(250);
        }

        return current;
    }

    public static async Task<VmSample> MeasureAsync(LibvirtMonitor monitor, string vm, TimeSpan over)
    {
        var s = new HostSnapshot();
        await monitor.SampleAsync(s, default);
        await Task.Delay(over);
        s.Clear();
        await monitor.SampleAsync(s, default);
        int i = s.IndexOf(new VmId(vm));
        Assert.True(i >= 0, vm + " not in the snapshot");
        return s.Vms[i];
    }

    /// <summary>A one-VM plan: caps <paramref name="allocation"/>, weights <paramref name="weight"/> (none when null), no guarantees.</summary>
    public static AllocationPlan Plan(string vm, ResourceSet resources, ResourceVector allocation, ResourceVector usage, bool dryRun = false, ResourceVector? weight = null)
    {
        var plan = new AllocationPlan { Resources = resources, DryRun = dryRun, Period = TimeSpan.FromSeconds(2) };
        plan.Add(new VmId(vm), allocation, weight ?? ResourceVector.Fill(double.NaN), ResourceVector.Fill(double.NaN), usage);
        return plan;
    }
}
