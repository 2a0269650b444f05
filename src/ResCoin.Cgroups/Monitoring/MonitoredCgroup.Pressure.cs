using ResCoin.Cgroups.IO;
using ResCoin.Cgroups.Parsing;

namespace ResCoin.Cgroups.Monitoring;

/// <summary>
/// The reading of a cgroup's PSI files (<c>cpu.pressure</c>, <c>memory.pressure</c>, <c>io.pressure</c>): the share of the
/// interval in which some task of the cgroup stalled.
/// </summary>
internal sealed partial class MonitoredCgroup
{
    private long _previousSlowTimestamp;
    private long _previousCpuStall = -1;
    private long _previousMemoryStall = -1;
    private long _previousIoStall = -1;
    private bool _slowRead;
    private ResourceVector _pressure = ResourceVector.Fill(double.NaN);

    /// <summary>
    /// What the last <see cref="Measure"/> reported as pressure: Cpu, Memory and DiskRead (= I/O) from the three files, as
    /// last read (the slow files are read every <see cref="CgroupOptions.SlowFilesEvery"/> periods); NaN where unknown.
    /// </summary>
    public ResourceVector Pressure { get; private set; }

    /// <summary>Reads the three PSI files; the shares cover the time since they were last read.</summary>
    private void ReadPressure(ref byte[] buffer, long timestamp)
    {
        double seconds = _previousSlowTimestamp == 0 ? double.NaN : _time.GetElapsedTime(_previousSlowTimestamp, timestamp).TotalSeconds;
        _previousSlowTimestamp = timestamp;
        _slowRead = true;
        _pressure.Cpu = ReadStallShare(_cpuPressure, ref buffer, ref _previousCpuStall, seconds);
        _pressure.Memory = ReadStallShare(_memoryPressure, ref buffer, ref _previousMemoryStall, seconds);
        _pressure.DiskRead = ReadStallShare(_ioPressure, ref buffer, ref _previousIoStall, seconds);
    }

    private static double ReadStallShare(ICgroupFileReader? file, ref byte[] buffer, ref long previous, double seconds)
    {
        if (file is null)
        {
            return double.NaN;
        }

        int n = file.Read(ref buffer);
        if (n < 0)
        {
            previous = -1;
            return double.NaN;
        }

        CgroupParsers.ParsePressure(buffer.AsSpan(0, n), file.Path, out PressureLine some, out _);
        return StallShare(some, ref previous, seconds);
    }

    /// <summary>
    /// The delta of the <c>some total=</c> counter (microseconds) divided by the interval, within [0, 1]; on the first reading
    /// (no delta yet) <c>some avg10 / 100</c>. The counter's value replaces <paramref name="previous"/>.
    /// </summary>
    private static double StallShare(in PressureLine some, ref long previous, double seconds)
    {
        if (!some.Present)
        {
            previous = -1;
            return double.NaN;
        }

        double share = previous >= 0 && some.Total >= previous && seconds > 0
            ? (some.Total - previous) / (seconds * 1e6)
            : some.Avg10 / 100.0;
        previous = some.Total;
        return Math.Clamp(share, 0, 1);
    }
}
