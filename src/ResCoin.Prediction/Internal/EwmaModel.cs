namespace ResCoin.Prediction.Internal;

/// <summary>
/// s ← x on the first observation, then s ← α·x + (1 − α)·s; estimate = s. The smoothed value is the previous
/// estimate, which the engine passes in <c>estimates</c>, so the model needs no state of its own.
/// </summary>
internal sealed class EwmaModel(ResourceVector alpha) : SlotModel
{
    public override int StateWidth(ResourceKind resource) => 0;

    public override void Update(ResourceKind resource, ReadOnlySpan<double> observed, Span<double> estimates, Span<double> state, ReadOnlySpan<int> counts)
    {
        double a = alpha[resource];
        for (int i = 0; i < observed.Length; i++)
        {
            double x = observed[i];
            if (double.IsNaN(x))
            {
                continue;
            }

            estimates[i] = counts[i] == 0 ? x : estimates[i] + (a * (x - estimates[i]));
        }
    }
}
