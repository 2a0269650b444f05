using ResCoin.Prediction.Internal;

namespace ResCoin.Prediction;

/// <summary>
/// Runs several candidate models side by side and, per slot and resource, uses the estimate of the one with the
/// lowest recent absolute error (exponentially decayed with <see cref="AdaptiveOptions.ErrorHalfLife"/>).
/// Default candidates: last value, EWMA, damped Holt and a transition model for on/off and ramping workloads.
/// </summary>
public sealed class AdaptivePredictor : PredictorBase
{
    /// <summary>The factory name, <c>adaptive</c>.</summary>
    public const string PredictorName = "adaptive";

    /// <summary>Creates the predictor with default options.</summary>
    public AdaptivePredictor()
        : this(new AdaptiveOptions())
    {
    }

    /// <summary>Creates the predictor.</summary>
    /// <param name="options">The options; read once, so later changes have no effect.</param>
    /// <exception cref="ArgumentException">An option is out of range (the message names it).</exception>
    public AdaptivePredictor(AdaptiveOptions options)
        : base(CreateModel(options))
    {
    }

    /// <inheritdoc/>
    public override string Name => PredictorName;

    private static SlotModel CreateModel(AdaptiveOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options.CreateModel();
    }
}
