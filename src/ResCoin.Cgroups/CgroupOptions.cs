using System.ComponentModel.DataAnnotations;

namespace ResCoin.Cgroups;

/// <summary>Configuration of <see cref="CgroupMonitor"/> and <see cref="CgroupActuator"/> (validated on start).</summary>
public sealed class CgroupOptions
{
    /// <summary>The default CFS period, in microseconds.</summary>
    public const int DefaultCpuPeriodMicroseconds = 100_000;

    /// <summary>The default smallest CPU cap, in cores.</summary>
    public const double DefaultMinCpuCores = 0.01;

    /// <summary>The default smallest memory limit, in bytes (64 MiB).</summary>
    public const double DefaultMinMemoryBytes = 64.0 * 1024 * 1024;

    /// <summary>The default smallest disk throttle, in bytes per second (1 MiB/s).</summary>
    public const double DefaultMinDiskBytesPerSecond = 1024.0 * 1024;

    /// <summary>The default number of threads that read the monitored cgroups' files: 1, the calling thread alone.</summary>
    public const int DefaultReadThreads = 1;

    /// <summary>The default for <see cref="SlowFilesEvery"/>: 1, every file every period.</summary>
    public const int DefaultSlowFilesEvery = 1;

    /// <summary>The default journal file.</summary>
    public const string DefaultJournalPath = "/var/lib/rescoin/cgroups-journal.json";

    /// <summary>
    /// The cgroups to schedule: paths or glob patterns (<c>*</c>, <c>?</c> within one path segment) relative to the
    /// hierarchy root, e.g. <c>machine.slice/*.scope</c> or <c>docker/*</c>. Each matching directory is one scheduled
    /// unit whose <see cref="VmId"/> is its path relative to the root. Patterns are re-expanded every
    /// <see cref="RescanInterval"/>, so cgroups may come and go.
    /// </summary>
    public IList<string> Cgroups { get; set; } = [];

    /// <summary>
    /// Block devices (<c>MAJ:MIN</c>, e.g. <c>8:0</c>) on which disk allocations are enforced through <c>io.max</c> (v2) or
    /// <c>blkio.throttle.*_bps_device</c> (v1). The allocation is applied to each listed device. Empty: disk is monitored, not actuated.
    /// </summary>
    public IList<string> Devices { get; set; } = [];

    /// <summary>Which cgroup version to use; <see cref="CgroupVersionPreference.Auto"/> detects it.</summary>
    public CgroupVersionPreference Version { get; set; } = CgroupVersionPreference.Auto;

    /// <summary>
    /// The directory the host's <c>/proc</c> and <c>/sys</c> are found under: <c>/</c> normally, another directory when running in a
    /// container with the host's file systems mounted elsewhere (or for a fixture tree).
    /// </summary>
    [Required]
    public string HostRoot { get; set; } = "/";

