using System.Runtime.ExceptionServices;
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
/// Each monitored file is opened once and re-read with one <c>pread</c> per period; with
/// <see cref="CgroupOptions.ReadThreads"/> &gt; 1 the cgroups are read by that many threads at once.
/// Not thread-safe: one sample at a time.
/// </remarks>
public sealed partial class CgroupMonitor : IMonitor, IDisposable
{
    private const string MemInfoPath = "/proc/meminfo";
    private const string CpuOnlinePath = "/sys/devices/system/cpu/online";
    private const string ProcStatPath = "/proc/stat";
    private const double V1Unlimited = 1L << 60;

    /// <summary>Cgroups per block of work a reader thread takes at a time.</summary>
    private const int BlockSize = 16;

    private readonly CgroupOptions _options;
    private readonly ICgroupFileSystem _fs;
    private readonly bool _ownsFileSystem;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CgroupLayout _layout;
    private readonly List<Tracked> _tracked = [];
    private readonly Dictionary<string, Tracked> _byPath = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _scan = new(StringComparer.Ordinal);
    private readonly byte[][] _buffers;
    private readonly ReaderThreads? _threads;
    private readonly Failure[] _failures;
    private Measured[] _measured = [];
    private int _measureCount;
    private int _nextBlock;
    private long _lastScan;
    private bool _scanned;
    private long _lastSample;
    private long _period;
    private bool _slowPeriod = true;
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
        int threads = Math.Max(1, options.ReadThreads);
        _buffers = new byte[threads][];
        for (int i = 0; i < threads; i++)
        {
            _buffers[i] = new byte[4096];
        }

        _failures = new Failure[threads];
        _threads = threads > 1 ? new ReaderThreads(threads, MeasureBlocks, "ResCoin cgroup reader") : null;
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

    /// <summary>The number of threads that read the cgroups each period (<see cref="CgroupOptions.ReadThreads"/>).</summary>
    internal int ReadThreadCount => _buffers.Length;

    /// <summary>The bytes the background reader threads allocated so far (0 without them).</summary>
    internal long ReaderThreadsAllocatedBytes => _threads?.BackgroundAllocatedBytes ?? 0;

