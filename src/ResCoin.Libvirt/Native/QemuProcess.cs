using System.Buffers.Text;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace ResCoin.Libvirt.Native;

/// <summary>
/// A running domain's QEMU process, read straight from <c>/proc</c>: its CPU time (<c>utime + stime</c> of
/// <c>/proc/PID/stat</c>, every thread included, those that exited too) with one <c>pread</c> of a file kept open. On
/// a local host this replaces libvirtd's <c>cpu-total</c> statistics group, which cost libvirtd 0.28 ms per VM per call
/// on the development host (it reads the same counters, plus a round of locking and marshalling per domain); see
/// <c>docs/design.md</c>, "What a period costs the host".
/// </summary>
/// <remarks>
/// The process is found through the pid file libvirtd's QEMU driver writes for every running domain
/// (<c>&lt;run directory&gt;/&lt;name&gt;.pid</c>) and accepted only when its command line names the domain
/// (<c>-name guest=&lt;name&gt;</c>), so a stale pid file whose number was reused by another process is never read.
/// The file stays open while the domain id holds; a read that fails (the process exited) ends it.
/// </remarks>
internal sealed partial class QemuProcess : IDisposable
{
    private static readonly double NanosecondsPerTick = 1e9 / ClockTicksPerSecond();
    private readonly SafeFileHandle _stat;
    private readonly string _taskDirectory;
    private SafeFileHandle[] _vcpus = [];

    private QemuProcess(int pid, SafeFileHandle stat, string taskDirectory)
    {
        Pid = pid;
        _stat = stat;
        _taskDirectory = taskDirectory;
    }

    /// <summary>The vCPU threads found by the last <see cref="FindVcpus"/> (0 before, or when there were none).</summary>
    public int VcpuCount => _vcpus.Length;

    /// <summary>The process id.</summary>
    public int Pid { get; }

