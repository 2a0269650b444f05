using System.CommandLine;
using System.Globalization;
using ResCoin.Prediction;
using ResCoin.Scheduling;
using ResCoin.Simulation;
using Spectre.Console;

namespace ResCoin.Simulator;

/// <summary>The <c>rescoin-sim</c> command: parses options, runs the evaluation, prints and writes the reports.</summary>
public static class SimulatorApp
{
    /// <summary>Exit code for a user error (bad option, missing or malformed trace).</summary>
    public const int UserErrorExitCode = 2;

    private const int RedirectedWidth = 150;

    private static readonly Option<string?> s_trace = new("--trace") { Description = "Replay Bitbrains-format traces from DIR (*.csv or *.csv.gz, one VM per file) instead of the built-in scenario.", HelpName = "DIR" };
    private static readonly Option<string?> s_scenario = new("--scenario") { Description = "Run the host and VM groups described in a scenario file (JSON; schema in the README) instead of the built-in scenario.", HelpName = "FILE" };
    private static readonly Option<int?> s_vms = new("--vms") { Description = "Number of VMs: the first N trace files in numeric order (default: all), or N synthetic VMs (default 12).", HelpName = "N" };
    private static readonly Option<int?> s_periods = new("--periods") { Description = "Number of periods to simulate (default: the whole trace, or 720 synthetic periods).", HelpName = "N" };
    private static readonly Option<double> s_capacityFraction = new("--capacity-fraction") { Description = "Host capacity per resource = F x sum over VMs of the VM's 95th-percentile demand (traces and the built-in scenario; a scenario file states its capacity).", HelpName = "F", DefaultValueFactory = _ => SimulatorSettings.DefaultCapacityFraction };
    private static readonly Option<string> s_credit = new("--credit") { Description = "How credit is kept: bucket (accrues template - usage, capped at --bucket-cap periods of template) or window (sum over the last --window periods).", HelpName = "bucket|window", DefaultValueFactory = _ => "bucket" };
    private static readonly Option<double> s_bucketCap = new("--bucket-cap") { Description = "Credit bucket size, in periods of template.", HelpName = "P", DefaultValueFactory = _ => ResCoinOptions.DefaultBucketCapPeriods };
    private static readonly Option<double> s_maxBoost = new("--max-boost") { Description = "The most credit can raise a VM's weight, as a factor (ResCoin:Weighting:MaxBoost; 1 turns credit weighting off).", HelpName = "X", DefaultValueFactory = _ => CreditWeighting.DefaultMaxBoost };
    private static readonly Option<double> s_creditPeriods = new("--credit-periods") { Description = "Credit worth this many periods of template doubles a weight (ResCoin:Weighting:CreditPeriods).", HelpName = "P", DefaultValueFactory = _ => CreditWeighting.DefaultCreditPeriods };
    private static readonly Option<string> s_capOnly = new("--cap-only") { Description = "How rescoin caps resources the host cannot weight (memory, disk, network): predicted (every VM at its predicted demand, water-filled by credit under contention) or loose (only VMs without credit above their template, while a VM with credit goes unserved) (ResCoin:Weighting:CapOnly).", HelpName = "predicted|loose", DefaultValueFactory = _ => "predicted" };
    private static readonly Option<int> s_window = new("--window") { Description = "Credit window, in periods (with --credit window).", HelpName = "K", DefaultValueFactory = _ => ResCoinOptions.DefaultWindow };
    private static readonly Option<string?> s_policies = new("--policies") { Description = "Comma-separated policies to compare (default: rescoin,none,static,share,drf).", HelpName = "a,b" };
    private static readonly Option<string?> s_predictors = new("--predictors") { Description = "Comma-separated predictors to score (default: last,ewma,holt,fastslow,percentile,adaptive; also: oracle). The first one given is also the predictor every policy runs with (default: " + ResCoinOptions.DefaultPredictor + ").", HelpName = "a,b" };
    private static readonly Option<int> s_seed = new("--seed") { Description = "Seed of the synthetic workloads.", HelpName = "S", DefaultValueFactory = _ => SimulatorSettings.DefaultSeed };
    private static readonly Option<string?> s_json = new("--json") { Description = "Write every metric as JSON to FILE (schema in the README).", HelpName = "FILE" };
    private static readonly Option<string> s_out = new("--out") { Description = "Directory for report.html and its PNG charts.", HelpName = "DIR", DefaultValueFactory = _ => "out" };

