using System.Globalization;
using Microsoft.Extensions.Options;
using ResCoin.Cgroups.Parsing;

namespace ResCoin.Cgroups;

/// <summary>Validates the data-annotation rules of <see cref="CgroupOptions"/> (source-generated).</summary>
[OptionsValidator]
internal sealed partial class CgroupOptionsValidator : IValidateOptions<CgroupOptions>
{
}

/// <summary>Validates the rules of <see cref="CgroupOptions"/> that attributes cannot express.</summary>
internal sealed class CgroupOptionsRulesValidator : IValidateOptions<CgroupOptions>
{
    public ValidateOptionsResult Validate(string? name, CgroupOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.Cgroups is null || options.Cgroups.Count == 0)
        {
            failures.Add("Cgroups: list at least one cgroup path or glob pattern (e.g. machine.slice/*.scope).");
            return ValidateOptionsResult.Fail(failures);
        }

        for (int i = 0; i < options.Cgroups.Count; i++)
        {
            string? p = options.Cgroups[i];
            if (string.IsNullOrWhiteSpace(p) || p.Trim('/').Length == 0)
            {
                failures.Add($"Cgroups[{i}]: a cgroup pattern must name a cgroup below the root (got '{p}').");
            }
            else if (p.Split('/').Any(static s => s is ".." or "."))
            {
                failures.Add($"Cgroups[{i}]: '{p}' must not contain '.' or '..' segments.");
            }
        }

        for (int i = 0; i < options.Devices.Count; i++)
        {
            if (!TryParseDevice(options.Devices[i], out _, out _))
            {
                failures.Add($"Devices[{i}]: '{options.Devices[i]}' is not a block device number MAJ:MIN (e.g. 8:0).");
            }
        }

        if (options.RescanInterval < TimeSpan.Zero)
        {
            failures.Add($"RescanInterval: must not be negative (got {options.RescanInterval}).");
        }

        if (!double.IsNaN(options.DiskReadCapacity) && !(options.DiskReadCapacity > 0 && double.IsFinite(options.DiskReadCapacity)))
        {
            failures.Add($"DiskReadCapacity: must be a positive number of bytes/s or NaN (got {options.DiskReadCapacity.ToString(CultureInfo.InvariantCulture)}).");
        }

        if (!double.IsNaN(options.DiskWriteCapacity) && !(options.DiskWriteCapacity > 0 && double.IsFinite(options.DiskWriteCapacity)))
        {
            failures.Add($"DiskWriteCapacity: must be a positive number of bytes/s or NaN (got {options.DiskWriteCapacity.ToString(CultureInfo.InvariantCulture)}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Parses <c>MAJ:MIN</c>.</summary>
    public static bool TryParseDevice(string? text, out int major, out int minor)
    {
        major = minor = 0;
        return text is not null && Utf8Text.TryParseDevice(System.Text.Encoding.UTF8.GetBytes(text.Trim()), out major, out minor);
    }

    /// <summary>The options' value, validated (<see cref="ThrowIfInvalid"/>): what the public constructors of the monitor and actuator take.</summary>
    /// <exception cref="OptionsValidationException">The options are invalid.</exception>
    public static CgroupOptions ValidatedValue(IOptions<CgroupOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ThrowIfInvalid(options.Value);
        return options.Value;
    }

    /// <summary>Runs both validators and throws when the options are invalid (for code that does not go through DI).</summary>
    public static void ThrowIfInvalid(CgroupOptions options)
    {
        ValidateOptionsResult a = new CgroupOptionsValidator().Validate(null, options);
        ValidateOptionsResult b = new CgroupOptionsRulesValidator().Validate(null, options);
        var failures = new List<string>();
        if (a.Failed)
        {
            failures.AddRange(a.Failures ?? [a.FailureMessage]);
        }

        if (b.Failed)
        {
            failures.AddRange(b.Failures ?? [b.FailureMessage]);
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(CgroupOptions), failures);
        }
    }
}
