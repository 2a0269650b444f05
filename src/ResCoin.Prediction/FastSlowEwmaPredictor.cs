using ResCoin.Prediction.Internal;

namespace ResCoin.Prediction;

/// <summary>
/// The larger of a fast and a slow EWMA (ESX-style): a rise is followed at once, a fall only slowly, so the
/// estimate errs on the generous side after a burst. Both averages start at the first observation.
/// Defaults: fast α 0.8, slow α 0.1.
/// </summary>
public sealed class FastSlowEwmaPredictor : IPredictor
{
    /// <summary>The factory name, <c>fastslow</c>.</summary>
    public const string PredictorName = "fastslow";

    private readonly PredictorEngine _engine;

    /// <summary>Creates the predictor with default options.</summary>
    public FastSlowEwmaPredictor()
        : this(new FastSlowOptions())
    {
    }

    /// <summary>Creates the predictor.</summary>
    /// <param name="options">The options; read once, so later changes have no effect.</param>
    /// <exception cref="ArgumentException">An option is out of range (the message names it).</exception>
    public FastSlowEwmaPredictor(FastSlowOptions options)
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
