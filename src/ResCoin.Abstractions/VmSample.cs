namespace ResCoin;

/// <summary>What a monitor measured of one VM over the last period.</summary>
/// <remarks>
/// Values a monitor could not measure are <see cref="double.NaN"/>; the controller treats a NaN usage as
/// "not measured" (it keeps the previous estimate and does not update credit for that resource).
/// </remarks>
#pragma warning disable CA1051 // Fields on purpose: monitors fill samples in place through ref (sample.Usage.Cpu = x).
public struct VmSample
{
    /// <summary>The VM.</summary>
    public VmId Id;

    /// <summary>Measured usage over the period (cores, bytes, bytes/s). NaN where not measured.</summary>
    public ResourceVector Usage;

    /// <summary>
    /// The VM's own upper bound per resource, where known (vCPU count, maximum memory); NaN or
    /// <see cref="double.PositiveInfinity"/> where unbounded or unknown. Allocators never need to give more.
    /// </summary>
    public ResourceVector Limit;

    /// <summary>
    /// Pressure signals (share of the period some task stalled, 0 to 1) where the platform reports them
    /// (Linux PSI): <see cref="ResourceKind.Cpu"/>, <see cref="ResourceKind.Memory"/> and, for I/O,
    /// <see cref="ResourceKind.DiskRead"/>. NaN where not reported.
    /// </summary>
    public ResourceVector Pressure;

    /// <summary>Creates a sample with every measured value NaN.</summary>
    /// <param name="id">The VM.</param>
    /// <returns>The sample.</returns>
    public static VmSample Unmeasured(VmId id) => new()
    {
        Id = id,
        Usage = ResourceVector.Fill(double.NaN),
        Limit = ResourceVector.Fill(double.NaN),
        Pressure = ResourceVector.Fill(double.NaN),
    };
}
#pragma warning restore CA1051
