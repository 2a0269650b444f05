using System.ComponentModel.DataAnnotations;

namespace ResCoin.Cgroups.Ksm;

/// <summary>
/// Configuration of <see cref="KsmController"/>: the rule that drives the kernel's same-page merging daemon (ksmd) through
/// <c>/sys/kernel/mm/ksm/run</c>, <c>pages_to_scan</c> and <c>sleep_millisecs</c> (validated on start). The defaults are
/// the constants of oVirt MOM's <c>ksm.rules</c>, the reference behaviour: merge harder as free memory falls, stop
/// merging when it is plentiful. The rule is described on <see cref="KsmController"/>.
/// </summary>
public sealed class KsmOptions
{
    /// <summary>The configuration section the sample host reads (<c>ResCoin:Ksm</c>).</summary>
    public const string SectionName = "Ksm";

    /// <summary>The default decision period (10 s, MOM's policy interval).</summary>
    public static readonly TimeSpan DefaultPeriod = TimeSpan.FromSeconds(10);

    /// <summary>The default <see cref="FreeFraction"/>: 0.20.</summary>
    public const double DefaultFreeFraction = 0.20;

    /// <summary>The default <see cref="PagesBoost"/>: 300 pages.</summary>
    public const int DefaultPagesBoost = 300;

    /// <summary>The default <see cref="PagesDecay"/>: 50 pages.</summary>
    public const int DefaultPagesDecay = 50;

    /// <summary>The default <see cref="MinPagesToScan"/>: 64 pages.</summary>
    public const int DefaultMinPagesToScan = 64;

    /// <summary>The default <see cref="MaxPagesToScan"/>: 1 250 pages.</summary>
    public const int DefaultMaxPagesToScan = 1250;

    /// <summary>The default <see cref="SleepMillisecondsPer16GiB"/>: 10 ms.</summary>
    public const int DefaultSleepMillisecondsPer16GiB = 10;

    /// <summary>The default <see cref="FreeAverageSamples"/>: 5 periods.</summary>
    public const int DefaultFreeAverageSamples = 5;

    /// <summary>The default journal file.</summary>
    public const string DefaultJournalPath = "/var/lib/rescoin/ksm-journal.json";

    /// <summary>How often the rule runs (100 ms to 1 h).</summary>
    public TimeSpan Period { get; set; } = DefaultPeriod;

    /// <summary>
    /// The host is under memory pressure when its free memory (<c>MemAvailable</c>, averaged over
    /// <see cref="FreeAverageSamples"/> periods) is below this fraction of <c>MemTotal</c>; KSM then runs and scans harder.
    /// </summary>
    [Range(0.01, 0.99)]
    public double FreeFraction { get; set; } = DefaultFreeFraction;

    /// <summary>Pages added to <c>pages_to_scan</c> per period while the host is under memory pressure.</summary>
    [Range(0, 100_000)]
    public int PagesBoost { get; set; } = DefaultPagesBoost;

    /// <summary>Pages taken from <c>pages_to_scan</c> per period while KSM runs without memory pressure.</summary>
    [Range(0, 100_000)]
    public int PagesDecay { get; set; } = DefaultPagesDecay;

    /// <summary>The least <c>pages_to_scan</c> written while KSM runs.</summary>
    [Range(1, 100_000)]
    public int MinPagesToScan { get; set; } = DefaultMinPagesToScan;

    /// <summary>The most <c>pages_to_scan</c> written.</summary>
    [Range(1, 100_000)]
    public int MaxPagesToScan { get; set; } = DefaultMaxPagesToScan;

    /// <summary>
    /// <c>sleep_millisecs</c> for a host of 16 GiB; scaled by 16 GiB / <c>MemTotal</c> (a larger host sleeps less, a smaller
    /// one more), rounded, and kept within 1 ms and <see cref="MaxSleepMilliseconds"/>.
    /// </summary>
    [Range(1, 10_000)]
    public int SleepMillisecondsPer16GiB { get; set; } = DefaultSleepMillisecondsPer16GiB;

    /// <summary>The most <c>sleep_millisecs</c> written (bounds the scaling on small hosts).</summary>
    [Range(1, 60_000)]
    public int MaxSleepMilliseconds { get; set; } = 1000;

    /// <summary>Over how many periods free memory is averaged before it is compared with the threshold (1 = no averaging).</summary>
    [Range(1, 1000)]
    public int FreeAverageSamples { get; set; } = DefaultFreeAverageSamples;

    /// <summary>When true the rule reads, decides and logs, and writes nothing (not even the journal).</summary>
    public bool DryRun { get; set; }

    /// <summary>
    /// The directory the host's <c>/proc</c> and <c>/sys</c> are found under: <c>/</c> normally (a fixture tree in tests, or the
    /// host's file systems mounted elsewhere in a container).
    /// </summary>
    [Required]
    public string HostRoot { get; set; } = "/";

    /// <summary>The journal of the original KSM settings (restored on stop and on the next start after a crash).</summary>
    [Required]
    public string JournalPath { get; set; } = DefaultJournalPath;
}
