using ResCoin.Prediction.Internal;

namespace ResCoin.Prediction;

/// <summary>
/// Exponentially weighted moving average with a per-resource smoothing factor α (the 2014 prototype's predictor):
/// the first observation of a slot initialises the average, then <c>s ← α·x + (1 − α)·s</c>, and the estimate is
/// <c>s</c>. With α = 0.5 the observations 0, 10, 10 give the estimates 0, 5, 7.5.
/// </summary>
public sealed class EwmaPredictor : PredictorBase
{
    /// <summary>The factory name, <c>ewma</c>.</summary>
    public const string PredictorName = "ewma";

    /// <summary>Creates the predictor with the prototype's factors (CPU 0.7, others 0.8).</summary>
    public EwmaPredictor()
        : this(new EwmaOptions())
    {
    }

    /// <summary>Creates the predictor.</summary>
    /// <param name="options">The smoothing factors; copied, so later changes have no effect.</param>
    /// <exception cref="ArgumentException">A factor is out of range (the message names it).</exception>
    public EwmaPredictor(EwmaOptions options)
        : base(CreateModel(options))
    {
    }

    /// <inheritdoc/>
    public override string Name => PredictorName;

    private static EwmaModel CreateModel(EwmaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return new EwmaModel(options.ToVector());
    }
}
