using ResCoin.Prediction.Internal;

namespace ResCoin.Prediction;

/// <summary>Tunables of <see cref="FastSlowEwmaPredictor"/> (the same for every resource).</summary>
public sealed class FastSlowOptions
{
    /// <summary>Default <see cref="FastAlpha"/>.</summary>
    public const double DefaultFastAlpha = 0.8;

    /// <summary>Default <see cref="SlowAlpha"/>.</summary>
    public const double DefaultSlowAlpha = 0.1;

    /// <summary>Smoothing factor of the fast average, greater than 0 and at most 1.</summary>
    public double FastAlpha { get; set; } = DefaultFastAlpha;

    /// <summary>Smoothing factor of the slow average, greater than 0 and at most 1.</summary>
    public double SlowAlpha { get; set; } = DefaultSlowAlpha;

    /// <summary>Throws when a value is out of range.</summary>
    /// <exception cref="ArgumentException">The message names the option and its bad value.</exception>
    public void Validate()
    {
        OptionCheck.Fraction(FastAlpha, "FastSlowOptions.FastAlpha");
        OptionCheck.Fraction(SlowAlpha, "FastSlowOptions.SlowAlpha");
    }

    internal SlotModel CreateModel() => new FastSlowModel(FastAlpha, SlowAlpha);
}