    /// <inheritdoc/>
    public void Dispose()
    {
        _threads?.Dispose();
        foreach (Tracked t in _byPath.Values)
        {
            t.DisposeReaders();
        }

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

        int every = Math.Max(1, _options.SlowFilesEvery);
        _slowPeriod = every == 1 || _period % every == 0;
        _period++;
        MeasureAll();
        int removed = 0;
        for (int i = 0; i < _tracked.Count; i++)
        {
            Tracked t = _tracked[i];
            ref Measured m = ref _measured[i];
            if (!m.Present)
            {
                t.Gone = true;
                removed++;
                continue;
            }

            ref VmSample s = ref snapshot.Add(t.Id);
            s.Usage = m.Usage;
            s.Pressure = m.Pressure;
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

    /// <summary>Measures every tracked cgroup into <see cref="_measured"/> (same index), sequentially or on the reader threads.</summary>
    private void MeasureAll()
    {
        int count = _tracked.Count;
        if (_measured.Length < count)
        {
            _measured = new Measured[Math.Max(count, _measured.Length * 2)];
        }

        if (_threads is null || count <= BlockSize)
        {
            for (int i = 0; i < count; i++)
            {
                _measured[i].Present = Measure(_tracked[i], ref _buffers[0], out _measured[i].Usage, out _measured[i].Pressure);
            }

            return;
        }

        _measureCount = count;
        _nextBlock = 0;
        Array.Fill(_failures, new Failure(int.MaxValue, null));
        _threads.Run();

        // The error sequential reading would have thrown: the first failing cgroup in order. Each thread stops at its
        // first failure, but every block before it was taken (blocks go out in order) and read up to its own failure.
        Failure first = new(int.MaxValue, null);
        foreach (Failure f in _failures)
        {
            if (f.Index < first.Index)
            {
                first = f;
            }
        }

        if (first.Error is not null)
        {
            Array.Fill(_failures, new Failure(int.MaxValue, null));
            ExceptionDispatchInfo.Throw(first.Error);
        }
    }

    /// <summary>The work of one reader thread: takes blocks of cgroups until none is left or one fails.</summary>
    private void MeasureBlocks(int slot)
    {
        int count = _measureCount;
        while (true)
        {
            int start = (Interlocked.Increment(ref _nextBlock) - 1) * BlockSize;
            if (start >= count)
            {
                return;
            }

            int end = Math.Min(count, start + BlockSize);
            for (int i = start; i < end; i++)
            {
                try
                {
                    _measured[i].Present = Measure(_tracked[i], ref _buffers[slot], out _measured[i].Usage, out _measured[i].Pressure);
                }
#pragma warning disable CA1031 // Handed to the caller of Sample (the first in cgroup order), exactly as sequential reading throws it.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    _failures[slot] = new Failure(i, ex);
                    return;
                }
            }
        }
    }

    private bool Measure(Tracked t, ref byte[] buffer, out ResourceVector usage, out ResourceVector pressure)
    {
        usage = ResourceVector.Fill(double.NaN);
        pressure = ResourceVector.Fill(double.NaN);
        long ts = _time.GetTimestamp();
        double seconds = t.PreviousTimestamp == 0 ? double.NaN : _time.GetElapsedTime(t.PreviousTimestamp, ts).TotalSeconds;
        t.PreviousTimestamp = ts;
        bool slow = _slowPeriod || !t.SlowRead;

        // CPU (also tells whether the cgroup still exists).
        if (t.Cpu is { } cpu)
        {
            int n = cpu.Read(ref buffer);
            if (n < 0)
            {
                return !IsGone(t);
            }

            ReadOnlySpan<byte> content = buffer.AsSpan(0, n);
            long ns = -1;
            if (_layout.UsesV2)
            {
                if (CgroupParsers.TryGetFlatKeyed(content, cpu.Path, "usage_usec"u8, out long usec))
                {
                    ns = usec * 1000;
                }
            }
            else
            {
                ns = CgroupParsers.ParseInteger(content, cpu.Path);
            }

            usage.Cpu = Rate(ns, ref t.PreviousCpuNs, seconds) / 1e9;
        }

        // Memory: usage minus inactive file cache (reclaimable without pressure).
        if (t.MemoryCurrent is { } memoryCurrent)
        {
            int n = memoryCurrent.Read(ref buffer);
            if (n >= 0)
            {
                double current = CgroupParsers.ParseInteger(buffer.AsSpan(0, n), memoryCurrent.Path);
                if (slow && t.MemoryStat is { } memoryStat)
                {
                    t.Inactive = (n = memoryStat.Read(ref buffer)) >= 0 &&
                        CgroupParsers.TryGetFlatKeyed(buffer.AsSpan(0, n), memoryStat.Path, _layout.UsesV2 ? "inactive_file"u8 : "total_inactive_file"u8, out long inactive)
                        ? inactive
                        : -1;
                }

                if (t.Inactive >= 0)
                {
                    current = Math.Max(0, current - t.Inactive);
                }

                usage.Memory = current;
            }
        }

        // Disk.
        if (t.Io is { } io)
        {
            int n = io.Read(ref buffer);
            if (n >= 0)
            {
                long read, write;
                if (_layout.UsesV2)
                {
                    CgroupParsers.ParseIoStat(buffer.AsSpan(0, n), io.Path, out read, out write);
                }
                else
                {
                    CgroupParsers.ParseBlkioServiceBytes(buffer.AsSpan(0, n), io.Path, out read, out write);
                }

                usage.DiskRead = Rate(read, ref t.PreviousRead, seconds);
                usage.DiskWrite = Rate(write, ref t.PreviousWrite, seconds);
            }
        }

        if (slow)
        {
            double slowSeconds = t.PreviousSlowTimestamp == 0 ? double.NaN : _time.GetElapsedTime(t.PreviousSlowTimestamp, ts).TotalSeconds;
            t.PreviousSlowTimestamp = ts;
            t.SlowRead = true;
            t.Pressure.Cpu = ReadPressure(t.CpuPressure, ref buffer, ref t.PreviousCpuStall, slowSeconds);
            t.Pressure.Memory = ReadPressure(t.MemoryPressure, ref buffer, ref t.PreviousMemoryStall, slowSeconds);
            t.Pressure.DiskRead = ReadPressure(t.IoPressure, ref buffer, ref t.PreviousIoStall, slowSeconds);
        }

        pressure = t.Pressure;
        return true;
    }

    private static double ReadPressure(ICgroupFileReader? file, ref byte[] buffer, ref long previous, double seconds)
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
        return PressureShare(some, ref previous, seconds);
    }

    private bool IsGone(Tracked t) => !_fs.DirectoryExists(t.PrimaryDirectory);

