using System.Globalization;
using Microsoft.Extensions.Options;
using ResCoin.Prediction;

namespace ResCoin.Scheduling;

/// <summary>The attribute-based checks of <see cref="ResCoinOptions"/>, source-generated.</summary>
[OptionsValidator]
internal sealed partial class ResCoinOptionsValidator : IValidateOptions<ResCoinOptions>
{
}

/// <summary>The cross-field and per-entry checks of <see cref="ResCoinOptions"/>; each failure names its configuration key.</summary>
internal sealed class ResCoinOptionsCrossValidator : IValidateOptions<ResCoinOptions>
{
    private const string P = ResCoinOptions.SectionName;
    private static readonly TimeSpan s_maxDuration = TimeSpan.FromDays(1);
    private readonly List<string>? _predictors;
    private readonly List<string>? _policies;

    /// <summary>A validator that does not check names (a controller given its predictor and allocator as instances).</summary>
    public ResCoinOptionsCrossValidator()
    {
    }

    /// <summary>A validator that checks the predictor and policy names against what is registered (the container's).</summary>
    public ResCoinOptionsCrossValidator(IEnumerable<NamedFactory<IPredictor>> predictors, IEnumerable<NamedFactory<IAllocator>> allocators)
    {
        _predictors = [.. predictors.Select(static f => f.Name).Distinct(StringComparer.OrdinalIgnoreCase)];
        _policies = [.. allocators.Select(static f => f.Name).Distinct(StringComparer.OrdinalIgnoreCase)];
    }

