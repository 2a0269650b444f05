namespace ResCoin.Prediction.Internal;

/// <summary>
/// Two EWMAs of the same series, a fast one and a slow one, both initialised with the first observation;
/// the estimate is the larger of the two, so a burst is followed at once and a lull is forgotten slowly (ESX-style).
/// </summary>
internal sealed class FastSlowModel(double fastAlpha, double slowAlpha) : SlotModel
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

            ref double fast = ref state[2 * i];
            ref double slow = ref state[(2 * i) + 1];
            if (counts[i] == 0)
            {
                fast = x;
                slow = x;
            }
            else
            {
                fast += fastAlpha * (x - fast);
                slow += slowAlpha * (x - slow);
            }

            estimates[i] = Math.Max(fast, slow);
        }
    }
}
