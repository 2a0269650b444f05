using ResCoin.Prediction.Internal;

namespace ResCoin.Prediction;

/// <summary>
/// Exponentially weighted moving average with a per-resource smoothing factor α (the 2014 prototype's predictor):
/// the first observation of a slot initialises the average, then <c>s ← α·x + (1 − α)·s</c>, and the estimate is
/// <c>s</c>. With α = 0.5 the observations 0, 10, 10 give the estimates 0, 5, 7.5.
/// </summary>
public sealed class EwmaPredictor : IPredictor
{
    /// <summary>The factory name, <c>ewma</c>.</summary>
    public const string PredictorName = "ewma";

    private readonly PredictorEngine _engine;

    /// <summary>Creates the predictor with the prototype's factors (CPU 0.7, others 0.8).</summary>
    public EwmaPredictor()
        : this(new EwmaOptions())
    {
    }

    /// <summary>Creates the predictor.</summary>
    /// <param name="options">The smoothing factors; copied, so later changes have no effect.</param>
    /// <exception cref="ArgumentException">A factor is out of range (the message names it).</exception>
    public EwmaPredictor(EwmaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _engine = new PredictorEngine(new EwmaModel(options.ToVector()));
    }

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
