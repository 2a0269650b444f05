using System.Globalization;
using System.Net;
using System.Text;
using ResCoin.Simulation;
using ScottPlot;

namespace ResCoin.Simulator;

/// <summary>Writes <c>report.html</c> and its PNG charts (ScottPlot) into the output directory.</summary>
public static class HtmlReport
{
    private const int ChartWidth = 1000;

    /// <summary>Writes the report (and, for the no-argument run, the shipped scenario's report in a subdirectory, linked from it).</summary>
    /// <param name="settings">The settings.</param>
    /// <param name="result">The results.</param>
    /// <param name="companion">The shipped scenario's results, or null.</param>
    /// <returns>The path of report.html.</returns>
    public static string Write(SimulatorSettings settings, EvaluationResult result, EvaluationResult? companion = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(result);
        string? link = null;
        if (companion is not null)
        {
            string sub = companion.Scenario.Name;
            WriteOne(settings, companion, Path.Combine(settings.Out, sub), null);
            link = $"<p>Also run: <a href=\"{Enc(sub)}/report.html\">the {Enc(sub)} scenario</a> (scenarios/{Enc(SimulatorSettings.CompanionScenario)}).</p>";
        }

        return WriteOne(settings, result, settings.Out, link);
    }

    private static string WriteOne(SimulatorSettings settings, EvaluationResult result, string dir, string? extra)
    {
        Directory.CreateDirectory(dir);
        SimulationScenario s = result.Scenario;
        int window = ChartWindow(s);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>ResCoin simulation report</title><style>")
            .Append("body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}table{border-collapse:collapse;margin:1em 0}")
            .Append("td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f0f0f0}td.l,th.l{text-align:left}")
            .Append("td.best{color:#080;font-weight:bold}img{max-width:100%;border:1px solid #ddd;margin:.5em 0}</style></head><body>")
            .Append("<h1>ResCoin simulation report: ").Append(Enc(s.Name)).Append("</h1>");
        bool file = ConsoleReport.IsFile(settings, s);
        html.Append("<p>").Append(Enc(ConsoleReport.SourceText(settings, s, TimeSpan.Zero)))
            .Append(Enc(FormattableString.Invariant($": {s.Vms.Count} VMs ({ConsoleReport.GroupsText(s)}), {s.Periods} periods of {s.Period.TotalSeconds:F0} s")))
            .Append(Enc(file ? ". " : FormattableString.Invariant($", capacity fraction {settings.CapacityFraction}. ")))
            .Append("Capacity: ").Append(Enc(ConsoleReport.CapacityText(s))).Append(". Credit: ").Append(Enc(ConsoleReport.CreditText(settings)))
            .Append(". Every policy ran the real <code>ResCoinController</code> with predictor <b>")
            .Append(Enc(settings.PolicyPredictor)).Append("</b> on the same demand, capacity and templates; the simulated host serves CPU by weighted water-filling under the caps (as CFS does with shares and quotas), other resources up to their caps.</p>");
        if (extra is not null)
        {
            html.Append(extra);
        }

        html.Append("<h2>Policies</h2>");
        AppendPolicyTable(html, result);
        html.Append("<p><small>burst / burst p5: mean and 5th percentile of served ÷ demanded over the (VM, period) pairs where the VM wants more than its template after averaging less than it over the previous ")
            .Append(SimulatedHost.DefaultBurstLookback).Append(" periods. VM p5: 5th percentile over VMs of served ÷ demanded over the run. Entitlement violation: served &lt; min(demand, template).</small></p>");
        html.Append("<h2>Groups</h2><p>Mean over each group's VMs of served ÷ demanded over the run.</p>");
        AppendGroupTable(html, result);
        string unmet = Save(dir, "policies-unmet.png", UnmetChart(result), ChartWidth, 380);
        html.Append(Img(unmet, "unmet demand per policy and resource"));

        html.Append("<h2>Fairness over time</h2><p>Jain's index over the VMs that wanted the resource of served / demanded, per period (moving average).</p>");
        foreach (ResourceKind kind in (ReadOnlySpan<ResourceKind>)[ResourceKind.Cpu, ResourceKind.Memory])
        {
            if (s.Resources.Contains(kind))
            {
                string f = Save(dir, $"fairness-{ResourceKinds.Name(kind)}.png", FairnessChart(result, kind), ChartWidth, 360);
                html.Append(Img(f, $"fairness over time, {ResourceKinds.Name(kind)}"));
            }
        }

        html.Append("<h2>Demand, service and caps (CPU)</h2><p>")
            .Append(Enc(FormattableString.Invariant($"From each group the VM whose demand most exceeds its CPU template ({result.RecordedVms.Count} VMs); first {window} periods. Grey: demand; colour: served; dotted: the cap in force (at the top of the chart: no cap); dashed: template.")))
            .Append("</p>");
        foreach (PolicyRun run in result.Policies)
        {
            string f = SaveMulti(dir, $"allocation-{run.Policy}.png", AllocationChart(result, run, window), ChartWidth, 230 * Math.Max(result.RecordedVms.Count, 1));
            html.Append("<h3>").Append(Enc(run.Policy)).Append("</h3>").Append(Img(f, $"demand vs allocation, {run.Policy}"));
        }

        PolicyRun? rescoin = null;
        foreach (PolicyRun run in result.Policies)
        {
            if (run.Policy == Scheduling.Allocators.ResCoin)
            {
                rescoin = run;
            }
        }

        if (rescoin is not null)
        {
            html.Append("<h2>Credit over time (rescoin, CPU)</h2><p>")
                .Append(Enc($"Credit ({ConsoleReport.CreditText(settings)}): what a VM saved by using less than its template; under contention it raises the VM's weight.")).Append("</p>");
            string f = Save(dir, "credit.png", CreditChart(result, rescoin, window), ChartWidth, 380);
            html.Append(Img(f, "credit over time"));
        }

        if (result.Predictions.Count > 0)
        {
            html.Append("<h2>Predictors</h2><p>One step ahead on the true (unthrottled) demand of every VM.</p>");
            AppendPredictorTable(html, result);
            string e = Save(dir, "prediction-error.png", PredictionErrorChart(result), ChartWidth, 380);
            html.Append(Img(e, "prediction error"));
            if (result.RecordedVms.Count > 0)
            {
                string p = Save(dir, "prediction-cpu.png", PredictionChart(result, Math.Min(window, 240)), ChartWidth, 380);
                html.Append(Img(p, "predicted vs actual CPU"));
            }
        }

        html.Append("<p><small>Generated by rescoin-sim. Metrics as defined in the ResCoin.Simulation README (Evaluation metrics).</small></p></body></html>");
        string path = Path.Combine(dir, "report.html");
        File.WriteAllText(path, html.ToString());
        return path;
    }

