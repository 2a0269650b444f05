using ResCoin.Prediction.Internal;

namespace ResCoin.Prediction;

/// <summary>
/// Holt double exponential smoothing (level + damped trend), for usage that ramps. The first observation sets
/// level = x and trend = 0; then level ← α·x + (1 − α)·(level + φ·trend),
/// trend ← β·(level − previous level) + (1 − β)·φ·trend, and the estimate is level + φ·trend (never below 0).
/// Defaults α 0.8, β 0.1, φ 0.9.
/// </summary>
public sealed class HoltPredictor : IPredictor
{
    /// <summary>The factory name, <c>holt</c>.</summary>
    public const string PredictorName = "holt";

    private readonly PredictorEngine _engine;

    /// <summary>Creates the predictor with default options.</summary>
    public HoltPredictor()
        : this(new HoltOptions())
    {
    }

    /// <summary>Creates the predictor.</summary>
    /// <param name="options">The options; read once, so later changes have no effect.</param>
    /// <exception cref="ArgumentException">An option is out of range (the message names it).</exception>
    public HoltPredictor(HoltOptions options)
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
