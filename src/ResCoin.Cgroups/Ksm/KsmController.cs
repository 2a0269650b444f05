using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ResCoin.Actuation;
using ResCoin.Cgroups.IO;
using ResCoin.Cgroups.Parsing;

namespace ResCoin.Cgroups.Ksm;

/// <summary>
/// Drives the kernel's same-page merging daemon (ksmd) like oVirt MOM's <c>ksm.rules</c>: merge harder as free memory
/// falls, stop merging when it is plentiful. Each <see cref="Step"/> reads <c>/sys/kernel/mm/ksm/*</c> and
/// <c>/proc/meminfo</c>, decides, and writes <c>run</c>, <c>pages_to_scan</c> and <c>sleep_millisecs</c> when they change.
/// </summary>
/// <remarks>
/// <para>The rule, every <see cref="KsmOptions.Period"/> (T = <c>MemTotal</c>, F = <c>MemAvailable</c> averaged over the last
/// <see cref="KsmOptions.FreeAverageSamples"/> periods, S = <c>AnonPages</c>, the anonymous memory KSM could merge — QEMU
/// guest RAM is anonymous and marked mergeable —, threshold = <see cref="KsmOptions.FreeFraction"/> × T):</para>
/// <list type="bullet">
/// <item>F &gt; threshold and threshold + S &lt; T (plenty free, and not so much mergeable memory that free memory is
/// about to run out): <c>run = 0</c> (ksmd stops; pages already merged stay merged); <c>pages_to_scan</c> and
/// <c>sleep_millisecs</c> are left as they are.</item>
/// <item>otherwise <c>run = 1</c>; <c>sleep_millisecs</c> = <see cref="KsmOptions.SleepMillisecondsPer16GiB"/> × 16 GiB / T
/// (rounded, 1..<see cref="KsmOptions.MaxSleepMilliseconds"/>); <c>pages_to_scan</c> grows by
/// <see cref="KsmOptions.PagesBoost"/> when F &lt; threshold (under pressure) and shrinks by <see cref="KsmOptions.PagesDecay"/>
/// otherwise, kept within <see cref="KsmOptions.MinPagesToScan"/>..<see cref="KsmOptions.MaxPagesToScan"/>.</item>
/// </list>
/// <para>Safety: the original value of each of the three files is recorded in a <see cref="SettingsJournal"/>
/// (<see cref="KsmOptions.JournalPath"/>) before its first change; <see cref="Restore"/> writes them back (the hosted service
/// calls it on stop), and the first step that is not a dry run restores what a crashed run left in the journal first.
/// <see cref="KsmOptions.DryRun"/>: reads, decides and logs, writes nothing.</para>
/// <para>Metrics (meter <c>ResCoin</c>): <c>rescoin.ksm.pages_shared</c>, <c>rescoin.ksm.pages_sharing</c>,
/// <c>rescoin.ksm.memory.saved</c> (bytes, pages_sharing × page size), <c>rescoin.ksm.full_scans</c>,
/// <c>rescoin.ksm.cpu.time</c> (seconds of CPU ksmd used, from <c>/proc/PID/stat</c>), <c>rescoin.ksm.run</c>,
/// <c>rescoin.ksm.pages_to_scan</c>, <c>rescoin.ksm.sleep</c> (ms), as of the last step. Not thread-safe: one step at a time
/// (the metric callbacks may run concurrently with a step).</para>
/// </remarks>
public sealed partial class KsmController : IDisposable
{
    /// <summary>The journal's key for the KSM settings (they belong to the host, not to a VM).</summary>
    internal static readonly VmId JournalKey = new("host-ksm");

    private const string KsmDir = "/sys/kernel/mm/ksm/";
    private const string MemInfoPath = "/proc/meminfo";
    private const long SixteenGiB = 16L * 1024 * 1024 * 1024;
    private const double UserHz = 100; // USER_HZ, the unit of /proc/PID/stat times on every Linux ABI.

