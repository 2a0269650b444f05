using ResCoin.Prediction;

namespace ResCoin.Simulation;

/// <summary>One predictor's one-step-ahead error on a scenario's true demand (not on throttled usage).</summary>
public sealed class PredictionResult
{
    private readonly PredictionError[] _errors;
    private readonly double[][] _recorded;

    internal PredictionResult(string predictor, PredictionError[] errors, PredictionError rawCpuGhz, int[] recordedVms, double[][] recorded)
    {
        Predictor = predictor;
        _errors = errors;
        RawCpuGhz = rawCpuGhz;
        RecordedVms = recordedVms;
        _recorded = recorded;
    }

    /// <summary>The predictor's name.</summary>
    public string Predictor { get; }

    /// <summary>The error on the source trace's raw CPU rows in GHz (MHz / 1000), for traces; <c>Count</c> is 0 otherwise.</summary>
    public PredictionError RawCpuGhz { get; }

    /// <summary>The scenario indices of the VMs whose CPU estimates were kept.</summary>
    public IReadOnlyList<int> RecordedVms { get; }

    /// <summary>The error on one resource's demand (in the resource's unit).</summary>
    /// <param name="kind">The resource.</param>
    public PredictionError this[ResourceKind kind] => _errors[(int)kind];

    /// <summary>The CPU estimate made for each period (NaN for period 0) of one recorded VM.</summary>
    /// <param name="recorded">The position in <see cref="RecordedVms"/>.</param>
    /// <returns>One estimate per period.</returns>
    public ReadOnlySpan<double> GetCpuEstimates(int recorded) => _recorded[recorded];
}

/// <summary>Scores predictors one step ahead on the true demand of a scenario (every VM, every resource with demand).</summary>
public static class PredictionEvaluator
{
    /// <summary>Feeds a fresh predictor the demand of every period and scores each estimate against the next period's demand.</summary>
    /// <param name="scenario">The scenario.</param>
    /// <param name="createPredictor">Creates the predictor (called twice: demand, then raw trace CPU when present).</param>
    /// <param name="recordVms">Scenario indices of VMs whose CPU estimates to keep (for charts).</param>
    /// <returns>The errors.</returns>
    public static PredictionResult Evaluate(SimulationScenario scenario, Func<IPredictor> createPredictor, IReadOnlyList<int>? recordVms = null)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(createPredictor);
        int[] recordIdx = recordVms is null ? [] : [.. recordVms];
        IReadOnlyList<VmWorkload> vms = scenario.Vms;
        int n = vms.Count;
        int periods = scenario.Periods;
        var tracker = new PredictionErrorTracker();
        var recorded = new double[recordIdx.Length][];
        for (int k = 0; k < recorded.Length; k++)
        {
            recorded[k] = new double[periods];
            recorded[k][0] = double.NaN;
        }

        IPredictor predictor = createPredictor();
        var observed = new double[n];
        var estimates = new double[n];
        for (int r = 0; r < ResourceKinds.Count; r++)
        {
            var kind = (ResourceKind)r;
            if (!scenario.Resources.Contains(kind))
            {
                continue;
            }

            for (int t = 0; t < periods - 1; t++)
            {
                for (int i = 0; i < n; i++)
                {
                    observed[i] = vms[i].GetDemand(kind)[t];
                }

                predictor.Update(kind, observed, estimates);
                for (int i = 0; i < n; i++)
                {
                    tracker.Record(kind, vms[i].GetDemand(kind)[t + 1], estimates[i]);
                }

                if (kind == ResourceKind.Cpu)
                {
                    for (int k = 0; k < recordIdx.Length; k++)
                    {
                        recorded[k][t + 1] = estimates[recordIdx[k]];
                    }
                }
            }
        }

        var errors = new PredictionError[ResourceKinds.Count];
        for (int r = 0; r < errors.Length; r++)
        {
            errors[r] = tracker.Get((ResourceKind)r);
        }

        return new PredictionResult(predictor.Name, errors, EvaluateRawCpu(vms, createPredictor), recordIdx, recorded);
    }

    private static PredictionError EvaluateRawCpu(IReadOnlyList<VmWorkload> vms, Func<IPredictor> createPredictor)
    {
        int n = vms.Count;
        int longest = 0;
        foreach (VmWorkload vm in vms)
        {
            longest = Math.Max(longest, vm.RawCpuMhz.Length);
        }

        if (longest < 2)
        {
            return default;
        }

        IPredictor predictor = createPredictor();
        var tracker = new PredictionErrorTracker();
        var observed = new double[n];
        var estimates = new double[n];
        for (int t = 0; t < longest - 1; t++)
        {
            for (int i = 0; i < n; i++)
            {
                ReadOnlySpan<double> raw = vms[i].RawCpuMhz;
                observed[i] = t < raw.Length ? raw[t] / 1000 : double.NaN;
            }

            predictor.Update(ResourceKind.Cpu, observed, estimates);
            for (int i = 0; i < n; i++)
            {
                ReadOnlySpan<double> raw = vms[i].RawCpuMhz;
                if (t + 1 < raw.Length)
                {
                    tracker.Record(ResourceKind.Cpu, raw[t + 1] / 1000, estimates[i]);
                }
            }
        }

        return tracker.Get(ResourceKind.Cpu);
    }
}
