using ResCoin.Prediction.Internal;

namespace ResCoin.Prediction;

/// <summary>
/// The larger of a fast and a slow EWMA (ESX-style): a rise is followed at once, a fall only slowly, so the
/// estimate errs on the generous side after a burst. Both averages start at the first observation.
/// Defaults: fast α 0.8, slow α 0.1.
/// </summary>
public sealed class FastSlowEwmaPredictor : PredictorBase
{
    /// <summary>The factory name, <c>fastslow</c>.</summary>
    public const string PredictorName = "fastslow";

    /// <summary>Creates the predictor with default options.</summary>
    public FastSlowEwmaPredictor()
        : this(new FastSlowOptions())
    {
    }

    /// <summary>Creates the predictor.</summary>
    /// <param name="options">The options; read once, so later changes have no effect.</param>
    /// <exception cref="ArgumentException">An option is out of range (the message names it).</exception>
    public FastSlowEwmaPredictor(FastSlowOptions options)
        : base(CreateModel(options))
    {
    }

    /// <inheritdoc/>
    public override string Name => PredictorName;

    private static SlotModel CreateModel(FastSlowOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options.CreateModel();
    }
}
