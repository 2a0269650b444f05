using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
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
public sealed class CreditAllocator : ColumnAllocator
{
    private readonly WaterFiller _filler = new();
    private readonly WeightedCreditColumn _weighted;
    private readonly LooseCapColumn _loose;
    private double[] _claims = [];
    private double[] _weights = [];
    private readonly (int Stage, double Lambda)[] _lastLambda = new (int, double)[ResourceKinds.Count]; // the water level last time, per resource

    /// <summary>Creates a credit allocator.</summary>
    /// <param name="headroom">What to do with unclaimed capacity of cap-only resources when there is no contention.</param>
    /// <param name="weighting">How credit turns into weights and caps for the resources the host arbitrates by weight; null: the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="headroom"/> is not a defined policy.</exception>
    /// <exception cref="ArgumentException"><paramref name="weighting"/> is invalid (the message names the property).</exception>
    public CreditAllocator(HeadroomPolicy headroom = HeadroomPolicy.ProportionalToTemplate, CreditWeighting? weighting = null)
    {
        weighting ??= new CreditWeighting();
        if (headroom is not (HeadroomPolicy.None or HeadroomPolicy.ProportionalToTemplate or HeadroomPolicy.ProportionalToCredit))
        {
            throw new ArgumentOutOfRangeException(nameof(headroom), headroom, "Unknown headroom policy.");
        }

        weighting.Validate();
        Headroom = headroom;
        Weighting = weighting.Clone();
        _weighted = new WeightedCreditColumn(weighting);
        _loose = new LooseCapColumn(weighting);
    }

    /// <summary>How credit turns into weights and caps for weight-arbitrated resources (a copy of what was given).</summary>
    public CreditWeighting Weighting { get; }

    /// <summary>The policy name, <c>rescoin</c>.</summary>
    public override string Name => Allocators.ResCoin;

    /// <summary>What is done with unclaimed capacity when there is no contention.</summary>
    public HeadroomPolicy Headroom { get; }

    /// <summary>The water-filler, for tests.</summary>
    internal WaterFiller Filler => _filler;

    /// <summary>
    /// One resource: weights and loose caps for a weight-arbitrated resource; for the others the same loose caps without
    /// weights (<see cref="CapOnlyRule.Loose"/>, the default) or caps water-filled at the predicted demand
    /// (<see cref="CapOnlyRule.Predicted"/>).
    /// </summary>
    /// <param name="input">The resource's columns.</param>
    /// <param name="caps">Receives the caps.</param>
    /// <param name="weights">Receives the weights (NaN for a cap-only resource).</param>
    public override void AllocateColumn(scoped in ColumnAllocationInput input, Span<double> caps, Span<double> weights)
    {
        if (input.Weighted)
        {
            _weighted.Allocate(input, caps, weights);
            return;
        }

        if (Weighting.CapOnly == CapOnlyRule.Loose)
        {
            // The host cannot weight this resource: loose caps that protect entitlements too, no weights.
            _loose.Allocate(input, caps);
            weights.Fill(double.NaN);
            return;
        }

        CapColumn(input.Resource, input.Capacity, input.Templates, input.Estimates, input.Credits, caps);
        ColumnMath.ClampToLimits(input.Limits, caps);
        weights.Fill(double.NaN);
    }

    private void CapColumn(ResourceKind resource, double capacity, ReadOnlySpan<double> templates, ReadOnlySpan<double> estimates, ReadOnlySpan<double> credits, Span<double> result)
    {
        int n = templates.Length;
        if (n == 0)
        {
            return;
        }

        estimates = estimates[..n];
        credits = credits[..n];
        result = result[..n];
        if (_claims.Length < n)
        {
            _claims = new double[Math.Max(n, _claims.Length * 2)];
            _weights = new double[_claims.Length];
        }

        // The sums that decide the case, and (most often needed) the claims and weights of stage 1 in the same pass.
        Span<double> claims = _claims.AsSpan(0, n);
        Span<double> weights = _weights.AsSpan(0, n);
        ClaimSums sums = Guarantees(templates, estimates, credits, claims, weights);

        // 1. Guarantee; overcommitted templates are scaled down and nothing else is handed out.
        if (sums.G > capacity)
        {
            double scale = capacity / sums.G;
            for (int i = 0; i < n; i++)
            {
                result[i] = Math.Min(estimates[i], templates[i]) * scale;
            }

            return;
        }

        // 2. Spare capacity.
        double spare = capacity - sums.G;

        // 3. No contention: everyone gets its estimate, plus headroom.
        if (sums.D <= spare)
        {
            GiveHeadroom(capacity, spare - sums.D, templates, estimates, credits, result);
            return;
        }

        // 4. Contention: weighted water-filling in stages (see remarks).
        int stage;
        if (sums.D1 > spare)
        {
            stage = 1;
        }
        else if (sums.D2 > spare - sums.D1)
        {
            stage = 2;
            spare -= sums.D1;
        }
        else
        {
            stage = 3;
            spare = Math.Max(0, spare - sums.D1 - sums.D2);
        }

        if (stage != 1)
        {
            StageClaims(stage, templates, estimates, credits, claims, weights);
        }

        ref (int Stage, double Lambda) last = ref _lastLambda[(int)resource];
        double lambda = _filler.Solve(claims, weights, spare, last.Stage == stage ? last.Lambda : 0);
        last = (stage, lambda);
        double total = Finish(stage, lambda, templates, estimates, credits, claims, weights, result);
        ColumnMath.ClampToCapacity(capacity, total, result);
    }

