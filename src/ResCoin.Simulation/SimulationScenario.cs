namespace ResCoin.Simulation;

/// <summary>
/// What every policy is compared on: the VMs' demand, the host's capacity and each VM's template (entitlement),
/// all fixed before the first period so that every policy sees exactly the same inputs.
/// </summary>
public sealed class SimulationScenario
{
    /// <summary>The name of a VM's group when its workload names none.</summary>
    public const string DefaultGroup = "all";

    private readonly VmWorkload[] _vms;
    private readonly ResourceVector[] _templates;
    private readonly ResourceVector[] _limits;
    private readonly VmId[] _ids;
    private readonly int[] _groupOf;
    private readonly string[] _groups;

    private SimulationScenario(VmWorkload[] vms, int periods, TimeSpan period, ResourceVector capacity, ResourceSet resources, ResourceVector[] templates, ResourceVector[] limits, DateTimeOffset start, string name)
    {
        _vms = vms;
        Periods = periods;
        Period = period;
        Capacity = capacity;
        Resources = resources;
        _templates = templates;
        _limits = limits;
        Start = start;
        Name = name;
        _ids = new VmId[vms.Length];
        _groupOf = new int[vms.Length];
        var groups = new List<string>();
        for (int i = 0; i < vms.Length; i++)
        {
            _ids[i] = new VmId(vms[i].Name);
            string group = vms[i].Group.Length > 0 ? vms[i].Group : DefaultGroup;
            int g = groups.IndexOf(group);
            if (g < 0)
            {
                g = groups.Count;
                groups.Add(group);
            }

            _groupOf[i] = g;
        }

        _groups = [.. groups];
    }

    /// <summary>The scenario's name (a scenario file's name, <c>built-in</c> or <c>trace</c>).</summary>
    public string Name { get; }

    /// <summary>The VM groups, in order of first appearance (<see cref="VmWorkload.Group"/>; <see cref="DefaultGroup"/> for VMs without one).</summary>
    public IReadOnlyList<string> Groups => _groups;

    /// <summary>Each VM's index in <see cref="Groups"/> (same order as <see cref="Vms"/>).</summary>
    public ReadOnlySpan<int> GroupOf => _groupOf;

    /// <summary>
    /// Each VM's own limit per resource (same order as <see cref="Vms"/>): vCPUs, maximum memory; NaN where it has
    /// none. The simulated host reports it as <see cref="VmSample.Limit"/>; demand never exceeds it.
    /// </summary>
    public ReadOnlySpan<ResourceVector> Limits => _limits;

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

    /// <summary>Each VM's template (entitlement), same order as <see cref="Vms"/>; per resource they add up to at most the capacity.</summary>
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
    /// <param name="name">The scenario's name (<see cref="Name"/>); <c>vms</c> when null.</param>
    /// <returns>The scenario.</returns>
    /// <exception cref="ArgumentException">No VM, a non-positive fraction or period, or more periods than the shortest VM has.</exception>
    public static SimulationScenario Create(IReadOnlyList<VmWorkload> vms, double capacityFraction, TimeSpan period, int? periods = null, DateTimeOffset? start = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(vms);
        if (!(capacityFraction > 0) || !double.IsFinite(capacityFraction))
        {
            throw new ArgumentOutOfRangeException(nameof(capacityFraction), capacityFraction, "The capacity fraction must be a positive number.");
        }

        VmWorkload[] arr = Prepare(vms, period, periods, out int n);
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

        var limits = new ResourceVector[arr.Length];
        limits.AsSpan().Fill(ResourceVector.Fill(double.NaN));
        return new SimulationScenario(arr, n, period, capacity, resources, templates, limits, start ?? DateTimeOffset.UnixEpoch, name ?? "vms");
    }