    /// <summary>Runs the command.</summary>
    /// <param name="args">The command-line arguments.</param>
    /// <param name="output">Standard output.</param>
    /// <param name="error">Standard error.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The exit code: 0 on success, 2 for a user error, 1 for anything else.</returns>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);

        RootCommand root = CreateCommand();
        ParseResult parse = root.Parse(args);
        bool helpRequested = false;
        foreach (string a in args)
        {
            helpRequested |= a is "--help" or "-h" or "-?";
        }

        if (helpRequested)
        {
            return await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cancellationToken).ConfigureAwait(false);
        }

        if (parse.Errors.Count > 0)
        {
            await error.WriteLineAsync($"rescoin-sim: error: {parse.Errors[0].Message} (see --help)").ConfigureAwait(false);
            return UserErrorExitCode;
        }

        try
        {
            SimulatorSettings settings = Validate(parse);
            IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(output),
                Ansi = ReferenceEquals(output, Console.Out) ? AnsiSupport.Detect : AnsiSupport.No,
                ColorSystem = ReferenceEquals(output, Console.Out) ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
                Interactive = ReferenceEquals(output, Console.Out) ? InteractionSupport.Detect : InteractionSupport.No,
            });
            if (!ReferenceEquals(output, Console.Out) || Console.IsOutputRedirected)
            {
                console.Profile.Width = RedirectedWidth; // the policy table is wide; 80 columns would wrap every cell
            }

            return await RunAsync(settings, console, cancellationToken).ConfigureAwait(false);
        }
        catch (UserErrorException e)
        {
            await error.WriteLineAsync($"rescoin-sim: error: {e.Message}").ConfigureAwait(false);
            return UserErrorExitCode;
        }
        catch (ScenarioFormatException e)
        {
            await error.WriteLineAsync($"rescoin-sim: error: {e.Message}").ConfigureAwait(false);
            return UserErrorExitCode;
        }
        catch (TraceFormatException e)
        {
            await error.WriteLineAsync($"rescoin-sim: error: {e.Message}").ConfigureAwait(false);
            return UserErrorExitCode;
        }
        catch (DirectoryNotFoundException e)
        {
            await error.WriteLineAsync($"rescoin-sim: error: {e.Message}").ConfigureAwait(false);
            return UserErrorExitCode;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await error.WriteLineAsync("rescoin-sim: cancelled").ConfigureAwait(false);
            return 130;
        }
        catch (IOException e)
        {
            await error.WriteLineAsync($"rescoin-sim: error: {e.Message}").ConfigureAwait(false);
            return 1;
        }
        catch (UnauthorizedAccessException e)
        {
            await error.WriteLineAsync($"rescoin-sim: error: {e.Message}").ConfigureAwait(false);
            return 1;
        }
#pragma warning disable CA1031 // Last resort: one line, details only on request.
        catch (Exception e)
