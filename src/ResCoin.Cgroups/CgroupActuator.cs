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
/// Applies allocations to cgroups. v2: CPU through <c>cpu.max</c> (cap) and <c>cpu.weight</c> (share: the default weight at the
/// plan's mean CPU allocation, proportional to the allocation otherwise), memory through
/// <c>memory.high</c>, disk through <c>io.max</c> on the configured devices. v1: <c>cpu.cfs_quota_us</c>/<c>cpu.cfs_period_us</c>
/// and <c>cpu.shares</c>, <c>memory.soft_limit_in_bytes</c>, <c>blkio.throttle.read_bps_device</c>/<c>write_bps_device</c>.
/// Hard memory limits (<c>memory.max</c>, <c>memory.limit_in_bytes</c>) are written only when
/// <see cref="CgroupOptions.UseHardMemoryLimit"/> is set.
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
    private double _meanCpu;
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
        ReadOnlySpan<ResourceVector> allocations = plan.Caps;
        ReadOnlySpan<ResourceVector> usage = plan.Usage;
        ResourceSet resources = plan.Resources;

        // Weights are relative to siblings the scheduler does not manage too; normalizing to the default weight at the
        // mean allocation keeps the proportions among the scheduled cgroups without starving them against the rest.
        double sum = 0;
        int counted = 0;
        for (int i = 0; i < allocations.Length; i++)
        {
            if (double.IsFinite(allocations[i].Cpu) && allocations[i].Cpu > 0)
            {
                sum += allocations[i].Cpu;
                counted++;
            }
        }

        _meanCpu = counted > 0 ? sum / counted : double.NaN;
        for (int i = 0; i < vms.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Paths p = GetPaths(vms[i]);
            ResourceVector alloc = allocations[i];
            if (resources.Contains(ResourceKind.Cpu) && double.IsFinite(alloc.Cpu))
            {
                Guard(p, "cpu", dryRun, static (self, p, a, u, d) => self.ApplyCpu(p, a.Cpu, d), alloc, usage[i]);
            }

            if (resources.Contains(ResourceKind.Memory) && double.IsFinite(alloc.Memory))
            {
                Guard(p, "memory", dryRun, static (self, p, a, u, d) => self.ApplyMemory(p, a.Memory, u.Memory, d), alloc, usage[i]);
            }

            bool read = resources.Contains(ResourceKind.DiskRead) && double.IsFinite(alloc.DiskRead);
            bool write = resources.Contains(ResourceKind.DiskWrite) && double.IsFinite(alloc.DiskWrite);
            if ((read || write) && _devices.Length > 0)
            {
                Guard(p, "disk", dryRun, static (self, p, a, u, d) => self.ApplyDisk(p, a, d), alloc, usage[i]);
            }
        }

        void Guard(Paths p, string resource, bool dry, Action<CgroupActuator, Paths, ResourceVector, ResourceVector, bool> action, ResourceVector alloc, ResourceVector use)
        {
            try
            {
                action(this, p, alloc, use, dry);
            }
            catch (CgroupFormatException ex)
            {
                LogSkipped(_logger, p.Vm.Name, resource, ex.Message);
            }
            catch (IOException ex)
            {
                LogSkipped(_logger, p.Vm.Name, resource, ex.Message);
            }
        }
    }

    private void ApplyCpu(Paths p, double cores, bool dryRun)
    {
        long period = _options.CpuPeriodMicroseconds;
        Span<byte> text = stackalloc byte[64];
        if (!_options.WorkConserving)
        {
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
            if (d.Apply)
            {
                // The kernel refuses quotas under 1 ms.
                long newQuota = Math.Max(1000, (long)Math.Round(d.Value * period));
                if (_layout.UsesV2)
                {
                    int n = CgroupParsers.FormatCpuMax(newQuota, period, text);
                    Change(p.Vm, "cpu.max", p.CpuMax, text[..n], quota < 0 ? $"max {currentPeriod}" : $"{quota} {currentPeriod}", dryRun);
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
        }

        // Weight (v2: 1..10000, default 100) / shares (v1: 2..262144, default 1024): the default at the plan's mean CPU
        // allocation, proportional to the allocation otherwise.
        if (!(_meanCpu > 0))
        {
            return;
        }

        string weightPath = _layout.UsesV2 ? p.CpuWeight : p.CpuShares;
        if (!TryRead(weightPath, out ReadOnlySpan<byte> w))
        {
            return;
        }

        long currentWeight = CgroupParsers.ParseInteger(w, weightPath);
        double relative = Math.Max(cores, 0) / _meanCpu;
        long weight = _layout.UsesV2
            ? Math.Clamp((long)Math.Round(relative * 100), 1, 10_000)
            : Math.Clamp((long)Math.Round(relative * 1024), 2, 262_144);
        if (Math.Abs(weight - currentWeight) > _options.DeadBandFraction * currentWeight)
        {
            int n = CgroupParsers.FormatInteger(weight, text);
            Change(p.Vm, _layout.UsesV2 ? "cpu.weight" : "cpu.shares", weightPath, text[..n], Invariant(currentWeight), dryRun);
        }
    }

    private void ApplyMemory(Paths p, double bytes, double usedBytes, bool dryRun)
    {
        if (!double.IsFinite(usedBytes))
        {
            // No measured usage, no safe floor: leave memory alone this period.
            return;
        }

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

    private void ApplyDisk(Paths p, in ResourceVector alloc, bool dryRun)
    {
        Span<byte> text = stackalloc byte[96];
        foreach ((int major, int minor, string ioMaxKey, string readKey, string writeKey) in _devices)
        {
            if (_layout.UsesV2)
            {
                if (!TryRead(p.IoMax, out ReadOnlySpan<byte> content))
                {
                    return;
                }

                CgroupParsers.TryGetIoMax(content, p.IoMax, major, minor, out long rbps, out long wbps);
                StepDecision r = DiskStep(rbps, alloc.DiskRead);
                StepDecision w = DiskStep(wbps, alloc.DiskWrite);
                if (r.Apply || w.Apply)
                {
                    long newR = r.Apply ? (long)Math.Round(r.Value) : rbps;
                    long newW = w.Apply ? (long)Math.Round(w.Value) : wbps;
                    int n = CgroupParsers.FormatIoMax(major, minor, newR, newW, text);
                    Change(p.Vm, ioMaxKey, p.IoMax, text[..n], string.Create(System.Globalization.CultureInfo.InvariantCulture, $"rbps={(rbps < 0 ? "max" : Invariant(rbps))} wbps={(wbps < 0 ? "max" : Invariant(wbps))}"), dryRun);
                }
            }
            else
            {
                ApplyV1Device(p, p.ReadBps, readKey, major, minor, alloc.DiskRead, dryRun, text);
                ApplyV1Device(p, p.WriteBps, writeKey, major, minor, alloc.DiskWrite, dryRun, text);
            }
        }
    }

    private void ApplyV1Device(Paths p, string path, string key, int major, int minor, double target, bool dryRun, Span<byte> text)
    {
        if (!double.IsFinite(target) || !TryRead(path, out ReadOnlySpan<byte> content))
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

    [LoggerMessage(17, LogLevel.Error, "cgroups: {Cgroup}: restoring {Setting} = {Value} failed: {Reason}")]
    private static partial void LogRestoreFailed(ILogger logger, string cgroup, string setting, string value, string reason);

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

        public string ReadBps { get; set; } = string.Empty;

        public string WriteBps { get; set; } = string.Empty;
    }
}