    private static int ChartWindow(SimulationScenario s) => Math.Min(s.Periods, s.Period >= TimeSpan.FromMinutes(1) ? 864 : 720);

    private static string Enc(string text) => WebUtility.HtmlEncode(text);

    private static string Img(string file, string alt) => $"<img src=\"{Enc(file)}\" alt=\"{Enc(alt)}\">";

    private static string Save(string dir, string name, Plot plot, int width, int height)
    {
        plot.SavePng(Path.Combine(dir, name), width, height);
        return name;
    }

    private static string SaveMulti(string dir, string name, Multiplot plot, int width, int height)
    {
        plot.SavePng(Path.Combine(dir, name), width, height);
        return name;
    }

    private static Color PolicyColor(int i) => new ScottPlot.Palettes.Category10().GetColor(i);

    private static void AppendPolicyTable(StringBuilder html, EvaluationResult result)
    {
        html.Append("<table><tr><th class=l>resource</th><th class=l>policy</th><th>unmet demand</th><th>entitlement violations</th><th>burst</th><th>burst p5</th><th>VM p5</th><th>Jain (per period)</th><th>Jain (run)</th><th>utilization</th><th>churn</th></tr>");
        foreach (ResourceKind kind in ResourceKinds.All)
        {
            if (!result.Scenario.Resources.Contains(kind))
            {
                continue;
            }

            foreach (PolicyRun run in result.Policies)
            {
                ResourceMetrics m = run.Metrics[kind];
                html.Append("<tr><td class=l>").Append(ResourceKinds.Name(kind)).Append("</td><td class=l>").Append(Enc(run.Policy)).Append("</td>")
                    .Append(Cell(Units.Percent(m.UnmetDemand), IsBest(result, kind, run, x => -x.UnmetDemand)))
                    .Append(Cell(Units.Percent(m.EntitlementViolations, 3), IsBest(result, kind, run, x => -x.EntitlementViolations)))
                    .Append(Cell(Units.Ratio(m.BurstSatisfaction), IsBest(result, kind, run, x => x.BurstSatisfaction)))
                    .Append(Cell(Units.Ratio(m.BurstSatisfactionP5), IsBest(result, kind, run, x => x.BurstSatisfactionP5)))
                    .Append(Cell(Units.Ratio(m.PerVmP5), IsBest(result, kind, run, x => x.PerVmP5)))
                    .Append(Cell(Units.Ratio(m.JainSatisfaction), IsBest(result, kind, run, x => x.JainSatisfaction)))
                    .Append(Cell(Units.Ratio(m.JainSatisfactionRun), IsBest(result, kind, run, x => x.JainSatisfactionRun)))
                    .Append(Cell(Units.Percent(m.Utilization), IsBest(result, kind, run, x => x.Utilization)))
                    .Append(Cell(Units.Percent(m.Churn), IsBest(result, kind, run, x => -x.Churn)))
                    .Append("</tr>");
            }
        }

        html.Append("</table>");
    }

