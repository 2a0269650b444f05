using ResCoin.Scheduling.Allocation;

namespace ResCoin.Scheduling;

/// <summary>
/// The ResCoin credit allocator (policy name <c>rescoin</c>). Per resource: every VM is guaranteed
/// <c>g = min(estimate, template)</c> (scaled down by <c>C / sum g</c> when the templates overcommit the host);
/// without contention every VM gets its estimate plus headroom per <see cref="HeadroomPolicy"/>; under contention
/// the spare <c>C - sum g</c> is water-filled over the claims <c>estimate - g</c>, weighted by positive credit.
/// </summary>
/// <remarks>
/// <para>
/// Under contention the weights come in stages. Stage 1: VMs with positive credit, weight = credit. If their claims
/// all fit, they are met in full and what remains goes to stage 2: claimants without positive credit but with a
/// positive template, weight = template. If those fit too, stage 3: the remaining claimants (no credit, zero
/// template) share what is left equally. When no claimant has positive credit this is exactly the design's rule
/// "if every claimant's weight is 0, use the template"; the stages only make sure spare capacity is never left idle
/// while someone claims it. No VM ever gets more than its estimate under contention.
/// </para>
/// <para>Runs in expected O(n) per resource and allocates nothing once its scratch buffers have grown to the VM count.
/// An instance is not thread-safe.</para>
/// </remarks>
public sealed class CreditAllocator : IAllocator
{
    private readonly WaterFiller _filler = new();
    private readonly double[][] _tc = new double[ResourceKinds.Count][];
    private readonly double[][] _est = new double[ResourceKinds.Count][];
    private readonly double[][] _ac = new double[ResourceKinds.Count][];
    private readonly double[][] _out = new double[ResourceKinds.Count][];
    private double[] _g = [];
    private double[] _d = [];

    /// <summary>Creates a credit allocator.</summary>
    /// <param name="headroom">What to do with unclaimed capacity when there is no contention.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="headroom"/> is not a defined policy.</exception>
    public CreditAllocator(HeadroomPolicy headroom = HeadroomPolicy.ProportionalToTemplate)
    {
        if (headroom is not (HeadroomPolicy.None or HeadroomPolicy.ProportionalToTemplate or HeadroomPolicy.ProportionalToCredit))
        {
            throw new ArgumentOutOfRangeException(nameof(headroom), headroom, "Unknown headroom policy.");
        }

        Headroom = headroom;
        for (int r = 0; r < ResourceKinds.Count; r++)
        {
            _tc[r] = _est[r] = _ac[r] = _out[r] = [];
        }
    }

    /// <summary>The policy name, <c>rescoin</c>.</summary>
    public string Name => Allocators.ResCoin;

    /// <summary>What is done with unclaimed capacity when there is no contention.</summary>
    public HeadroomPolicy Headroom { get; }