    public ValidateOptionsResult Validate(string? name, ResCoinOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<string>? failures = null;
        void Fail(string message) => (failures ??= []).Add(message);

        if (options.Period <= TimeSpan.Zero)
        {
            Fail(Format($"{P}:Period must be > 0 (was {options.Period})."));
        }

        if (options.PeriodDeadline is { } deadline && !(deadline > TimeSpan.Zero && deadline <= s_maxDuration))
        {
            Fail(Format($"{P}:PeriodDeadline must be > 0 and at most a day (was {deadline})."));
        }

        if (!(options.CapacityHold >= TimeSpan.Zero && options.CapacityHold <= s_maxDuration))
        {
            Fail(Format($"{P}:CapacityHold must be between 0 and a day (was {options.CapacityHold})."));
        }

        if (options.Window < 1)
        {
            Fail(Format($"{P}:Window must be >= 1 (was {options.Window})."));
        }

        if (!(options.ThrottledGrowth >= 0 && options.ThrottledGrowth <= 10))
        {
            Fail(Format($"{P}:ThrottledGrowth must be between 0 and 10 (was {options.ThrottledGrowth})."));
        }

        if (options.Resources == ResourceSet.None || (options.Resources & ~ResourceSet.All) != 0)
        {
            Fail(Format($"{P}:Resources must name at least one of Cpu, Memory, DiskRead, DiskWrite, NetRx, NetTx (was '{options.Resources}')."));
        }

        if (!Enum.IsDefined(options.CreditMode))
        {
            Fail(Format($"{P}:CreditMode must be one of {string.Join(", ", Enum.GetNames<CreditMode>())} (was '{options.CreditMode}')."));
        }

        if (!(options.BucketCapPeriods >= 0 && options.BucketCapPeriods <= 10_000_000))
        {
            Fail(Format($"{P}:BucketCapPeriods must be between 0 and 10000000 (was {options.BucketCapPeriods})."));
        }

        if ((options.WeightedResources & ~ResourceSet.All) != 0)
        {
            Fail(Format($"{P}:WeightedResources must name only Cpu, Memory, DiskRead, DiskWrite, NetRx, NetTx (was '{options.WeightedResources}')."));
        }

        if (options.Weighting is null)
        {
            Fail(Format($"{P}:Weighting must not be null."));
        }
        else
        {
            try
            {
                options.Weighting.Validate();
            }
            catch (ArgumentException ex)
            {
                Fail(Format($"{P}:Weighting:{ex.ParamName}: {ex.Message.Split(" (Parameter", 2)[0]}"));
            }
        }

        if (!Enum.IsDefined(options.Headroom))
        {
            Fail(Format($"{P}:Headroom must be one of {string.Join(", ", Enum.GetNames<HeadroomPolicy>())} (was '{options.Headroom}')."));
        }

        if (_predictors is not null && options.Predictor is not null && !IsKnown(_predictors, options.Predictor))
        {
            Fail(Format($"{P}:Predictor '{options.Predictor}' is unknown; valid predictors: {string.Join(", ", _predictors)}."));
        }

        if (_policies is not null && options.Policy is not null && !IsKnown(_policies, options.Policy))
        {
            Fail(Format($"{P}:Policy '{options.Policy}' is unknown; valid policies: {string.Join(", ", _policies)}."));
        }

        if (options.DecisionLogPath is not null && string.IsNullOrWhiteSpace(options.DecisionLogPath))
        {
            Fail(Format($"{P}:DecisionLogPath must be a file path or unset (was blank)."));
        }

        if (options.Capacity is null)
        {
            Fail(Format($"{P}:Capacity must not be null."));
        }

        if (options.Reserve is null)
        {
            Fail(Format($"{P}:Reserve must not be null."));
        }

        foreach (ResourceKind r in ResourceKinds.All)
        {
            string key = ResourceAmounts.KeyOf(r);
            double capacity = options.Capacity?[r] ?? double.NaN;
            double reserve = options.Reserve?[r] ?? double.NaN;
            if (!IsUnsetOrNonNegative(capacity))
            {
                Fail(Format($"{P}:Capacity:{key} must be ≥ 0 and finite, or unset (was {Show(capacity)})."));
            }

            if (!IsUnsetOrNonNegative(reserve))
            {
                Fail(Format($"{P}:Reserve:{key} must be ≥ 0 and finite, or unset (was {Show(reserve)})."));
            }
            else if (!double.IsNaN(capacity) && !double.IsNaN(reserve) && reserve >= capacity && options.Resources.Contains(r))
            {
                Fail(Format($"{P}:Reserve:{key} ({Show(reserve)}) must be less than {P}:Capacity:{key} ({Show(capacity)})."));
            }
        }

        foreach (KeyValuePair<string, ResourceAmounts> entry in options.Templates)
        {
            if (string.IsNullOrEmpty(entry.Key))
            {
                Fail(Format($"{P}:Templates has an entry with an empty VM name."));
                continue;
            }

            if (entry.Value is null)
            {
                Fail(Format($"{P}:Templates:{entry.Key} must not be null."));
                continue;
            }

            foreach (ResourceKind r in ResourceKinds.All)
            {
                double v = entry.Value[r];
                if (!IsUnsetOrNonNegative(v))
                {
                    Fail(Format($"{P}:Templates:{entry.Key}:{ResourceAmounts.KeyOf(r)} must be ≥ 0 and finite, or unset (was {Show(v)})."));
                }
            }
        }

        return failures is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Runs both validators and throws when either fails (used by the controller's constructor).</summary>
    public static void ThrowIfInvalid(ResCoinOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<string> failures = [];
        foreach (ValidateOptionsResult result in (ReadOnlySpan<ValidateOptionsResult>)[new ResCoinOptionsValidator().Validate(null, options), new ResCoinOptionsCrossValidator().Validate(null, options)])
        {
            if (result.Failed)
            {
                failures.AddRange(result.Failures);
            }
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(ResCoinOptions), failures);
        }
    }

    private static bool IsKnown(IReadOnlyList<string> names, string name)
    {
        foreach (string n in names)
        {
            if (string.Equals(n, name.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsUnsetOrNonNegative(double value) => double.IsNaN(value) || (value >= 0 && value <= double.MaxValue);

    private static string Show(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Format(FormattableString message) => message.ToString(CultureInfo.InvariantCulture);
}
