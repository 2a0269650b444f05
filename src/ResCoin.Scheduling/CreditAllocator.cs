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
        if (_g.Length < n)
        {
            int size = Math.Max(n, _g.Length * 2);
            _g = new double[size];
            _d = new double[size];
        }

        foreach (ResourceKind r in ResourceKinds.All)
        {
            if (input.Resources.Contains(r))
            {
                AllocateResource(input, r, allocations);
            }
        }
    }

    private void AllocateResource(scoped in AllocationInput input, ResourceKind r, Span<ResourceVector> allocations)
    {
        double capacity = input.Capacity[r];
        AllocatorGuard.CheckCapacity(capacity, r);
        ReadOnlySpan<ResourceVector> templates = input.Templates;
        ReadOnlySpan<ResourceVector> estimates = input.Estimates;
        ReadOnlySpan<ResourceVector> credits = input.Credits;
        int n = templates.Length;
        Span<double> gs = _g.AsSpan(0, n);
        Span<double> ds = _d.AsSpan(0, n);

        double sumG = 0;
        double sumD = 0;
        double sumD1 = 0; // claims of VMs with positive credit
        double sumD2 = 0; // claims of VMs without positive credit but with a positive template
        for (int i = 0; i < n; i++)
        {
            double tc = templates[i][r];
            double est = estimates[i][r];
            double ac = credits[i][r];
            if (!(AllocatorGuard.IsNonNegativeFinite(tc) && AllocatorGuard.IsNonNegativeFinite(est) && double.IsFinite(ac)))
            {
                AllocatorGuard.ThrowInvalid(input, i, r);
            }

            double g = Math.Min(est, tc);
            double d = est - g;
            gs[i] = g;
            ds[i] = d;
            sumG += g;
            sumD += d;
            if (ac > 0)
            {
                sumD1 += d;
            }
            else if (tc > 0)
            {
                sumD2 += d;
            }
        }

        if (n == 0)
        {
            return;
        }

        // 1. Guarantee; overcommitted templates are scaled down and nothing else is handed out.
        if (sumG > capacity)
        {
            double scale = capacity / sumG;
            for (int i = 0; i < n; i++)
            {
                allocations[i][r] = gs[i] * scale;
            }

            return;
        }

        // 2. Spare capacity.
        double spare = capacity - sumG;

        // 3. No contention: everyone gets its estimate, plus headroom.
        if (sumD <= spare)
        {
            GiveHeadroom(input, r, spare - sumD, allocations);
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
                double w = StageWeight(stage, credits[i][r], templates[i][r]);
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
                int own = StageOf(credits[i][r], templates[i][r]);
                if (own < stage)
                {
                    extra = d;
                }
                else if (own == stage)
                {
                    extra = Math.Min(d, lambda * StageWeight(stage, credits[i][r], templates[i][r]));
                }
            }

            double a = gs[i] + extra;
            allocations[i][r] = a;
            total += a;
        }

        ClampToCapacity(r, capacity, total, allocations);
    }

    private void GiveHeadroom(scoped in AllocationInput input, ResourceKind r, double leftover, Span<ResourceVector> allocations)
    {
        ReadOnlySpan<ResourceVector> estimates = input.Estimates;
        int n = estimates.Length;
        if (Headroom == HeadroomPolicy.None || leftover <= 0)
        {
            for (int i = 0; i < n; i++)
            {
                allocations[i][r] = estimates[i][r];
            }

            return;
        }

        ReadOnlySpan<ResourceVector> templates = input.Templates;
        ReadOnlySpan<ResourceVector> credits = input.Credits;
        double sumCredit = 0;
        double sumTemplate = 0;
        for (int i = 0; i < n; i++)
        {
            double ac = credits[i][r];
            sumCredit += ac > 0 ? ac : 0;
            sumTemplate += templates[i][r];
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
                2 => Math.Max(credits[i][r], 0),
                1 => templates[i][r],
                _ => 1,
            };
            double a = estimates[i][r] + (unit * share);
            allocations[i][r] = a;
            total += a;
        }

        ClampToCapacity(r, input.Capacity[r], total, allocations);
    }

    private static int StageOf(double credit, double template) => credit > 0 ? 1 : template > 0 ? 2 : 3;

    private static double StageWeight(int stage, double credit, double template) => stage switch
    {
        1 => credit > 0 ? credit : 0,
        2 => credit > 0 ? 0 : template,
        _ => credit <= 0 && template <= 0 ? 1 : 0,
    };

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
}
