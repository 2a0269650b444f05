namespace ResCoin.Scheduling.Allocation;

/// <summary>
/// An allocator that works one resource at a time on contiguous columns (structure of arrays). The control loop's
/// period engine already holds its data that way and calls <see cref="AllocateColumn"/> directly, skipping the
/// transposes of <see cref="IAllocator.Allocate"/>.
/// </summary>
internal interface IColumnAllocator
{
    /// <summary>
    /// Allocates one resource. The caller has checked every input: <paramref name="capacity"/> finite and at least 0,
    /// templates and estimates finite and at least 0, credits finite, all spans of one length.
    /// </summary>
    void AllocateColumn(ResourceKind resource, double capacity, ReadOnlySpan<double> templates, ReadOnlySpan<double> estimates, ReadOnlySpan<double> credits, Span<double> result);
}

/// <summary>
/// The <see cref="IAllocator.Allocate"/> side of a column allocator: checks the input (errors name the VM and
/// resource), transposes the scheduled resources into per-resource columns in one sequential pass, runs the column
/// allocator per resource and transposes the results back. Allocation-free once grown. Not thread-safe.
/// </summary>
internal sealed class ColumnBuffers
{
    private readonly double[][] _tc = new double[ResourceKinds.Count][];
    private readonly double[][] _est = new double[ResourceKinds.Count][];
    private readonly double[][] _ac = new double[ResourceKinds.Count][];
    private readonly double[][] _out = new double[ResourceKinds.Count][];
    private int _size;

    public ColumnBuffers()
    {
        for (int r = 0; r < ResourceKinds.Count; r++)
        {
            _tc[r] = _est[r] = _ac[r] = _out[r] = [];
        }
    }

    public void Allocate<T>(T allocator, scoped in AllocationInput input, Span<ResourceVector> allocations)
        where T : IColumnAllocator
    {
        AllocatorGuard.CheckShape(input, allocations.Length);
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

        if (set == (int)ResourceSet.All)
        {
            // Every resource: vectorized transposes, then the checks (in order, to name the first bad value) only if
            // one of them failed.
            if (!Transpose.ToColumns(input.Templates, Transpose.Of(_tc), Transpose.Check.NonNegative)
                | !Transpose.ToColumns(input.Estimates, Transpose.Of(_est), Transpose.Check.NonNegative)
                | !Transpose.ToColumns(input.Credits, Transpose.Of(_ac), Transpose.Check.Finite))
            {
                Check(input, set);
            }
        }
        else
        {
            TransposeSome(input, set);
        }

        if (n == 0)
        {
            return;
        }

        for (int r = 0; r < ResourceKinds.Count; r++)
        {
            if ((set & (1 << r)) != 0)
            {
                allocator.AllocateColumn((ResourceKind)r, capacity[r], _tc[r].AsSpan(0, n), _est[r].AsSpan(0, n), _ac[r].AsSpan(0, n), _out[r].AsSpan(0, n));
            }
        }

        if (set == (int)ResourceSet.All)
        {
            Transpose.ToRows(Transpose.Of(_out), allocations[..n]);
            return;
        }

        for (int i = 0; i < n; i++)
        {
            ref ResourceVector a = ref allocations[i];
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                if ((set & (1 << r)) != 0)
                {
                    a[r] = _out[r][i];
                }
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

    /// <summary>
    /// One sequential pass over the inputs for some of the resources (reading one element per 48-byte vector,
    /// resource by resource, would stream them from memory six times over).
    /// </summary>
    private void TransposeSome(scoped in AllocationInput input, int set)
    {
        int n = input.Count;
        ReadOnlySpan<ResourceVector> templates = input.Templates;
        ReadOnlySpan<ResourceVector> estimates = input.Estimates;
        ReadOnlySpan<ResourceVector> credits = input.Credits;
        for (int i = 0; i < n; i++)
        {
            ref readonly ResourceVector t = ref templates[i];
            ref readonly ResourceVector e = ref estimates[i];
            ref readonly ResourceVector a = ref credits[i];
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                if ((set & (1 << r)) == 0)
                {
                    continue;
                }

                double tc = t[r];
                double est = e[r];
                double ac = a[r];
                if (!(AllocatorGuard.IsNonNegativeFinite(tc) && AllocatorGuard.IsNonNegativeFinite(est) && double.IsFinite(ac)))
                {
                    AllocatorGuard.ThrowInvalid(input, i, (ResourceKind)r);
                }

                _tc[r][i] = tc;
                _est[r][i] = est;
                _ac[r][i] = ac;
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
        for (int r = 0; r < ResourceKinds.Count; r++)
        {
            _tc[r] = new double[size];
            _est[r] = new double[size];
            _ac[r] = new double[size];
            _out[r] = new double[size];
        }

        _size = size;
    }
}

/// <summary>Small helpers shared by the column allocators.</summary>
internal static class ColumnMath
{
    /// <summary>Guards against rounding: if the allocations add up to more than the capacity, scales them down.</summary>
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
}
