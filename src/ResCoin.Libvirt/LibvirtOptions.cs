using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace ResCoin.Libvirt;

/// <summary>Options of the libvirt monitor and actuator (configuration section <c>ResCoin:Libvirt</c> in the sample host).</summary>
public sealed class LibvirtOptions
{
    /// <summary>The default connection URI.</summary>
    public const string DefaultConnectionUri = "qemu:///system";

    /// <summary>The default <see cref="QemuRunDirectory"/>: <c>/run/libvirt/qemu</c>.</summary>
    public const string DefaultQemuRunDirectory = "/run/libvirt/qemu";

    /// <summary>The default journal file (the actuator records each VM's original settings there).</summary>
    public const string DefaultJournalPath = "/var/lib/rescoin/libvirt-journal.json";

    /// <summary>The libvirt connection URI (<c>qemu:///system</c>, <c>qemu+ssh://host/system</c>, …).</summary>
    [Required]
    public string ConnectionUri { get; set; } = DefaultConnectionUri;

    /// <summary>The host's disk read capacity in bytes/s (libvirt does not know it); NaN (the default) = unknown.</summary>
    public double DiskReadCapacity { get; set; } = double.NaN;

    /// <summary>The host's disk write capacity in bytes/s; NaN (the default) = unknown.</summary>
    public double DiskWriteCapacity { get; set; } = double.NaN;

    /// <summary>The host's network receive capacity in bytes/s; NaN (the default) = unknown.</summary>
    public double NetRxCapacity { get; set; } = double.NaN;

    /// <summary>The host's network transmit capacity in bytes/s; NaN (the default) = unknown.</summary>
    public double NetTxCapacity { get; set; } = double.NaN;

    /// <summary>
    /// The resources the monitor measures, and so the statistics groups it asks libvirtd for in its one bulk call per period
    /// (default every resource). CPU needs <c>cpu.time</c> and the vCPUs, memory the balloon, disk the block devices, network
    /// the interfaces; the balloon and block groups cost libvirtd a QEMU monitor round trip per VM each, so leave out what
    /// is not scheduled (the sample host sets this to <c>ResCoin:Resources</c>). Resources left out read as unknown (NaN).
    /// </summary>
    public ResourceSet MonitoredResources { get; set; } = ResourceSet.All;

    /// <summary>
    /// The vCPU, block and interface statistics groups (CPU pressure and vCPU count, disk and network rates) are asked for at
    /// most this often, in seconds; <c>cpu.time</c>, the balloon and the state every period. In between, the last pressure,
    /// vCPU count and rates are repeated, and the next rates and pressure cover the whole longer interval (counters, so
    /// nothing is lost). 0 (the default) = every period. With a short period these groups are most of what a period costs
    /// libvirtd (it reads each vCPU thread's scheduler statistics and asks QEMU for the block statistics), so the sample
    /// host sets 5.
    /// </summary>
    [Range(0, 3600)]
    public double SlowStatsIntervalSeconds { get; set; }

    /// <summary>
    /// Where libvirtd's QEMU driver keeps a pid file per running domain (<c>&lt;name&gt;.pid</c>; default
    /// <c>/run/libvirt/qemu</c>, that of <c>qemu:///system</c>). On a local connection the monitor reads each VM's CPU
    /// time from its QEMU process (<c>/proc/PID/stat</c>, one read of a file kept open) instead of asking libvirtd for the
    /// <c>cpu-total</c> statistics group, which cost libvirtd 0.28 ms per VM per period on the development host. A VM whose
    /// process cannot be found or read there (another run directory, no permission, a remote <see cref="ConnectionUri"/>)
    /// is measured through libvirtd as before. Empty = always ask libvirtd.
    /// </summary>
    public string QemuRunDirectory { get; set; } = DefaultQemuRunDirectory;

    /// <summary>
    /// The balloon statistics period (seconds) the monitor sets on VMs that have none; 0 = leave VMs alone. The monitor
    /// also asks libvirtd for the balloon group at most this often (and after the actuator moved a balloon), since the
    /// guest refreshes its figures no faster; with 0 it asks every period.
    /// </summary>
    [Range(0, 3600)]
    public int MemoryStatsPeriodSeconds { get; set; } = 2;

    /// <summary>Guest memory statistics older than this (<c>balloon.last-update</c>) are ignored and the monitor falls back to the VM's RSS.</summary>
    [Range(1, 86_400)]
    public double BalloonStatsMaxAgeSeconds { get; set; } = 30;