#pragma warning restore CA1031
        {
            await error.WriteLineAsync(
                Environment.GetEnvironmentVariable("RESCOIN_SIM_DEBUG") is "1"
                    ? $"rescoin-sim: internal error: {e}"
                    : $"rescoin-sim: internal error: {e.GetType().Name}: {e.Message} (set RESCOIN_SIM_DEBUG=1 for details)").ConfigureAwait(false);
            return 1;
        }
    }

    private static RootCommand CreateCommand()
    {
        var root = new RootCommand("ResCoin simulator: runs the real ResCoin controller against a simulated host for every policy and predictor, prints a comparison and writes an HTML report with charts.")
        {
            s_trace, s_scenario, s_vms, s_periods, s_capacityFraction, s_credit, s_bucketCap, s_maxBoost, s_creditPeriods, s_capOnly, s_window, s_policies, s_predictors, s_seed, s_json, s_out,
        };
        root.SetAction(_ => 0);
        return root;
    }

    private static SimulatorSettings Validate(ParseResult parse)
    {
        string? trace = parse.GetValue(s_trace);
        if (trace is not null && trace.Length == 0)
        {
            throw new UserErrorException("--trace: the directory name is empty");
        }

        if (trace is not null && !Directory.Exists(trace))
        {
            throw new UserErrorException($"--trace: directory not found: {trace}");
        }

        string? scenario = parse.GetValue(s_scenario);
        if (scenario is not null && scenario.Length == 0)
        {
            throw new UserErrorException("--scenario: the file name is empty");
        }

        if (scenario is not null && trace is not null)
        {
            throw new UserErrorException("--scenario: give either --scenario or --trace, not both");
        }

        if (scenario is not null && !File.Exists(scenario))
        {
            throw new UserErrorException($"--scenario: file not found: {scenario}");
        }

        if (scenario is not null)
        {
            // A scenario file states its VMs, capacity and seed: these options would be silently ignored.
            foreach (Option option in (ReadOnlySpan<Option>)[s_vms, s_capacityFraction, s_seed])
            {
                if (parse.GetResult(option) is { Implicit: false })
                {
                    throw new UserErrorException($"{option.Name}: not used with --scenario (the file states its VMs, capacity and seed)");
                }
            }
        }

        string creditText = parse.GetValue(s_credit) ?? "bucket";
        CreditMode credit = creditText.Trim().ToLowerInvariant() switch
        {
            "bucket" => CreditMode.Bucket,
            "window" => CreditMode.SlidingWindow,
            _ => throw new UserErrorException($"--credit: unknown mode '{creditText}'; valid: bucket, window"),
        };

        double bucketCap = parse.GetValue(s_bucketCap);
        if (!(bucketCap >= 0 && bucketCap <= 10_000_000))
        {
            throw new UserErrorException($"--bucket-cap: must be between 0 and 10000000 periods (was {bucketCap.ToString(CultureInfo.InvariantCulture)})");
        }

        double maxBoost = parse.GetValue(s_maxBoost);
        if (!(maxBoost >= 1 && maxBoost <= 1000))
        {
            throw new UserErrorException($"--max-boost: must be between 1 and 1000 (was {maxBoost.ToString(CultureInfo.InvariantCulture)})");
        }

        double creditPeriods = parse.GetValue(s_creditPeriods);
        if (!(creditPeriods > 0 && creditPeriods <= 1e9))
        {
            throw new UserErrorException($"--credit-periods: must be above 0 and at most 1e9 (was {creditPeriods.ToString(CultureInfo.InvariantCulture)})");
        }

        string capOnlyText = parse.GetValue(s_capOnly) ?? "predicted";
        CapOnlyRule capOnly = capOnlyText.Trim().ToLowerInvariant() switch
        {
            "loose" => CapOnlyRule.Loose,
            "predicted" => CapOnlyRule.Predicted,
            _ => throw new UserErrorException($"--cap-only: unknown rule '{capOnlyText}'; valid: loose, predicted"),
        };

        var weighting = new CreditWeighting { MaxBoost = maxBoost, CreditPeriods = creditPeriods, CapOnly = capOnly };

        int? vms = parse.GetValue(s_vms);
        if (vms is < 1)
        {
            throw new UserErrorException($"--vms: must be at least 1 (was {vms})");
        }

        int? periods = parse.GetValue(s_periods);
        if (periods is < 2)
        {
            throw new UserErrorException($"--periods: must be at least 2 (was {periods})");
        }

        double fraction = parse.GetValue(s_capacityFraction);
        if (!(fraction > 0) || !double.IsFinite(fraction))
        {
            throw new UserErrorException($"--capacity-fraction: must be a positive number (was {fraction.ToString(CultureInfo.InvariantCulture)})");
        }

        int window = parse.GetValue(s_window);
        if (window < 1 || window > ResCoinOptions.MaxWindow)
        {
            throw new UserErrorException($"--window: must be between 1 and {ResCoinOptions.MaxWindow} (was {window})");
        }

        IReadOnlyList<string> policies = ParseList(parse.GetValue(s_policies), "--policies", Allocators.Names, Allocators.Names);
        string? predictorOption = parse.GetValue(s_predictors);
        string[] knownPredictors = [.. Prediction.Predictors.Names, OraclePredictor.PredictorName];
        List<string> predictors = ParseList(predictorOption, "--predictors", knownPredictors, Prediction.Predictors.Names);

        string? json = parse.GetValue(s_json);
        if (json is not null && json.Length == 0)
        {
            throw new UserErrorException("--json: the file name is empty");
        }

        string outDir = parse.GetValue(s_out) ?? "out";
        if (outDir.Length == 0)
        {
            throw new UserErrorException("--out: the directory name is empty");
        }

        return new SimulatorSettings
        {
            Trace = trace,
            Scenario = scenario,
            Credit = credit,
            BucketCapPeriods = bucketCap,
            Weighting = weighting,
            Vms = vms,
            Periods = periods,
            CapacityFraction = fraction,
            Window = window,
            Policies = policies,
            Predictors = predictors,
            PolicyPredictor = predictorOption is null ? SimulatorSettings.DefaultPolicyPredictor : predictors[0],
            Seed = parse.GetValue(s_seed),
            Json = json,
            Out = outDir,
        };
    }

    private static List<string> ParseList(string? value, string option, IReadOnlyList<string> known, IReadOnlyList<string> defaults)
    {
        if (value is null)
        {
            return [.. defaults];
        }

        var list = new List<string>();
        foreach (string raw in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            string name = raw.ToLowerInvariant();
            bool ok = false;
            foreach (string k in known)
            {
                ok |= string.Equals(k, name, StringComparison.Ordinal);
            }

            if (!ok)
            {
                throw new UserErrorException($"{option}: unknown name '{raw}'; valid: {string.Join(", ", known)}");
            }

            if (!list.Contains(name))
            {
                list.Add(name);
            }
        }

        if (list.Count == 0)
        {
            throw new UserErrorException($"{option}: give at least one name; valid: {string.Join(", ", known)}");
        }

        return list;
    }

    private static async Task<int> RunAsync(SimulatorSettings settings, IAnsiConsole console, CancellationToken cancellationToken)
    {
        long started = TimeProvider.System.GetTimestamp();
        string loading = settings.Trace is not null ? "Reading traces…" : settings.Scenario is not null ? "Reading the scenario file…" : "Generating the built-in scenario…";
        SimulationScenario scenario = await console.Status().StartAsync(loading, _ => Task.Run(() => Evaluation.LoadScenario(settings), cancellationToken)).ConfigureAwait(false);
        TimeSpan loadTime = TimeProvider.System.GetElapsedTime(started);
        ConsoleReport.WriteScenario(console, settings, scenario, loadTime);

        EvaluationResult result = await Evaluation.RunAsync(settings, scenario, console, includePredictors: true, cancellationToken).ConfigureAwait(false);
        ConsoleReport.WritePolicies(console, result);
        ConsoleReport.WriteGroups(console, result);
        ConsoleReport.WritePredictors(console, result);

        EvaluationResult? companion = null;
        if (settings.RunCompanion)
        {
            SimulationScenario other = Evaluation.LoadCompanion(settings);
            ConsoleReport.WriteScenario(console, settings, other, TimeSpan.Zero);
            companion = await Evaluation.RunAsync(settings, other, console, includePredictors: false, cancellationToken).ConfigureAwait(false);
            ConsoleReport.WritePolicies(console, companion);
            ConsoleReport.WriteGroups(console, companion);
        }

        if (settings.Json is not null)
        {
            string? dir = Path.GetDirectoryName(Path.GetFullPath(settings.Json));
            if (dir is not null)
            {
                Directory.CreateDirectory(dir);
            }

            await using (FileStream f = File.Create(settings.Json))
            {
                JsonReport.Write(f, settings, result, companion);
            }

            console.MarkupLineInterpolated($"JSON metrics: [bold]{settings.Json}[/]");
        }

        string report = HtmlReport.Write(settings, result, companion);
        console.MarkupLineInterpolated($"Report: [bold]{report}[/]");
        TimeSpan total = TimeProvider.System.GetElapsedTime(started);
        console.MarkupLineInterpolated($"Done in {total.TotalSeconds:F1} s (loading {loadTime.TotalSeconds:F1} s).");
        return 0;
    }
}

/// <summary>A mistake in the command line or its inputs: reported as one line, exit code 2.</summary>
internal sealed class UserErrorException : Exception
{
    public UserErrorException()
    {
    }

    public UserErrorException(string message)
        : base(message)
    {
    }

    public UserErrorException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
