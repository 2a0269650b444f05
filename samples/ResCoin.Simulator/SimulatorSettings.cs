using ResCoin.Scheduling;

namespace ResCoin.Simulator;

/// <summary>The simulator's validated command-line settings.</summary>
public sealed record SimulatorSettings
{
    /// <summary>The built-in scenario's default number of periods.</summary>
    public const int DefaultSyntheticPeriods = 720;

    /// <summary>The default capacity fraction.</summary>
    public const double DefaultCapacityFraction = 0.6;

    /// <summary>The default seed.</summary>
    public const int DefaultSeed = 42;

    /// <summary>The predictor the policies run with when <c>--predictors</c> is not given (the controller's default).</summary>
    public const string DefaultPolicyPredictor = ResCoinOptions.DefaultPredictor;

    /// <summary>The scenario file shipped with the simulator that the no-argument run compares beside the built-in scenario.</summary>
    public const string CompanionScenario = "bursty-vs-hogs.json";

    /// <summary>The Bitbrains directory, or null.</summary>
    public string? Trace { get; init; }

    /// <summary>The scenario file, or null.</summary>
    public string? Scenario { get; init; }

    /// <summary>Whether the shipped <see cref="CompanionScenario"/> runs too (the run with neither a trace nor a scenario file).</summary>
    public bool RunCompanion => Trace is null && Scenario is null;

    /// <summary>The number of VMs (trace: the first N files; synthetic: N generated VMs); null for all / 12.</summary>
    public int? Vms { get; init; }

    /// <summary>The number of periods; null for the whole trace, the scenario file's, or 720 synthetic periods.</summary>
    public int? Periods { get; init; }

    /// <summary>Capacity per resource = F × Σ VM p95 demand (trace and built-in scenario; a scenario file states its capacity).</summary>
    public double CapacityFraction { get; init; } = DefaultCapacityFraction;

    /// <summary>The credit window in periods (sliding-window credit).</summary>
    public int Window { get; init; } = ResCoinOptions.DefaultWindow;

    /// <summary>How the controller keeps credit.</summary>
    public CreditMode Credit { get; init; } = CreditMode.Bucket;

    /// <summary>The credit bucket's size, in periods of template.</summary>
    public double BucketCapPeriods { get; init; } = ResCoinOptions.DefaultBucketCapPeriods;

    /// <summary>How credit turns into weights (the <c>rescoin</c> policy).</summary>
    public CreditWeighting Weighting { get; init; } = new();

    /// <summary>The policies to compare.</summary>
    public IReadOnlyList<string> Policies { get; init; } = [];

    /// <summary>The predictors to score.</summary>
    public IReadOnlyList<string> Predictors { get; init; } = [];

    /// <summary>The predictor the controller uses in every policy run.</summary>
    public string PolicyPredictor { get; init; } = DefaultPolicyPredictor;

    /// <summary>The seed of the synthetic workloads.</summary>
    public int Seed { get; init; } = DefaultSeed;

    /// <summary>Where to write the JSON metrics, or null.</summary>
    public string? Json { get; init; }

    /// <summary>Where to write report.html and its charts.</summary>
    public string Out { get; init; } = "out";

    /// <summary>Applies the credit settings to the controller's options.</summary>
    /// <param name="options">The controller's options.</param>
    public void Configure(ResCoinOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Window = Window;
        options.CreditMode = Credit;
        options.BucketCapPeriods = BucketCapPeriods;
        options.Weighting = Weighting;
    }
}
