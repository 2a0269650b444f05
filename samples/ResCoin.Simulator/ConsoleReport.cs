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
        grid.AddRow("source", Markup.Escape(SourceText(settings, scenario, loadTime)));
        grid.AddRow("VMs", Markup.Escape($"{scenario.Vms.Count.ToString(CultureInfo.InvariantCulture)} in groups {GroupsText(scenario)}"));
        grid.AddRow("periods", $"{scenario.Periods} × {scenario.Period.TotalSeconds:F0} s");
        grid.AddRow("capacity", Markup.Escape(CapacityText(scenario)) + (IsFile(settings, scenario) ? "  (as the file states)" : $"  (= {settings.CapacityFraction.ToString(CultureInfo.InvariantCulture)} × Σ p95 demand)"));
        grid.AddRow("credit", Markup.Escape(CreditText(settings)));
        grid.AddRow("policies", $"{string.Join(", ", settings.Policies)} (controller predictor: {settings.PolicyPredictor})");
        if (!IsCompanion(settings, scenario))
        {
            grid.AddRow("predictors", string.Join(", ", settings.Predictors));
        }

        console.Write(new Panel(grid).Header(Markup.Escape($"ResCoin simulator: {scenario.Name}")).Border(BoxBorder.Rounded));
    }

    public static bool IsCompanion(SimulatorSettings settings, SimulationScenario scenario)
        => settings.RunCompanion && !string.Equals(scenario.Name, "built-in", StringComparison.Ordinal);

    public static bool IsFile(SimulatorSettings settings, SimulationScenario scenario) => settings.Scenario is not null || IsCompanion(settings, scenario);

    public static string SourceText(SimulatorSettings settings, SimulationScenario scenario, TimeSpan loadTime)
        => settings.Scenario is not null ? $"scenario file {settings.Scenario}"
            : IsCompanion(settings, scenario) ? $"shipped scenario file scenarios/{SimulatorSettings.CompanionScenario}"
            : settings.Trace is not null ? $"Bitbrains traces in {settings.Trace} (read in {loadTime.TotalSeconds:F1} s)"
            : $"built-in synthetic scenario (seed {settings.Seed})";

    public static string CreditText(SimulatorSettings settings)
        => settings.Credit == Scheduling.CreditMode.Bucket
            ? string.Create(CultureInfo.InvariantCulture, $"bucket of {settings.BucketCapPeriods} periods of template, weight boost up to {settings.Weighting.MaxBoost}x (x2 per {settings.Weighting.CreditPeriods} periods of template)")
            : string.Create(CultureInfo.InvariantCulture, $"sliding window of {settings.Window} periods");

    public static string GroupsText(SimulationScenario scenario)
    {
        var counts = new int[scenario.Groups.Count];
        foreach (int g in scenario.GroupOf)
        {
            counts[g]++;
        }

        var parts = new List<string>();
        for (int g = 0; g < counts.Length; g++)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{scenario.Groups[g]} ×{counts[g]}"));
        }

        return string.Join(", ", parts);
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
        var table = new Table().Border(TableBorder.Rounded).Title($"[bold]Policies[/] on {Markup.Escape(result.Scenario.Name)} (best per resource in green)");
        table.AddColumn("resource");
        table.AddColumn("policy");
        table.AddColumn(new TableColumn("unmet").RightAligned());
        table.AddColumn(new TableColumn("viol.").RightAligned());
        table.AddColumn(new TableColumn("burst").RightAligned());
        table.AddColumn(new TableColumn("burst p5").RightAligned());
        table.AddColumn(new TableColumn("VM p5").RightAligned());
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

            bool first = true;
            foreach (PolicyRun run in result.Policies)
            {
                ResourceMetrics m = run.Metrics[kind];
                table.AddRow(
                    new Text(first ? ResourceKinds.Name(kind) : string.Empty),
                    new Text(run.Policy),
                    Mark(Units.Percent(m.UnmetDemand), Best(result, kind, m, x => -x.UnmetDemand)),
                    Mark(Units.Percent(m.EntitlementViolations, 3), Best(result, kind, m, x => -x.EntitlementViolations)),
                    Mark(Units.Ratio(m.BurstSatisfaction), Best(result, kind, m, x => x.BurstSatisfaction)),
                    Mark(Units.Ratio(m.BurstSatisfactionP5), Best(result, kind, m, x => x.BurstSatisfactionP5)),
                    Mark(Units.Ratio(m.PerVmP5), Best(result, kind, m, x => x.PerVmP5)),
                    Mark(Units.Ratio(m.JainSatisfaction), Best(result, kind, m, x => x.JainSatisfaction)),
                    Mark(Units.Ratio(m.JainSatisfactionRun), Best(result, kind, m, x => x.JainSatisfactionRun)),
                    Mark(Units.Percent(m.Utilization), Best(result, kind, m, x => x.Utilization)),
                    Mark(Units.Percent(m.Churn), Best(result, kind, m, x => -x.Churn)));
                first = false;
            }

            table.AddEmptyRow();
        }

        console.Write(table);
        console.MarkupLine("[grey]unmet = unmet demand; viol. = entitlement violations (served < min(demand, template)); burst / burst p5 = mean / 5th percentile of served/demanded while a VM that stayed under its template wants more than it; VM p5 = 5th percentile over VMs of served/demanded over the run; Jain/t = mean per-period Jain's index of served/demanded; Jain/run = Jain's index of each VM's served/demanded over the run; util. = utilization; churn = mean cap change per period.[/]");
        var times = new List<string>();
        foreach (PolicyRun run in result.Policies)
        {
            times.Add($"{run.Policy} {run.Elapsed.TotalSeconds:F1} s");
        }

        console.MarkupLineInterpolated($"Policy run times: {string.Join(", ", times)}");
    }

    public static void WriteGroups(IAnsiConsole console, EvaluationResult result)
    {
        var table = new Table().Border(TableBorder.Rounded).Title($"[bold]Groups[/] on {Markup.Escape(result.Scenario.Name)}: mean over the group's VMs of served ÷ demanded");
        table.AddColumn("resource");
        table.AddColumn("group");
        foreach (PolicyRun run in result.Policies)
        {
            table.AddColumn(new TableColumn(Markup.Escape(run.Policy)).RightAligned());
        }

        IReadOnlyList<string> groups = result.Scenario.Groups;
        foreach (ResourceKind kind in ResourceKinds.All)
        {
            if (!result.Scenario.Resources.Contains(kind))
            {
                continue;
            }

            for (int g = 0; g < groups.Count; g++)
            {
                double best = double.MinValue;
                foreach (PolicyRun run in result.Policies)
                {
                    double v = run.Metrics.GetGroupServed(g, kind);
                    best = double.IsNaN(v) ? best : Math.Max(best, v);
                }

                var cells = new List<Spectre.Console.Rendering.IRenderable> { new Text(g == 0 ? ResourceKinds.Name(kind) : string.Empty), new Text(groups[g]) };
                foreach (PolicyRun run in result.Policies)
                {
                    double v = run.Metrics.GetGroupServed(g, kind);
                    cells.Add(Mark(Units.Ratio(v), v >= best));
                }

                table.AddRow(cells);
            }
        }

        console.Write(table);
    }

    private static bool Best(EvaluationResult result, ResourceKind kind, ResourceMetrics m, Func<ResourceMetrics, double> score)
    {
        double best = double.MinValue;
        foreach (PolicyRun run in result.Policies)
        {
            double v = score(run.Metrics[kind]);
            best = double.IsNaN(v) ? best : Math.Max(best, v);
        }

        double mine = score(m);
        return !double.IsNaN(mine) && mine >= best;
    }

    public static void WritePredictors(IAnsiConsole console, EvaluationResult result)
    {
        if (result.Predictions.Count == 0)
        {
            return;
        }

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