    /// <summary>The first delay before reconnecting to a lost libvirtd; doubles up to <see cref="ReconnectMaxDelaySeconds"/>.</summary>
    [Range(0.01, 3600)]
    public double ReconnectMinDelaySeconds { get; set; } = 1;

    /// <summary>The longest delay between reconnection attempts.</summary>
    [Range(0.01, 3600)]
    public double ReconnectMaxDelaySeconds { get; set; } = 60;

    /// <summary>The default <see cref="CallTimeoutSeconds"/>.</summary>
    public const double DefaultCallTimeoutSeconds = 5;

    /// <summary>The default <see cref="ApplyTimeoutSeconds"/>.</summary>
    public const double DefaultApplyTimeoutSeconds = 10;

    /// <summary>The default <see cref="RestoreTimeoutSeconds"/> (with the in-flight period, well inside the 60 s <c>TimeoutStopSec</c> of the sample unit and the host's 30 s shutdown timeout).</summary>
    public const double DefaultRestoreTimeoutSeconds = 20;

    /// <summary>The default <see cref="MissingVmRetentionHours"/> (7 days).</summary>
    public const double DefaultMissingVmRetentionHours = 168;

    /// <summary>
    /// The file the actuator journals original settings to; restored on stop and on the next start after a crash. Its
    /// directory is created mode 0700 and must not be writable by other users; <c>&lt;JournalPath&gt;.lock</c> beside it is
    /// the per-host instance lock (a second daemon with the same journal fails at start naming the holder's PID).
    /// </summary>
    [Required]
    public string JournalPath { get; set; } = DefaultJournalPath;

    /// <summary>
    /// The longest wait for libvirtd, per call (the monitor's bulk statistics, the connection) and per VM (one VM's apply
    /// or one VM's restore runs as one batch). Past it the period goes on without that VM, and until libvirtd answers the
    /// late call, every further call fails at once.
    /// </summary>
    [Range(0.1, 600)]
    public double CallTimeoutSeconds { get; set; } = DefaultCallTimeoutSeconds;

    /// <summary>The longest one period's actuation may take; VMs not reached by then wait for the next period.</summary>
    [Range(0.1, 3600)]
    public double ApplyTimeoutSeconds { get; set; } = DefaultApplyTimeoutSeconds;

    /// <summary>
    /// The longest a restore (on stop) may take; what is not restored by then stays in the journal, is logged, and is
    /// restored on the next start. Keep it well below the service manager's stop timeout (systemd <c>TimeoutStopSec</c>).
    /// </summary>
    [Range(0.1, 3600)]
    public double RestoreTimeoutSeconds { get; set; } = DefaultRestoreTimeoutSeconds;

    /// <summary>
    /// How long the journaled originals of a VM that cannot be found (destroyed, undefined, shut off) are kept, so that the
    /// same VM (same UUID) coming back is still restored; a different VM with the same name never is.
    /// </summary>
    [Range(0, 100_000)]
    public double MissingVmRetentionHours { get; set; } = DefaultMissingVmRetentionHours;

    /// <summary>The smallest CPU cap ever applied, in cores (libvirt needs at least 1 ms of quota per period).</summary>
    [Range(0.001, 100_000)]
    public double MinCpuCores { get; set; } = 0.05;

    /// <summary>The largest fraction a CPU cap may shrink in one period (1 = no limit).</summary>
    [Range(0.0, 1.0)]
    public double CpuMaxDecreaseFraction { get; set; } = 1.0;

    /// <summary>The balloon is never set below this many bytes.</summary>
    [Range(1, double.MaxValue)]
    public double MemoryFloorBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>The balloon is never set below the guest's used memory plus this margin (bytes).</summary>
    [Range(0, double.MaxValue)]
    public double MemoryMarginBytes { get; set; } = 32 * 1024 * 1024;

    /// <summary>The largest fraction the balloon may shrink in one period.</summary>
    [Range(0.0, 1.0)]
    public double MemoryMaxDecreaseFraction { get; set; } = 0.1;

    /// <summary>The smallest disk throttle ever applied, in bytes/s per disk.</summary>
    [Range(1, double.MaxValue)]
    public double MinDiskBytesPerSecond { get; set; } = 1024 * 1024;