    /// <summary>
    /// Opens the QEMU process of the domain <paramref name="name"/> from its pid file in <paramref name="runDirectory"/>;
    /// null when there is none, it cannot be read, or the process it names is not this domain's QEMU.
    /// </summary>
    public static QemuProcess? TryOpen(string runDirectory, string name, string procRoot = "/proc")
    {
        if (string.IsNullOrEmpty(runDirectory) || name.Contains('/', StringComparison.Ordinal))
        {
            return null;
        }

        try
        {
            string text = File.ReadAllText(Path.Combine(runDirectory, name + ".pid"));
            if (!int.TryParse(text.AsSpan().Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int pid) || pid <= 0)
            {
                return null;
            }

            if (!CommandLineNamesDomain(File.ReadAllBytes(Path.Combine(procRoot, pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "cmdline")), name))
            {
                return null;
            }

            string pidDirectory = Path.Combine(procRoot, pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
            SafeFileHandle stat = File.OpenHandle(Path.Combine(pidDirectory, "stat"));
            var process = new QemuProcess(pid, stat, Path.Combine(pidDirectory, "task"));
            if (double.IsNaN(process.ReadCpuNs()))
            {
                process.Dispose();
                return null;
            }

            return process;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The process's CPU time in nanoseconds (user + system, every thread); NaN when it cannot be read (the process is gone).</summary>
    public double ReadCpuNs()
    {
        Span<byte> buffer = stackalloc byte[1024];
        int read;
        try
        {
            read = RandomAccess.Read(_stat, buffer, 0);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            return double.NaN;
        }

        return ParseCpuTicks(buffer[..read]) is long ticks and >= 0 ? ticks * NanosecondsPerTick : double.NaN;
    }

    /// <summary>
    /// The last-modification time of a directory (100 ns ticks), 0 when it cannot be read. libvirtd's QEMU driver writes a
    /// domain's pid and status files into its run directory when the domain starts and removes them when it stops, and
    /// rewrites the status file (a new file renamed over the old) when its state changes (paused, resumed) or a live
    /// setting is saved: so an unchanged time says no domain came, went, paused or resumed.
    /// </summary>
    public static long DirectoryStamp(string directory)
    {
        try
        {
            DateTime t = Directory.GetLastWriteTimeUtc(directory);
            return t.Year > 1601 ? t.Ticks : 0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return 0;
        }
    }

    /// <summary>
    /// Finds the process's vCPU threads again (QEMU names them <c>CPU N/KVM</c>, <c>CPU N/TCG</c>, ...) and keeps their
    /// <c>schedstat</c> files open; false when there are none or the task list cannot be read. Called once per slow sample,
    /// so a vCPU plugged in or out is seen at the next one.
    /// </summary>
    public bool FindVcpus()
    {
        CloseVcpus();
        var found = new List<SafeFileHandle>();
        Span<byte> comm = stackalloc byte[64];
        try
        {
            foreach (string task in Directory.EnumerateDirectories(_taskDirectory))
            {
                int read;
                using (SafeFileHandle c = File.OpenHandle(Path.Combine(task, "comm")))
                {
                    read = RandomAccess.Read(c, comm, 0);
                }

                ReadOnlySpan<byte> name = comm[..read].TrimEnd((byte)'\n');
                if (name.StartsWith("CPU "u8) && name.IndexOf((byte)'/') > 4)
                {
                    found.Add(File.OpenHandle(Path.Combine(task, "schedstat")));
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            foreach (SafeFileHandle h in found)
            {
                h.Dispose();
            }

            return false;
        }

        _vcpus = [.. found];
        return _vcpus.Length > 0;
    }

    /// <summary>
    /// The vCPU threads' run and run-queue wait times in nanoseconds, summed (the first two fields of
    /// <c>/proc/PID/task/TID/schedstat</c>: time on a CPU, time runnable but waiting for one); false when none was found
    /// or one cannot be read (a thread ended: find them again).
    /// </summary>
    public bool ReadVcpuTimes(out double runNs, out double waitNs)
    {
        runNs = waitNs = 0;
        if (_vcpus.Length == 0)
        {
            return false;
        }

        Span<byte> buffer = stackalloc byte[128];
        foreach (SafeFileHandle h in _vcpus)
        {
            int read;
            try
            {
                read = RandomAccess.Read(h, buffer, 0);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ObjectDisposedException)
            {
                return false;
            }

            if (ParseSchedStat(buffer[..read]) is not (long run, long wait))
            {
                return false;
            }

            runNs += run;
            waitNs += wait;
        }

        return true;
    }

    /// <summary>The first two fields of a <c>schedstat</c> line (run and wait nanoseconds); null when malformed.</summary>
    internal static (long Run, long Wait)? ParseSchedStat(ReadOnlySpan<byte> line)
    {
        if (!Utf8Parser.TryParse(line, out long run, out int used) || run < 0 || used >= line.Length || line[used] != (byte)' ')
        {
            return null;
        }

        line = line[(used + 1)..];
        return Utf8Parser.TryParse(line, out long wait, out used) && wait >= 0 && (used == line.Length || line[used] is (byte)' ' or (byte)'\n')
            ? (run, wait)
            : null;
    }

    /// <summary>Closes the stat file and the vCPU threads' files.</summary>
    public void Dispose()
    {
        _stat.Dispose();
        CloseVcpus();
    }

    private void CloseVcpus()
    {
        foreach (SafeFileHandle h in _vcpus)
        {
            h.Dispose();
        }

        _vcpus = [];
    }

    /// <summary>
    /// <c>utime + stime</c> (fields 14 and 15, in clock ticks) of a <c>/proc/PID/stat</c> line; null when malformed. The
    /// command name (field 2) may hold spaces and parentheses, so the fields are counted from its last <c>')'</c>.
    /// </summary>
    internal static long? ParseCpuTicks(ReadOnlySpan<byte> line)
    {
        int close = line.LastIndexOf((byte)')');
        if (close < 0)
        {
            return null;
        }

        // After ") " come field 3 (state) onwards: utime is the 12th of them, stime the 13th.
        ReadOnlySpan<byte> rest = line[(close + 1)..];
        long utime = -1;
        for (int field = 3; field <= 15; field++)
        {
            rest = rest.TrimStart((byte)' ');
            int end = rest.IndexOf((byte)' ');
            ReadOnlySpan<byte> value = end < 0 ? rest : rest[..end];
            if (value.IsEmpty)
            {
                return null;
            }

            if (field >= 14)
            {
                if (!Utf8Parser.TryParse(value, out long v, out int used) || used != value.Length || v < 0)
                {
                    return null;
                }

                if (field == 14)
                {
                    utime = v;
                }
                else
                {
                    return utime + v;
                }
            }

            rest = end < 0 ? default : rest[end..];
        }

        return null;
    }

    /// <summary>Whether a NUL-separated command line carries <c>-name guest=NAME</c> (or <c>-name NAME</c>), options after a comma allowed.</summary>
    internal static bool CommandLineNamesDomain(ReadOnlySpan<byte> cmdline, string name)
    {
        byte[] expected = Encoding.UTF8.GetBytes(name);
        bool afterName = false;
        foreach (Range r in cmdline.Split((byte)0))
        {
            ReadOnlySpan<byte> arg = cmdline[r];
            if (afterName)
            {
                // QEMU escapes a comma in a value by doubling it; libvirt does so for names holding one.
                ReadOnlySpan<byte> value = arg.StartsWith("guest="u8) ? arg[6..] : arg;
                int comma = IndexOfSingleComma(value);
                ReadOnlySpan<byte> given = comma < 0 ? value : value[..comma];
                return Unescape(given).AsSpan().SequenceEqual(expected);
            }

            afterName = arg.SequenceEqual("-name"u8);
        }

        return false;
    }

    private static int IndexOfSingleComma(ReadOnlySpan<byte> value)
    {
        for (int i = 0; i < value.Length; i++)
        {
            if (value[i] == (byte)',')
            {
                if (i + 1 < value.Length && value[i + 1] == (byte)',')
                {
                    i++;
                    continue;
                }

                return i;
            }
        }

        return -1;
    }

    private static byte[] Unescape(ReadOnlySpan<byte> value)
    {
        var result = new List<byte>(value.Length);
        for (int i = 0; i < value.Length; i++)
        {
            result.Add(value[i]);
            if (value[i] == (byte)',' && i + 1 < value.Length && value[i + 1] == (byte)',')
            {
                i++;
            }
        }

        return [.. result];
    }

    private static double ClockTicksPerSecond()
    {
        // sysconf(_SC_CLK_TCK): the unit of utime/stime in /proc (USER_HZ, 100 on every mainstream Linux).
        long hz = OperatingSystem.IsLinux() ? (long)Sysconf(2).Value : -1;
        return hz > 0 ? hz : 100;
    }

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial CLong Sysconf(int name);
}
