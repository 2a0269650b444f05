using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ResCoin.Cgroups.Detection;
using ResCoin.Cgroups.IO;
using ResCoin.Cgroups.Monitoring;

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
/// <para>
/// Where to look: this file holds the public surface and one period (<see cref="Sample"/>); <c>CgroupMonitor.Discovery.cs</c>
/// expands the patterns into the set of cgroups; <c>Monitoring/MonitoredCgroup*.cs</c> holds one cgroup's files, counters
/// and pressure; <c>CgroupMonitor.Capacity.cs</c> reads the host's capacity; <c>CgroupMonitor.ReaderThreads.cs</c> shares
/// the reading out over <see cref="CgroupOptions.ReadThreads"/> threads.
/// </para>
/// </remarks>
public sealed partial class CgroupMonitor : IMonitor, IDisposable
{
    private readonly CgroupOptions _options;
    private readonly ICgroupFileSystem _fs;
    private readonly bool _ownsFileSystem;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CgroupLayout _layout;
    private readonly List<MonitoredCgroup> _tracked = [];
    private readonly byte[][] _buffers;
    private long _lastSample;
    private long _period;
    private bool _slowPeriod = true;

    /// <summary>Creates a monitor for the host's cgroups.</summary>
    /// <param name="options">The options (validated here as well as on start).</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="logger">The logger.</param>
    /// <exception cref="OptionsValidationException">The options are invalid.</exception>
    /// <exception cref="InvalidOperationException">No usable cgroup hierarchy is mounted.</exception>
    public CgroupMonitor(IOptions<CgroupOptions> options, TimeProvider? timeProvider = null, ILogger<CgroupMonitor>? logger = null)
        : this(CgroupOptionsRulesValidator.ValidatedValue(options), null, timeProvider, logger)
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
            foreach (MonitoredCgroup t in _tracked)
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
        _threads?.Dispose();
        foreach (MonitoredCgroup t in _byPath.Values)
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
        foreach (MonitoredCgroup t in _tracked)
        {
            if (!t.Present)
            {
                removed++;
                continue;
            }

            ref VmSample s = ref snapshot.Add(t.Id);
            s.Usage = t.Usage;
            s.Pressure = t.Pressure;
            s.Limit.Memory = t.MemoryLimit;
        }

        if (removed > 0)
        {
            for (int i = _tracked.Count - 1; i >= 0; i--)
            {
                MonitoredCgroup t = _tracked[i];
                if (!t.Present)
                {
                    Drop(t);
                    _tracked.RemoveAt(i);
                }
            }
        }
    }

    [LoggerMessage(1, LogLevel.Information, "cgroups: {Mode} layout, using {Version} files under {Root}")]
    private static partial void LogDetected(ILogger logger, CgroupMode mode, string version, string root);
}
