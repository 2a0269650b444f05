using System.Globalization;

namespace ResCoin.Prediction.Internal;

/// <summary>Validation helpers that name the offending option in the message.</summary>
internal static class OptionCheck
{
    /// <summary>Requires <c>0 &lt; value ≤ 1</c> (a smoothing factor).</summary>
    public static void Fraction(double value, string option)
    {
        if (!(value > 0 && value <= 1))
        {
            Throw(option, value, "must be greater than 0 and at most 1");
        }
    }

    /// <summary>Requires <c>0 &lt; value &lt; 1</c>.</summary>
    public static void OpenFraction(double value, string option)
    {
        if (!(value > 0 && value < 1))
        {
            Throw(option, value, "must be greater than 0 and less than 1");
        }
    }

    /// <summary>Requires a finite <c>value ≥ min</c>.</summary>
    public static void AtLeast(double value, double min, string option)
    {
        if (!(value >= min && value <= double.MaxValue))
        {
            Throw(option, value, string.Create(CultureInfo.InvariantCulture, $"must be a finite number of at least {min}"));
        }
    }

    /// <summary>Requires a finite <c>value &gt; min</c>.</summary>
    public static void GreaterThan(double value, double min, string option)
    {
        if (!(value > min && value <= double.MaxValue))
        {
            Throw(option, value, string.Create(CultureInfo.InvariantCulture, $"must be a finite number greater than {min}"));
        }
    }

    /// <summary>Requires <c>min &lt; value ≤ max</c>.</summary>
    public static void Between(double value, double min, double max, string option)
    {
        if (!(value > min && value <= max))
        {
            Throw(option, value, string.Create(CultureInfo.InvariantCulture, $"must be greater than {min} and at most {max}"));
        }
    }

    /// <summary>Requires <c>min ≤ value ≤ max</c>.</summary>
    public static void InRange(int value, int min, int max, string option)
    {
        if (value < min || value > max)
        {
            Throw(option, value, string.Create(CultureInfo.InvariantCulture, $"must be between {min} and {max}"));
        }
    }

    private static void Throw(string option, double value, string rule)
        => throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{option} {rule}; got {value}."), option);
}