    /// <inheritdoc/>
    public void Allocate(scoped in AllocationInput input, Span<ResourceVector> allocations)
    {
        AllocatorGuard.CheckShape(input, allocations.Length);
        int n = input.Count;
        EnsureScratch(n);
        ResourceSet set = input.Resources;
        ResourceVector capacity = input.Capacity;
        foreach (ResourceKind r in ResourceKinds.All)
        {
            if (set.Contains(r))
            {
                AllocatorGuard.CheckCapacity(capacity[r], r);
            }
        }

        // Transpose the scheduled resources into contiguous per-resource arrays in one sequential pass (reading one
        // element per 48-byte vector, resource by resource, would stream the inputs from memory six times over).
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
                if (((int)set & (1 << r)) == 0)
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

        if (n == 0)
        {
            return;
        }

        for (int r = 0; r < ResourceKinds.Count; r++)
        {
            if (((int)set & (1 << r)) != 0)
            {
                AllocateResource(capacity[r], _tc[r].AsSpan(0, n), _est[r].AsSpan(0, n), _ac[r].AsSpan(0, n), _out[r].AsSpan(0, n));
            }
        }

        for (int i = 0; i < n; i++)
        {
            ref ResourceVector a = ref allocations[i];
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                if (((int)set & (1 << r)) != 0)
                {
                    a[r] = _out[r][i];
                }
            }
        }
    }

    private void AllocateResource(double capacity, ReadOnlySpan<double> templates, ReadOnlySpan<double> estimates, ReadOnlySpan<double> credits, Span<double> result)
    {
        int n = templates.Length;
        Span<double> gs = _g.AsSpan(0, n);
        Span<double> ds = _d.AsSpan(0, n);

        double sumG = 0;
        double sumD = 0;
        double sumD1 = 0; // claims of VMs with positive credit
        double sumD2 = 0; // claims of VMs without positive credit but with a positive template
        for (int i = 0; i < n; i++)
        {
            double tc = templates[i];
            double est = estimates[i];
            double g = Math.Min(est, tc);
            double d = est - g;
            gs[i] = g;
            ds[i] = d;
            sumG += g;
            sumD += d;
            if (credits[i] > 0)
            {
                sumD1 += d;
            }
            else if (tc > 0)
            {
                sumD2 += d;
            }
        }

        // 1. Guarantee; overcommitted templates are scaled down and nothing else is handed out.
        if (sumG > capacity)
        {
            double scale = capacity / sumG;
            for (int i = 0; i < n; i++)
            {
                result[i] = gs[i] * scale;
            }

            return;
        }

        // 2. Spare capacity.
        double spare = capacity - sumG;

        // 3. No contention: everyone gets its estimate, plus headroom.
        if (sumD <= spare)
        {
            GiveHeadroom(capacity, spare - sumD, templates, estimates, credits, result);
            return;
        }

        // 4. Contention: weighted water-filling in stages (see remarks).
        int stage;
        if (sumD1 > spare)
        {
            stage = 1;
        }
        else if (sumD2 > spare - sumD1)
        {
            stage = 2;
            spare -= sumD1;
        }
        else
        {
            stage = 3;
            spare = Math.Max(0, spare - sumD1 - sumD2);
        }

        Span<WaterFillItem> items = _filler.Items(n);
        int m = 0;
        for (int i = 0; i < n; i++)
        {
            double d = ds[i];
            if (d > 0)
            {
                double w = StageWeight(stage, credits[i], templates[i]);
                if (w > 0)
                {
                    ref WaterFillItem it = ref items[m++];
                    it.D = d;
                    it.W = w;
                    it.B = d / w;
                }
            }
        }

        double lambda = _filler.Solve(m, spare);
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            double d = ds[i];
            double extra = 0;
            if (d > 0)
            {
                int own = StageOf(credits[i], templates[i]);
                if (own < stage)
                {
                    extra = d;
                }
                else if (own == stage)
                {
                    extra = Math.Min(d, lambda * StageWeight(stage, credits[i], templates[i]));
                }
            }

            double a = gs[i] + extra;
            result[i] = a;
            total += a;
        }

        ClampToCapacity(capacity, total, result);
    }

    private void GiveHeadroom(double capacity, double leftover, ReadOnlySpan<double> templates, ReadOnlySpan<double> estimates, ReadOnlySpan<double> credits, Span<double> result)
    {
        int n = estimates.Length;
        if (Headroom == HeadroomPolicy.None || leftover <= 0)
        {
            estimates.CopyTo(result);
            return;
        }

        double sumCredit = 0;
        double sumTemplate = 0;
        for (int i = 0; i < n; i++)
        {
            double ac = credits[i];
            sumCredit += ac > 0 ? ac : 0;
            sumTemplate += templates[i];
        }

        // 0: equal, 1: by template, 2: by credit.
        int by = Headroom == HeadroomPolicy.ProportionalToCredit && sumCredit > 0 ? 2 : sumTemplate > 0 ? 1 : 0;
        double unit = by switch
        {
            2 => leftover / sumCredit,
            1 => leftover / sumTemplate,
            _ => leftover / n,
        };
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            double share = by switch
            {
                2 => Math.Max(credits[i], 0),
                1 => templates[i],
                _ => 1,
            };
            double a = estimates[i] + (unit * share);
            result[i] = a;
            total += a;
        }

        ClampToCapacity(capacity, total, result);
    }

    private static int StageOf(double credit, double template) => credit > 0 ? 1 : template > 0 ? 2 : 3;

    private static double StageWeight(int stage, double credit, double template) => stage switch
    {
        1 => credit > 0 ? credit : 0,
        2 => credit > 0 ? 0 : template,
        _ => credit <= 0 && template <= 0 ? 1 : 0,
    };

    private static void ClampToCapacity(double capacity, double total, Span<double> result)
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

    /// <summary>Guards against rounding: if the allocations add up to more than the capacity, scales them down.</summary>
    internal static void ClampToCapacity(ResourceKind r, double capacity, double total, Span<ResourceVector> allocations)
    {
        if (total > capacity && total > 0)
        {
            double scale = capacity / total;
            for (int i = 0; i < allocations.Length; i++)
            {
                allocations[i][r] *= scale;
            }
        }
    }

    private void EnsureScratch(int n)
    {
        if (_g.Length >= n)
        {
            return;
        }

        int size = Math.Max(n, _g.Length * 2);
        _g = new double[size];
        _d = new double[size];
        for (int r = 0; r < ResourceKinds.Count; r++)
        {
            _tc[r] = new double[size];
            _est[r] = new double[size];
            _ac[r] = new double[size];
            _out[r] = new double[size];
        }
    }
}