    /// <summary>g = min(estimate, template) and the claim d = estimate - g per VM, with their sums.</summary>
    private static ClaimSums Guarantees(ReadOnlySpan<double> templates, ReadOnlySpan<double> estimates, ReadOnlySpan<double> credits, Span<double> claims, Span<double> weights)
    {
        int n = templates.Length;
        int i = 0;
        ClaimSums s = default;
        if (Vector256.IsHardwareAccelerated)
        {
            ref double t0 = ref MemoryMarshal.GetReference(templates);
            ref double e0 = ref MemoryMarshal.GetReference(estimates);
            ref double c0 = ref MemoryMarshal.GetReference(credits);
            ref double claim0 = ref MemoryMarshal.GetReference(claims);
            ref double weight0 = ref MemoryMarshal.GetReference(weights);
            Vector256<double> vg = Vector256<double>.Zero;
            Vector256<double> vd = Vector256<double>.Zero;
            Vector256<double> vd1 = Vector256<double>.Zero;
            Vector256<double> vd2 = Vector256<double>.Zero;
            for (; i <= n - 4; i += 4)
            {
                Vector256<double> t = Vector256.LoadUnsafe(ref t0, (nuint)i);
                Vector256<double> e = Vector256.LoadUnsafe(ref e0, (nuint)i);
                Vector256<double> c = Vector256.LoadUnsafe(ref c0, (nuint)i);
                Vector256<double> g = Vector256.MinNative(e, t);
                Vector256<double> d = e - g;
                Vector256<double> positive = Vector256.GreaterThan(c, Vector256<double>.Zero);
                vg += g;
                vd += d;
                vd1 += d & positive;
                vd2 += Vector256.AndNot(d, positive) & Vector256.GreaterThan(t, Vector256<double>.Zero);
                (d & positive).StoreUnsafe(ref claim0, (nuint)i);
                (c & positive).StoreUnsafe(ref weight0, (nuint)i);
            }

            s.G = Vector256.Sum(vg);
            s.D = Vector256.Sum(vd);
            s.D1 = Vector256.Sum(vd1);
            s.D2 = Vector256.Sum(vd2);
        }

        for (; i < n; i++)
        {
            double tc = templates[i];
            double g = Math.Min(estimates[i], tc);
            double d = estimates[i] - g;
            s.G += g;
            s.D += d;
            claims[i] = credits[i] > 0 ? d : 0;
            weights[i] = credits[i] > 0 ? credits[i] : 0;
            if (credits[i] > 0)
            {
                s.D1 += d;
            }
            else if (tc > 0)
            {
                s.D2 += d;
            }
        }

        return s;
    }

