using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ResCoin.Actuation;
using ResCoin.Cgroups.Detection;
using ResCoin.Cgroups.IO;
using ResCoin.Cgroups.Parsing;

namespace ResCoin.Cgroups;

/// <summary>
/// Applies the plan's caps, weights and guarantees to cgroups. v2: CPU cap <c>cpu.max</c>, CPU weight <c>cpu.weight</c>
/// (<see cref="KernelWeights.ToCgroup2Weight"/>), memory cap <c>memory.high</c>, memory guarantee <c>memory.low</c>, disk caps
/// <c>io.max</c> on the configured devices. v1: <c>cpu.cfs_quota_us</c>/<c>cpu.cfs_period_us</c>, <c>cpu.shares</c>
/// (<see cref="KernelWeights.ToCpuShares"/>), <c>memory.soft_limit_in_bytes</c>, <c>blkio.throttle.read_bps_device</c>/<c>write_bps_device</c>
/// (v1 has no memory guarantee). Hard memory limits (<c>memory.max</c>, <c>memory.limit_in_bytes</c>) are written only when
/// <see cref="CgroupOptions.UseHardMemoryLimit"/> is set. NaN in the plan means "nothing from the controller": a setting
/// ResCoin changed before gets its journaled original back (and leaves the journal), one it never changed is left alone.
/// Disk weights are not written in this version (the scheduler weighs CPU only).
/// </summary>
/// <remarks>
/// Safety is the shared mechanism of <c>ResCoin.Actuation</c>: every value goes through <see cref="SafeStep.Compute"/>
/// (floors — memory never below measured usage plus a margin —, step limits on decreases, dead-band, never zero), and the
/// original value of every file is recorded in a <see cref="SettingsJournal"/> before the first change. The first plan
/// that is not a dry run restores whatever a previous, crashed run left in the journal; <see cref="RestoreAsync"/> puts
/// every original back. A dry run reads, decides and logs, and writes nothing (not even the journal). A write that fails
/// (EINVAL, cgroup gone) is logged with the file and the value and does not stop the other writes.
/// </remarks>
public sealed partial class CgroupActuator : IActuator, IDisposable
{
    private const double V1Unlimited = 1L << 60;
    private readonly CgroupOptions _options;
    private readonly ICgroupFileSystem _fs;
    private readonly bool _ownsFileSystem;
    private readonly ILogger _logger;
    private readonly CgroupLayout _layout;
    private readonly (int Major, int Minor, string IoMaxKey, string ReadKey, string WriteKey)[] _devices;
    private readonly Dictionary<VmId, Paths> _paths = [];
    private readonly Lock _lock = new();
    private readonly long _pageSize = Environment.SystemPageSize;
    private SettingsJournal? _journal;
    private bool _recovered;
    private byte[] _buffer = new byte[4096];

    /// <summary>Creates an actuator for the host's cgroups.</summary>
    /// <param name="options">The options (validated here as well as on start).</param>
    /// <param name="logger">The logger.</param>
    /// <exception cref="OptionsValidationException">The options are invalid.</exception>
    /// <exception cref="InvalidOperationException">No usable cgroup hierarchy is mounted.</exception>
    public CgroupActuator(IOptions<CgroupOptions> options, ILogger<CgroupActuator>? logger = null)
        : this(Validated(options), null, logger)
    {
    }

    internal CgroupActuator(CgroupOptions options, ICgroupFileSystem? fileSystem, ILogger? logger)
    {
        _options = options;
        _ownsFileSystem = fileSystem is null;
        _fs = fileSystem ?? new CgroupFileSystem(options.HostRoot, maxCachedHandles: 0);
        _logger = logger ?? NullLogger.Instance;
        _layout = CgroupLayout.Detect(_fs, options.Version);
        _devices = new (int, int, string, string, string)[options.Devices.Count];
        for (int i = 0; i < _devices.Length; i++)
        {
            if (!CgroupOptionsRulesValidator.TryParseDevice(options.Devices[i], out int major, out int minor))
            {
                throw new ArgumentException($"Devices[{i}]: '{options.Devices[i]}' is not a block device number MAJ:MIN (e.g. 8:0).", nameof(options));
            }

            string dev = $"{major}:{minor}";
            _devices[i] = (major, minor, "io.max " + dev, "blkio.throttle.read_bps_device " + dev, "blkio.throttle.write_bps_device " + dev);
        }
    }