    /// <summary>The smallest network throttle ever applied, in bytes/s per interface.</summary>
    [Range(1024, double.MaxValue)]
    public double MinNetBytesPerSecond { get; set; } = 64 * 1024;

    /// <summary>Changes smaller than this fraction of the value in force are skipped.</summary>
    [Range(0.0, 1.0)]
    public double DeadBandFraction { get; set; } = 0.02;

    /// <summary>
    /// Weight (<c>cpu_shares</c>) changes smaller than this fraction of the value in force are skipped; NaN (the default) =
    /// <see cref="DeadBandFraction"/>. Weights from credit drift a little every period, each change costs libvirtd a
    /// cgroup write and a save of the domain's status, and a few percent of weight make no difference to the kernel's
    /// arbitration: the sample host sets 0.1.
    /// </summary>
    public double WeightDeadBandFraction { get; set; } = double.NaN;
}

/// <summary>Validates the attributes of <see cref="LibvirtOptions"/> (source-generated).</summary>
[OptionsValidator]
internal sealed partial class LibvirtOptionsAttributeValidator : IValidateOptions<LibvirtOptions>
{
}

/// <summary>Validates <see cref="LibvirtOptions"/>: attributes plus cross-field rules, each failure naming the option.</summary>
internal sealed class LibvirtOptionsValidator : IValidateOptions<LibvirtOptions>
{
    private readonly LibvirtOptionsAttributeValidator _attributes = new();

    public ValidateOptionsResult Validate(string? name, LibvirtOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ValidateOptionsResult result = _attributes.Validate(name, options);
        var failures = new List<string>();
        if (result.Failed)
        {
            failures.AddRange(result.Failures ?? []);
        }

        if (!double.IsNaN(options.WeightDeadBandFraction) && !(options.WeightDeadBandFraction is >= 0 and <= 1))
        {
            failures.Add($"ResCoin:Libvirt:WeightDeadBandFraction ({options.WeightDeadBandFraction}) must be between 0 and 1, or unset (NaN) for DeadBandFraction.");
        }

        if ((options.MonitoredResources & ~ResourceSet.All) != 0)
        {
            failures.Add($"ResCoin:Libvirt:MonitoredResources ({options.MonitoredResources}) names an unknown resource.");
        }

        if (options.ReconnectMaxDelaySeconds < options.ReconnectMinDelaySeconds)
        {
            failures.Add($"ResCoin:Libvirt:ReconnectMaxDelaySeconds ({options.ReconnectMaxDelaySeconds}) must be at least ReconnectMinDelaySeconds ({options.ReconnectMinDelaySeconds}).");
        }

        if (string.IsNullOrWhiteSpace(options.ConnectionUri) || !options.ConnectionUri.Contains("://", StringComparison.Ordinal))
        {
            failures.Add($"ResCoin:Libvirt:ConnectionUri '{options.ConnectionUri}' is not a libvirt URI (e.g. qemu:///system).");
        }

        foreach (double v in (ReadOnlySpan<double>)[options.MemoryFloorBytes, options.MemoryMarginBytes, options.MinDiskBytesPerSecond, options.MinNetBytesPerSecond])
        {
            if (!double.IsFinite(v))
            {
                failures.Add("ResCoin:Libvirt: floors and margins must be finite numbers.");
                break;
            }
        }

        // A capacity is unknown (NaN, the default) or a positive finite number of bytes/s.
        CheckCapacity(failures, nameof(options.DiskReadCapacity), options.DiskReadCapacity);
        CheckCapacity(failures, nameof(options.DiskWriteCapacity), options.DiskWriteCapacity);
        CheckCapacity(failures, nameof(options.NetRxCapacity), options.NetRxCapacity);
        CheckCapacity(failures, nameof(options.NetTxCapacity), options.NetTxCapacity);

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckCapacity(List<string> failures, string key, double value)
    {
        if (!double.IsNaN(value) && !(value > 0 && double.IsFinite(value)))
        {
            failures.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"ResCoin:Libvirt:{key} must be a positive number of bytes/s, or unset (NaN) when unknown (was {value})."));
        }
    }

    /// <summary>Throws <see cref="OptionsValidationException"/> when the options are invalid (for direct construction without DI).</summary>
    public static void ThrowIfInvalid(LibvirtOptions options)
    {
        ValidateOptionsResult r = new LibvirtOptionsValidator().Validate(Options.DefaultName, options);
        if (r.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(LibvirtOptions), r.Failures);
        }
    }
}
