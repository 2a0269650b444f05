using ResCoin.Scheduling.Allocation;

namespace ResCoin.Scheduling;

/// <summary>
/// The dominant-resource-fairness baseline (policy name <c>drf</c>, Ghodsi et al., NSDI 2011) across every scheduled
/// resource at once. Each VM's demand is its estimate vector, treated as divisible: progressive filling raises every
/// VM's dominant share (its largest demand/capacity ratio) at the same rate, each VM receiving a fraction of its
/// demand vector, until its demand is met or a resource it uses runs out; then it stops and the others go on.
/// </summary>
/// <remarks>
/// DRF is not work-conserving across resources: capacity of a resource that no unfrozen VM can use stays unallocated
/// (in the classic example, capacity ⟨9 CPU, 18 GB⟩ with per-task demands A ⟨1, 4⟩ and B ⟨3, 1⟩ gives A ⟨3, 12⟩ and
/// B ⟨6, 2⟩, leaving 4 GB free). A VM demanding a resource whose capacity is zero gets nothing. Templates and credits
/// are validated but not used. O(n log n + n·R), no allocation once warmed up; an instance is not thread-safe.
/// </remarks>
public sealed class DrfAllocator : IAllocator
{
    private double[] _share = [];
    private double[] _keys = [];
    private double[] _fraction = [];
    private int[] _order = [];
    private bool[] _done = [];

    /// <summary>The policy name, <c>drf</c>.</summary>
    public string Name => Allocators.Drf;

    /// <inheritdoc/>
    public void Allocate(scoped in AllocationInput input, scoped in AllocationOutput output)
    {
        AllocatorGuard.CheckShape(input, output.Count);
        Span<ResourceVector> allocations = output.Caps;
        int n = input.Count;
        EnsureScratch(n);
        ReadOnlySpan<ResourceVector> demand = input.Estimates;
        ResourceVector capacity = input.Capacity;
        Span<bool> scheduled = stackalloc bool[ResourceKinds.Count];
        foreach (ResourceKind r in ResourceKinds.All)
        {
            if (input.Resources.Contains(r))
            {
                AllocatorGuard.CheckCapacity(capacity[r], r);
                scheduled[(int)r] = true;
            }
        }

        // Dominant shares.
        Span<double> share = _share.AsSpan(0, n);
        Span<double> keys = _keys.AsSpan(0, n);
        Span<int> order = _order.AsSpan(0, n);
        Span<double> fraction = _fraction.AsSpan(0, n);
        Span<bool> done = _done.AsSpan(0, n);
        int m = 0;
        for (int i = 0; i < n; i++)
        {
            double s = 0;
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                if (!scheduled[r])
                {
                    continue;
                }

                double d = demand[i][r];
                if (!(AllocatorGuard.IsNonNegativeFinite(d) && AllocatorGuard.IsNonNegativeFinite(input.Templates[i][r]) && double.IsFinite(input.Credits[i][r])))
                {
                    AllocatorGuard.ThrowInvalid(input, i, (ResourceKind)r);
                }

                if (d > 0)
                {
                    s = Math.Max(s, capacity[r] > 0 ? d / capacity[r] : double.PositiveInfinity);
                }
            }

            share[i] = s;
            fraction[i] = 0;
            done[i] = true;
            if (s > 0 && double.IsFinite(s))
            {
                keys[m] = s;
                order[m] = i;
                done[i] = false;
                m++;
            }
        }

        keys[..m].Sort(order[..m]);

        // Progressive filling. At "time" t every unfrozen VM i holds (t / share_i) of its demand vector.
        Span<double> rate = stackalloc double[ResourceKinds.Count];
        Span<double> used = stackalloc double[ResourceKinds.Count];
        Span<int> users = stackalloc int[ResourceKinds.Count];
        Span<bool> full = stackalloc bool[ResourceKinds.Count];
        rate.Clear();
        used.Clear();
        users.Clear();
        full.Clear();
        for (int k = 0; k < m; k++)
        {
            int i = order[k];
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                double d = demand[i][r];
                if (scheduled[r] && d > 0)
                {
                    rate[r] += d / share[i];
                    users[r]++;
                }
            }
        }

        int active = m;
        int next = 0;
        while (active > 0)
        {
            while (next < m && done[order[next]])
            {
                next++;
            }

            double tMet = next < m ? share[order[next]] : double.PositiveInfinity;
            double tFull = double.PositiveInfinity;
            int rFull = -1;
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                if (scheduled[r] && !full[r] && users[r] > 0)
                {
                    double t = Math.Max(0, (capacity[r] - used[r]) / rate[r]);
                    if (t < tFull)
                    {
                        tFull = t;
                        rFull = r;
                    }
                }
            }

            if (tMet <= tFull)
            {
                active -= Freeze(order[next], tMet, demand, scheduled, rate, used, users);
            }
            else
            {
                full[rFull] = true;
                for (int k = next; k < m; k++)
                {
                    int i = order[k];
                    if (!done[i] && demand[i][rFull] > 0)
                    {
                        active -= Freeze(i, tFull, demand, scheduled, rate, used, users);
                    }
                }
            }
        }

        for (int r = 0; r < ResourceKinds.Count; r++)
        {
            if (!scheduled[r])
            {
                continue;
            }

            double total = 0;
            for (int i = 0; i < n; i++)
            {
                double a = fraction[i] * demand[i][r];
                allocations[i][r] = a;
                total += a;
            }

            CreditAllocator.ClampToCapacity((ResourceKind)r, capacity[r], total, allocations);
            for (int i = 0; i < allocations.Length; i++)
            {
                double limit = input.Limits.IsEmpty ? double.NaN : input.Limits[i][r];
                if (limit < allocations[i][r])
                {
                    allocations[i][r] = limit;
                }

                output.Weights[i][r] = double.NaN;
            }
        }
    }

    private int Freeze(int i, double t, ReadOnlySpan<ResourceVector> demand, ReadOnlySpan<bool> scheduled, Span<double> rate, Span<double> used, Span<int> users)
    {
        double x = Math.Clamp(t / _share[i], 0, 1);
        _fraction[i] = x;
        _done[i] = true;
        for (int r = 0; r < ResourceKinds.Count; r++)
        {
            double d = demand[i][r];
            if (scheduled[r] && d > 0)
            {
                used[r] += x * d;
                if (--users[r] == 0)
                {
                    rate[r] = 0;
                }
                else
                {
                    rate[r] -= d / _share[i];
                }
            }
        }

        return 1;
    }

    private void EnsureScratch(int n)
    {
        if (_share.Length < n)
        {
            int size = Math.Max(n, _share.Length * 2);
            _share = new double[size];
            _keys = new double[size];
            _fraction = new double[size];
            _order = new int[size];
            _done = new bool[size];
        }
    }
}