    /// <summary>Whether the v2 files are written (else v1).</summary>
    public bool UsesV2 => _layout.UsesV2;

    /// <summary>The journal file.</summary>
    public string JournalPath => _options.JournalPath;

    /// <inheritdoc/>
    public ValueTask ApplyAsync(AllocationPlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            Apply(plan, cancellationToken);
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask RestoreAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_journal is null && !File.Exists(_options.JournalPath))
            {
                return ValueTask.CompletedTask;
            }

            RestoreAll(Journal, cancellationToken);
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_lock)
        {
            _journal?.Dispose();
            _journal = null;
        }

        if (_ownsFileSystem && _fs is IDisposable d)
        {
            d.Dispose();
        }
    }

    private SettingsJournal Journal => _journal ??= SettingsJournal.Open(_options.JournalPath);

    private static CgroupOptions Validated(IOptions<CgroupOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        CgroupOptionsRulesValidator.ThrowIfInvalid(options.Value);
        return options.Value;
    }

    private void Apply(AllocationPlan plan, CancellationToken cancellationToken)
    {
        bool dryRun = plan.DryRun;
        if (!dryRun && !_recovered)
        {
            _recovered = true;
            if (Journal.Count > 0)
            {
                LogRecovering(_logger, Journal.Count, Journal.FilePath);
                RestoreAll(Journal, cancellationToken);
            }
        }

        ReadOnlySpan<VmId> vms = plan.Vms;
        ReadOnlySpan<ResourceVector> caps = plan.Caps;
        ReadOnlySpan<ResourceVector> weights = plan.Weights;
        ReadOnlySpan<ResourceVector> guarantees = plan.Guarantees;
        ReadOnlySpan<ResourceVector> usage = plan.Usage;
        ResourceSet resources = plan.Resources;
        bool disk = (resources.Contains(ResourceKind.DiskRead) || resources.Contains(ResourceKind.DiskWrite)) && _devices.Length > 0;
        for (int i = 0; i < vms.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Paths p = GetPaths(vms[i]);
            if (resources.Contains(ResourceKind.Cpu))
            {
                Guard(p, Kind.Cpu, caps[i], weights[i], guarantees[i], usage[i], resources, dryRun);
            }

            if (resources.Contains(ResourceKind.Memory))
            {
                Guard(p, Kind.Memory, caps[i], weights[i], guarantees[i], usage[i], resources, dryRun);
            }

            if (disk)
            {
                Guard(p, Kind.Disk, caps[i], weights[i], guarantees[i], usage[i], resources, dryRun);
            }
        }
    }

    /// <summary>Applies one resource of one cgroup; a malformed or missing file skips that resource this period (logged).</summary>
    private void Guard(Paths p, Kind kind, in ResourceVector cap, in ResourceVector weight, in ResourceVector guarantee, in ResourceVector use, ResourceSet resources, bool dryRun)
    {
        try
        {
            switch (kind)
            {
                case Kind.Cpu:
                    ApplyCpu(p, cap.Cpu, weight.Cpu, dryRun);
                    break;
                case Kind.Memory:
                    ApplyMemory(p, cap.Memory, guarantee.Memory, use.Memory, dryRun);
                    break;
                default:
                    ApplyDisk(p, resources.Contains(ResourceKind.DiskRead) ? cap.DiskRead : double.NaN, resources.Contains(ResourceKind.DiskWrite) ? cap.DiskWrite : double.NaN, dryRun);
                    break;
            }
        }
        catch (CgroupFormatException ex)
        {
            LogSkipped(_logger, p.Vm.Name, KindName(kind), ex.Message);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Also a journal that cannot be written: nothing was changed.
            LogSkipped(_logger, p.Vm.Name, KindName(kind), ex.Message);
        }
    }

    private static string KindName(Kind kind) => kind switch
    {
        Kind.Cpu => "cpu",
        Kind.Memory => "memory",
        _ => "disk",
    };

    private void ApplyCpu(Paths p, double cores, double weight, bool dryRun)
    {
        Span<byte> text = stackalloc byte[64];
        if (!_options.WorkConserving)
        {
            if (double.IsFinite(cores))
            {
                ApplyCpuCap(p, cores, dryRun, text);
            }
            else if (_layout.UsesV2)
            {
                PutBack(p.Vm, "cpu.max", p.CpuMax, dryRun);
            }
            else
            {
                PutBack(p.Vm, "cpu.cfs_quota_us", p.CfsQuota, dryRun);
                PutBack(p.Vm, "cpu.cfs_period_us", p.CfsPeriod, dryRun);
            }
        }

        // Weight: the plan's dimensionless weight (1 = the kernel's default) mapped by KernelWeights; NaN puts the original back.
        string setting = _layout.UsesV2 ? "cpu.weight" : "cpu.shares";
        string weightPath = _layout.UsesV2 ? p.CpuWeight : p.CpuShares;
        if (!(weight > 0 && double.IsFinite(weight)))
        {
            PutBack(p.Vm, setting, weightPath, dryRun);
            return;
        }

        if (!TryRead(weightPath, out ReadOnlySpan<byte> w))
        {
            return;
        }

        long currentWeight = CgroupParsers.ParseInteger(w, weightPath);
        long target = _layout.UsesV2 ? KernelWeights.ToCgroup2Weight(weight) : KernelWeights.ToCpuShares(weight);
        if (target != currentWeight && Math.Abs(target - currentWeight) >= _options.DeadBandFraction * currentWeight)
        {
            int n = CgroupParsers.FormatInteger(target, text);
            Change(p.Vm, setting, weightPath, text[..n], Invariant(currentWeight), dryRun);
        }
    }

    private void ApplyCpuCap(Paths p, double cores, bool dryRun, Span<byte> text)
    {
        long period = _options.CpuPeriodMicroseconds;
        long quota, currentPeriod;
        if (_layout.UsesV2)
        {
            if (!TryRead(p.CpuMax, out ReadOnlySpan<byte> content))
            {
                return;
            }

            CgroupParsers.ParseCpuMax(content, p.CpuMax, out quota, out currentPeriod);
        }
        else
        {
            if (!TryRead(p.CfsQuota, out ReadOnlySpan<byte> q))
            {
                return;
            }

            quota = CgroupParsers.ParseInteger(q, p.CfsQuota);
            if (!TryRead(p.CfsPeriod, out ReadOnlySpan<byte> per))
            {
                return;
            }

            currentPeriod = CgroupParsers.ParseInteger(per, p.CfsPeriod);
        }

        double current = quota < 0 || currentPeriod <= 0 ? double.NaN : (double)quota / currentPeriod;
        StepDecision d = SafeStep.Compute(current, cores, new StepLimits(_options.MinCpuCores, double.PositiveInfinity, _options.CpuMaxDecreaseFraction, _options.DeadBandFraction));
        if (!d.Apply)
        {
            return;
        }

        // The kernel refuses quotas under 1 ms.
        long newQuota = Math.Max(1000, (long)Math.Round(d.Value * period));
        if (_layout.UsesV2)
        {
            int n = CgroupParsers.FormatCpuMax(newQuota, period, text);
            Change(p.Vm, "cpu.max", p.CpuMax, text[..n], quota < 0 ? "max " + Invariant(currentPeriod) : Invariant(quota) + " " + Invariant(currentPeriod), dryRun);
        }
        else
        {
            if (currentPeriod != period)
            {
                int m = CgroupParsers.FormatInteger(period, text);
                Change(p.Vm, "cpu.cfs_period_us", p.CfsPeriod, text[..m], Invariant(currentPeriod), dryRun);
            }

            int n = CgroupParsers.FormatInteger(newQuota, text);
            Change(p.Vm, "cpu.cfs_quota_us", p.CfsQuota, text[..n], Invariant(quota), dryRun);
        }
    }

    private void ApplyMemory(Paths p, double bytes, double guarantee, double usedBytes, bool dryRun)
    {
        if (!double.IsFinite(bytes))
        {
            PutBack(p.Vm, p.MemorySetting, p.Memory, dryRun);
        }
        else if (double.IsFinite(usedBytes))
        {
            // (No measured usage, no safe floor: the limit is left alone this period.)
            ApplyMemoryLimit(p, bytes, usedBytes, dryRun);
        }

        if (!_layout.UsesV2)
        {
            return; // v1 has no memory.low; the guarantee is not expressible.
        }

        if (!(guarantee >= 0 && double.IsFinite(guarantee)))
        {
            PutBack(p.Vm, "memory.low", p.MemoryLow, dryRun);
            return;
        }

        if (!TryRead(p.MemoryLow, out ReadOnlySpan<byte> content))
        {
            return;
        }

        long raw = CgroupParsers.ParseIntegerOrMax(content, p.MemoryLow);
        long value = checked((long)Math.Ceiling(guarantee / _pageSize) * _pageSize);
        if (value == raw || (raw > 0 && Math.Abs(value - raw) < _options.DeadBandFraction * raw))
        {
            return;
        }

        Span<byte> text = stackalloc byte[32];
        int n = CgroupParsers.FormatInteger(value, text);
        Change(p.Vm, "memory.low", p.MemoryLow, text[..n], raw < 0 ? "max" : Invariant(raw), dryRun);
    }

    private void ApplyMemoryLimit(Paths p, double bytes, double usedBytes, bool dryRun)
    {
        string path = p.Memory;
        if (!TryRead(path, out ReadOnlySpan<byte> content))
        {
            return;
        }

        long raw = _layout.UsesV2 ? CgroupParsers.ParseIntegerOrMax(content, path) : CgroupParsers.ParseInteger(content, path);
        double current = raw < 0 || raw >= V1Unlimited ? double.NaN : raw;
        double floor = Math.Max(_options.MinMemoryBytes, usedBytes * (1 + _options.MemoryFloorMargin));
        StepDecision d = SafeStep.Compute(current, bytes, new StepLimits(floor, double.PositiveInfinity, _options.MemoryMaxDecreaseFraction, _options.DeadBandFraction));
        if (!d.Apply)
        {
            return;
        }

        // Whole pages: the kernel keeps pages, so the file then reads back exactly what was written.
        long value = checked((long)Math.Ceiling(d.Value / _pageSize) * _pageSize);
        if (value == raw)
        {
            return;
        }

        Span<byte> text = stackalloc byte[32];
        int n = CgroupParsers.FormatInteger(value, text);
        string original = raw < 0 ? "max" : raw >= V1Unlimited ? "-1" : Invariant(raw);
        Change(p.Vm, p.MemorySetting, path, text[..n], original, dryRun);
    }

    private void ApplyDisk(Paths p, double readCap, double writeCap, bool dryRun)
    {
        Span<byte> text = stackalloc byte[96];
        foreach ((int major, int minor, string ioMaxKey, string readKey, string writeKey) in _devices)
        {
            if (_layout.UsesV2)
            {
                if (!double.IsFinite(readCap) && !double.IsFinite(writeCap))
                {
                    PutBack(p.Vm, ioMaxKey, p.IoMax, dryRun);
                    continue;
                }

                if (!TryRead(p.IoMax, out ReadOnlySpan<byte> content))
                {
                    return;
                }

                // One line per device: a direction without a cap keeps its current value while the other is capped.
                CgroupParsers.TryGetIoMax(content, p.IoMax, major, minor, out long rbps, out long wbps);
                StepDecision r = DiskStep(rbps, readCap);
                StepDecision w = DiskStep(wbps, writeCap);
                if (r.Apply || w.Apply)
                {
                    long newR = r.Apply ? (long)Math.Round(r.Value) : rbps;
                    long newW = w.Apply ? (long)Math.Round(w.Value) : wbps;
                    int n = CgroupParsers.FormatIoMax(major, minor, newR, newW, text);
                    Change(p.Vm, ioMaxKey, p.IoMax, text[..n], "rbps=" + (rbps < 0 ? "max" : Invariant(rbps)) + " wbps=" + (wbps < 0 ? "max" : Invariant(wbps)), dryRun);
                }
            }
            else
            {
                ApplyV1Device(p, p.ReadBps, readKey, major, minor, readCap, dryRun, text);
                ApplyV1Device(p, p.WriteBps, writeKey, major, minor, writeCap, dryRun, text);
            }
        }
    }

    private void ApplyV1Device(Paths p, string path, string key, int major, int minor, double target, bool dryRun, Span<byte> text)
    {
        if (!double.IsFinite(target))
        {
            PutBack(p.Vm, key, path, dryRun);
            return;
        }

        if (!TryRead(path, out ReadOnlySpan<byte> content))
        {
            return;
        }

        long current = CgroupParsers.TryGetDeviceValue(content, path, major, minor, out long v) ? v : -1;
        StepDecision d = DiskStep(current, target);
        if (d.Apply)
        {
            int n = CgroupParsers.FormatDeviceValue(major, minor, (long)Math.Round(d.Value), text);
            Change(p.Vm, key, path, text[..n], current < 0 ? "0" : Invariant(current), dryRun);
        }
    }

    private StepDecision DiskStep(long current, double target)
        => double.IsFinite(target)
            ? SafeStep.Compute(current <= 0 ? double.NaN : current, target, new StepLimits(_options.MinDiskBytesPerSecond, double.PositiveInfinity, _options.DiskMaxDecreaseFraction, _options.DeadBandFraction))
            : new StepDecision(false, current);

    /// <summary>
    /// The plan sets nothing for this setting (NaN): when ResCoin changed it earlier, the journaled original goes back and
    /// the entry is forgotten; otherwise the setting is left as it is. A dry run only logs it.
    /// </summary>
    private void PutBack(VmId vm, string setting, string path, bool dryRun)
    {
        if (dryRun ? _journal is null || !_journal.TryGetOriginal(vm, setting, out string original) : !Journal.TryGetOriginal(vm, setting, out original))
        {
            return;
        }

        int space = setting.IndexOf(' ', StringComparison.Ordinal);
        string value = space > 0 ? setting[(space + 1)..] + " " + original : original;
        if (dryRun)
        {
            LogDryRun(_logger, path, value);
            return;
        }

        try
        {
            _fs.Write(path, Encoding.UTF8.GetBytes(value + "\n"));
            Journal.Remove(vm, setting);
            LogPutBack(_logger, path, value);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogWriteFailed(_logger, path, value, ex.Message);
        }
    }

    private bool TryRead(string path, out ReadOnlySpan<byte> content)
    {
        int n = _fs.ReadAll(path, ref _buffer);
        if (n < 0)
        {
            LogMissing(_logger, path);
            content = default;
            return false;
        }

        content = _buffer.AsSpan(0, n);
        return true;
    }

    /// <summary>Journals the original (first change only), then writes; logs instead in a dry run. A failed write is logged, not thrown.</summary>
    private void Change(VmId vm, string setting, string path, ReadOnlySpan<byte> value, string original, bool dryRun)
    {
        if (dryRun)
        {
            if (_logger.IsEnabled(LogLevel.Information))
            {
                LogDryRun(_logger, path, Encoding.UTF8.GetString(value).TrimEnd('\n'));
            }

            return;
        }

        if (!Journal.TryGetOriginal(vm, setting, out _))
        {
            Journal.TryRecordOriginal(vm, setting, original);
        }

        try
        {
            _fs.Write(path, value);
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                LogWrote(_logger, path, Encoding.UTF8.GetString(value).TrimEnd('\n'));
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogWriteFailed(_logger, path, Encoding.UTF8.GetString(value).TrimEnd('\n'), ex.Message);
        }
    }

    private void RestoreAll(SettingsJournal journal, CancellationToken cancellationToken)
    {
        foreach (JournalEntry e in journal.GetEntries())
        {
            cancellationToken.ThrowIfCancellationRequested();
            string setting = e.Setting;
            string file = setting;
            string? device = null;
            int space = setting.IndexOf(' ', StringComparison.Ordinal);
            if (space > 0)
            {
                file = setting[..space];
                device = setting[(space + 1)..];
            }

            string? root = _layout.UsesV2 ? _layout.UnifiedMount : _layout.V1Root(file[..file.IndexOf('.', StringComparison.Ordinal)]);
            if (root is null)
            {
                LogRestoreFailed(_logger, e.Vm.Name, setting, e.OriginalValue, "its controller is not mounted");
                continue;
            }

            string path = root + "/" + e.Vm.Name + "/" + file;
            string value = device is null ? e.OriginalValue : device + " " + e.OriginalValue;
            try
            {
                _fs.Write(path, Encoding.UTF8.GetBytes(value + "\n"));
                journal.Remove(e.Vm, setting);
                LogRestored(_logger, path, value);
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
                // The cgroup is gone: nothing left to restore.
                journal.Remove(e.Vm, setting);
                LogRestoreFailed(_logger, e.Vm.Name, setting, value, "the cgroup no longer exists; entry dropped");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                LogRestoreFailed(_logger, e.Vm.Name, path, value, ex.Message);
            }
        }
    }

    private Paths GetPaths(VmId vm)
    {
        if (_paths.TryGetValue(vm, out Paths? p))
        {
            return p;
        }

        string rel = vm.Name.Trim('/');
        p = new Paths { Vm = vm };
        if (_layout.UsesV2)
        {
            string dir = _layout.UnifiedMount + "/" + rel;
            p.CpuMax = dir + "/cpu.max";
            p.CpuWeight = dir + "/cpu.weight";
            p.MemorySetting = _options.UseHardMemoryLimit ? "memory.max" : "memory.high";
            p.Memory = dir + "/" + p.MemorySetting;
            p.IoMax = dir + "/io.max";
            p.MemoryLow = dir + "/memory.low";
        }
        else
        {
            string cpu = (_layout.V1Root("cpu") ?? "/nonexistent/cpu") + "/" + rel;
            string memory = (_layout.V1Root("memory") ?? "/nonexistent/memory") + "/" + rel;
            string blkio = (_layout.V1Root("blkio") ?? "/nonexistent/blkio") + "/" + rel;
            p.CfsQuota = cpu + "/cpu.cfs_quota_us";
            p.CfsPeriod = cpu + "/cpu.cfs_period_us";
            p.CpuShares = cpu + "/cpu.shares";
            p.MemorySetting = _options.UseHardMemoryLimit ? "memory.limit_in_bytes" : "memory.soft_limit_in_bytes";
            p.Memory = memory + "/" + p.MemorySetting;
            p.ReadBps = blkio + "/blkio.throttle.read_bps_device";
            p.WriteBps = blkio + "/blkio.throttle.write_bps_device";
        }

        _paths.Add(vm, p);
        return p;
    }

    private static string Invariant(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [LoggerMessage(10, LogLevel.Information, "cgroups: dry run: would write {File} = {Value}")]
    private static partial void LogDryRun(ILogger logger, string file, string value);

    [LoggerMessage(11, LogLevel.Debug, "cgroups: wrote {File} = {Value}")]
    private static partial void LogWrote(ILogger logger, string file, string value);

    [LoggerMessage(12, LogLevel.Error, "cgroups: writing {File} = {Value} failed: {Reason}")]
    private static partial void LogWriteFailed(ILogger logger, string file, string value, string reason);

    [LoggerMessage(13, LogLevel.Warning, "cgroups: {File} does not exist; left alone")]
    private static partial void LogMissing(ILogger logger, string file);

    [LoggerMessage(14, LogLevel.Warning, "cgroups: {Cgroup}: {Resource} skipped this period: {Reason}")]
    private static partial void LogSkipped(ILogger logger, string cgroup, string resource, string reason);

    [LoggerMessage(15, LogLevel.Warning, "cgroups: restoring {Count} settings a previous run left in {Journal}")]
    private static partial void LogRecovering(ILogger logger, int count, string journal);

    [LoggerMessage(16, LogLevel.Information, "cgroups: restored {File} = {Value}")]
    private static partial void LogRestored(ILogger logger, string file, string value);

    [LoggerMessage(18, LogLevel.Information, "cgroups: no value planned; put the original back: {File} = {Value}")]
    private static partial void LogPutBack(ILogger logger, string file, string value);

    [LoggerMessage(17, LogLevel.Error, "cgroups: {Cgroup}: restoring {Setting} = {Value} failed: {Reason}")]
    private static partial void LogRestoreFailed(ILogger logger, string cgroup, string setting, string value, string reason);

    private enum Kind
    {
        Cpu,
        Memory,
        Disk,
    }

    private sealed class Paths
    {
        public VmId Vm { get; init; }

        public string CpuMax { get; set; } = string.Empty;

        public string CpuWeight { get; set; } = string.Empty;

        public string CfsQuota { get; set; } = string.Empty;

        public string CfsPeriod { get; set; } = string.Empty;

        public string CpuShares { get; set; } = string.Empty;

        public string Memory { get; set; } = string.Empty;

        public string MemorySetting { get; set; } = string.Empty;

        public string IoMax { get; set; } = string.Empty;

        public string MemoryLow { get; set; } = string.Empty;

        public string ReadBps { get; set; } = string.Empty;

        public string WriteBps { get; set; } = string.Empty;
    }
}
