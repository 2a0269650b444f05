using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ResCoin.Cgroups.Detection;
using ResCoin.Cgroups.IO;
using ResCoin.Cgroups.Parsing;

namespace ResCoin.Cgroups;

/// <summary>
/// Measures a configured set of cgroups (paths or glob patterns) once per period, for cgroup v2 or v1 (detected):
/// CPU cores from <c>cpu.stat usage_usec</c> / <c>cpuacct.usage</c> deltas over the measured wall time; memory as
/// <c>memory.current</c> / <c>memory.usage_in_bytes</c> minus inactive file cache; disk read/write bytes per second from
/// <c>io.stat</c> / <c>blkio.throttle.io_service_bytes</c>; PSI pressure from <c>cpu|memory|io.pressure</c> when present.
/// Each cgroup is one <see cref="VmSample"/> whose <see cref="VmId"/> is its path relative to the hierarchy root.
/// </summary>
/// <remarks>
/// Pressure (<see cref="VmSample.Pressure"/>) is the share of the measured interval in which some task of the cgroup
/// stalled: the delta of the <c>some total=</c> counter (microseconds) divided by the interval. On the first sample of a
/// cgroup, when there is no delta yet, it is <c>some avg10 / 100</c>. Cpu, Memory and DiskRead (= I/O) carry the three files.
/// Host capacity: cores from the root cpuset (<c>cpuset.cpus.effective</c>), else <c>/sys/devices/system/cpu/online</c>,
/// else <c>/proc/stat</c>; memory from <c>/proc/meminfo MemTotal</c>; disk from the options. After the first sample,
/// a period allocates nothing unless the set of cgroups is re-expanded (see <see cref="CgroupOptions.RescanInterval"/>).
/// Not thread-safe: one sample at a time.
/// </remarks>
public sealed partial class CgroupMonitor : IMonitor, IDisposable
{
    private const string MemInfoPath = "/proc/meminfo";
    private const string CpuOnlinePath = "/sys/devices/system/cpu/online";
    private const string ProcStatPath = "/proc/stat";
    private const double V1Unlimited = 1L << 60;

    private readonly CgroupOptions _options;
    private readonly ICgroupFileSystem _fs;
    private readonly bool _ownsFileSystem;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CgroupLayout _layout;
    private readonly List<Tracked> _tracked = [];
    private readonly Dictionary<string, Tracked> _byPath = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _scan = new(StringComparer.Ordinal);
    private byte[] _buffer = new byte[4096];
    private long _lastScan;
    private bool _scanned;
    private long _lastSample;
    private double _hostCores = double.NaN;
    private double _hostMemory = double.NaN;

    /// <summary>Creates a monitor for the host's cgroups.</summary>
    /// <param name="options">The options (validated here as well as on start).</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="logger">The logger.</param>
    /// <exception cref="OptionsValidationException">The options are invalid.</exception>
    /// <exception cref="InvalidOperationException">No usable cgroup hierarchy is mounted.</exception>
    public CgroupMonitor(IOptions<CgroupOptions> options, TimeProvider? timeProvider = null, ILogger<CgroupMonitor>? logger = null)
        : this(Validated(options), null, timeProvider, logger)
    {
    }

    internal CgroupMonitor(CgroupOptions options, ICgroupFileSystem? fileSystem, TimeProvider? timeProvider, ILogger? logger)
    {
        _options = options;
        _ownsFileSystem = fileSystem is null;
        _fs = fileSystem ?? new CgroupFileSystem(options.HostRoot);
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _layout = CgroupLayout.Detect(_fs, options.Version);
        LogDetected(_logger, _layout.Mode, _layout.UsesV2 ? "v2" : "v1", _layout.PrimaryRoot);
    }

    /// <summary>How cgroups are mounted on this host.</summary>
    public CgroupMode Mode => _layout.Mode;

    /// <summary>Whether the v2 files are used (else v1).</summary>
    public bool UsesV2 => _layout.UsesV2;

    /// <summary>The cgroups found by the last expansion of the patterns (their paths relative to the hierarchy root).</summary>
    public IReadOnlyList<string> Cgroups
    {
        get
        {
            var list = new List<string>(_tracked.Count);
            foreach (Tracked t in _tracked)
            {
                list.Add(t.Relative);
            }

            return list;
        }
    }

