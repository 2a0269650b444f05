using System.Globalization;
using ResCoin.Simulation;
using Spectre.Console;

namespace ResCoin.Simulator;

/// <summary>The console tables.</summary>
internal static class ConsoleReport
{
    public static void WriteScenario(IAnsiConsole console, SimulatorSettings settings, SimulationScenario scenario, TimeSpan loadTime)
    {
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("source", settings.Trace is null ? $"built-in synthetic scenario (seed {settings.Seed})" : Markup.Escape($"Bitbrains traces in {settings.Trace} (read in {loadTime.TotalSeconds:F1} s)"));
        grid.AddRow("VMs", scenario.Vms.Count.ToString(CultureInfo.InvariantCulture));
        grid.AddRow("periods", $"{scenario.Periods} × {scenario.Period.TotalSeconds:F0} s");
        grid.AddRow("capacity", Markup.Escape(CapacityText(scenario)) + $"  (= {settings.CapacityFraction.ToString(CultureInfo.InvariantCulture)} × Σ p95 demand)");
        grid.AddRow("window", settings.Window.ToString(CultureInfo.InvariantCulture));
        grid.AddRow("policies", $"{string.Join(", ", settings.Policies)} (controller predictor: {settings.PolicyPredictor})");
        grid.AddRow("predictors", string.Join(", ", settings.Predictors));
        console.Write(new Panel(grid).Header("ResCoin simulator").Border(BoxBorder.Rounded));
    }

    public static string CapacityText(SimulationScenario scenario)
    {
        var parts = new List<string>();
        foreach (ResourceKind kind in ResourceKinds.All)
        {
            if (scenario.Resources.Contains(kind))
            {
                parts.Add($"{ResourceKinds.Name(kind)} {Units.Format(scenario.Capacity[kind], kind)} {Units.Name(kind)}");
            }
        }

        return string.Join(", ", parts);
    }

    public static void WritePolicies(IAnsiConsole console, EvaluationResult result)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("[bold]Policies[/] (best per resource in green)");
        table.AddColumn("resource");
        table.AddColumn("policy");
        table.AddColumn(new TableColumn("unmet").RightAligned());
        table.AddColumn(new TableColumn("viol.").RightAligned());
        table.AddColumn(new TableColumn("Jain/t").RightAligned());
        table.AddColumn(new TableColumn("Jain/run").RightAligned());
        table.AddColumn(new TableColumn("util.").RightAligned());
        table.AddColumn(new TableColumn("churn").RightAligned());
        foreach (ResourceKind kind in ResourceKinds.All)
        {
            if (!result.Scenario.Resources.Contains(kind))
            {
                continue;
            }

            double bestUnmet = double.MaxValue, bestViol = double.MaxValue, bestJain = double.MinValue, bestJainRun = double.MinValue, bestUtil = double.MinValue, bestChurn = double.MaxValue;
            foreach (PolicyRun run in result.Policies)
            {
                ResourceMetrics m = run.Metrics[kind];
                bestUnmet = Math.Min(bestUnmet, m.UnmetDemand);
                bestViol = Math.Min(bestViol, m.EntitlementViolations);
                bestJain = Math.Max(bestJain, m.JainSatisfaction);
                bestJainRun = Math.Max(bestJainRun, m.JainSatisfactionRun);
                bestUtil = Math.Max(bestUtil, m.Utilization);
                bestChurn = Math.Min(bestChurn, m.Churn);
            }

            bool first = true;
            foreach (PolicyRun run in result.Policies)
            {
                ResourceMetrics m = run.Metrics[kind];
                table.AddRow(
                    new Text(first ? ResourceKinds.Name(kind) : string.Empty),
                    new Text(run.Policy),
                    Mark(Units.Percent(m.UnmetDemand), m.UnmetDemand <= bestUnmet),
                    Mark(Units.Percent(m.EntitlementViolations), m.EntitlementViolations <= bestViol),
                    Mark(Units.Ratio(m.JainSatisfaction), m.JainSatisfaction >= bestJain),
                    Mark(Units.Ratio(m.JainSatisfactionRun), m.JainSatisfactionRun >= bestJainRun),
                    Mark(Units.Percent(m.Utilization), m.Utilization >= bestUtil),
                    Mark(Units.Percent(m.Churn), m.Churn <= bestChurn));
                first = false;
            }

            table.AddEmptyRow();
        }

        console.Write(table);
        console.MarkupLine("[grey]unmet = unmet demand; viol. = entitlement violations; Jain/t = mean per-period Jain's index of served/demanded; Jain/run = Jain's index of each VM's served/demanded over the run; util. = utilization.[/]");
        var times = new List<string>();
        foreach (PolicyRun run in result.Policies)
        {
            times.Add($"{run.Policy} {run.Elapsed.TotalSeconds:F1} s");
        }

        console.MarkupLineInterpolated($"Policy run times: {string.Join(", ", times)}");
    }

    public static void WritePredictors(IAnsiConsole console, EvaluationResult result)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("[bold]Predictors[/] (one step ahead on true demand; lowest MAE per resource in green)");
        table.AddColumn("resource");
        table.AddColumn("predictor");
        table.AddColumn(new TableColumn("MAE").RightAligned());
        table.AddColumn(new TableColumn("RMSE").RightAligned());
        table.AddColumn(new TableColumn("sMAPE").RightAligned());
        table.AddColumn(new TableColumn("under").RightAligned());
        foreach (ResourceKind kind in ResourceKinds.All)
        {
            if (!result.Scenario.Resources.Contains(kind))
            {
                continue;
            }

            double best = double.MaxValue;
            foreach (PredictionResult p in result.Predictions)
            {
                best = Math.Min(best, p[kind].Mae);
            }

            bool first = true;
            foreach (PredictionResult p in result.Predictions)
            {
                PredictionError e = p[kind];
                table.AddRow(
                    new Text(first ? $"{ResourceKinds.Name(kind)} ({Units.Name(kind)})" : string.Empty),
                    new Text(p.Predictor),
                    Mark(Units.Format(e.Mae, kind), e.Mae <= best),
                    new Text(Units.Format(e.Rmse, kind)),
                    new Text(Units.Ratio(e.Smape)),
                    new Text(Units.Percent(e.UnderPredictionRate)));
                first = false;
            }

            table.AddEmptyRow();
        }

        if (result.Predictions.Count > 0 && result.Predictions[0].RawCpuGhz.Count > 0)
        {
            double best = double.MaxValue;
            foreach (PredictionResult p in result.Predictions)
            {
                best = Math.Min(best, p.RawCpuGhz.Mae);
            }

            bool first = true;
            foreach (PredictionResult p in result.Predictions)
            {
                PredictionError e = p.RawCpuGhz;
                table.AddRow(
                    new Text(first ? "cpu, raw trace rows (GHz)" : string.Empty),
                    new Text(p.Predictor),
                    Mark(e.Mae.ToString("F4", CultureInfo.InvariantCulture), e.Mae <= best),
                    new Text(e.Rmse.ToString("F4", CultureInfo.InvariantCulture)),
                    new Text(Units.Ratio(e.Smape)),
                    new Text(Units.Percent(e.UnderPredictionRate)));
                first = false;
            }
        }

        console.Write(table);
        console.MarkupLine("[grey]under = share of predictions below the actual demand.[/]");
    }

    private static Markup Mark(string text, bool best) => new(best ? $"[green bold]{Markup.Escape(text)}[/]" : Markup.Escape(text));
}