    private static void AppendGroupTable(StringBuilder html, EvaluationResult result)
    {
        html.Append("<table><tr><th class=l>resource</th><th class=l>group</th>");
        foreach (PolicyRun run in result.Policies)
        {
            html.Append("<th>").Append(Enc(run.Policy)).Append("</th>");
        }

        html.Append("</tr>");
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

                html.Append("<tr><td class=l>").Append(ResourceKinds.Name(kind)).Append("</td><td class=l>").Append(Enc(groups[g])).Append("</td>");
                foreach (PolicyRun run in result.Policies)
                {
                    double v = run.Metrics.GetGroupServed(g, kind);
                    html.Append(Cell(Units.Ratio(v), v >= best));
                }

                html.Append("</tr>");
            }
        }

        html.Append("</table>");
    }

    private static bool IsBest(EvaluationResult result, ResourceKind kind, PolicyRun run, Func<ResourceMetrics, double> score)
    {
        double best = double.MinValue;
        foreach (PolicyRun r in result.Policies)
        {
            double v = score(r.Metrics[kind]);
            best = double.IsNaN(v) ? best : Math.Max(best, v);
        }

        double mine = score(run.Metrics[kind]);
        return !double.IsNaN(mine) && mine >= best;
    }

    private static string Cell(string text, bool best) => best ? $"<td class=best>{Enc(text)}</td>" : $"<td>{Enc(text)}</td>";

    private static void AppendPredictorTable(StringBuilder html, EvaluationResult result)
    {
        html.Append("<table><tr><th class=l>resource</th><th class=l>predictor</th><th>MAE</th><th>RMSE</th><th>sMAPE</th><th>under-predicted</th></tr>");
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

            foreach (PredictionResult p in result.Predictions)
            {
                PredictionError e = p[kind];
                html.Append("<tr><td class=l>").Append(Enc($"{ResourceKinds.Name(kind)} ({Units.Name(kind)})")).Append("</td><td class=l>").Append(Enc(p.Predictor)).Append("</td>")
                    .Append(Cell(Units.Format(e.Mae, kind), e.Mae <= best)).Append(Cell(Units.Format(e.Rmse, kind), false))
                    .Append(Cell(Units.Ratio(e.Smape), false)).Append(Cell(Units.Percent(e.UnderPredictionRate), false)).Append("</tr>");
            }
        }

        if (result.Predictions.Count > 0 && result.Predictions[0].RawCpuGhz.Count > 0)
        {
            foreach (PredictionResult p in result.Predictions)
            {
                PredictionError e = p.RawCpuGhz;
                html.Append("<tr><td class=l>cpu, raw trace rows (GHz)</td><td class=l>").Append(Enc(p.Predictor)).Append("</td>")
                    .Append(Cell(e.Mae.ToString("F4", CultureInfo.InvariantCulture), false)).Append(Cell(e.Rmse.ToString("F4", CultureInfo.InvariantCulture), false))
                    .Append(Cell(Units.Ratio(e.Smape), false)).Append(Cell(Units.Percent(e.UnderPredictionRate), false)).Append("</tr>");
            }
        }

        html.Append("</table>");
    }

    private static Plot UnmetChart(EvaluationResult result)
    {
        var plot = new Plot();
        var kinds = new List<ResourceKind>();
        foreach (ResourceKind kind in ResourceKinds.All)
        {
            if (result.Scenario.Resources.Contains(kind))
            {
                kinds.Add(kind);
            }
        }

        int groups = result.Policies.Count + 1;
        var bars = new List<Bar>();
        for (int k = 0; k < kinds.Count; k++)
        {
            for (int p = 0; p < result.Policies.Count; p++)
            {
                bars.Add(new Bar { Position = (k * groups) + p, Value = result.Policies[p].Metrics[kinds[k]].UnmetDemand * 100, FillColor = PolicyColor(p) });
            }
        }

        plot.Add.Bars(bars);
        var ticks = new double[kinds.Count];
        var labels = new string[kinds.Count];
        for (int k = 0; k < kinds.Count; k++)
        {
            ticks[k] = (k * groups) + ((result.Policies.Count - 1) / 2.0);
            labels[k] = ResourceKinds.Name(kinds[k]);
        }

        plot.Axes.Bottom.SetTicks(ticks, labels);
        for (int p = 0; p < result.Policies.Count; p++)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = result.Policies[p].Policy, FillColor = PolicyColor(p) });
        }

        plot.ShowLegend(Edge.Right);
        plot.Axes.Margins(bottom: 0);
        plot.Title("Unmet demand per resource (lower is better)");
        plot.YLabel("unmet demand (% of demand)");
        return plot;
    }

    private static Plot FairnessChart(EvaluationResult result, ResourceKind kind)
    {
        var plot = new Plot();
        int periods = result.Scenario.Periods;
        int smooth = Math.Max(1, periods / 120);
        for (int p = 0; p < result.Policies.Count; p++)
        {
            double[] ys = MovingAverage(result.Policies[p].GetJain(kind), smooth);
            var sig = plot.Add.Signal(ys);
            sig.LegendText = result.Policies[p].Policy;
            sig.Color = PolicyColor(p);
            sig.LineWidth = result.Policies[p].Policy == Scheduling.Allocators.ResCoin ? 3f : 1.5f;
            if (result.Policies[p].Policy == Scheduling.Allocators.Share)
            {
                sig.LinePattern = LinePattern.Dashed; // often identical to rescoin: keep both visible
            }

            sig.Data.Period = result.Scenario.Period.TotalHours;
        }

        plot.Axes.SetLimitsY(0, 1.05);
        plot.ShowLegend(Edge.Right);
        plot.Title(string.Create(CultureInfo.InvariantCulture, $"Fairness over time, {ResourceKinds.Name(kind)} (Jain's index of served/demanded, moving average of {smooth} periods)"));
        plot.XLabel("time (hours)");
        plot.YLabel("Jain's index");
        return plot;
    }

    private static Multiplot AllocationChart(EvaluationResult result, PolicyRun run, int window)
    {
        var multi = new Multiplot();
        int n = Math.Max(result.RecordedVms.Count, 1);
        multi.AddPlots(n);
        double hours = result.Scenario.Period.TotalHours;
        for (int k = 0; k < result.RecordedVms.Count; k++)
        {
            Plot plot = multi.GetPlot(k);
            int vm = result.RecordedVms[k];
            double[] xs = new double[window];
            for (int t = 0; t < window; t++)
            {
                xs[t] = t * hours;
            }

            var demand = plot.Add.ScatterLine(xs, run.GetCpuDemand(k)[..window].ToArray());
            demand.LegendText = "demand";
            demand.Color = Colors.Gray;
            demand.LineWidth = 2;
            var servedLine = plot.Add.ScatterLine(xs, run.GetCpuServed(k)[..window].ToArray());
            servedLine.LegendText = "served";
            servedLine.Color = PolicyColor(IndexOf(result, run));
            servedLine.LineWidth = 1.5f;
            double top = Math.Min(result.Scenario.Capacity.Cpu, double.IsNaN(result.Scenario.Limits[vm].Cpu) ? result.Scenario.Capacity.Cpu : result.Scenario.Limits[vm].Cpu);
            double[] caps = run.GetCpuCap(k)[..window].ToArray();
            bool anyCap = false;
            for (int t = 0; t < caps.Length; t++)
            {
                anyCap |= !double.IsNaN(caps[t]);
                caps[t] = double.IsNaN(caps[t]) ? top : Math.Min(caps[t], top);
            }

            if (anyCap)
            {
                var cap = plot.Add.ScatterLine(xs, caps);
                cap.LegendText = "cap";
                cap.ConnectStyle = ConnectStyle.StepHorizontal;
                cap.Color = PolicyColor(IndexOf(result, run)).WithAlpha(0.7);
                cap.LinePattern = LinePattern.Dotted;
                cap.LineWidth = 1.5f;
            }

            var template = plot.Add.HorizontalLine(result.Scenario.Templates[vm].Cpu);
            template.LinePattern = LinePattern.Dashed;
            template.Color = Colors.Black;
            template.LineWidth = 1;
            template.LegendText = "template";
            plot.Title($"{run.Policy}: VM {result.Scenario.Vms[vm].Name}");
            plot.YLabel("CPU (cores)");
            plot.XLabel("time (hours)");
            plot.Axes.Margins(bottom: 0);
            plot.ShowLegend(Alignment.UpperRight, Orientation.Horizontal);
        }

        return multi;
    }

    private static int IndexOf(EvaluationResult result, PolicyRun run)
    {
        for (int i = 0; i < result.Policies.Count; i++)
        {
            if (ReferenceEquals(result.Policies[i], run))
            {
                return i;
            }
        }

        return 0;
    }

    private static Plot CreditChart(EvaluationResult result, PolicyRun run, int window)
    {
        var plot = new Plot();
        for (int k = 0; k < result.RecordedVms.Count; k++)
        {
            var sig = plot.Add.Signal(run.GetCpuCredit(k)[..window].ToArray());
            sig.LegendText = result.Scenario.Vms[result.RecordedVms[k]].Name;
            sig.Color = new ScottPlot.Palettes.Category10().GetColor(k + 4);
            sig.LineWidth = 1.5f;
            sig.Data.Period = result.Scenario.Period.TotalHours;
        }

        var zero = plot.Add.HorizontalLine(0);
        zero.Color = Colors.Black;
        zero.LineWidth = 1;
        plot.ShowLegend(Alignment.UpperRight, Orientation.Horizontal);
        plot.Title("CPU credit under rescoin (template − usage, accumulated)");
        plot.XLabel("time (hours)");
        plot.YLabel("credit (core-periods)");
        return plot;
    }

    private static Plot PredictionErrorChart(EvaluationResult result)
    {
        var plot = new Plot();
        var kinds = new List<ResourceKind>();
        foreach (ResourceKind kind in ResourceKinds.All)
        {
            if (result.Scenario.Resources.Contains(kind))
            {
                kinds.Add(kind);
            }
        }

        int groups = result.Predictions.Count + 1;
        var bars = new List<Bar>();
        var palette = new ScottPlot.Palettes.Category10();
        for (int k = 0; k < kinds.Count; k++)
        {
            for (int p = 0; p < result.Predictions.Count; p++)
            {
                bars.Add(new Bar { Position = (k * groups) + p, Value = result.Predictions[p][kinds[k]].Smape, FillColor = palette.GetColor(p) });
            }
        }

        plot.Add.Bars(bars);
        var ticks = new double[kinds.Count];
        var labels = new string[kinds.Count];
        for (int k = 0; k < kinds.Count; k++)
        {
            ticks[k] = (k * groups) + ((result.Predictions.Count - 1) / 2.0);
            labels[k] = ResourceKinds.Name(kinds[k]);
        }

        plot.Axes.Bottom.SetTicks(ticks, labels);
        for (int p = 0; p < result.Predictions.Count; p++)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = result.Predictions[p].Predictor, FillColor = palette.GetColor(p) });
        }

        plot.ShowLegend(Edge.Right);
        plot.Axes.Margins(bottom: 0);
        plot.Title("Prediction error per resource: sMAPE (0 = perfect, 2 = worst; lower is better)");
        plot.YLabel("sMAPE");
        return plot;
    }

    private static Plot PredictionChart(EvaluationResult result, int window)
    {
        var plot = new Plot();
        int vm = result.RecordedVms[0];
        ReadOnlySpan<double> demand = result.Scenario.Vms[vm].GetDemand(ResourceKind.Cpu);
        var d = plot.Add.Signal(demand[..window].ToArray());
        d.LegendText = "actual demand";
        d.Color = Colors.Black;
        d.LineWidth = 2.5f;
        var palette = new ScottPlot.Palettes.Category10();
        for (int p = 0; p < result.Predictions.Count; p++)
        {
            double[] est = result.Predictions[p].GetCpuEstimates(0)[..window].ToArray();
            est[0] = est.Length > 1 ? est[1] : 0;
            var sig = plot.Add.Signal(est);
            sig.LegendText = result.Predictions[p].Predictor;
            sig.Color = palette.GetColor(p);
            sig.LineWidth = 1.2f;
        }

        double top = 0;
        foreach (double x in demand[..window])
        {
            top = Math.Max(top, x);
        }

        plot.ShowLegend(Edge.Right);
        plot.Axes.SetLimits(0, window, 0, Math.Max(top * 1.25, 1e-6));
        plot.Title($"VM {result.Scenario.Vms[vm].Name}: CPU demand and one-step-ahead estimates (first {window} periods)");
        plot.XLabel("period");
        plot.YLabel("CPU (cores)");
        return plot;
    }

    private static double[] MovingAverage(ReadOnlySpan<double> values, int width)
    {
        var result = new double[values.Length];
        double sum = 0;
        int count = 0;
        var window = new Queue<double>();
        for (int i = 0; i < values.Length; i++)
        {
            double v = values[i];
            if (double.IsFinite(v))
            {
                window.Enqueue(v);
                sum += v;
                count++;
            }
            else
            {
                window.Enqueue(double.NaN);
            }

            if (window.Count > width)
            {
                double old = window.Dequeue();
                if (double.IsFinite(old))
                {
                    sum -= old;
                    count--;
                }
            }

            result[i] = count > 0 ? sum / count : 1;
        }

        return result;
    }
}
