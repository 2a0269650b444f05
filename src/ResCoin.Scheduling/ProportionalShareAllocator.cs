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
public sealed class ProportionalShareAllocator : ColumnAllocator
{
    private readonly WaterFiller _filler = new();
    private double[] _claims = [];
    private double[] _weights = [];

    /// <summary>The policy name, <c>share</c>.</summary>
    public override string Name => Allocators.Share;

    /// <summary>One resource: template-proportional weights and no caps for a weight-arbitrated resource, template-weighted water-filled caps for the others.</summary>
    /// <param name="input">The resource's columns.</param>
    /// <param name="caps">Receives the caps.</param>
    /// <param name="weights">Receives the weights (NaN for a cap-only resource).</param>
    public override void AllocateColumn(scoped in ColumnAllocationInput input, Span<double> caps, Span<double> weights)
    {
        int count = input.Count;
        if (input.Weighted)
        {
            // What well-configured cgroup shares give: template-proportional weights, no caps.
            double equal = count > 0 ? input.Capacity / count : 0;
            for (int i = 0; i < count; i++)
            {
                weights[i] = ColumnMath.TemplateWeight(input.Templates[i], equal);
                caps[i] = double.NaN;
            }

            return;
        }

        weights[..count].Fill(double.NaN);
        CapColumn(input.Capacity, input.Templates, input.Estimates, caps);
        ColumnMath.ClampToLimits(input.Limits, caps[..count]);
    }

    private void CapColumn(double capacity, ReadOnlySpan<double> templates, ReadOnlySpan<double> estimates, Span<double> result)
    {
        int n = templates.Length;
        if (n == 0)
        {
            return;
        }

        estimates = estimates[..n];
        result = result[..n];
        double sumEst = 0;
        double sumEstWeighted = 0; // estimates of VMs with a positive template
        double sumTc = 0;
        for (int i = 0; i < n; i++)
        {
            double tc = templates[i];
            double est = estimates[i];
            sumEst += est;
            sumTc += tc;
            if (tc > 0)
            {
                sumEstWeighted += est;
            }
        }

        if (sumEst <= capacity)
        {
            double leftover = capacity - sumEst;
            double unit = sumTc > 0 ? leftover / sumTc : leftover / n;
            double total = 0;
            for (int i = 0; i < n; i++)
            {
                double a = estimates[i] + (unit * (sumTc > 0 ? templates[i] : 1));
                result[i] = a;
                total += a;
            }

            ColumnMath.ClampToCapacity(capacity, total, result);
            return;
        }

        // Stage 1: VMs with a positive template, weighted by it; stage 2 (if those all fit): the rest, equally.
        int stage = sumEstWeighted > capacity ? 1 : 2;
        double spare = stage == 1 ? capacity : Math.Max(0, capacity - sumEstWeighted);
        if (_claims.Length < n)
        {
            _claims = new double[Math.Max(n, _claims.Length * 2)];
            _weights = new double[_claims.Length];
        }

        Span<double> claims = _claims.AsSpan(0, n);
        Span<double> weights = _weights.AsSpan(0, n);
        for (int i = 0; i < n; i++)
        {
            double w = Weight(stage, templates[i]);
            weights[i] = w;
            claims[i] = w > 0 ? estimates[i] : 0;
        }

        double lambda = _filler.Solve(claims, weights, spare);
        bool everyClaimMet = double.IsPositiveInfinity(lambda);
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            double tc = templates[i];
            double a = stage == 2 && tc > 0 ? estimates[i] : everyClaimMet ? claims[i] : Math.Min(claims[i], lambda * weights[i]);
            result[i] = a;
            sum += a;
        }

        ColumnMath.ClampToCapacity(capacity, sum, result);
    }

    private static double Weight(int stage, double template) => stage == 1 ? template : (template > 0 ? 0 : 1);
}
