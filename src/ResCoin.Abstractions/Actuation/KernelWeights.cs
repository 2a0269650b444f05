namespace ResCoin.Actuation;

/// <summary>
/// Maps a plan's dimensionless weight (<see cref="AllocationPlan.Weights"/>, 1 = the kernel's default) to the integer
/// weights of Linux and libvirt, clamped to each interface's valid range and rounded to the nearest integer.
/// </summary>
public static class KernelWeights
{
    /// <summary>cgroup v1 <c>cpu.shares</c> and libvirt <c>cpu_shares</c> of weight 1.</summary>
    public const long DefaultCpuShares = 1024;

    /// <summary>cgroup v2 <c>cpu.weight</c> and <c>io.weight</c> of weight 1.</summary>
    public const long DefaultCgroup2Weight = 100;

    /// <summary>cgroup v1 <c>blkio.weight</c> of weight 1.</summary>
    public const long DefaultBlkioWeight = 500;

    /// <summary>cgroup v1 <c>cpu.shares</c> / libvirt <c>cpu_shares</c>: <c>clamp(round(1024 w), 2, 262144)</c>.</summary>
    /// <param name="weight">The weight, greater than zero.</param>
    /// <returns>The shares.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="weight"/> is NaN, infinite or not positive.</exception>
    public static long ToCpuShares(double weight) => Map(weight, DefaultCpuShares, 2, 262_144);

    /// <summary>cgroup v2 <c>cpu.weight</c> or <c>io.weight</c>: <c>clamp(round(100 w), 1, 10000)</c>.</summary>
    /// <param name="weight">The weight, greater than zero.</param>
    /// <returns>The cgroup v2 weight.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="weight"/> is NaN, infinite or not positive.</exception>
    public static long ToCgroup2Weight(double weight) => Map(weight, DefaultCgroup2Weight, 1, 10_000);

    /// <summary>cgroup v1 <c>blkio.weight</c>: <c>clamp(round(500 w), 10, 1000)</c>.</summary>
    /// <param name="weight">The weight, greater than zero.</param>
    /// <returns>The blkio weight.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="weight"/> is NaN, infinite or not positive.</exception>
    public static long ToBlkioWeight(double weight) => Map(weight, DefaultBlkioWeight, 10, 1_000);

    private static long Map(double weight, long unit, long min, long max)
    {
        if (!(weight > 0 && weight <= double.MaxValue))
        {
            throw new ArgumentOutOfRangeException(nameof(weight), weight, "A weight must be finite and greater than zero.");
        }

        double scaled = Math.Round(weight * unit, MidpointRounding.AwayFromZero);
        return scaled <= min ? min : scaled >= max ? max : (long)scaled;
    }
}
