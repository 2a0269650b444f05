using ResCoin.Prediction.Internal;

namespace ResCoin.Prediction;

/// <summary>
/// A decaying-histogram percentile (VPA-style): per slot and resource, an exponential-bucket histogram of past
/// usage in which each sample weighs 2^(1/half-life) times the one before; the estimate is the upper edge of the
/// bucket holding the chosen percentile, times a safety margin. Defaults: p90 × 1.15, half-life 12 periods,
/// 64 buckets of ratio 1.08. A deliberately generous predictor: it rarely under-predicts.
/// </summary>
public sealed class PercentilePredictor : PredictorBase
{
    /// <summary>The factory name, <c>percentile</c>.</summary>
    public const string PredictorName = "percentile";

    /// <summary>Creates the predictor with default options.</summary>
    public PercentilePredictor()
        : this(new PercentileOptions())
    {
    }

    /// <summary>Creates the predictor.</summary>
    /// <param name="options">The options; read once, so later changes have no effect.</param>
    /// <exception cref="ArgumentException">An option is out of range (the message names it).</exception>
    public PercentilePredictor(PercentileOptions options)
        : base(CreateModel(options))
    {
    }

    /// <inheritdoc/>
    public override string Name => PredictorName;

    private static SlotModel CreateModel(PercentileOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options.CreateModel();
    }
}
