namespace ResCoin.Prediction.Internal;

/// <summary>estimate = the latest measured value.</summary>
internal sealed class LastValueModel : SlotModel
{
    public override int StateWidth(ResourceKind resource) => 0;

    public override void Update(ResourceKind resource, ReadOnlySpan<double> observed, Span<double> estimates, Span<double> state, ReadOnlySpan<int> counts)
    {
        for (int i = 0; i < observed.Length; i++)
        {
            double x = observed[i];
            if (!double.IsNaN(x))
            {
                estimates[i] = x;
            }
        }
    }
}