    private readonly KsmOptions _options;
    private readonly ICgroupFileSystem _fs;
    private readonly bool _ownsFileSystem;
    private readonly ILogger _logger;
    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly long[] _free;
    private readonly Lock _gate = new();
    private readonly long _pageSize = Environment.SystemPageSize;
    private byte[] _buffer = new byte[4096];
    private int _freeCount;
    private int _freeNext;
    private SettingsJournal? _journal;
    private bool _recovered;
    private string? _ksmdStat;
    private bool _ksmdSearched;
    private KsmStatus? _last;

    /// <summary>Creates a controller for the host's KSM.</summary>
    /// <param name="options">The options (validated here as well as on start).</param>
    /// <param name="logger">The logger.</param>
    /// <param name="meterFactory">Creates the <c>ResCoin</c> meter; a private meter when null.</param>
    /// <exception cref="OptionsValidationException">The options are invalid.</exception>
    public KsmController(IOptions<KsmOptions> options, ILogger<KsmController>? logger = null, IMeterFactory? meterFactory = null)
        : this(Validated(options), null, logger, meterFactory)
    {
    }

    internal KsmController(KsmOptions options, ICgroupFileSystem? fileSystem, ILogger? logger, IMeterFactory? meterFactory)
    {
        _options = options;
        _ownsFileSystem = fileSystem is null;
        _fs = fileSystem ?? new CgroupFileSystem(options.HostRoot, maxCachedHandles: 0);
        _logger = logger ?? NullLogger.Instance;
        _free = new long[Math.Max(1, options.FreeAverageSamples)];
        if (meterFactory is not null)
        {
            _meter = meterFactory.Create(new MeterOptions("ResCoin"));
        }
        else
        {
            _meter = new Meter("ResCoin");
            _ownsMeter = true;
        }

        _meter.CreateObservableGauge("rescoin.ksm.pages_shared", () => Observe(static (s, _) => s.PagesShared), "{page}", "Shared pages in use (KSM pages_shared).");
        _meter.CreateObservableGauge("rescoin.ksm.pages_sharing", () => Observe(static (s, _) => s.PagesSharing), "{page}", "Pages merged into the shared ones: the saving (KSM pages_sharing).");
        _meter.CreateObservableGauge("rescoin.ksm.memory.saved", () => Observe(static (s, page) => s.PagesSharing * page), "By", "Memory KSM saves: pages_sharing times the page size.");
        _meter.CreateObservableCounter("rescoin.ksm.full_scans", () => Observe(static (s, _) => s.FullScans), "{scan}", "Full scans of the mergeable memory ksmd completed.");
        _meter.CreateObservableCounter("rescoin.ksm.cpu.time", () => Observe(static (s, _) => s.KsmdCpuSeconds), "s", "CPU time ksmd used (user + system).");
        _meter.CreateObservableGauge("rescoin.ksm.run", () => Observe(static (s, _) => s.Run), null, "KSM run: 0 stopped, 1 merging, 2 unmerging.");
        _meter.CreateObservableGauge("rescoin.ksm.pages_to_scan", () => Observe(static (s, _) => s.PagesToScan), "{page}", "Pages ksmd scans per wake-up.");
        _meter.CreateObservableGauge("rescoin.ksm.sleep", () => Observe(static (s, _) => s.SleepMilliseconds), "ms", "How long ksmd sleeps between scans.");
    }

    /// <summary>The journal file.</summary>
    public string JournalPath => _options.JournalPath;

    /// <summary>What the last <see cref="Step"/> read (after its writes); null before the first.</summary>
    public KsmStatus? LastStatus
    {
        get
        {
            lock (_gate)
            {
                return _last;
            }
        }
    }

    private SettingsJournal Journal => _journal ??= SettingsJournal.Open(_options.JournalPath);

