using ResCoin.Prediction.Internal;

namespace ResCoin.Prediction;

/// <summary>Tunables of <see cref="PercentilePredictor"/> (the same for every resource).</summary>
public sealed class PercentileOptions
{
    /// <summary>Default <see cref="Percentile"/>: the 90th.</summary>
    public const double DefaultPercentile = 0.9;

    /// <summary>Default <see cref="Margin"/>.</summary>
    public const double DefaultMargin = 1.15;

    /// <summary>Default <see cref="HalfLife"/>, in periods.</summary>
    public const double DefaultHalfLife = 12;

    /// <summary>Default <see cref="BucketCount"/>.</summary>
    public const int DefaultBucketCount = 64;

    /// <summary>Default <see cref="BucketGrowth"/>.</summary>
    public const double DefaultBucketGrowth = 1.08;

    /// <summary>The quantile of the decayed history to predict, greater than 0 and less than 1.</summary>
    public double Percentile { get; set; } = DefaultPercentile;

    /// <summary>Safety factor the quantile is multiplied by, at least 1.</summary>
    public double Margin { get; set; } = DefaultMargin;

    /// <summary>Periods after which a sample counts half as much as a new one; greater than 0.</summary>
    public double HalfLife { get; set; } = DefaultHalfLife;

    /// <summary>
    /// Histogram buckets per slot and resource (8 to 1024). With <see cref="BucketGrowth"/> they cover the range
    /// <c>BucketGrowth^BucketCount</c> below each slot's largest value at full resolution (64 × 1.08: a factor of ~137);
    /// smaller values share the lowest bucket, exact zeros are counted apart. Memory: 8 × (count + 4) bytes per slot and resource.
    /// </summary>
    public int BucketCount { get; set; } = DefaultBucketCount;

    /// <summary>Ratio between the edges of consecutive buckets, greater than 1 and at most 2 (the resolution).</summary>
    public double BucketGrowth { get; set; } = DefaultBucketGrowth;

    /// <summary>Throws when a value is out of range.</summary>
    /// <exception cref="ArgumentException">The message names the option and its bad value.</exception>
    public void Validate()
    {
        OptionCheck.OpenFraction(Percentile, "PercentileOptions.Percentile");
        OptionCheck.AtLeast(Margin, 1, "PercentileOptions.Margin");
        OptionCheck.GreaterThan(HalfLife, 0, "PercentileOptions.HalfLife");
        OptionCheck.InRange(BucketCount, 8, 1024, "PercentileOptions.BucketCount");
        OptionCheck.Between(BucketGrowth, 1, 2, "PercentileOptions.BucketGrowth");
    }

    internal SlotModel CreateModel() => new PercentileModel(Percentile, Margin, HalfLife, BucketCount, BucketGrowth);
}
