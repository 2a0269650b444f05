using ResCoin.Prediction.Internal;

namespace ResCoin.Prediction;

/// <summary>
/// Predicts that the next period uses exactly what the last measured period used. The naive baseline every
/// other predictor has to beat — and on real traces it is hard to beat.
/// </summary>
public sealed class LastValuePredictor : PredictorBase
{
    /// <summary>The factory name, <c>last</c>.</summary>
    public const string PredictorName = "last";

    /// <summary>Creates the predictor.</summary>
    public LastValuePredictor()
        : base(new LastValueModel())
    {
    }

    /// <inheritdoc/>
    public override string Name => PredictorName;
}
