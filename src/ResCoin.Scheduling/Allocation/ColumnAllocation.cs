using System.Globalization;

namespace ResCoin.Scheduling.Allocation;

/// <summary>
/// Runs an <see cref="IColumnAllocator"/> behind the row-oriented <see cref="IAllocator.Allocate"/>: checks and
/// transposes the input into columns, allocates each resource, checks its output (<see cref="AllocatorGuard"/>) and
/// transposes the caps and weights back.
/// </summary>
internal sealed class ColumnBuffers
{
    private readonly double[][] _tc = new double[ResourceKinds.Count][];
    private readonly double[][] _est = new double[ResourceKinds.Count][];
    private readonly double[][] _ac = new double[ResourceKinds.Count][];
    private readonly double[][] _lim = new double[ResourceKinds.Count][];
    private readonly double[][] _use = new double[ResourceKinds.Count][];
    private readonly double[][] _psi = new double[ResourceKinds.Count][];
    private readonly double[][] _prev = new double[ResourceKinds.Count][];
    private readonly double[][] _caps = new double[ResourceKinds.Count][];
    private readonly double[][] _weights = new double[ResourceKinds.Count][];
    private int _size;

    public ColumnBuffers()
    {
        for (int r = 0; r < ResourceKinds.Count; r++)
        {
            _tc[r] = _est[r] = _ac[r] = _lim[r] = _use[r] = _psi[r] = _prev[r] = _caps[r] = _weights[r] = [];
        }
    }

    public void Allocate<T>(T allocator, scoped in AllocationInput input, scoped in AllocationOutput output)
        where T : IColumnAllocator
    {
        AllocatorGuard.CheckShape(input, output.Count);
        int n = input.Count;
        Ensure(n);
        int set = (int)input.Resources & (int)ResourceSet.All;
        ResourceVector capacity = input.Capacity;
        for (int r = 0; r < ResourceKinds.Count; r++)
        {
            if ((set & (1 << r)) != 0)
            {
                AllocatorGuard.CheckCapacity(capacity[r], (ResourceKind)r);
            }
        }

        // Vectorized transposes, then the checks (in order, to name the first bad value) only if one of them failed.
        if (!Transpose.ToColumns(input.Templates, Transpose.Of(_tc), Transpose.Check.NonNegative)
            | !Transpose.ToColumns(input.Estimates, Transpose.Of(_est), Transpose.Check.NonNegative)
            | !Transpose.ToColumns(input.Credits, Transpose.Of(_ac), Transpose.Check.Finite))
        {
            Check(input, set);
        }

        Optional(input.Limits, _lim, n, input, "limit");
        Optional(input.Usage, _use, n, input, "usage");
        Optional(input.Pressure, _psi, n, input, "pressure");
        Optional(input.PreviousCaps, _prev, n, input, "previous cap");
        if (n == 0)
        {
            return;
        }

        for (int r = 0; r < ResourceKinds.Count; r++)
        {
            if ((set & (1 << r)) == 0)
            {
                continue;
            }

            var column = new ColumnAllocationInput((ResourceKind)r, capacity[r], _tc[r].AsSpan(0, n), _est[r].AsSpan(0, n), _ac[r].AsSpan(0, n))
            {
                Weighted = input.WeightedResources.Contains((ResourceKind)r),
                Vms = input.Vms,
                Limits = _lim[r].AsSpan(0, n),
                Usage = _use[r].AsSpan(0, n),
                Pressure = _psi[r].AsSpan(0, n),
                PreviousCaps = _prev[r].AsSpan(0, n),
            };
            allocator.AllocateColumn(column, _caps[r].AsSpan(0, n), _weights[r].AsSpan(0, n));
            AllocatorGuard.CheckOutput(allocator, (ResourceKind)r, input.Vms, _caps[r].AsSpan(0, n), _weights[r].AsSpan(0, n));
        }

        if (set == (int)ResourceSet.All)
        {
            Transpose.ToRows(Transpose.Of(_caps), output.Caps[..n]);
            Transpose.ToRows(Transpose.Of(_weights), output.Weights[..n]);
            return;
        }

        for (int i = 0; i < n; i++)
        {
            ref ResourceVector c = ref output.Caps[i];
            ref ResourceVector w = ref output.Weights[i];
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                if ((set & (1 << r)) != 0)
                {
                    c[r] = _caps[r][i];
                    w[r] = _weights[r][i];
                }
            }
        }
    }

    /// <summary>
    /// Transposes an optional input (empty: NaN for every VM). Values must be NaN or at least 0; +∞ (an unbounded limit)
    /// becomes NaN and pressure is clamped to 1.
    /// </summary>
    private static void Optional(ReadOnlySpan<ResourceVector> rows, double[][] columns, int n, scoped in AllocationInput input, string what)
    {
        if (rows.IsEmpty)
        {
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                columns[r].AsSpan(0, n).Fill(double.NaN);
            }

            return;
        }

        if (rows.Length != n)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"The {what} span has {rows.Length} entries for {n} VMs; it must be empty or have one per VM."),
                nameof(input));
        }

        if (Transpose.ToColumns(rows, Transpose.Of(columns), Transpose.Check.NonNegativeOrNaN) && what != "pressure")
        {
            return;
        }

        for (int i = 0; i < n; i++)
        {
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                double v = rows[i][r];
                if (double.IsPositiveInfinity(v))
                {
                    v = double.NaN;
                }
                else if (v < 0 || double.IsNegativeInfinity(v))
                {
                    throw new ArgumentException(
                        string.Create(CultureInfo.InvariantCulture, $"The {what} of VM '{input.NameOf(i)}' for {ResourceKinds.Name((ResourceKind)r)} is {v.ToString("R", CultureInfo.InvariantCulture)}; it must be NaN (unknown) or >= 0."),
                        nameof(input));
                }
                else if (what == "pressure" && v > 1)
                {
                    v = 1;
                }

                columns[r][i] = v;
            }
        }
    }

    private static void Check(scoped in AllocationInput input, int set)
    {
        for (int i = 0; i < input.Count; i++)
        {
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                if ((set & (1 << r)) != 0
                    && !(AllocatorGuard.IsNonNegativeFinite(input.Templates[i][r]) && AllocatorGuard.IsNonNegativeFinite(input.Estimates[i][r]) && double.IsFinite(input.Credits[i][r])))
                {
                    AllocatorGuard.ThrowInvalid(input, i, (ResourceKind)r);
                }
            }
        }
    }

    private void Ensure(int n)
    {
        if (n <= _size)
        {
            return;
        }

        int size = Math.Max(n, _size * 2);
        foreach (double[][] a in (double[][][])[_tc, _est, _ac, _lim, _use, _psi, _prev, _caps, _weights])
        {
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                a[r] = new double[size];
            }
        }

        _size = size;
    }
}

