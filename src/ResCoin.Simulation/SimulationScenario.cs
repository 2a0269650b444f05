namespace ResCoin.Simulation;

/// <summary>
/// What every policy is compared on: the VMs' demand, the host's capacity and each VM's template (entitlement),
/// all fixed before the first period so that every policy sees exactly the same inputs.
/// </summary>
public sealed class SimulationScenario
{
    private readonly VmWorkload[] _vms;
    private readonly ResourceVector[] _templates;
    private readonly VmId[] _ids;

    private SimulationScenario(VmWorkload[] vms, int periods, TimeSpan period, ResourceVector capacity, ResourceSet resources, ResourceVector[] templates, DateTimeOffset start)
    {
        _vms = vms;
        Periods = periods;
        Period = period;
        Capacity = capacity;
        Resources = resources;
        _templates = templates;
        Start = start;
        _ids = new VmId[vms.Length];
        for (int i = 0; i < vms.Length; i++)
        {
            _ids[i] = new VmId(vms[i].Name);
        }
    }

    /// <summary>The VMs, in slot order.</summary>
    public IReadOnlyList<VmWorkload> Vms => _vms;

    /// <summary>The VMs' identities (same order as <see cref="Vms"/>).</summary>
    public ReadOnlySpan<VmId> VmIds => _ids;

    /// <summary>The number of periods simulated.</summary>
    public int Periods { get; }

    /// <summary>The control period (simulated time advances by this much per period).</summary>
    public TimeSpan Period { get; }

    /// <summary>The simulated clock's time at the first period.</summary>
    public DateTimeOffset Start { get; }

    /// <summary>The host's capacity per resource (0 for a resource nobody uses).</summary>
    public ResourceVector Capacity { get; }

    /// <summary>The resources that are scheduled: those with positive capacity.</summary>
    public ResourceSet Resources { get; }

    /// <summary>Each VM's template (entitlement), same order as <see cref="Vms"/>; per resource they sum to the capacity.</summary>
    public ReadOnlySpan<ResourceVector> Templates => _templates;

    /// <summary>
    /// Builds a scenario. Capacity per resource = <paramref name="capacityFraction"/> × the sum over VMs of each VM's
    /// 95th-percentile demand. Templates divide that capacity among the VMs in proportion to their provisioned size
    /// (<see cref="VmWorkload.Size"/>) where every VM states one, else in proportion to their 95th-percentile demand,
    /// else equally. A resource with zero capacity is not scheduled.
    /// </summary>
    /// <param name="vms">The VMs (at least one).</param>
    /// <param name="capacityFraction">The capacity fraction, greater than 0.</param>
    /// <param name="period">The control period.</param>
    /// <param name="periods">The number of periods to simulate; null for the shortest VM's length.</param>
    /// <param name="start">The simulated start time; the Unix epoch when null.</param>
    /// <returns>The scenario.</returns>
    /// <exception cref="ArgumentException">No VM, a non-positive fraction or period, or more periods than the shortest VM has.</exception>
    public static SimulationScenario Create(IReadOnlyList<VmWorkload> vms, double capacityFraction, TimeSpan period, int? periods = null, DateTimeOffset? start = null)
    {
        ArgumentNullException.ThrowIfNull(vms);
        if (vms.Count == 0)
        {
            throw new ArgumentException("A scenario needs at least one VM.", nameof(vms));
        }

        if (!(capacityFraction > 0) || !double.IsFinite(capacityFraction))
        {
            throw new ArgumentOutOfRangeException(nameof(capacityFraction), capacityFraction, "The capacity fraction must be a positive number.");
        }

        if (period <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(period), period, "The period must be positive.");
        }

        int shortest = int.MaxValue;
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (VmWorkload vm in vms)
        {
            shortest = Math.Min(shortest, vm.Length);
            if (!names.Add(vm.Name))
            {
                throw new ArgumentException($"Two VMs are named '{vm.Name}'.", nameof(vms));
            }
        }

        int n = periods ?? shortest;
        if (n < 1 || n > shortest)
        {
            throw new ArgumentOutOfRangeException(nameof(periods), periods, $"The number of periods must be between 1 and {shortest} (the shortest VM's length).");
        }

        var arr = new VmWorkload[vms.Count];
        for (int i = 0; i < arr.Length; i++)
        {
            arr[i] = vms[i].Truncate(n);
        }

        var p95 = new ResourceVector[arr.Length];
        var scratch = new double[n];
        for (int i = 0; i < arr.Length; i++)
        {
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                arr[i].GetDemand((ResourceKind)r).CopyTo(scratch);
                p95[i][r] = Percentile(scratch, 0.95);
            }
        }

        ResourceVector capacity = default;
        ResourceSet resources = ResourceSet.None;
        var templates = new ResourceVector[arr.Length];
        for (int r = 0; r < ResourceKinds.Count; r++)
        {
            double sum = 0;
            bool allSized = true;
            double sizeSum = 0;
            for (int i = 0; i < arr.Length; i++)
            {
                sum += p95[i][r];
                double size = arr[i].Size[r];
                allSized &= double.IsFinite(size) && size > 0;
                sizeSum += double.IsFinite(size) ? size : 0;
            }

            double c = capacityFraction * sum;
            capacity[r] = c;
            if (c <= 0)
            {
                continue;
            }

            resources = resources.With((ResourceKind)r);
            for (int i = 0; i < arr.Length; i++)
            {
                double share = allSized && sizeSum > 0 ? arr[i].Size[r] / sizeSum
                    : sum > 0 ? p95[i][r] / sum
                    : 1.0 / arr.Length;
                templates[i][r] = c * share;
            }
        }

        return new SimulationScenario(arr, n, period, capacity, resources, templates, start ?? DateTimeOffset.UnixEpoch);
    }

    /// <summary>The p-quantile of the values (sorts the span in place; linear interpolation).</summary>
    internal static double Percentile(Span<double> values, double p)
    {
        if (values.IsEmpty)
        {
            return 0;
        }

        values.Sort();
        double pos = p * (values.Length - 1);
        int lo = (int)Math.Floor(pos);
        int hi = Math.Min(lo + 1, values.Length - 1);
        return values[lo] + ((values[hi] - values[lo]) * (pos - lo));
    }
}
