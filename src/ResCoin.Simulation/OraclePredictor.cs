using ResCoin.Prediction;

namespace ResCoin.Simulation;

/// <summary>
/// A predictor that cheats: it knows every VM's true demand for the next period. Only possible in simulation; it
/// bounds what any real predictor can achieve and checks the allocator in isolation (with it, <c>rescoin</c> never
/// gives a VM less than min(demand, template) when the templates fit the host).
/// </summary>
/// <remarks>
/// Slot <c>i</c> is the scenario's VM <c>i</c> (the controller assigns slots in the monitor's order, and the simulated
/// host reports VMs in scenario order). The <c>k</c>-th <see cref="Update"/> call for a resource observes period
/// <c>k</c> and returns the demand of period <c>k + 1</c> (the last period's demand past the end).
/// </remarks>
public sealed class OraclePredictor : IPredictor
{
    /// <summary>The predictor's name, <c>oracle</c>.</summary>
    public const string PredictorName = "oracle";

    private readonly IReadOnlyList<VmWorkload> _vms;
    private readonly long[] _calls = new long[ResourceKinds.Count];
    private readonly double[][] _previous = new double[ResourceKinds.Count][];
    private readonly PredictionErrorTracker _errors = new();

    /// <summary>Creates an oracle over the VMs' demand.</summary>
    /// <param name="vms">The VMs, in slot order.</param>
    public OraclePredictor(IReadOnlyList<VmWorkload> vms)
    {
        ArgumentNullException.ThrowIfNull(vms);
        _vms = vms;
        for (int r = 0; r < ResourceKinds.Count; r++)
        {
            _previous[r] = new double[vms.Count];
            Array.Fill(_previous[r], double.NaN);
        }
    }

    /// <inheritdoc/>
    public string Name => PredictorName;

    /// <inheritdoc/>
    public void Reset(int slot)
    {
        // Nothing to forget: the oracle reads the future, not the past.
    }

    /// <inheritdoc/>
    public void Update(ResourceKind resource, ReadOnlySpan<double> observed, Span<double> estimates)
    {
        if (estimates.Length != observed.Length)
        {
            throw new ArgumentException("The observed and estimate spans differ in length.", nameof(estimates));
        }

        int r = (int)resource;
        long k = _calls[r]++;
        double[] previous = _previous[r];
        for (int i = 0; i < observed.Length; i++)
        {
            if (i >= _vms.Count)
            {
                estimates[i] = double.IsNaN(observed[i]) ? 0 : observed[i];
                continue;
            }

            if (i < previous.Length && !double.IsNaN(previous[i]))
            {
                _errors.Record(resource, observed[i], previous[i]);
            }

            ReadOnlySpan<double> demand = _vms[i].GetDemand(resource);
            double next = demand.IsEmpty ? 0 : demand[(int)Math.Min(k + 1, demand.Length - 1)];
            estimates[i] = next;
            if (i < previous.Length)
            {
                previous[i] = next;
            }
        }
    }

    /// <inheritdoc/>
    public PredictionError GetError(ResourceKind resource) => _errors.Get(resource);
}