/// <summary>Small column helpers the allocators share.</summary>
internal static class ColumnMath
{
    /// <summary>Scales <paramref name="result"/> down so it sums to at most <paramref name="capacity"/>.</summary>
    public static void ClampToCapacity(double capacity, double total, Span<double> result)
    {
        if (total > capacity && total > 0)
        {
            double scale = capacity / total;
            for (int i = 0; i < result.Length; i++)
            {
                result[i] *= scale;
            }
        }
    }

    /// <summary>Lowers each cap to the VM's limit where the limit is known (NaN limits and NaN caps stay).</summary>
    public static void ClampToLimits(ReadOnlySpan<double> limits, Span<double> caps)
    {
        for (int i = 0; i < caps.Length; i++)
        {
            double l = limits[i];
            if (l < caps[i])
            {
                caps[i] = l;
            }
        }
    }

    /// <summary>
    /// What a VM went without last period, as the loose cap rules read it (<c>docs/design.md</c>, "Demand discovery"):
    /// capped below its limit and using at least <paramref name="cappedFraction"/> of the cap, everything up to its limit;
    /// else, with pressure above <paramref name="unservedPressure"/>, the unserved share of its demand
    /// (<c>u·p/(1−p)</c>, at most up to its limit); else nothing. Never negative.
    /// </summary>
    public static double Unserved(double usage, double previousCap, double limit, double pressure, double cappedFraction, double unservedPressure)
    {
        double want = 0;
        if (previousCap > 0 && previousCap < limit && usage >= previousCap * cappedFraction)
        {
            want = limit - usage; // capped and wanting more: claims up to its limit at once
        }
        else if (pressure > unservedPressure)
        {
            want = pressure < 1 ? Math.Min(usage * pressure / (1 - pressure), limit - usage) : limit - usage;
        }

        return Math.Max(want, 0);
    }

    /// <summary>A cap lowered to the VM's limit (when known) and to the capacity.</summary>
    public static double ClampCap(double cap, double limit, double capacity) => Math.Min(limit < cap ? limit : cap, capacity);

    /// <summary>
    /// Template-proportional weights: a VM whose template is an equal split of the capacity gets 1 (the kernel's
    /// default weight); a zero template gets <see cref="MinimumWeight"/>.
    /// </summary>
    public static double TemplateWeight(double template, double equalShare)
        => equalShare > 0 ? Math.Max(template / equalShare, MinimumWeight) : 1;

    /// <summary>The smallest weight handed out (a VM without a template still runs when nobody else wants the CPU).</summary>
    public const double MinimumWeight = 0.01;
}
