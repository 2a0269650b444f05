namespace ResCoin.Prediction;

/// <summary>The models <see cref="AdaptivePredictor"/> chooses among (flags; at least one).</summary>
[Flags]
public enum AdaptiveCandidates
{
    /// <summary>No candidate (invalid on its own).</summary>
    None = 0,

    /// <summary>The last measured value (<see cref="LastValuePredictor"/>).</summary>
    Last = 1,

    /// <summary>EWMA with <see cref="AdaptiveOptions.Ewma"/> (<see cref="EwmaPredictor"/>).</summary>
    Ewma = 2,

    /// <summary>Damped Holt with <see cref="AdaptiveOptions.Holt"/> (<see cref="HoltPredictor"/>).</summary>
    Holt = 4,

    /// <summary>Max of fast and slow EWMA with <see cref="AdaptiveOptions.FastSlow"/> (<see cref="FastSlowEwmaPredictor"/>).</summary>
    FastSlow = 8,

    /// <summary>
    /// The transition model: per slot, the median next change observed after similar situations (level relative
    /// to the slot's running maximum × size and direction of the last change). Catches the ramps and on/off
    /// patterns of batch workloads. Only available inside the adaptive predictor.
    /// </summary>
    Transition = 16,

    /// <summary>The default set: <see cref="Last"/>, <see cref="Ewma"/>, <see cref="Holt"/> and <see cref="Transition"/>.</summary>
    Default = Last | Ewma | Holt | Transition,
}
