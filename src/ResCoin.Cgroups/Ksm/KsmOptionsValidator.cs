using Microsoft.Extensions.Options;

namespace ResCoin.Cgroups.Ksm;

/// <summary>Validates the data-annotation rules of <see cref="KsmOptions"/> (source-generated).</summary>
[OptionsValidator]
internal sealed partial class KsmOptionsValidator : IValidateOptions<KsmOptions>
{
}

/// <summary>Validates the rules of <see cref="KsmOptions"/> that attributes cannot express.</summary>
internal sealed class KsmOptionsRulesValidator : IValidateOptions<KsmOptions>
{
    public ValidateOptionsResult Validate(string? name, KsmOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.MinPagesToScan > options.MaxPagesToScan)
        {
            failures.Add($"MinPagesToScan: must not exceed MaxPagesToScan (got {options.MinPagesToScan} > {options.MaxPagesToScan}).");
        }

        if (options.Period < TimeSpan.FromMilliseconds(100) || options.Period > TimeSpan.FromHours(1))
        {
            failures.Add($"Period: must be between 00:00:00.1 and 01:00:00 (got {options.Period}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Runs both validators and throws when the options are invalid (for code that does not go through DI).</summary>
    public static void ThrowIfInvalid(KsmOptions options)
    {
        var failures = new List<string>();
        foreach (ValidateOptionsResult r in (ReadOnlySpan<ValidateOptionsResult>)[new KsmOptionsValidator().Validate(null, options), new KsmOptionsRulesValidator().Validate(null, options)])
        {
            if (r.Failed)
            {
                failures.AddRange(r.Failures ?? [r.FailureMessage]);
            }
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(KsmOptions), failures);
        }
    }
}
