using ResCoin.Prediction.Internal;

namespace ResCoin.Prediction;

/// <summary>
/// Holt double exponential smoothing (level + damped trend), for usage that ramps. The first observation sets
/// level = x and trend = 0; then level ← α·x + (1 − α)·(level + φ·trend),
/// trend ← β·(level − previous level) + (1 − β)·φ·trend, and the estimate is level + φ·trend (never below 0).
/// Defaults α 0.8, β 0.1, φ 0.9.
/// </summary>
public sealed class HoltPredictor : PredictorBase
{
    /// <summary>The factory name, <c>holt</c>.</summary>
    public const string PredictorName = "holt";

    /// <summary>Creates the predictor with default options.</summary>
    public HoltPredictor()
        : this(new HoltOptions())
    {
    }

    /// <summary>Creates the predictor.</summary>
    /// <param name="options">The options; read once, so later changes have no effect.</param>
    /// <exception cref="ArgumentException">An option is out of range (the message names it).</exception>
    public HoltPredictor(HoltOptions options)
        : base(CreateModel(options))
    {
    }

    /// <inheritdoc/>
    public override string Name => PredictorName;

    private static SlotModel CreateModel(HoltOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options.CreateModel();
    }
}
