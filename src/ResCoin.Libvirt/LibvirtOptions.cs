using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace ResCoin.Libvirt;

/// <summary>Options of the libvirt monitor and actuator (configuration section <c>ResCoin:Libvirt</c> in the sample host).</summary>
public sealed class LibvirtOptions
{
    /// <summary>The default connection URI.</summary>
    public const string DefaultConnectionUri = "qemu:///system";

    /// <summary>The default journal file (the actuator records each VM's original settings there).</summary>
    public const string DefaultJournalPath = "/var/lib/rescoin/libvirt-journal.json";

    /// <summary>The libvirt connection URI (<c>qemu:///system</c>, <c>qemu+ssh://host/system</c>, …).</summary>
    [Required]
    public string ConnectionUri { get; set; } = DefaultConnectionUri;

    /// <summary>Cores kept for the host itself, subtracted from the node's CPU count in <see cref="HostSnapshot.HostCapacity"/>.</summary>
    [Range(0, 100_000)]
    public double CpuReserveCores { get; set; }

    /// <summary>Bytes kept for the host itself, subtracted from the node's memory in <see cref="HostSnapshot.HostCapacity"/>.</summary>
    [Range(0, double.MaxValue)]
    public double MemoryReserveBytes { get; set; }

    /// <summary>The host's disk read capacity in bytes/s (libvirt does not know it); 0 = unknown.</summary>
    [Range(0, double.MaxValue)]
    public double DiskReadCapacity { get; set; }

    /// <summary>The host's disk write capacity in bytes/s; 0 = unknown.</summary>
    [Range(0, double.MaxValue)]
    public double DiskWriteCapacity { get; set; }

    /// <summary>The host's network receive capacity in bytes/s; 0 = unknown.</summary>
    [Range(0, double.MaxValue)]
    public double NetRxCapacity { get; set; }

    /// <summary>The host's network transmit capacity in bytes/s; 0 = unknown.</summary>
    [Range(0, double.MaxValue)]
    public double NetTxCapacity { get; set; }

    /// <summary>The balloon statistics period (seconds) the monitor sets on VMs that have none; 0 = leave VMs alone.</summary>
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

    /// <summary>The file the actuator journals original settings to; restored on stop and on the next start after a crash.</summary>
    [Required]
    public string JournalPath { get; set; } = DefaultJournalPath;

    /// <summary>When set, the actuator logs what it would do and changes nothing (in addition to the plan's own dry-run flag).</summary>
    public bool DryRun { get; set; }

    /// <summary>The smallest CPU cap ever applied, in cores (libvirt needs at least 1 ms of quota per period).</summary>
    [Range(0.001, 100_000)]
    public double MinCpuCores { get; set; } = 0.05;

    /// <summary>Whether to also set <c>cpu_shares</c> (1024 per allocated core) so that idle capacity is shared by weight.</summary>
    public bool UseCpuShares { get; set; }

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

        if (options.ReconnectMaxDelaySeconds < options.ReconnectMinDelaySeconds)
        {
            failures.Add($"ResCoin:Libvirt:ReconnectMaxDelaySeconds ({options.ReconnectMaxDelaySeconds}) must be at least ReconnectMinDelaySeconds ({options.ReconnectMinDelaySeconds}).");
        }

        if (string.IsNullOrWhiteSpace(options.ConnectionUri) || !options.ConnectionUri.Contains("://", StringComparison.Ordinal))
        {
            failures.Add($"ResCoin:Libvirt:ConnectionUri '{options.ConnectionUri}' is not a libvirt URI (e.g. qemu:///system).");
        }

        foreach (double v in (ReadOnlySpan<double>)[options.CpuReserveCores, options.MemoryReserveBytes, options.DiskReadCapacity, options.DiskWriteCapacity, options.NetRxCapacity, options.NetTxCapacity, options.MemoryFloorBytes, options.MemoryMarginBytes, options.MinDiskBytesPerSecond, options.MinNetBytesPerSecond])
        {
            if (!double.IsFinite(v))
            {
                failures.Add("ResCoin:Libvirt: capacities, reserves, floors and margins must be finite numbers.");
                break;
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
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
