using ResCoin.Prediction.Internal;

namespace ResCoin.Prediction;

/// <summary>
/// Predicts that the next period uses exactly what the last measured period used. The naive baseline every
/// other predictor has to beat — and on real traces it is hard to beat.
/// </summary>
public sealed class LastValuePredictor : IPredictor
{
    /// <summary>The factory name, <c>last</c>.</summary>
    public const string PredictorName = "last";

    private readonly PredictorEngine _engine = new(new LastValueModel());

    /// <inheritdoc/>
    public string Name => PredictorName;

    /// <inheritdoc/>
    public void Reset(int slot) => _engine.Reset(slot);

    /// <inheritdoc/>
    public void Update(ResourceKind resource, ReadOnlySpan<double> observed, Span<double> estimates)
        => _engine.Update(resource, observed, estimates);

    /// <inheritdoc/>
    public PredictionError GetError(ResourceKind resource) => _engine.GetError(resource);
}