    /// <summary>The claims and weights of the water-fill of <paramref name="stage"/> (zero for VMs outside it).</summary>
    private static void StageClaims(int stage, ReadOnlySpan<double> templates, ReadOnlySpan<double> estimates, ReadOnlySpan<double> credits, Span<double> claims, Span<double> weights)
    {
        int n = templates.Length;
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref double t0 = ref MemoryMarshal.GetReference(templates);
            ref double e0 = ref MemoryMarshal.GetReference(estimates);
            ref double c0 = ref MemoryMarshal.GetReference(credits);
            ref double claim0 = ref MemoryMarshal.GetReference(claims);
            ref double weight0 = ref MemoryMarshal.GetReference(weights);
            Vector256<double> zero = Vector256<double>.Zero;
            Vector256<double> one = Vector256<double>.One;
            for (; i <= n - 4; i += 4)
            {
                Vector256<double> t = Vector256.LoadUnsafe(ref t0, (nuint)i);
                Vector256<double> e = Vector256.LoadUnsafe(ref e0, (nuint)i);
                Vector256<double> c = Vector256.LoadUnsafe(ref c0, (nuint)i);
                Vector256<double> positive = Vector256.GreaterThan(c, zero);
                Vector256<double> w = stage switch
                {
                    1 => c & positive,
                    2 => Vector256.AndNot(t, positive),
                    _ => Vector256.AndNot(one, positive | Vector256.GreaterThan(t, zero)),
                };
                ((e - Vector256.MinNative(e, t)) & Vector256.GreaterThan(w, zero)).StoreUnsafe(ref claim0, (nuint)i);
                w.StoreUnsafe(ref weight0, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            double t = templates[i];
            double c = credits[i];
            int own = c > 0 ? 1 : t > 0 ? 2 : 3;
            double w = own != stage ? 0 : stage switch
            {
                1 => c,
                2 => t,
                _ => 1,
            };
            weights[i] = w;
            claims[i] = w > 0 ? estimates[i] - Math.Min(estimates[i], t) : 0;
        }
    }

    /// <summary>
    /// Each VM's allocation: its guarantee <c>min(estimate, template)</c>, plus its whole claim if its stage is below
    /// the one being filled (positive credit; in stage 3 also a positive template), or its fill
    /// <c>min(claim, lambda * weight)</c> in that stage. Returns the total.
    /// </summary>
    private static double Finish(int stage, double lambda, ReadOnlySpan<double> templates, ReadOnlySpan<double> estimates, ReadOnlySpan<double> credits, ReadOnlySpan<double> claims, ReadOnlySpan<double> weights, Span<double> result)
    {
        int n = templates.Length;
        int i = 0;
        bool everyClaimMet = double.IsPositiveInfinity(lambda);
        double total = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref double t0 = ref MemoryMarshal.GetReference(templates);
            ref double e0 = ref MemoryMarshal.GetReference(estimates);
            ref double c0 = ref MemoryMarshal.GetReference(credits);
            ref double claim0 = ref MemoryMarshal.GetReference(claims);
            ref double weight0 = ref MemoryMarshal.GetReference(weights);
            ref double r0 = ref MemoryMarshal.GetReference(result);
            Vector256<double> zero = Vector256<double>.Zero;
            Vector256<double> l = Vector256.Create(lambda);
            Vector256<double> sum = zero;
            for (; i <= n - 4; i += 4)
            {
                Vector256<double> t = Vector256.LoadUnsafe(ref t0, (nuint)i);
                Vector256<double> e = Vector256.LoadUnsafe(ref e0, (nuint)i);
                Vector256<double> g = Vector256.MinNative(e, t);
                Vector256<double> claim = Vector256.LoadUnsafe(ref claim0, (nuint)i);
                Vector256<double> fill = everyClaimMet ? claim : Vector256.MinNative(claim, l * Vector256.LoadUnsafe(ref weight0, (nuint)i));
                if (stage > 1)
                {
                    Vector256<double> earlier = Vector256.GreaterThan(Vector256.LoadUnsafe(ref c0, (nuint)i), zero);
                    if (stage == 3)
                    {
                        earlier |= Vector256.GreaterThan(t, zero);
                    }

                    fill = Vector256.ConditionalSelect(earlier, e - g, fill);
                }

                Vector256<double> a = g + fill;
                a.StoreUnsafe(ref r0, (nuint)i);
                sum += a;
            }

            total = Vector256.Sum(sum);
        }

        for (; i < n; i++)
        {
            double t = templates[i];
            double e = estimates[i];
            double g = Math.Min(e, t);
            int own = credits[i] > 0 ? 1 : t > 0 ? 2 : 3;
            double fill = own < stage ? e - g : everyClaimMet ? claims[i] : Math.Min(claims[i], lambda * weights[i]);
            double a = g + fill;
            result[i] = a;
            total += a;
        }

        return total;
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

        ColumnMath.ClampToCapacity(capacity, total, result);
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

    private struct ClaimSums
    {
        public double G;
        public double D;
        public double D1; // claims of VMs with positive credit
        public double D2; // claims of VMs without positive credit but with a positive template
    }
}