    /// <summary>One period of the rule: reads KSM and host memory, decides, writes the settings that change (not in a dry run).</summary>
    /// <returns>The decision.</returns>
    /// <exception cref="InvalidOperationException">The kernel has no KSM (<c>/sys/kernel/mm/ksm/run</c> is missing) or <c>/proc/meminfo</c> lacks MemTotal/MemAvailable.</exception>
    /// <exception cref="CgroupFormatException">A file holds garbage (the message names the file and line).</exception>
    public KsmDecision Step()
    {
        bool dryRun = _options.DryRun;
        if (!dryRun && !_recovered)
        {
            _recovered = true;
            if (Journal.Count > 0)
            {
                LogRecovering(_logger, Journal.Count, Journal.FilePath);
                Restore();
            }
        }

        KsmStatus before = ReadStatus();
        int n = _fs.ReadAll(MemInfoPath, ref _buffer);
        if (n < 0)
        {
            throw new InvalidOperationException($"KSM: {MemInfoPath} cannot be read.");
        }

        ProcParsers.ParseMemInfo(_buffer.AsSpan(0, n), MemInfoPath, out long total, out long available, out long anon);
        if (total <= 0 || available < 0)
        {
            throw new InvalidOperationException($"KSM: {MemInfoPath} has no MemTotal or MemAvailable.");
        }

        _free[_freeNext] = available;
        _freeNext = (_freeNext + 1) % _free.Length;
        _freeCount = Math.Min(_freeCount + 1, _free.Length);
        long sum = 0;
        for (int i = 0; i < _freeCount; i++)
        {
            sum += _free[i];
        }

        KsmDecision d = Decide(_options, total, sum / _freeCount, Math.Max(0, anon), before.PagesToScan, before.SleepMilliseconds);
        if (d.Run)
        {
            // Tune first, then start: ksmd never runs a period with the old pace.
            Set("pages_to_scan", before.PagesToScan, d.PagesToScan, dryRun);
            Set("sleep_millisecs", before.SleepMilliseconds, d.SleepMilliseconds, dryRun);
        }

        Set("run", before.Run, d.Run ? 1 : 0, dryRun);
        KsmStatus after = dryRun ? before : ReadStatus();
        lock (_gate)
        {
            _last = after;
        }

        LogDecision(_logger, d.Run ? 1 : 0, d.PagesToScan, d.SleepMilliseconds, d.AverageFreeBytes >> 20, d.ThresholdBytes >> 20, d.ShareableBytes >> 20, after.PagesSharing);
        return d;
    }

