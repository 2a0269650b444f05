using ResCoin.Prediction.Internal;

namespace ResCoin.Prediction;

/// <summary>
/// The shared shape of the shipped predictors: slot storage, the NaN rule, clamping and error scoring live in one
/// engine; each predictor only supplies its model. Not for derivation outside this package.
/// </summary>
public abstract class PredictorBase : IPredictor
{
    private readonly PredictorEngine _engine;

    private protected PredictorBase(SlotModel model) => _engine = new PredictorEngine(model);

    /// <inheritdoc/>
    public abstract string Name { get; }

    /// <inheritdoc/>
    public void Reset(int slot) => _engine.Reset(slot);

    /// <inheritdoc/>
    public void Update(ResourceKind resource, ReadOnlySpan<double> observed, Span<double> estimates)
        => _engine.Update(resource, observed, estimates);

    /// <inheritdoc/>
    public PredictionError GetError(ResourceKind resource) => _engine.GetError(resource);
}
