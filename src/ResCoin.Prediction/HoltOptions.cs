using ResCoin.Prediction.Internal;

namespace ResCoin.Prediction;

/// <summary>Tunables of <see cref="HoltPredictor"/> (the same for every resource).</summary>
public sealed class HoltOptions
{
    /// <summary>Default <see cref="Alpha"/>.</summary>
    public const double DefaultAlpha = 0.8;

    /// <summary>Default <see cref="Beta"/>.</summary>
    public const double DefaultBeta = 0.1;

    /// <summary>Default <see cref="Damping"/>.</summary>
    public const double DefaultDamping = 0.9;

    /// <summary>Level smoothing factor, greater than 0 and at most 1.</summary>
    public double Alpha { get; set; } = DefaultAlpha;

    /// <summary>Trend smoothing factor, greater than 0 and at most 1.</summary>
    public double Beta { get; set; } = DefaultBeta;

    /// <summary>Trend damping φ per period, greater than 0 and at most 1 (1 = Holt's undamped linear trend).</summary>
    public double Damping { get; set; } = DefaultDamping;

    /// <summary>Throws when a value is out of range.</summary>
    /// <exception cref="ArgumentException">The message names the option and its bad value.</exception>
    public void Validate()
    {
        OptionCheck.Fraction(Alpha, "HoltOptions.Alpha");
        OptionCheck.Fraction(Beta, "HoltOptions.Beta");
        OptionCheck.Fraction(Damping, "HoltOptions.Damping");
    }

    internal SlotModel CreateModel() => new HoltModel(Alpha, Beta, Damping);
}