    /// <summary>
    /// Builds a scenario with an explicit capacity, templates and limits (what a scenario file describes). A resource
    /// is scheduled when its capacity is positive.
    /// </summary>
    /// <param name="vms">The VMs (at least one).</param>
    /// <param name="capacity">The host's capacity per resource (0: not scheduled).</param>
    /// <param name="templates">Each VM's template (same order as <paramref name="vms"/>); per scheduled resource they must not add up to more than the capacity.</param>
    /// <param name="limits">Each VM's own limit (NaN: none); null for none at all.</param>
    /// <param name="period">The control period.</param>
    /// <param name="periods">The number of periods; null for the shortest VM's length.</param>
    /// <param name="start">The simulated start time; the Unix epoch when null.</param>
    /// <param name="name">The scenario's name.</param>
    /// <returns>The scenario.</returns>
    /// <exception cref="ArgumentException">No VM, counts that differ, a negative or non-finite capacity or template, templates above the capacity, a non-positive limit or period, or too many periods.</exception>
    public static SimulationScenario FromTemplates(IReadOnlyList<VmWorkload> vms, ResourceVector capacity, IReadOnlyList<ResourceVector> templates, IReadOnlyList<ResourceVector>? limits, TimeSpan period, int? periods = null, DateTimeOffset? start = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(vms);
        ArgumentNullException.ThrowIfNull(templates);
        VmWorkload[] arr = Prepare(vms, period, periods, out int n);
        if (templates.Count != arr.Length || (limits is not null && limits.Count != arr.Length))
        {
            throw new ArgumentException($"{arr.Length} VMs need {arr.Length} templates and limits.", nameof(templates));
        }

        ResourceSet resources = ResourceSet.None;
        var t = new ResourceVector[arr.Length];
        var l = new ResourceVector[arr.Length];
        for (int r = 0; r < ResourceKinds.Count; r++)
        {
            double c = capacity[r];
            if (!double.IsFinite(c) || c < 0)
            {
                throw new ArgumentException($"The {ResourceKinds.Name((ResourceKind)r)} capacity is {c}; it must be finite and non-negative.", nameof(capacity));
            }

            if (c > 0)
            {
                resources = resources.With((ResourceKind)r);
            }

            double sum = 0;
            for (int i = 0; i < arr.Length; i++)
            {
                double tc = templates[i][r];
                double lim = limits is null ? double.NaN : limits[i][r];
                if (!double.IsFinite(tc) || tc < 0)
                {
                    throw new ArgumentException($"VM '{arr[i].Name}': the {ResourceKinds.Name((ResourceKind)r)} template is {tc}; it must be finite and non-negative.", nameof(templates));
                }

                if (!double.IsNaN(lim) && !(lim > 0 && double.IsFinite(lim)))
                {
                    throw new ArgumentException($"VM '{arr[i].Name}': the {ResourceKinds.Name((ResourceKind)r)} limit is {lim}; it must be positive (or NaN for none).", nameof(limits));
                }

                sum += tc;
                t[i][r] = c > 0 ? tc : 0;
                l[i][r] = lim;
            }

            if (c > 0 && sum > c * (1 + 1e-9))
            {
                throw new ArgumentException($"The {ResourceKinds.Name((ResourceKind)r)} templates add up to {sum}, more than the capacity {c}.", nameof(templates));
            }
        }

        return new SimulationScenario(arr, n, period, capacity, resources, t, l, start ?? DateTimeOffset.UnixEpoch, name ?? "scenario");
    }

    private static VmWorkload[] Prepare(IReadOnlyList<VmWorkload> vms, TimeSpan period, int? periods, out int n)
    {
        if (vms.Count == 0)
        {
            throw new ArgumentException("A scenario needs at least one VM.", nameof(vms));
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

        n = periods ?? shortest;
        if (n < 1 || n > shortest)
        {
            throw new ArgumentOutOfRangeException(nameof(periods), periods, $"The number of periods must be between 1 and {shortest} (the shortest VM's length).");
        }

        var arr = new VmWorkload[vms.Count];
        for (int i = 0; i < arr.Length; i++)
        {
            arr[i] = vms[i].Truncate(n);
        }

        return arr;
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
