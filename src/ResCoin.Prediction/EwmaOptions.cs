using ResCoin.Prediction.Internal;

namespace ResCoin.Prediction;

/// <summary>
/// Smoothing factors of <see cref="EwmaPredictor"/>, one per resource family. Defaults are the 2014 prototype's:
/// CPU 0.7, everything else 0.8. Each must be greater than 0 and at most 1 (1 = last value).
/// </summary>
public sealed class EwmaOptions
{
    /// <summary>The prototype's CPU smoothing factor.</summary>
    public const double DefaultCpuAlpha = 0.7;

    /// <summary>The prototype's smoothing factor for memory, disk and network.</summary>
    public const double DefaultAlpha = 0.8;

    /// <summary>Weight of the newest CPU observation.</summary>
    public double CpuAlpha { get; set; } = DefaultCpuAlpha;

    /// <summary>Weight of the newest memory observation.</summary>
    public double MemoryAlpha { get; set; } = DefaultAlpha;

    /// <summary>Weight of the newest disk read and disk write observation.</summary>
    public double DiskAlpha { get; set; } = DefaultAlpha;

    /// <summary>Weight of the newest network receive and transmit observation.</summary>
    public double NetworkAlpha { get; set; } = DefaultAlpha;

    /// <summary>The smoothing factor that applies to <paramref name="resource"/>.</summary>
    /// <param name="resource">The resource.</param>
    /// <returns>The factor.</returns>
    public double GetAlpha(ResourceKind resource) => resource switch
    {
        ResourceKind.Cpu => CpuAlpha,
        ResourceKind.Memory => MemoryAlpha,
        ResourceKind.DiskRead or ResourceKind.DiskWrite => DiskAlpha,
        ResourceKind.NetRx or ResourceKind.NetTx => NetworkAlpha,
        _ => throw new ArgumentOutOfRangeException(nameof(resource), resource, "Unknown resource kind."),
    };

    /// <summary>Throws when a value is out of range.</summary>
    /// <exception cref="ArgumentException">The message names the option and its bad value.</exception>
    public void Validate()
    {
        OptionCheck.Fraction(CpuAlpha, "EwmaOptions.CpuAlpha");
        OptionCheck.Fraction(MemoryAlpha, "EwmaOptions.MemoryAlpha");
        OptionCheck.Fraction(DiskAlpha, "EwmaOptions.DiskAlpha");
        OptionCheck.Fraction(NetworkAlpha, "EwmaOptions.NetworkAlpha");
    }

    internal ResourceVector ToVector()
    {
        ResourceVector v = default;
        foreach (ResourceKind k in ResourceKinds.All)
        {
            v[k] = GetAlpha(k);
        }

        return v;
    }
}
