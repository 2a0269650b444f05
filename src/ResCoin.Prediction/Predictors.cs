namespace ResCoin.Prediction;

/// <summary>Creates the shipped predictors by name, with their default options.</summary>
public static class Predictors
{
    private static readonly string[] s_names =
    [
        LastValuePredictor.PredictorName,
        EwmaPredictor.PredictorName,
        HoltPredictor.PredictorName,
        FastSlowEwmaPredictor.PredictorName,
        PercentilePredictor.PredictorName,
        AdaptivePredictor.PredictorName,
    ];

    /// <summary>The names <see cref="Create"/> accepts: <c>last</c>, <c>ewma</c>, <c>holt</c>, <c>fastslow</c>, <c>percentile</c>, <c>adaptive</c>.</summary>
    public static IReadOnlyList<string> Names { get; } = Array.AsReadOnly(s_names);

    /// <summary>Creates a new predictor with default options.</summary>
    /// <param name="name">One of <see cref="Names"/> (case-insensitive).</param>
    /// <returns>A new, empty predictor.</returns>
    /// <exception cref="ArgumentException">The name is unknown; the message lists the valid names.</exception>
    public static IPredictor Create(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Trim().ToLowerInvariant() switch
        {
            LastValuePredictor.PredictorName => new LastValuePredictor(),
            EwmaPredictor.PredictorName => new EwmaPredictor(),
            HoltPredictor.PredictorName => new HoltPredictor(),
            FastSlowEwmaPredictor.PredictorName => new FastSlowEwmaPredictor(),
            PercentilePredictor.PredictorName => new PercentilePredictor(),
            AdaptivePredictor.PredictorName => new AdaptivePredictor(),
            _ => throw new ArgumentException($"Unknown predictor '{name}'. Valid predictors: {string.Join(", ", s_names)}.", nameof(name)),
        };
    }
}
