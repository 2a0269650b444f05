using System.Text.Json;
using ResCoin.Simulation;

namespace ResCoin.Simulator;

/// <summary>Writes the machine-readable metrics (schema in the README). Deterministic: no timings, no absolute paths added.</summary>
public static class JsonReport
{
    /// <summary>The schema version written in <c>schemaVersion</c>.</summary>
    public const int SchemaVersion = 1;

    /// <summary>Writes the report.</summary>
    /// <param name="stream">The destination.</param>
    /// <param name="settings">The settings the run used.</param>
    /// <param name="result">The results.</param>
    public static void Write(Stream stream, SimulatorSettings settings, EvaluationResult result)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(result);
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        SimulationScenario s = result.Scenario;
        w.WriteStartObject();
        w.WriteNumber("schemaVersion", SchemaVersion);
        w.WriteStartObject("scenario");
        w.WriteString("source", settings.Trace is null ? "synthetic" : "trace");
        if (settings.Trace is null)
        {
            w.WriteNull("trace");
        }
        else
        {
            w.WriteString("trace", settings.Trace);
        }

        w.WriteNumber("seed", settings.Seed);
        w.WriteNumber("vms", s.Vms.Count);
        w.WriteNumber("periods", s.Periods);
        w.WriteNumber("periodSeconds", s.Period.TotalSeconds);
        w.WriteNumber("capacityFraction", settings.CapacityFraction);
        w.WriteNumber("window", settings.Window);
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
        w.WriteStartArray("vmNames");
        foreach (VmWorkload vm in s.Vms)
        {
            w.WriteStringValue(vm.Name);
        }

        w.WriteEndArray();
        w.WriteEndObject();

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
                Number(w, "jainSatisfaction", m.JainSatisfaction);
                Number(w, "jainSatisfactionRun", m.JainSatisfactionRun);
                Number(w, "utilization", m.Utilization);
                Number(w, "churn", m.Churn);
                w.WriteEndObject();
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteEndArray();

        w.WriteStartArray("predictors");
        foreach (PredictionResult p in result.Predictions)
        {
            w.WriteStartObject();
            w.WriteString("predictor", p.Predictor);
            w.WriteStartObject("resources");
            foreach (ResourceKind kind in ResourceKinds.All)
            {
                if (s.Resources.Contains(kind))
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
        w.WriteEndObject();
        w.Flush();
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
