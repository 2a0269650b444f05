using ResCoin.Simulation;
using Spectre.Console;

namespace ResCoin.Simulator;

/// <summary>Everything one simulator run computed.</summary>
public sealed class EvaluationResult
{
    /// <summary>The scenario every policy ran on.</summary>
    public required SimulationScenario Scenario { get; init; }

    /// <summary>One run per policy, in the order asked for.</summary>
    public required IReadOnlyList<PolicyRun> Policies { get; init; }

    /// <summary>One result per predictor, in the order asked for.</summary>
    public required IReadOnlyList<PredictionResult> Predictions { get; init; }

    /// <summary>The scenario indices of the VMs shown in the charts.</summary>
    public required IReadOnlyList<int> RecordedVms { get; init; }
}

/// <summary>Loads the scenario and runs every policy and predictor on it.</summary>
public static class Evaluation
{
    /// <summary>The control period of the built-in scenario (the prototype's 8 s).</summary>
    public static readonly TimeSpan SyntheticPeriod = TimeSpan.FromSeconds(8);

    /// <summary>The number of VMs shown in the demand/allocation and credit charts.</summary>
    public const int ChartVms = 3;

    /// <summary>Builds the scenario: the scenario file, the Bitbrains files or the built-in synthetic VMs.</summary>
    /// <param name="settings">The settings.</param>
    /// <returns>The scenario.</returns>
    public static SimulationScenario LoadScenario(SimulatorSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Scenario is not null)
        {
            return ScenarioFile.Load(settings.Scenario, settings.Periods);
        }

        IReadOnlyList<VmWorkload> vms;
        TimeSpan period;
        if (settings.Trace is null)
        {
            vms = SyntheticWorkloads.CreateDefaultScenario(settings.Periods ?? SimulatorSettings.DefaultSyntheticPeriods, settings.Seed, settings.Vms ?? SyntheticWorkloads.DefaultVmCount);
            period = SyntheticPeriod;
        }
        else
        {
            vms = BitbrainsTraceReader.ReadDirectory(settings.Trace, settings.Vms ?? int.MaxValue);
            period = BitbrainsTraceReader.DefaultPeriod;
        }

        int shortest = int.MaxValue;
        foreach (VmWorkload vm in vms)
        {
            shortest = Math.Min(shortest, vm.Length);
        }

        if (shortest < 2)
        {
            throw new UserErrorException($"the trace is too short: a VM has only {shortest} period(s) of {period.TotalSeconds:F0} s; at least 2 are needed");
        }

        if (settings.Periods is int p && p > shortest)
        {
            throw new UserErrorException($"--periods: the shortest VM has only {shortest} periods (was {p})");
        }

