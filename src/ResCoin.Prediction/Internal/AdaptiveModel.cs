namespace ResCoin.Prediction.Internal;

/// <summary>
/// Runs every candidate model on the same observations and, per slot and resource, uses the estimate of the
/// candidate with the lowest exponentially decayed absolute error so far (ties go to the earlier candidate,
/// so a fresh slot starts with the first one). O(candidates) per slot; scratch buffers grow amortized.
/// </summary>
internal sealed class AdaptiveModel : SlotModel
{
    private readonly PredictorEngine[] _candidates;
    private readonly double _keep;
    private double[][] _scratch;
    private int _capacity;

    public AdaptiveModel(SlotModel[] candidates, double errorHalfLife)
    {
        _candidates = new PredictorEngine[candidates.Length];
        for (int c = 0; c < candidates.Length; c++)
        {
            _candidates[c] = new PredictorEngine(candidates[c], trackErrors: false);
        }

        _keep = Math.Pow(0.5, 1 / errorHalfLife);
        _scratch = new double[candidates.Length][];
        for (int c = 0; c < _scratch.Length; c++)
        {
            _scratch[c] = [];
        }
    }

    public int CandidateCount => _candidates.Length;

    // Per-slot layout: [0, C) decayed absolute error per candidate, [C, 2C) each candidate's previous estimate.
    public override int StateWidth(ResourceKind resource) => 2 * _candidates.Length;

    /// <summary>The candidates' engines and the scratch are indexed by slot: always update every slot at once.</summary>
    public override bool SlotLocal => false;

    public override void Reset(int slot)
    {
        foreach (PredictorEngine c in _candidates)
        {
            c.Reset(slot);
        }
    }

    public override void Update(ResourceKind resource, ReadOnlySpan<double> observed, Span<double> estimates, Span<double> state, ReadOnlySpan<int> counts)
    {
        int n = observed.Length;
        int k = _candidates.Length;
        if (n > _capacity)
        {
            int capacity = Math.Max(n, Math.Max(4, _capacity * 2));
            for (int c = 0; c < k; c++)
            {
                _scratch[c] = new double[capacity];
            }

            _capacity = capacity;
        }

        for (int c = 0; c < k; c++)
        {
            _candidates[c].Update(resource, observed, _scratch[c].AsSpan(0, n));
        }

        double keep = _keep;
        double learn = 1 - keep;
        int width = 2 * k;
        for (int i = 0; i < n; i++)
        {
            double x = observed[i];
            if (double.IsNaN(x))
            {
                continue;
            }

            Span<double> s = state.Slice(i * width, width);
            bool scored = counts[i] > 0;
            int best = 0;
            double bestError = double.PositiveInfinity;
            for (int c = 0; c < k; c++)
            {
                double error = s[c];
                if (scored)
                {
                    error = (keep * error) + (learn * Math.Abs(x - s[k + c]));
                    s[c] = error;
                }

                double estimate = _scratch[c][i];
                s[k + c] = estimate;
                if (error < bestError)
                {
                    bestError = error;
                    best = c;
                }
            }

            estimates[i] = _scratch[best][i];
        }
    }
}