    /// <summary>How often glob patterns are re-expanded; <see cref="TimeSpan.Zero"/> (the default) means every sample.</summary>
    public TimeSpan RescanInterval { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// How many threads read the monitored cgroups' files each period. 1 (the default): the thread that calls the monitor
    /// reads them all. N &gt; 1: the monitor starts N − 1 persistent background threads, and they and the calling thread
    /// take the cgroups in blocks; the period's wall time drops (up to N-fold when N cores are free), its CPU time does not.
    /// The results are the same, in the same order; a malformed file fails the period with the same error
    /// (the first in cgroup order). Every stat is still read every period. Worth it for hundreds of cgroups.
    /// The monitor's <see cref="TimeProvider"/> is then also called from those threads (the system one and
    /// <c>FakeTimeProvider</c> are thread-safe).
    /// </summary>
    [Range(1, 64)]
    public int ReadThreads { get; set; } = DefaultReadThreads;

    /// <summary>
    /// How often (every N periods) the slow, rarely-changing files are read: the three PSI files (<c>cpu.pressure</c>,
    /// <c>memory.pressure</c>, <c>io.pressure</c>) and <c>memory.stat</c> (the kernel builds it from dozens of counters; it
    /// costs several times a counter file). 1 (the default): every period. N &gt; 1: they are read on the first period of
    /// each cgroup and then every N periods; in between the monitor reuses the last values: the last measured pressure
    /// (a stall share over the N periods since its previous read) and the last inactive file cache subtracted from the
    /// memory usage. The fast counters (<c>cpu.stat</c>/<c>cpuacct.usage</c>, <c>memory.current</c>/<c>usage_in_bytes</c>,
    /// <c>io.stat</c>/<c>blkio</c>) are still read every period, so usage and rates stay exact.
    /// </summary>
    [Range(1, 1000)]
    public int SlowFilesEvery { get; set; } = DefaultSlowFilesEvery;

    /// <summary>The CFS period written with a CPU cap (<c>cpu.max</c> / <c>cpu.cfs_period_us</c>), in microseconds.</summary>
    [Range(1_000, 1_000_000)]
    public int CpuPeriodMicroseconds { get; set; } = DefaultCpuPeriodMicroseconds;

    /// <summary>
    /// When true, CPU is enforced only through weights (<c>cpu.weight</c> / <c>cpu.shares</c>, work-conserving: idle capacity is
    /// not wasted) and the quota is left alone. When false (the default), the allocation is also a hard cap (<c>cpu.max</c> /
    /// <c>cpu.cfs_quota_us</c>).
    /// </summary>
    public bool WorkConserving { get; set; }

    /// <summary>The smallest CPU cap ever written, in cores (never zero).</summary>
    [Range(0.001, 1024)]
    public double MinCpuCores { get; set; } = DefaultMinCpuCores;

    /// <summary>The smallest memory limit ever written, in bytes.</summary>
    [Range(4096, double.MaxValue)]
    public double MinMemoryBytes { get; set; } = DefaultMinMemoryBytes;

    /// <summary>The memory limit never goes below the measured usage times (1 + this margin).</summary>
    [Range(0, 10)]
    public double MemoryFloorMargin { get; set; } = 0.1;

    /// <summary>The smallest disk throttle ever written, in bytes per second.</summary>
    [Range(1, double.MaxValue)]
    public double MinDiskBytesPerSecond { get; set; } = DefaultMinDiskBytesPerSecond;

    /// <summary>The most a CPU cap may shrink in one period, as a fraction of the current cap (1 = no limit).</summary>
    [Range(0.01, 1)]
    public double CpuMaxDecreaseFraction { get; set; } = 0.9;

    /// <summary>The most a memory limit may shrink in one period, as a fraction of the current limit.</summary>
    [Range(0.01, 1)]
    public double MemoryMaxDecreaseFraction { get; set; } = 0.1;

    /// <summary>The most a disk throttle may shrink in one period, as a fraction of the current throttle.</summary>
    [Range(0.01, 1)]
    public double DiskMaxDecreaseFraction { get; set; } = 0.5;

    /// <summary>Changes smaller than this fraction of the current value are skipped.</summary>
    [Range(0, 0.5)]
    public double DeadBandFraction { get; set; } = 0.02;

    /// <summary>
    /// Whether the memory allocation is written as a hard limit (<c>memory.max</c> / <c>memory.limit_in_bytes</c>, OOM-kills on
    /// overrun). Off by default: ResCoin writes only the throttling limit <c>memory.high</c> (v2) or the soft limit
    /// <c>memory.soft_limit_in_bytes</c> (v1).
    /// </summary>
    public bool UseHardMemoryLimit { get; set; }

    /// <summary>The host's disk read capacity in bytes per second (reported as host capacity); NaN when unknown.</summary>
    public double DiskReadCapacity { get; set; } = double.NaN;

    /// <summary>The host's disk write capacity in bytes per second (reported as host capacity); NaN when unknown.</summary>
    public double DiskWriteCapacity { get; set; } = double.NaN;

    /// <summary>The journal of original settings (restored on stop and on the next start after a crash).</summary>
    [Required]
    public string JournalPath { get; set; } = DefaultJournalPath;
}
