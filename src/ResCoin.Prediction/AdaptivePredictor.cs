using ResCoin.Prediction.Internal;

namespace ResCoin.Prediction;

/// <summary>
/// Runs several candidate models side by side and, per slot and resource, uses the estimate of the one with the
/// lowest recent absolute error (exponentially decayed with <see cref="AdaptiveOptions.ErrorHalfLife"/>).
/// Default candidates: last value, EWMA, damped Holt and a transition model for on/off and ramping workloads.
/// </summary>
public sealed class AdaptivePredictor : IPredictor
{
    /// <summary>The factory name, <c>adaptive</c>.</summary>
    public const string PredictorName = "adaptive";

    private readonly PredictorEngine _engine;

    /// <summary>Creates the predictor with default options.</summary>
    public AdaptivePredictor()
        : this(new AdaptiveOptions())
    {
    }

    /// <summary>Creates the predictor.</summary>
    /// <param name="options">The options; read once, so later changes have no effect.</param>
    /// <exception cref="ArgumentException">An option is out of range (the message names it).</exception>
    public AdaptivePredictor(AdaptiveOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _engine = new PredictorEngine(options.CreateModel());
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
