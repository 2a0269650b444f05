using ResCoin.Scheduling.Allocation;

namespace ResCoin.Scheduling;

/// <summary>
/// The proportional-share baseline (policy name <c>share</c>): what cgroup CPU shares give. Work-conserving
/// water-filling weighted by template, each VM capped at its estimate: find <c>lambda</c> with
/// <c>sum min(estimate, lambda * template) = C</c>. When the estimates all fit, every VM gets its estimate and the
/// rest is spread in proportion to the templates. VMs with a zero template only get what the others leave
/// (equally among them), and when every template is zero the split is equal.
/// </summary>
/// <remarks>Expected O(n) per resource, no allocation once warmed up. An instance is not thread-safe.</remarks>
public sealed class ProportionalShareAllocator : IAllocator
{
    private readonly WaterFiller _filler = new();

    /// <summary>The policy name, <c>share</c>.</summary>
    public string Name => Allocators.Share;

    /// <inheritdoc/>
    public void Allocate(scoped in AllocationInput input, Span<ResourceVector> allocations)
    {
        AllocatorGuard.CheckShape(input, allocations.Length);
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
        int n = templates.Length;
        double sumEst = 0;
        double sumEstWeighted = 0; // estimates of VMs with a positive template
        double sumTc = 0;
        for (int i = 0; i < n; i++)
        {
            double tc = templates[i][r];
            double est = estimates[i][r];
            if (!(AllocatorGuard.IsNonNegativeFinite(tc) && AllocatorGuard.IsNonNegativeFinite(est) && double.IsFinite(input.Credits[i][r])))
            {
                AllocatorGuard.ThrowInvalid(input, i, r);
            }

            sumEst += est;
            sumTc += tc;
            if (tc > 0)
            {
                sumEstWeighted += est;
            }
        }

        if (n == 0)
        {
            return;
        }

        if (sumEst <= capacity)
        {
            double leftover = capacity - sumEst;
            double unit = sumTc > 0 ? leftover / sumTc : leftover / n;
            double total = 0;
            for (int i = 0; i < n; i++)
            {
                double a = estimates[i][r] + (unit * (sumTc > 0 ? templates[i][r] : 1));
                allocations[i][r] = a;
                total += a;
            }

            CreditAllocator.ClampToCapacity(r, capacity, total, allocations);
            return;
        }

        // Stage 1: VMs with a positive template, weighted by it; stage 2 (if those all fit): the rest, equally.
        int stage = sumEstWeighted > capacity ? 1 : 2;
        double spare = stage == 1 ? capacity : Math.Max(0, capacity - sumEstWeighted);
        Span<WaterFillItem> items = _filler.Items(n);
        int m = 0;
        for (int i = 0; i < n; i++)
        {
            double est = estimates[i][r];
            double w = Weight(stage, templates[i][r]);
            if (est > 0 && w > 0)
            {
                ref WaterFillItem it = ref items[m++];
                it.D = est;
                it.W = w;
                it.B = est / w;
            }
        }

        double lambda = _filler.Solve(m, spare);
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            double est = estimates[i][r];
            double tc = templates[i][r];
            double w = Weight(stage, tc);
            double a = stage == 2 && tc > 0 ? est : w > 0 ? Math.Min(est, lambda * w) : 0;
            allocations[i][r] = a;
            sum += a;
        }

        CreditAllocator.ClampToCapacity(r, capacity, sum, allocations);
    }

    private static double Weight(int stage, double template) => stage == 1 ? template : (template > 0 ? 0 : 1);
}
