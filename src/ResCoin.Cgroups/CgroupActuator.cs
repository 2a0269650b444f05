using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ResCoin.Actuation;
using ResCoin.Cgroups.Detection;
using ResCoin.Cgroups.IO;

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
/// <para>
/// Where to look: this file holds the public surface and one plan (<see cref="ApplyAsync"/>: every cgroup, every
/// resource); <c>CgroupActuator.Cpu.cs</c>, <c>.Memory.cs</c> and <c>.Disk.cs</c> decide and write one resource;
/// <c>CgroupActuator.Journal.cs</c> records originals before a change, puts them back and restores them;
/// <c>CgroupActuator.Paths.cs</c> names the files of a cgroup for the cgroup version in use.
/// </para>
/// </remarks>
public sealed partial class CgroupActuator : IActuator, IDisposable
{
    private readonly CgroupOptions _options;
    private readonly ICgroupFileSystem _fs;
    private readonly bool _ownsFileSystem;
    private readonly ILogger _logger;
    private readonly CgroupLayout _layout;
    private readonly Lock _lock = new();
    private byte[] _buffer = new byte[4096];

    /// <summary>Creates an actuator for the host's cgroups.</summary>
    /// <param name="options">The options (validated here as well as on start).</param>
    /// <param name="logger">The logger.</param>
    /// <exception cref="OptionsValidationException">The options are invalid.</exception>
    /// <exception cref="InvalidOperationException">No usable cgroup hierarchy is mounted.</exception>
    public CgroupActuator(IOptions<CgroupOptions> options, ILogger<CgroupActuator>? logger = null)
        : this(CgroupOptionsRulesValidator.ValidatedValue(options), null, logger)
    {
    }

    internal CgroupActuator(CgroupOptions options, ICgroupFileSystem? fileSystem, ILogger? logger)
    {
        _options = options;
        _ownsFileSystem = fileSystem is null;
        _fs = fileSystem ?? new CgroupFileSystem(options.HostRoot, maxCachedHandles: 0);
        _logger = logger ?? NullLogger.Instance;
        _layout = CgroupLayout.Detect(_fs, options.Version);
        _devices = ParseDevices(options);
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

    private void Apply(AllocationPlan plan, CancellationToken cancellationToken)
    {
        bool dryRun = plan.DryRun;
        if (!dryRun)
        {
            RecoverOnce(cancellationToken);
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

    /// <summary>Reads a file's current value into the shared buffer; a missing file is logged and left alone.</summary>
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

    private static string Invariant(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [LoggerMessage(13, LogLevel.Warning, "cgroups: {File} does not exist; left alone")]
    private static partial void LogMissing(ILogger logger, string file);

    [LoggerMessage(14, LogLevel.Warning, "cgroups: {Cgroup}: {Resource} skipped this period: {Reason}")]
    private static partial void LogSkipped(ILogger logger, string cgroup, string resource, string reason);

    private enum Kind
    {
        Cpu,
        Memory,
        Disk,
    }
}