        return SimulationScenario.Create(vms, settings.CapacityFraction, period, settings.Periods ?? shortest, start: null, name: settings.Trace is null ? "built-in" : "trace");
    }

    /// <summary>
    /// The shipped <see cref="SimulatorSettings.CompanionScenario"/> (embedded in the simulator), cut to
    /// <see cref="SimulatorSettings.Periods"/> when that is shorter.
    /// </summary>
    /// <param name="settings">The settings.</param>
    /// <returns>The scenario.</returns>
    public static SimulationScenario LoadCompanion(SimulatorSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        string json = ReadShippedScenario(SimulatorSettings.CompanionScenario);
        SimulationScenario full = ScenarioFile.Parse(json, AppContext.BaseDirectory, SimulatorSettings.CompanionScenario);
        return settings.Periods is int p && p < full.Periods
            ? ScenarioFile.Parse(json, AppContext.BaseDirectory, SimulatorSettings.CompanionScenario, p)
            : full;
    }

    /// <summary>The text of a scenario file shipped in the simulator (<c>scenarios/NAME</c>).</summary>
    /// <param name="name">The file name.</param>
    /// <returns>The JSON.</returns>
    public static string ReadShippedScenario(string name)
    {
        using Stream stream = typeof(Evaluation).Assembly.GetManifestResourceStream("scenarios/" + name)
            ?? throw new InvalidOperationException($"The simulator was built without its scenario '{name}'.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Creates a predictor by name (<c>oracle</c> reads the scenario's future).</summary>
    /// <param name="name">The name.</param>
    /// <param name="scenario">The scenario.</param>
    /// <returns>A fresh predictor.</returns>
    public static IPredictor CreatePredictor(string name, SimulationScenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        return string.Equals(name, OraclePredictor.PredictorName, StringComparison.Ordinal)
            ? new OraclePredictor(scenario.Vms)
            : Prediction.Predictors.Create(name);
    }

    /// <summary>
    /// The VMs shown in the charts, at most <see cref="ChartVms"/>: from each group the VM whose demand most exceeds its
    /// CPU template, groups with the most excess first (then the next VMs overall if there are fewer groups).
    /// </summary>
    /// <param name="scenario">The scenario.</param>
    /// <returns>Scenario indices, in scenario order.</returns>
    public static IReadOnlyList<int> PickChartVms(SimulationScenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        int n = scenario.Vms.Count;
        var excess = new (double Excess, int Index)[n];
        for (int i = 0; i < n; i++)
        {
            double tc = scenario.Templates[i].Cpu;
            double sum = 0;
            foreach (double d in scenario.Vms[i].GetDemand(ResourceKind.Cpu))
            {
                sum += Math.Max(0, d - tc);
            }

            excess[i] = (sum, i);
        }

        Array.Sort(excess, (a, b) => b.Excess != a.Excess ? b.Excess.CompareTo(a.Excess) : a.Index.CompareTo(b.Index));
        var pick = new List<int>();
        var groups = new HashSet<int>();
        foreach ((double _, int index) in excess)
        {
            if (pick.Count < ChartVms && groups.Add(scenario.GroupOf[index]))
            {
                pick.Add(index);
            }
        }

        foreach ((double _, int index) in excess)
        {
            if (pick.Count < Math.Min(ChartVms, n) && !pick.Contains(index))
            {
                pick.Add(index);
            }
        }

        pick.Sort();
        return pick;
    }

    /// <summary>Runs every policy (the real controller on a simulated host) and scores every predictor, in parallel, with live progress.</summary>
    /// <param name="settings">The settings.</param>
    /// <param name="scenario">The scenario.</param>
    /// <param name="console">Where progress goes.</param>
    /// <param name="includePredictors">Whether to score the predictors too.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The results, in the order asked for.</returns>
    public static async Task<EvaluationResult> RunAsync(SimulatorSettings settings, SimulationScenario scenario, IAnsiConsole console, bool includePredictors, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(console);
        IReadOnlyList<int> record = PickChartVms(scenario);
        var policyRuns = new PolicyRun[settings.Policies.Count];
        var predictions = new PredictionResult[includePredictors ? settings.Predictors.Count : 0];

        await console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async ctx =>
            {
                var work = new List<Func<CancellationToken, ValueTask>>();
                for (int p = 0; p < settings.Policies.Count; p++)
                {
                    int index = p;
                    string policy = settings.Policies[p];
                    ProgressTask task = ctx.AddTask($"{Markup.Escape(scenario.Name)}: policy [bold]{policy}[/] ({settings.PolicyPredictor})", maxValue: scenario.Periods);
                    work.Add(async ct =>
                    {
                        var options = new SimulationRunOptions
                        {
                            Window = settings.Window,
                            RecordVms = record,
                            Progress = done => task.Increment(done),
                            Configure = settings.Configure,
                        };
                        policyRuns[index] = await SimulationRunner.RunPolicyAsync(scenario, policy, CreatePredictor(settings.PolicyPredictor, scenario), options, ct).ConfigureAwait(false);
                        task.Value = task.MaxValue;
                    });
                }

                ProgressTask? predictorTask = includePredictors ? ctx.AddTask("predictors (one step ahead, true demand)", maxValue: settings.Predictors.Count) : null;
                for (int q = 0; q < predictions.Length; q++)
                {
                    int index = q;
                    string name = settings.Predictors[q];
                    work.Add(ct =>
                    {
                        ct.ThrowIfCancellationRequested();
                        predictions[index] = PredictionEvaluator.Evaluate(scenario, () => CreatePredictor(name, scenario), record);
                        predictorTask?.Increment(1);
                        return ValueTask.CompletedTask;
                    });
                }

                await Parallel.ForEachAsync(
                    work,
                    new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken },
                    (item, ct) => item(ct)).ConfigureAwait(false);
            }).ConfigureAwait(false);

        return new EvaluationResult { Scenario = scenario, Policies = policyRuns, Predictions = predictions, RecordedVms = record };
    }
}