    /// <inheritdoc/>
    public ValueTask SampleAsync(HostSnapshot snapshot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        cancellationToken.ThrowIfCancellationRequested();
        Sample(snapshot);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsFileSystem && _fs is IDisposable d)
        {
            d.Dispose();
        }
    }

    /// <summary>Fills the snapshot (synchronous core of <see cref="SampleAsync"/>).</summary>
    internal void Sample(HostSnapshot snapshot)
    {
        long now = _time.GetTimestamp();
        if (!_scanned || _options.RescanInterval <= TimeSpan.Zero || _time.GetElapsedTime(_lastScan, now) >= _options.RescanInterval)
        {
            Rescan();
            _lastScan = now;
            _scanned = true;
        }

        snapshot.Timestamp = _time.GetUtcNow();
        snapshot.Interval = _lastSample == 0 ? TimeSpan.Zero : _time.GetElapsedTime(_lastSample, now);
        _lastSample = now;
        snapshot.HostCapacity = new ResourceVector(_hostCores, _hostMemory, _options.DiskReadCapacity, _options.DiskWriteCapacity, double.NaN, double.NaN);

        int removed = 0;
        for (int i = 0; i < _tracked.Count; i++)
        {
            Tracked t = _tracked[i];
            if (!Measure(t, out ResourceVector usage, out ResourceVector pressure))
            {
                t.Gone = true;
                removed++;
                continue;
            }

            ref VmSample s = ref snapshot.Add(t.Id);
            s.Usage = usage;
            s.Pressure = pressure;
            s.Limit.Memory = t.MemoryLimit;
        }

        if (removed > 0)
        {
            for (int i = _tracked.Count - 1; i >= 0; i--)
            {
                Tracked t = _tracked[i];
                if (t.Gone)
                {
                    Drop(t);
                    _tracked.RemoveAt(i);
                }
            }
        }
    }

    /// <summary>Re-expands the patterns: new cgroups are tracked, vanished ones dropped; refreshes host capacity.</summary>
    internal void Rescan()
    {
        ReadHostCapacity();
        _scan.Clear();
        CgroupDiscovery.Expand(_fs, _layout.PrimaryRoot, _options.Cgroups, _scan);

        for (int i = _tracked.Count - 1; i >= 0; i--)
        {
            if (!_scan.Contains(_tracked[i].Relative))
            {
                Drop(_tracked[i]);
            }
        }

        _tracked.Clear();
        foreach (string rel in _scan)
        {
            if (!_byPath.TryGetValue(rel, out Tracked? t))
            {
                t = Create(rel);
                _byPath.Add(rel, t);
                LogFound(_logger, rel);
            }

            _tracked.Add(t);
        }
    }

    private static CgroupOptions Validated(IOptions<CgroupOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        CgroupOptionsRulesValidator.ThrowIfInvalid(options.Value);
        return options.Value;
    }

    private static double Rate(long value, ref long previous, double seconds)
    {
        double rate = value >= 0 && previous >= 0 && value >= previous && seconds > 0 ? (value - previous) / seconds : double.NaN;
        previous = value;
        return rate;
    }

    private static double PressureShare(in PressureLine some, ref long previous, double seconds)
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

    private bool Measure(Tracked t, out ResourceVector usage, out ResourceVector pressure)
    {
        usage = ResourceVector.Fill(double.NaN);
        pressure = ResourceVector.Fill(double.NaN);
        long ts = _time.GetTimestamp();
        double seconds = t.PreviousTimestamp == 0 ? double.NaN : _time.GetElapsedTime(t.PreviousTimestamp, ts).TotalSeconds;
        t.PreviousTimestamp = ts;

        // CPU (also tells whether the cgroup still exists).
        if (t.CpuPath is not null)
        {
            int n = _fs.ReadAll(t.CpuPath, ref _buffer);
            if (n < 0)
            {
                return !IsGone(t);
            }

            ReadOnlySpan<byte> content = _buffer.AsSpan(0, n);
            long ns = -1;
            if (_layout.UsesV2)
            {
                if (CgroupParsers.TryGetFlatKeyed(content, t.CpuPath, "usage_usec"u8, out long usec))
                {
                    ns = usec * 1000;
                }
            }
            else
            {
                ns = CgroupParsers.ParseInteger(content, t.CpuPath);
            }

            usage.Cpu = Rate(ns, ref t.PreviousCpuNs, seconds) / 1e9;
        }

        // Memory: usage minus inactive file cache (reclaimable without pressure).
        if (t.MemoryCurrentPath is not null)
        {
            int n = _fs.ReadAll(t.MemoryCurrentPath, ref _buffer);
            if (n >= 0)
            {
                double current = CgroupParsers.ParseInteger(_buffer.AsSpan(0, n), t.MemoryCurrentPath);
                if (t.MemoryStatPath is not null && (n = _fs.ReadAll(t.MemoryStatPath, ref _buffer)) >= 0 &&
                    CgroupParsers.TryGetFlatKeyed(_buffer.AsSpan(0, n), t.MemoryStatPath, _layout.UsesV2 ? "inactive_file"u8 : "total_inactive_file"u8, out long inactive))
                {
                    current = Math.Max(0, current - inactive);
                }

                usage.Memory = current;
            }
        }

        // Disk.
        if (t.IoPath is not null)
        {
            int n = _fs.ReadAll(t.IoPath, ref _buffer);
            if (n >= 0)
            {
                long read, write;
                if (_layout.UsesV2)
                {
                    CgroupParsers.ParseIoStat(_buffer.AsSpan(0, n), t.IoPath, out read, out write);
                }
                else
                {
                    CgroupParsers.ParseBlkioServiceBytes(_buffer.AsSpan(0, n), t.IoPath, out read, out write);
                }

                usage.DiskRead = Rate(read, ref t.PreviousRead, seconds);
                usage.DiskWrite = Rate(write, ref t.PreviousWrite, seconds);
            }
        }

        pressure.Cpu = ReadPressure(t.CpuPressurePath, ref t.PreviousCpuStall, seconds);
        pressure.Memory = ReadPressure(t.MemoryPressurePath, ref t.PreviousMemoryStall, seconds);
        pressure.DiskRead = ReadPressure(t.IoPressurePath, ref t.PreviousIoStall, seconds);
        return true;
    }

    private double ReadPressure(string? path, ref long previous, double seconds)
    {
        if (path is null)
        {
            return double.NaN;
        }

        int n = _fs.ReadAll(path, ref _buffer);
        if (n < 0)
        {
            previous = -1;
            return double.NaN;
        }

        CgroupParsers.ParsePressure(_buffer.AsSpan(0, n), path, out PressureLine some, out _);
        return PressureShare(some, ref previous, seconds);
    }

    private bool IsGone(Tracked t) => !_fs.DirectoryExists(t.PrimaryDirectory);

    private void Drop(Tracked t)
    {
        _byPath.Remove(t.Relative);
        foreach (string dir in t.Directories)
        {
            _fs.Forget(dir);
        }

        LogGone(_logger, t.Relative);
    }

    private Tracked Create(string rel)
    {
        var t = new Tracked(new VmId(rel), rel, _layout.PrimaryRoot + "/" + rel);
        string? unified = _layout.UnifiedMount is null ? null : _layout.UnifiedMount + "/" + rel;
        if (_layout.UsesV2)
        {
            string dir = unified!;
            t.Directories.Add(dir);
            t.CpuPath = dir + "/cpu.stat";
            t.MemoryCurrentPath = Optional(dir + "/memory.current");
            t.MemoryStatPath = Optional(dir + "/memory.stat");
            t.IoPath = Optional(dir + "/io.stat");
            t.MemoryLimit = ReadLimit(Optional(dir + "/memory.max"), v2: true);
        }
        else
        {
            string? acct = Dir("cpuacct", rel, t);
            string? mem = Dir("memory", rel, t);
            string? blkio = Dir("blkio", rel, t);
            t.CpuPath = acct is null ? null : Optional(acct + "/cpuacct.usage");
            t.MemoryCurrentPath = mem is null ? null : Optional(mem + "/memory.usage_in_bytes");
            t.MemoryStatPath = mem is null ? null : Optional(mem + "/memory.stat");
            t.IoPath = blkio is null ? null : Optional(blkio + "/blkio.throttle.io_service_bytes_recursive") ?? Optional(blkio + "/blkio.throttle.io_service_bytes");
            t.MemoryLimit = mem is null ? double.NaN : ReadLimit(Optional(mem + "/memory.limit_in_bytes"), v2: false);
        }

        // PSI: v2 files; on a hybrid host the v2 hierarchy may mirror the cgroup (systemd does this).
        if (unified is not null && _fs.DirectoryExists(unified))
        {
            if (!_layout.UsesV2)
            {
                t.Directories.Add(unified);
            }

            t.CpuPressurePath = Optional(unified + "/cpu.pressure");
            t.MemoryPressurePath = Optional(unified + "/memory.pressure");
            t.IoPressurePath = Optional(unified + "/io.pressure");
        }

        return t;
    }

    private string? Dir(string controller, string rel, Tracked t)
    {
        string? root = _layout.V1Root(controller);
        if (root is null)
        {
            return null;
        }

        string dir = root + "/" + rel;
        if (!t.Directories.Contains(dir))
        {
            t.Directories.Add(dir);
        }

        return dir;
    }

    private string? Optional(string path) => _fs.FileExists(path) ? path : null;

    private double ReadLimit(string? path, bool v2)
    {
        if (path is null)
        {
            return double.NaN;
        }

        int n = _fs.ReadAll(path, ref _buffer);
        if (n < 0)
        {
            return double.NaN;
        }

        long value = v2 ? CgroupParsers.ParseIntegerOrMax(_buffer.AsSpan(0, n), path) : CgroupParsers.ParseInteger(_buffer.AsSpan(0, n), path);
        return value < 0 || value >= V1Unlimited ? double.PositiveInfinity : value;
    }

    private void ReadHostCapacity()
    {
        string? cpuset = _layout.UsesV2
            ? _layout.UnifiedMount + "/cpuset.cpus.effective"
            : _layout.V1Root("cpuset") is { } c ? c + "/cpuset.effective_cpus" : null;
        double cores = double.NaN;
        foreach (string? path in (ReadOnlySpan<string?>)[cpuset, CpuOnlinePath])
        {
            if (path is not null && double.IsNaN(cores))
            {
                int n = _fs.ReadAll(path, ref _buffer);
                if (n > 0)
                {
                    int count = CgroupParsers.ParseCpuListCount(_buffer.AsSpan(0, n), path);
                    cores = count > 0 ? count : double.NaN;
                }
            }
        }

        if (double.IsNaN(cores))
        {
            int n = _fs.ReadAll(ProcStatPath, ref _buffer);
            if (n > 0)
            {
                ProcParsers.ParseStat(_buffer.AsSpan(0, n), ProcStatPath, out _, out int count);
                cores = count > 0 ? count : double.NaN;
            }
        }

        _hostCores = cores;
        int m = _fs.ReadAll(MemInfoPath, ref _buffer);
        if (m > 0)
        {
            ProcParsers.ParseMemInfo(_buffer.AsSpan(0, m), MemInfoPath, out long total, out _);
            _hostMemory = total > 0 ? total : double.NaN;
        }
    }

    [LoggerMessage(1, LogLevel.Information, "cgroups: {Mode} layout, using {Version} files under {Root}")]
    private static partial void LogDetected(ILogger logger, CgroupMode mode, string version, string root);

    [LoggerMessage(2, LogLevel.Information, "cgroups: now monitoring {Cgroup}")]
    private static partial void LogFound(ILogger logger, string cgroup);

    [LoggerMessage(3, LogLevel.Information, "cgroups: {Cgroup} is gone")]
    private static partial void LogGone(ILogger logger, string cgroup);

    private sealed class Tracked(VmId id, string relative, string primaryDirectory)
    {
        public VmId Id { get; } = id;

        public string Relative { get; } = relative;

        public string PrimaryDirectory { get; } = primaryDirectory;

        public List<string> Directories { get; } = [];

        public string? CpuPath { get; set; }

        public string? MemoryCurrentPath { get; set; }

        public string? MemoryStatPath { get; set; }

        public string? IoPath { get; set; }

        public string? CpuPressurePath { get; set; }

        public string? MemoryPressurePath { get; set; }

        public string? IoPressurePath { get; set; }

        public double MemoryLimit { get; set; } = double.NaN;

        public bool Gone { get; set; }

#pragma warning disable SA1401, CA1051 // Fields: updated through ref.
        public long PreviousTimestamp;
        public long PreviousCpuNs = -1;
        public long PreviousRead = -1;
        public long PreviousWrite = -1;
        public long PreviousCpuStall = -1;
        public long PreviousMemoryStall = -1;
        public long PreviousIoStall = -1;
#pragma warning restore SA1401, CA1051
    }
}
