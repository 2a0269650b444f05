using System.Text.Json;
using ResCoin.Simulation;

namespace ResCoin.Simulator;

/// <summary>Writes the machine-readable metrics (schema in the README). Deterministic: no timings, no absolute paths added.</summary>
public static class JsonReport
{
    /// <summary>The schema version written in <c>schemaVersion</c>.</summary>
    public const int SchemaVersion = 2;

    /// <summary>Writes the report.</summary>
    /// <param name="stream">The destination.</param>
    /// <param name="settings">The settings the run used.</param>
    /// <param name="result">The results.</param>
    /// <param name="companion">The shipped scenario's results that the no-argument run adds (under <c>comparisons</c>), or null.</param>
    public static void Write(Stream stream, SimulatorSettings settings, EvaluationResult result, EvaluationResult? companion = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(result);
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteNumber("schemaVersion", SchemaVersion);
        WriteScenario(w, settings, result.Scenario);
        WritePolicies(w, result);

        w.WriteStartArray("predictors");
        foreach (PredictionResult p in result.Predictions)
        {
            w.WriteStartObject();
            w.WriteString("predictor", p.Predictor);
            w.WriteStartObject("resources");
            foreach (ResourceKind kind in ResourceKinds.All)
            {
                if (result.Scenario.Resources.Contains(kind))
                {
                    w.WritePropertyName(ResourceKinds.Name(kind));
                    WriteError(w, p[kind]);
                }
            }

            w.WriteEndObject();
            w.WritePropertyName("rawCpuGhz");
            if (p.RawCpuGhz.Count > 0)
            {
                WriteError(w, p.RawCpuGhz);
            }
            else
            {
                w.WriteNullValue();
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("comparisons");
        if (companion is not null)
        {
            w.WriteStartObject();
            WriteScenario(w, settings, companion.Scenario);
            WritePolicies(w, companion);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
    }

    private static void WriteScenario(Utf8JsonWriter w, SimulatorSettings settings, SimulationScenario s)
    {
        bool file = ConsoleReport.IsFile(settings, s);
        w.WriteStartObject("scenario");
        w.WriteString("name", s.Name);
        w.WriteString("source", file ? "file" : settings.Trace is null ? "synthetic" : "trace");
        if (settings.Trace is null || file)
        {
            w.WriteNull("trace");
        }
        else
        {
            w.WriteString("trace", settings.Trace);
        }

        if (file)
        {
            w.WriteString("scenarioFile", settings.Scenario ?? "scenarios/" + SimulatorSettings.CompanionScenario);
        }
        else
        {
            w.WriteNull("scenarioFile");
        }

        w.WriteNumber("seed", settings.Seed);
        w.WriteNumber("vms", s.Vms.Count);
        w.WriteNumber("periods", s.Periods);
        w.WriteNumber("periodSeconds", s.Period.TotalSeconds);
        if (file)
        {
            w.WriteNull("capacityFraction");
        }
        else
        {
            w.WriteNumber("capacityFraction", settings.CapacityFraction);
        }

        w.WriteString("credit", settings.Credit == Scheduling.CreditMode.Bucket ? "bucket" : "window");
        w.WriteNumber("bucketCapPeriods", settings.BucketCapPeriods);
        w.WriteNumber("maxBoost", settings.Weighting.MaxBoost);
        w.WriteNumber("creditPeriods", settings.Weighting.CreditPeriods);
        w.WriteString("capOnly", settings.Weighting.CapOnly == Scheduling.CapOnlyRule.Loose ? "loose" : "predicted");
        w.WriteNumber("window", settings.Window);
        w.WriteNumber("burstLookback", SimulatedHost.DefaultBurstLookback);
        w.WriteString("policyPredictor", settings.PolicyPredictor);
        w.WriteStartArray("resources");
        foreach (ResourceKind kind in ResourceKinds.All)
        {
            if (s.Resources.Contains(kind))
            {
                w.WriteStringValue(ResourceKinds.Name(kind));
            }
        }

        w.WriteEndArray();
        w.WriteStartObject("capacity");
        WriteVector(w, s, s.Capacity);
        w.WriteEndObject();
        ResourceVector templateSum = default;
        foreach (ResourceVector t in s.Templates)
        {
            templateSum += t;
        }

        w.WriteStartObject("templateSum");
        WriteVector(w, s, templateSum);
        w.WriteEndObject();
        w.WriteStartArray("groups");
        foreach (string g in s.Groups)
        {
            w.WriteStringValue(g);
        }

        w.WriteEndArray();
        w.WriteStartArray("vmNames");
        foreach (VmWorkload vm in s.Vms)
        {
            w.WriteStringValue(vm.Name);
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WritePolicies(Utf8JsonWriter w, EvaluationResult result)
    {
        SimulationScenario s = result.Scenario;
        w.WriteStartArray("policies");
        foreach (PolicyRun run in result.Policies)
        {
            w.WriteStartObject();
            w.WriteString("policy", run.Policy);
            w.WriteString("predictor", run.Predictor);
            w.WriteStartObject("resources");
            foreach (ResourceKind kind in ResourceKinds.All)
            {
                if (!s.Resources.Contains(kind))
                {
                    continue;
                }

                ResourceMetrics m = run.Metrics[kind];
                w.WriteStartObject(ResourceKinds.Name(kind));
                Number(w, "unmetDemand", m.UnmetDemand);
                Number(w, "entitlementViolations", m.EntitlementViolations);
                Number(w, "burstSatisfaction", m.BurstSatisfaction);
                Number(w, "burstSatisfactionP5", m.BurstSatisfactionP5);
                w.WriteNumber("burstPairs", m.BurstPairs);
                Number(w, "perVmP5", m.PerVmP5);
                Number(w, "jainSatisfaction", m.JainSatisfaction);
                Number(w, "jainSatisfactionRun", m.JainSatisfactionRun);
                Number(w, "utilization", m.Utilization);
                Number(w, "churn", m.Churn);
                w.WriteEndObject();
            }

            w.WriteEndObject();
            w.WriteStartObject("groups");
            for (int g = 0; g < s.Groups.Count; g++)
            {
                w.WriteStartObject(s.Groups[g]);
                foreach (ResourceKind kind in ResourceKinds.All)
                {
                    if (s.Resources.Contains(kind))
                    {
                        Number(w, ResourceKinds.Name(kind), run.Metrics.GetGroupServed(g, kind));
                    }
                }

                w.WriteEndObject();
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void WriteVector(Utf8JsonWriter w, SimulationScenario s, ResourceVector v)
    {
        foreach (ResourceKind kind in ResourceKinds.All)
        {
            if (s.Resources.Contains(kind))
            {
                Number(w, ResourceKinds.Name(kind), v[kind]);
            }
        }
    }

    private static void WriteError(Utf8JsonWriter w, PredictionError e)
    {
        w.WriteStartObject();
        w.WriteNumber("count", e.Count);
        Number(w, "mae", e.Mae);
        Number(w, "rmse", e.Rmse);
        Number(w, "smape", e.Smape);
        Number(w, "underPredictionRate", e.UnderPredictionRate);
        w.WriteEndObject();
    }

    private static void Number(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value))
        {
            w.WriteNumber(name, value);
        }
        else
        {
            w.WriteNull(name);
        }
    }
}
