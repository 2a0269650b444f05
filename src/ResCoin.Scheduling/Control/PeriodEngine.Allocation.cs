using ResCoin.Scheduling.Allocation;

namespace ResCoin.Scheduling.Control;

/// <summary>
/// The period engine's allocation stage: the column fast path for an <see cref="IColumnAllocator"/> (built in or the
/// user's), rows for any other <see cref="IAllocator"/>, the same output check for both
/// (<see cref="AllocatorGuard"/>), and the transposes of the results back into the caller's rows.
/// </summary>
internal sealed partial class PeriodEngine
{
    /// <summary>One resource through the column allocator; checks its caps and weights and keeps the caps as next period's previous caps.</summary>
    private void AllocateColumn(ResourceKind kind, double capacity, int n, bool identity, ReadOnlySpan<int> slots, ReadOnlySpan<VmId> vms, double[] previous, double[] usageByVm)
    {
        int r = (int)kind;
        Span<double> allocation = _allocations[r].AsSpan(0, n);
        Span<double> weights = _weights[r].AsSpan(0, n);
        var column = new ColumnAllocationInput(kind, capacity, _templates[r].AsSpan(0, n), _estimateSource[r].AsSpan(0, n), _credits[r].AsSpan(0, n))
        {
            Weighted = _weighted.Contains(kind),
            Vms = vms,
            Limits = _limits[r].AsSpan(0, n),
            Usage = usageByVm.AsSpan(0, n),
            Pressure = _pressure[r].AsSpan(0, n),
            PreviousCaps = previous.AsSpan(0, n),
        };
        _columnAllocator!.AllocateColumn(column, allocation, weights);
        AllocatorGuard.CheckOutput(_allocator, kind, vms, allocation, weights);
        if (identity)
        {
            allocation.CopyTo(_lastAllocation[r]);
            return;
        }

        double[] last = _lastAllocation[r];
        for (int i = 0; i < n; i++)
        {
            last[slots[i]] = allocation[i];
        }
    }

    /// <summary>Any other allocator: rows in, rows out, with the same inputs and the same output check.</summary>
    private void AllocateRows(
        ResourceVector capacity,
        ResourceSet resources,
        int set,
        ReadOnlySpan<int> slots,
        ReadOnlySpan<VmId> vms,
        ReadOnlySpan<ResourceVector> templates,
        ReadOnlySpan<ResourceVector> usage,
        ReadOnlySpan<ResourceVector> limits,
        ReadOnlySpan<ResourceVector> pressure,
        Span<ResourceVector> estimates,
        Span<ResourceVector> credits,
        Span<ResourceVector> caps,
        Span<ResourceVector> weights)
    {
        int n = slots.Length;
        Span<ResourceVector> previousRows = _previousRows.AsSpan(0, n);
        for (int i = 0; i < n; i++)
        {
            int slot = slots[i];
            ref ResourceVector p = ref previousRows[i];
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                p[r] = _lastAllocation[r][slot];
            }
        }

        Span<ResourceVector> weightRows = weights.IsEmpty ? SpareWeights(n) : weights;
        var input = new AllocationInput(capacity, resources, vms, templates, estimates, credits)
        {
            Limits = limits,
            Usage = usage,
            Pressure = pressure,
            PreviousCaps = previousRows,
            WeightedResources = _weighted,
        };
        _allocator.Allocate(input, new AllocationOutput(caps, weightRows));
        AllocatorGuard.CheckOutput(_allocator, (ResourceSet)set, vms, caps, weightRows);
        for (int i = 0; i < n; i++)
        {
            int slot = slots[i];
            ref readonly ResourceVector av = ref caps[i];
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                if ((set & (1 << r)) != 0)
                {
                    _lastAllocation[r][slot] = av[r];
                }
            }
        }
    }

    private Span<ResourceVector> SpareWeights(int n)
    {
        if (_spareWeights.Length < n)
        {
            _spareWeights = new ResourceVector[Math.Max(n, _spareWeights.Length * 2)];
        }

        return _spareWeights.AsSpan(0, n);
    }

    /// <summary>Copies the per-resource estimates, credits and (column allocator) allocations into the caller's vectors; NaN for resources not scheduled.</summary>
    private void WriteBack(int set, int n, Span<ResourceVector> estimates, Span<ResourceVector> credits, Span<ResourceVector> caps, Span<ResourceVector> weights)
    {
        bool columns = _columnAllocator is not null;
        if (set == (int)ResourceSet.All && columns)
        {
            Transpose.ToRows(Transpose.Of(_estimateSource), estimates[..n]);
            Transpose.ToRows(Transpose.Of(_credits), credits[..n]);
            Transpose.ToRows(Transpose.Of(_allocations), caps[..n]);
            if (!weights.IsEmpty)
            {
                Transpose.ToRows(Transpose.Of(_weights), weights[..n]);
            }

            return;
        }

        for (int i = 0; i < n; i++)
        {
            ref ResourceVector ev = ref estimates[i];
            ref ResourceVector cv = ref credits[i];
            ref ResourceVector av = ref caps[i];
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                if ((set & (1 << r)) != 0)
                {
                    ev[r] = _estimateSource[r][i];
                    cv[r] = _credits[r][i];
                    if (columns)
                    {
                        av[r] = _allocations[r][i];
                        if (!weights.IsEmpty)
                        {
                            weights[i][r] = _weights[r][i];
                        }
                    }
                }
                else
                {
                    ev[r] = double.NaN;
                    cv[r] = double.NaN;
                    av[r] = double.NaN;
                    if (!weights.IsEmpty)
                    {
                        weights[i][r] = double.NaN;
                    }
                }
            }
        }
    }
}