    private void Drop(Tracked t)
    {
        _byPath.Remove(t.Relative);
        t.DisposeReaders();
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
            t.Cpu = _fs.OpenReader(dir + "/cpu.stat");
            t.MemoryCurrent = Optional(dir + "/memory.current");
            t.MemoryStat = Optional(dir + "/memory.stat");
            t.Io = Optional(dir + "/io.stat");
            t.MemoryLimit = ReadLimit(dir + "/memory.max", v2: true);
        }
        else
        {
            string? acct = Dir("cpuacct", rel, t);
            string? mem = Dir("memory", rel, t);
            string? blkio = Dir("blkio", rel, t);
            t.Cpu = acct is null ? null : Optional(acct + "/cpuacct.usage");
            t.MemoryCurrent = mem is null ? null : Optional(mem + "/memory.usage_in_bytes");
            t.MemoryStat = mem is null ? null : Optional(mem + "/memory.stat");
            t.Io = blkio is null ? null : Optional(blkio + "/blkio.throttle.io_service_bytes_recursive") ?? Optional(blkio + "/blkio.throttle.io_service_bytes");
            t.MemoryLimit = mem is null ? double.NaN : ReadLimit(mem + "/memory.limit_in_bytes", v2: false);
        }

        // PSI: v2 files; on a hybrid host the v2 hierarchy may mirror the cgroup (systemd does this).
        if (unified is not null && _fs.DirectoryExists(unified))
        {
            if (!_layout.UsesV2)
            {
                t.Directories.Add(unified);
            }

            t.CpuPressure = Optional(unified + "/cpu.pressure");
            t.MemoryPressure = Optional(unified + "/memory.pressure");
            t.IoPressure = Optional(unified + "/io.pressure");
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

    private ICgroupFileReader? Optional(string path) => _fs.FileExists(path) ? _fs.OpenReader(path) : null;

    private double ReadLimit(string path, bool v2)
    {
        ref byte[] buffer = ref _buffers[0];
        if (!_fs.FileExists(path))
        {
            return double.NaN;
        }

        int n = _fs.ReadAll(path, ref buffer);
        if (n < 0)
        {
            return double.NaN;
        }

        long value = v2 ? CgroupParsers.ParseIntegerOrMax(buffer.AsSpan(0, n), path) : CgroupParsers.ParseInteger(buffer.AsSpan(0, n), path);
        return value < 0 || value >= V1Unlimited ? double.PositiveInfinity : value;
    }

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
            int n = _fs.ReadAll(ProcStatPath, ref buffer);
            if (n > 0)
            {
                ProcParsers.ParseStat(buffer.AsSpan(0, n), ProcStatPath, out _, out int count);
                cores = count > 0 ? count : double.NaN;
            }
        }

        _hostCores = cores;
        int m = _fs.ReadAll(MemInfoPath, ref buffer);
        if (m > 0)
        {
            ProcParsers.ParseMemInfo(buffer.AsSpan(0, m), MemInfoPath, out long total, out _);
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

        public ICgroupFileReader? Cpu { get; set; }

        public ICgroupFileReader? MemoryCurrent { get; set; }

        public ICgroupFileReader? MemoryStat { get; set; }

        public ICgroupFileReader? Io { get; set; }

        public ICgroupFileReader? CpuPressure { get; set; }

        public ICgroupFileReader? MemoryPressure { get; set; }

        public ICgroupFileReader? IoPressure { get; set; }

        public double MemoryLimit { get; set; } = double.NaN;

        public bool Gone { get; set; }

        /// <summary>Whether the slow files were read at least once (a new cgroup reads them on its first period).</summary>
        public bool SlowRead { get; set; }

#pragma warning disable SA1401, CA1051 // Fields: updated through ref.
        public long PreviousTimestamp;
        public long PreviousCpuNs = -1;
        public long PreviousRead = -1;
        public long PreviousWrite = -1;
        public long PreviousCpuStall = -1;
        public long PreviousMemoryStall = -1;
        public long PreviousIoStall = -1;
        public long PreviousSlowTimestamp;
        public long Inactive = -1;
        public ResourceVector Pressure = ResourceVector.Fill(double.NaN);
#pragma warning restore SA1401, CA1051

        public void DisposeReaders()
        {
            foreach (ICgroupFileReader? r in (ReadOnlySpan<ICgroupFileReader?>)[Cpu, MemoryCurrent, MemoryStat, Io, CpuPressure, MemoryPressure, IoPressure])
            {
                r?.Dispose();
            }
        }
    }

    /// <summary>What one period measured for one cgroup (<see cref="Present"/> false: the cgroup is gone).</summary>
    private struct Measured
    {
#pragma warning disable SA1401, CA1051 // Fields: written through ref by the reader threads.
        public bool Present;
        public ResourceVector Usage;
        public ResourceVector Pressure;
#pragma warning restore SA1401, CA1051
    }

    /// <summary>The first error a reader thread met, and the index of its cgroup.</summary>
    private readonly record struct Failure(int Index, Exception? Error);
}
