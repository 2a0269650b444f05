namespace ResCoin.Prediction.Internal;

/// <summary>
/// Holt's linear method with a damped trend. State per slot: level L, trend T. The first observation sets
/// L = x, T = 0; then L ← α·x + (1 − α)·(L + φ·T), T ← β·(L − L_prev) + (1 − β)·φ·T, and the estimate is L + φ·T.
/// </summary>
internal sealed class HoltModel(double alpha, double beta, double damping) : SlotModel
{
    public override int StateWidth(ResourceKind resource) => 2;

    public override void Update(ResourceKind resource, ReadOnlySpan<double> observed, Span<double> estimates, Span<double> state, ReadOnlySpan<int> counts)
    {
        for (int i = 0; i < observed.Length; i++)
        {
            double x = observed[i];
            if (double.IsNaN(x))
            {
                continue;
            }

            ref double level = ref state[2 * i];
            ref double trend = ref state[(2 * i) + 1];
            if (counts[i] == 0)
            {
                level = x;
                trend = 0;
            }
            else
            {
                double previous = level;
                double dampedTrend = damping * trend;
                level = (alpha * x) + ((1 - alpha) * (previous + dampedTrend));
                trend = (beta * (level - previous)) + ((1 - beta) * dampedTrend);
            }

            estimates[i] = level + (damping * trend);
        }
    }
}
