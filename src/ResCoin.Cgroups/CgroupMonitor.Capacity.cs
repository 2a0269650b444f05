using ResCoin.Cgroups.Parsing;

namespace ResCoin.Cgroups;

/// <summary>
/// Host capacity, read at every rescan: cores from the root cpuset (<c>cpuset.cpus.effective</c> / <c>cpuset.effective_cpus</c>),
/// else <c>/sys/devices/system/cpu/online</c>, else <c>/proc/stat</c>; memory from <c>/proc/meminfo MemTotal</c>.
/// </summary>
public sealed partial class CgroupMonitor
{
    private const string CpuOnlinePath = "/sys/devices/system/cpu/online";
    private double _hostCores = double.NaN;
    private double _hostMemory = double.NaN;

    private void ReadHostCapacity()
    {
        ref byte[] buffer = ref _buffers[0];
        string? cpuset = _layout.UsesV2
            ? _layout.UnifiedMount + "/cpuset.cpus.effective"
            : _layout.V1Root("cpuset") is { } c ? c + "/cpuset.effective_cpus" : null;
        double cores = double.NaN;
        foreach (string? path in (ReadOnlySpan<string?>)[cpuset, CpuOnlinePath])
        {
            if (path is not null && double.IsNaN(cores))
            {
                int n = _fs.ReadAll(path, ref buffer);
                if (n > 0)
                {
                    int count = CgroupParsers.ParseCpuListCount(buffer.AsSpan(0, n), path);
                    cores = count > 0 ? count : double.NaN;
                }
            }
        }

        if (double.IsNaN(cores))
        {
            int n = _fs.ReadAll(ProcParsers.StatPath, ref buffer);
            if (n > 0)
            {
                ProcParsers.ParseStat(buffer.AsSpan(0, n), ProcParsers.StatPath, out _, out int count);
                cores = count > 0 ? count : double.NaN;
            }
        }

        _hostCores = cores;
        int m = _fs.ReadAll(ProcParsers.MemInfoPath, ref buffer);
        if (m > 0)
        {
            ProcParsers.ParseMemInfo(buffer.AsSpan(0, m), ProcParsers.MemInfoPath, out long total, out _);
            _hostMemory = total > 0 ? total : double.NaN;
        }
    }
}
