namespace ResCoin.Simulation;

/// <summary>
/// One simulated VM: its name, its provisioned size and its demand per resource for every period
/// (cores, bytes, bytes/s). Immutable once built; every policy replays the same instance.
/// </summary>
public sealed class VmWorkload
{
    private readonly double[][] _demand;
    private readonly double[] _rawCpuMhz;

    /// <summary>Creates a workload.</summary>
    /// <param name="name">The VM's name (its identity in the simulation).</param>
    /// <param name="size">The provisioned size (cores, memory bytes, …); NaN where unknown. Used to derive templates.</param>
    /// <param name="demand">One series per <see cref="ResourceKind"/> (index = kind), all of the same length, finite and non-negative. Copied.</param>
    /// <param name="rawCpuMhz">Optional: the source trace's CPU usage in MHz, one value per trace row in file order (used to score predictors on the raw series). Copied.</param>
    /// <exception cref="ArgumentException">The name is empty, a series is missing, of another length, negative or not finite.</exception>
    public VmWorkload(string name, ResourceVector size, IReadOnlyList<double[]> demand, IReadOnlyList<double>? rawCpuMhz = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(demand);
        if (demand.Count != ResourceKinds.Count)
        {
            throw new ArgumentException($"VM '{name}': expected {ResourceKinds.Count} demand series (one per resource), got {demand.Count}.", nameof(demand));
        }

        int length = demand[0]?.Length ?? 0;
        _demand = new double[ResourceKinds.Count][];
        for (int r = 0; r < ResourceKinds.Count; r++)
        {
            double[] series = demand[r] ?? throw new ArgumentException($"VM '{name}': the {ResourceKinds.Name((ResourceKind)r)} series is missing.", nameof(demand));
            if (series.Length != length)
            {
                throw new ArgumentException($"VM '{name}': the {ResourceKinds.Name((ResourceKind)r)} series has {series.Length} periods, expected {length}.", nameof(demand));
            }

            for (int t = 0; t < series.Length; t++)
            {
                if (!double.IsFinite(series[t]) || series[t] < 0)
                {
                    throw new ArgumentException($"VM '{name}': {ResourceKinds.Name((ResourceKind)r)} demand at period {t} is {series[t]}; it must be finite and non-negative.", nameof(demand));
                }
            }

            _demand[r] = (double[])series.Clone();
        }

        Name = name;
        Size = size;
        _rawCpuMhz = rawCpuMhz is null ? [] : [.. rawCpuMhz];
    }

    private VmWorkload(string name, ResourceVector size, double[][] demand, double[] rawCpuMhz)
    {
        Name = name;
        Size = size;
        _demand = demand;
        _rawCpuMhz = rawCpuMhz;
    }

    /// <summary>The VM's name.</summary>
    public string Name { get; }

    /// <summary>
    /// The group the VM belongs to (a scenario file's group, a built-in workload kind); metrics are also reported
    /// per group. Empty when the VM belongs to no named group.
    /// </summary>
    public string Group { get; init; } = string.Empty;

    /// <summary>The provisioned size per resource (cores, memory bytes); NaN where the source does not say.</summary>
    public ResourceVector Size { get; }

    /// <summary>The number of periods of demand.</summary>
    public int Length => _demand[0].Length;

    /// <summary>The source trace's CPU usage in MHz, row by row as in the file; empty for synthetic workloads.</summary>
    public ReadOnlySpan<double> RawCpuMhz => _rawCpuMhz;

    /// <summary>The demand series of one resource.</summary>
    /// <param name="kind">The resource.</param>
    /// <returns>One value per period.</returns>
    public ReadOnlySpan<double> GetDemand(ResourceKind kind) => _demand[(int)kind];

    /// <summary>The demand vector of one period.</summary>
    /// <param name="period">The period, 0 to <see cref="Length"/> - 1.</param>
    /// <returns>The demand of every resource.</returns>
    public ResourceVector GetDemand(int period)
    {
        ResourceVector v = default;
        for (int r = 0; r < ResourceKinds.Count; r++)
        {
            v[r] = _demand[r][period];
        }

        return v;
    }

    /// <summary>The same VM limited to its first <paramref name="length"/> periods.</summary>
    /// <param name="length">The number of periods to keep (at most <see cref="Length"/>).</param>
    /// <returns>This instance when nothing is cut, else a shortened copy.</returns>
    public VmWorkload Truncate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length >= Length)
        {
            return this;
        }

        var demand = new double[ResourceKinds.Count][];
        for (int r = 0; r < demand.Length; r++)
        {
            demand[r] = _demand[r].AsSpan(0, length).ToArray();
        }

        return new VmWorkload(Name, Size, demand, _rawCpuMhz) { Group = Group };
    }

    /// <summary>Builds a workload from arrays the caller hands over (no copy, no validation).</summary>
    internal static VmWorkload Wrap(string name, ResourceVector size, double[][] demand, double[] rawCpuMhz, string group = "")
        => new(name, size, demand, rawCpuMhz) { Group = group };
}