    /// <summary>Writes every original KSM setting recorded in the journal back and forgets it (nothing to do when none was changed).</summary>
    public void Restore()
    {
        if (_journal is null && !File.Exists(_options.JournalPath))
        {
            return;
        }

        foreach (JournalEntry e in Journal.GetEntries())
        {
            if (e.Vm != JournalKey)
            {
                continue;
            }

            string path = KsmDir + e.Setting;
            try
            {
                _fs.Write(path, Encoding.ASCII.GetBytes(e.OriginalValue + "\n"));
                Journal.Remove(e.Vm, e.Setting);
                LogRestored(_logger, path, e.OriginalValue);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                LogRestoreFailed(_logger, path, e.OriginalValue, ex.Message);
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _journal?.Dispose();
        _journal = null;
        if (_ownsMeter)
        {
            _meter.Dispose();
        }

        if (_ownsFileSystem && _fs is IDisposable d)
        {
            d.Dispose();
        }
    }

    /// <summary>The rule (pure): see the remarks of <see cref="KsmController"/>.</summary>
    internal static KsmDecision Decide(KsmOptions o, long totalBytes, long averageFreeBytes, long shareableBytes, int pagesToScan, int sleepMilliseconds)
    {
        long threshold = (long)(totalBytes * o.FreeFraction);
        bool pressure = averageFreeBytes < threshold;
        bool run = pressure || threshold + shareableBytes >= totalBytes;
        if (!run)
        {
            return new KsmDecision(false, pressure, pagesToScan, sleepMilliseconds, averageFreeBytes, threshold, shareableBytes);
        }

        int sleep = (int)Math.Clamp(Math.Round((double)o.SleepMillisecondsPer16GiB * SixteenGiB / totalBytes), 1, o.MaxSleepMilliseconds);
        long pages = (long)pagesToScan + (pressure ? o.PagesBoost : -o.PagesDecay);
        pages = Math.Clamp(pages, o.MinPagesToScan, o.MaxPagesToScan);
        return new KsmDecision(true, pressure, (int)pages, sleep, averageFreeBytes, threshold, shareableBytes);
    }

    private static KsmOptions Validated(IOptions<KsmOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        KsmOptionsRulesValidator.ThrowIfInvalid(options.Value);
        return options.Value;
    }

    /// <summary>One measurement of the last status, none before the first step or when the kernel does not report the value (NaN).</summary>
    private IEnumerable<Measurement<double>> Observe(Func<KsmStatus, double, double> pick)
    {
        if (LastStatus is { } s && pick(s, _pageSize) is var v && !double.IsNaN(v))
        {
            return [new Measurement<double>(v)];
        }

        return [];
    }

    private void Set(string setting, long current, long value, bool dryRun)
    {
        if (current == value)
        {
            return;
        }

        string path = KsmDir + setting;
        string text = value.ToString(CultureInfo.InvariantCulture);
        if (dryRun)
        {
            LogDryRun(_logger, path, text);
            return;
        }

        // Durable before the change: when the journal cannot be written this throws and nothing is changed.
        Journal.TryRecordOriginal(JournalKey, setting, current.ToString(CultureInfo.InvariantCulture));
        try
        {
            _fs.Write(path, Encoding.ASCII.GetBytes(text + "\n"));
            LogWrote(_logger, path, text);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogWriteFailed(_logger, path, text, ex.Message);
        }
    }

    private KsmStatus ReadStatus()
    {
        return new KsmStatus(
            (int)Read("run"),
            (int)Read("pages_to_scan"),
            (int)Read("sleep_millisecs"),
            ReadCounter("pages_shared"),
            ReadCounter("pages_sharing"),
            ReadCounter("full_scans"),
            KsmdCpuSeconds());
    }

    private long Read(string name)
    {
        string path = KsmDir + name;
        int n = _fs.ReadAll(path, ref _buffer);
        return n < 0
            ? throw new InvalidOperationException($"KSM: {path} does not exist (a kernel without CONFIG_KSM, or /sys not mounted under the host root).")
            : CgroupParsers.ParseInteger(_buffer.AsSpan(0, n), path);
    }

    /// <summary>A counter the kernel may lack (older kernels): NaN when absent.</summary>
    private double ReadCounter(string name)
    {
        string path = KsmDir + name;
        int n = _fs.ReadAll(path, ref _buffer);
        return n < 0 ? double.NaN : CgroupParsers.ParseInteger(_buffer.AsSpan(0, n), path);
    }

    /// <summary>ksmd's CPU time (utime + stime of /proc/PID/stat, in USER_HZ ticks); NaN when ksmd is not found.</summary>
    private double KsmdCpuSeconds()
    {
        if (!_ksmdSearched)
        {
            _ksmdSearched = true;
            foreach (string name in _fs.EnumerateDirectoryNames("/proc"))
            {
                if (name.Length == 0 || !char.IsAsciiDigit(name[0]))
                {
                    continue;
                }

                int c = _fs.ReadAll("/proc/" + name + "/comm", ref _buffer);
                if (c > 0 && _buffer.AsSpan(0, c).TrimEnd((byte)'\n').SequenceEqual("ksmd"u8))
                {
                    _ksmdStat = "/proc/" + name + "/stat";
                    break;
                }
            }
        }

        if (_ksmdStat is null)
        {
            return double.NaN;
        }

        int n = _fs.ReadAll(_ksmdStat, ref _buffer);
        if (n <= 0)
        {
            _ksmdStat = null;
            _ksmdSearched = false;
            return double.NaN;
        }

        // "PID (comm) S ppid ...": utime and stime are fields 14 and 15, the 12th and 13th after the comm's ')'.
        ReadOnlySpan<byte> rest = _buffer.AsSpan(0, n);
        int close = rest.LastIndexOf((byte)')');
        if (close < 0)
        {
            return double.NaN;
        }

        rest = rest[(close + 1)..];
        long utime = -1, stime = -1;
        for (int field = 3; field <= 15 && !rest.IsEmpty; field++)
        {
            rest = rest.TrimStart((byte)' ');
            int space = rest.IndexOf((byte)' ');
            ReadOnlySpan<byte> value = space < 0 ? rest : rest[..space];
            rest = space < 0 ? default : rest[space..];
            if (field == 14)
            {
                utime = Utf8Text.TryParseLong(value, out long u) ? u : -1;
            }
            else if (field == 15)
            {
                stime = Utf8Text.TryParseLong(value.TrimEnd((byte)'\n'), out long s) ? s : -1;
            }
        }

        return utime < 0 || stime < 0 ? double.NaN : (utime + stime) / UserHz;
    }

    [LoggerMessage(40, LogLevel.Information, "ksm: run={Run} pages_to_scan={Pages} sleep_millisecs={Sleep} (free avg {FreeMiB} MiB, threshold {ThresholdMiB} MiB, anonymous {AnonMiB} MiB; pages_sharing {Sharing})")]
    private static partial void LogDecision(ILogger logger, int run, int pages, int sleep, long freeMiB, long thresholdMiB, long anonMiB, double sharing);

    [LoggerMessage(41, LogLevel.Information, "ksm: dry run: would write {File} = {Value}")]
    private static partial void LogDryRun(ILogger logger, string file, string value);

    [LoggerMessage(42, LogLevel.Debug, "ksm: wrote {File} = {Value}")]
    private static partial void LogWrote(ILogger logger, string file, string value);

    [LoggerMessage(43, LogLevel.Error, "ksm: writing {File} = {Value} failed: {Reason}")]
    private static partial void LogWriteFailed(ILogger logger, string file, string value, string reason);

    [LoggerMessage(44, LogLevel.Warning, "ksm: restoring {Count} settings a previous run left in {Journal}")]
    private static partial void LogRecovering(ILogger logger, int count, string journal);

    [LoggerMessage(45, LogLevel.Information, "ksm: restored {File} = {Value}")]
    private static partial void LogRestored(ILogger logger, string file, string value);

    [LoggerMessage(46, LogLevel.Error, "ksm: restoring {File} = {Value} failed: {Reason}")]
    private static partial void LogRestoreFailed(ILogger logger, string file, string value, string reason);
}

/// <summary>What one step of <see cref="KsmController"/> decided.</summary>
/// <param name="Run">Whether ksmd runs (<c>run = 1</c>) or stops (<c>run = 0</c>).</param>
/// <param name="UnderPressure">Whether average free memory was below the threshold (then <c>pages_to_scan</c> grows).</param>
/// <param name="PagesToScan">The <c>pages_to_scan</c> in force after the step.</param>
/// <param name="SleepMilliseconds">The <c>sleep_millisecs</c> in force after the step.</param>
/// <param name="AverageFreeBytes">Free memory (<c>MemAvailable</c>) averaged over the last periods, in bytes.</param>
/// <param name="ThresholdBytes">The pressure threshold, in bytes.</param>
/// <param name="ShareableBytes">Anonymous memory (<c>AnonPages</c>), what KSM could merge, in bytes.</param>
public readonly record struct KsmDecision(bool Run, bool UnderPressure, int PagesToScan, int SleepMilliseconds, long AverageFreeBytes, long ThresholdBytes, long ShareableBytes);

/// <summary>The KSM state read from <c>/sys/kernel/mm/ksm</c> (and ksmd's CPU time); NaN where the kernel does not report a value.</summary>
/// <param name="Run">The <c>run</c> setting (0 stopped, 1 merging, 2 unmerging).</param>
/// <param name="PagesToScan">The <c>pages_to_scan</c> setting.</param>
/// <param name="SleepMilliseconds">The <c>sleep_millisecs</c> setting.</param>
/// <param name="PagesShared">Shared pages in use (NaN when unknown).</param>
/// <param name="PagesSharing">Pages merged into them, the saving (NaN when unknown).</param>
/// <param name="FullScans">Completed full scans (NaN when unknown).</param>
/// <param name="KsmdCpuSeconds">CPU time ksmd used so far, in seconds (NaN when ksmd was not found).</param>
public readonly record struct KsmStatus(int Run, int PagesToScan, int SleepMilliseconds, double PagesShared, double PagesSharing, double FullScans, double KsmdCpuSeconds);
