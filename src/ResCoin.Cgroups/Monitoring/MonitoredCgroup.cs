using ResCoin.Cgroups.Detection;
using ResCoin.Cgroups.IO;
using ResCoin.Cgroups.Parsing;

namespace ResCoin.Cgroups.Monitoring;

/// <summary>
/// One cgroup the <see cref="CgroupMonitor"/> tracks: the files it reads for it (opened once, by cgroup version), the
/// counters' previous values and what the last period measured. The reading itself is in
/// <c>MonitoredCgroup.Usage.cs</c> (CPU, memory, disk) and <c>MonitoredCgroup.Pressure.cs</c> (PSI).
/// </summary>
/// <remarks>Measured by one thread at a time; read by the monitor's thread after the period's reading is done.</remarks>
internal sealed partial class MonitoredCgroup
{
    private readonly ICgroupFileSystem _fs;
    private readonly TimeProvider _time;
    private readonly bool _usesV2;
    private readonly List<string> _directories = [];
    private readonly ICgroupFileReader? _cpu;
    private readonly ICgroupFileReader? _memoryCurrent;
    private readonly ICgroupFileReader? _memoryStat;
    private readonly ICgroupFileReader? _io;
    private readonly ICgroupFileReader? _cpuPressure;
    private readonly ICgroupFileReader? _memoryPressure;
    private readonly ICgroupFileReader? _ioPressure;

    /// <summary>
    /// Opens the files of the cgroup <paramref name="relative"/> (a path below the hierarchy root) and reads its memory
    /// limit. v2: <c>cpu.stat</c>, <c>memory.current</c>, <c>memory.stat</c>, <c>io.stat</c>, <c>memory.max</c>. v1: the
    /// same from the cpuacct, memory and blkio hierarchies (<c>cpuacct.usage</c>, <c>memory.usage_in_bytes</c>,
    /// <c>memory.stat</c>, <c>blkio.throttle.io_service_bytes[_recursive]</c>, <c>memory.limit_in_bytes</c>). PSI: the v2
    /// files, also on a hybrid host where the v2 hierarchy mirrors the cgroup (systemd does this). A file that does not
    /// exist now is not read (the v2 <c>cpu.stat</c> excepted: it tells whether the cgroup still exists).
    /// </summary>
    /// <param name="fileSystem">The file system.</param>
    /// <param name="layout">The host's cgroup layout.</param>
    /// <param name="time">The clock the rates are measured with.</param>
    /// <param name="relative">The cgroup's path relative to the hierarchy root.</param>
    /// <param name="buffer">A buffer to read the limit with (replaced by a larger one when needed).</param>
    public MonitoredCgroup(ICgroupFileSystem fileSystem, CgroupLayout layout, TimeProvider time, string relative, ref byte[] buffer)
    {
        _fs = fileSystem;
        _time = time;
        _usesV2 = layout.UsesV2;
        Id = new VmId(relative);
        Relative = relative;
        PrimaryDirectory = layout.PrimaryRoot + "/" + relative;
        string? unified = layout.UnifiedMount is null ? null : layout.UnifiedMount + "/" + relative;
        if (_usesV2)
        {
            string dir = unified!;
            _directories.Add(dir);
            _cpu = fileSystem.OpenReader(dir + "/cpu.stat");
            _memoryCurrent = OpenIfExists(dir + "/memory.current");
            _memoryStat = OpenIfExists(dir + "/memory.stat");
            _io = OpenIfExists(dir + "/io.stat");
            MemoryLimit = ReadMemoryLimit(dir + "/memory.max", ref buffer);
        }
        else
        {
            string? acct = V1Directory(layout, "cpuacct", relative);
            string? mem = V1Directory(layout, "memory", relative);
            string? blkio = V1Directory(layout, "blkio", relative);
            _cpu = acct is null ? null : OpenIfExists(acct + "/cpuacct.usage");
            _memoryCurrent = mem is null ? null : OpenIfExists(mem + "/memory.usage_in_bytes");
            _memoryStat = mem is null ? null : OpenIfExists(mem + "/memory.stat");
            _io = blkio is null ? null : OpenIfExists(blkio + "/blkio.throttle.io_service_bytes_recursive") ?? OpenIfExists(blkio + "/blkio.throttle.io_service_bytes");
            MemoryLimit = mem is null ? double.NaN : ReadMemoryLimit(mem + "/memory.limit_in_bytes", ref buffer);
        }

        if (unified is not null && fileSystem.DirectoryExists(unified))
        {
            if (!_usesV2)
            {
                _directories.Add(unified);
            }

            _cpuPressure = OpenIfExists(unified + "/cpu.pressure");
            _memoryPressure = OpenIfExists(unified + "/memory.pressure");
            _ioPressure = OpenIfExists(unified + "/io.pressure");
        }
    }

    /// <summary>The cgroup as a scheduled unit (its <see cref="Relative"/> path).</summary>
    public VmId Id { get; }

    /// <summary>The path relative to the hierarchy root.</summary>
    public string Relative { get; }

    /// <summary>The cgroup's directory in the hierarchy that defines the set of cgroups (its absence means the cgroup is gone).</summary>
    public string PrimaryDirectory { get; }

    /// <summary>Every directory files are read from (one per hierarchy).</summary>
    public IReadOnlyList<string> Directories => _directories;

    /// <summary>The memory limit read when the cgroup was found (bytes; +∞ for none; NaN when unknown).</summary>
    public double MemoryLimit { get; }

    /// <summary>Closes the files.</summary>
    public void DisposeReaders()
    {
        foreach (ICgroupFileReader? r in (ReadOnlySpan<ICgroupFileReader?>)[_cpu, _memoryCurrent, _memoryStat, _io, _cpuPressure, _memoryPressure, _ioPressure])
        {
            r?.Dispose();
        }
    }

    /// <summary>The cgroup's directory in a v1 controller's hierarchy (recorded in <see cref="Directories"/>), or null when that controller is not mounted.</summary>
    private string? V1Directory(CgroupLayout layout, string controller, string relative)
    {
        string? root = layout.V1Root(controller);
        if (root is null)
        {
            return null;
        }

        string dir = root + "/" + relative;
        if (!_directories.Contains(dir))
        {
            _directories.Add(dir);
        }

        return dir;
    }

    private ICgroupFileReader? OpenIfExists(string path) => _fs.FileExists(path) ? _fs.OpenReader(path) : null;

    private double ReadMemoryLimit(string path, ref byte[] buffer)
    {
        if (!_fs.FileExists(path))
        {
            return double.NaN;
        }

        int n = _fs.ReadAll(path, ref buffer);
        if (n < 0)
        {
            return double.NaN;
        }

        long value = CgroupParsers.ParseMemoryLimit(buffer.AsSpan(0, n), path, _usesV2);
        return CgroupParsers.IsNoMemoryLimit(value) ? double.PositiveInfinity : value;
    }
}
