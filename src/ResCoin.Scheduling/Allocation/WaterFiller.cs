using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ResCoin.Scheduling.Allocation;

/// <summary>One claimant in a water-fill: its breakpoint <c>B = D / W</c>, its claim <c>D</c> and weight <c>W</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct WaterFillItem
{
    public double B;
    public double D;
    public double W;
}

/// <summary>
/// Weighted water-filling: finds <c>lambda</c> with <c>sum_i min(D_i, lambda * W_i) = S</c>.
/// <see cref="Solve(ReadOnlySpan{double}, ReadOnlySpan{double}, double, double)"/> runs Newton's method from below on the
/// concave, piecewise-linear fill function in vectorized passes over the claims and weights (each pass counts the
/// claims met at the current <c>lambda</c>; when a step meets no new claim, <c>lambda</c> is exact). If that has not
/// converged after a few passes it finishes exactly by quickselect on the breakpoints <c>D_i / W_i</c> still
/// undecided (three-way partitions of a reusable scratch buffer around a random pivot, keeping the sum of the claims
/// known to be met and of the weights known to be cut): expected O(n) either way, no sort, no allocation once the
/// buffer is large enough. Not thread-safe.
/// </summary>
internal sealed class WaterFiller
{
    /// <summary>Newton passes before the exact quickselect takes over, by default.</summary>
    internal const int DefaultNewtonPasses = 12;

    private readonly int _maxNewtonPasses;

    private WaterFillItem[] _items = [];
    private uint _rng = 0x9E3779B9u;

    /// <summary>Creates a water-filler.</summary>
    /// <param name="maxNewtonPasses">Newton passes before the quickselect finishes the job (0: quickselect only, for tests).</param>
    public WaterFiller(int maxNewtonPasses = DefaultNewtonPasses)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxNewtonPasses);
        _maxNewtonPasses = maxNewtonPasses;
    }

    /// <summary>Whether the last solve needed the quickselect (for tests and tuning).</summary>
    internal bool LastUsedQuickselect { get; private set; }

    /// <summary>
    /// Solves for <c>lambda</c> over <paramref name="claims"/> (finite, at least 0) and <paramref name="weights"/>
    /// (finite, at least 0; a zero weight gets nothing) given <paramref name="spare"/> (finite, at least 0). Returns positive infinity when every claim with a positive weight fits (or rounding makes
    /// it look so): every such claimant then gets its full claim. <paramref name="start"/> is a guess (for example the
    /// answer of the previous period); a good one saves passes, any finite one gives the same answer.
    /// </summary>
    public double Solve(ReadOnlySpan<double> claims, ReadOnlySpan<double> weights, double spare, double start = 0)
    {
        weights = weights[..claims.Length];
        // Newton's method on the concave fill f(lambda) = met(lambda) + lambda * open(lambda). From any start one step
        // lands at or below the answer (the tangent lies above f); from there the steps increase monotonically.
        double lambda = start > 0 && start < double.MaxValue ? start : 0;
        long previousMet = -1;
        for (int pass = 1; pass <= _maxNewtonPasses; pass++)
        {
            (double met, double open, long count) = Evaluate(claims, weights, lambda);
            LastUsedQuickselect = false;
            if (open <= 0)
            {
                if (pass == 1 && lambda > 0)
                {
                    // The start meets every claim: no slope to step down along. Start again from 0.
                    lambda = 0;
                    continue;
                }

                return double.PositiveInfinity;
            }

            if (count == previousMet)
            {
                // No claim crossed its breakpoint between the last two points: the fill is linear there, and lambda,
                // computed on that line, is exact.
                return lambda;
            }

            double next = Math.Max(0, (spare - met) / open);
            if (pass > 1 && !(next > lambda))
            {
                return lambda; // rounding: the fill at lambda already reaches the spare
            }

            previousMet = count;
            lambda = next;
        }

        // Not converged: finish exactly over the claims still open at lambda, a lower bound of the answer once a
        // Newton step has been taken (before that it is the caller's guess: start from 0).
        LastUsedQuickselect = true;
        if (previousMet < 0)
        {
            lambda = 0;
        }

        Span<WaterFillItem> items = Items(claims.Length);
        int m = 0;
        double metBelow = 0;
        for (int i = 0; i < claims.Length; i++)
        {
            double d = claims[i];
            double w = weights[i];
            if (d <= lambda * w)
            {
                metBelow += d;
            }
            else if (w > 0)
            {
                ref WaterFillItem it = ref items[m++];
                it.D = d;
                it.W = w;
                it.B = d / w;
            }
        }

        return Solve(m, spare, metBelow, lambda);
    }

    /// <summary>At <paramref name="lambda"/>: the sum of the claims met, the sum of the weights of those cut, and how many are met.</summary>
    private static (double Met, double Open, long Count) Evaluate(ReadOnlySpan<double> claims, ReadOnlySpan<double> weights, double lambda)
    {
        int n = claims.Length;
        int i = 0;
        double met = 0;
        double open = 0;
        double count = 0;
        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            ref double d0 = ref MemoryMarshal.GetReference(claims);
            ref double w0 = ref MemoryMarshal.GetReference(weights);
            Vector256<double> l = Vector256.Create(lambda);
            Vector256<double> one = Vector256<double>.One;
            Vector256<double> vMet = Vector256<double>.Zero;
            Vector256<double> vOpen = Vector256<double>.Zero;
            Vector256<double> vCount = Vector256<double>.Zero;
            for (; i <= n - 4; i += 4)
            {
                Vector256<double> d = Vector256.LoadUnsafe(ref d0, (nuint)i);
                Vector256<double> w = Vector256.LoadUnsafe(ref w0, (nuint)i);
                Vector256<double> isMet = Vector256.LessThanOrEqual(d, l * w);
                vMet += d & isMet;
                vOpen += Vector256.AndNot(w, isMet);
                vCount += one & isMet;
            }

            met = Vector256.Sum(vMet);
            open = Vector256.Sum(vOpen);
            count = Vector256.Sum(vCount);
        }

        for (; i < n; i++)
        {
            double d = claims[i];
            double w = weights[i];
            if (d <= lambda * w)
            {
                met += d;
                count++;
            }
            else
            {
                open += w;
            }
        }

        return (met, open, (long)count);
    }

    /// <summary>A scratch buffer of at least <paramref name="count"/> items.</summary>
    private Span<WaterFillItem> Items(int count)
    {
        if (_items.Length < count)
        {
            _items = new WaterFillItem[Math.Max(count, _items.Length * 2)];
        }

        return _items.AsSpan(0, count);
    }

    /// <summary>
    /// Solves exactly by quickselect over the first <paramref name="count"/> items (each with <c>D &gt; 0</c>,
    /// <c>W &gt; 0</c>) given <paramref name="spare"/>; returns positive infinity when rounding makes every claim fit. Claims
    /// summing to <paramref name="metBelow"/> are already known to be
    /// met at <paramref name="lowerBound"/>, a lower bound of the answer (the items hold only the others).
    /// </summary>
    private double Solve(int count, double spare, double metBelow, double lowerBound)
    {
        Span<WaterFillItem> items = _items.AsSpan(0, count);
        int lo = 0;
        int hi = count;
        double met = metBelow; // sum of D of the items known to be fully met (B <= lambda)
        double open = 0; // sum of W of the items known to be cut (B > lambda)
        double lower = lowerBound; // lambda >= every pivot found to leave spare unfilled
        double upper = double.PositiveInfinity; // lambda < every pivot found to overfill
        while (lo < hi)
        {
            double pivot = items[lo + (int)(NextRandom() % (uint)(hi - lo))].B;

            // Three-way partition of [lo, hi): [lo, lt) < pivot, [lt, gt) == pivot, [gt, hi) > pivot.
            int lt = lo;
            int i = lo;
            int gt = hi;
            double dLe = 0;
            double wEq = 0;
            double wGt = 0;
            while (i < gt)
            {
                ref WaterFillItem it = ref items[i];
                double b = it.B;
                if (b < pivot)
                {
                    dLe += it.D;
                    if (i != lt)
                    {
                        (items[lt], it) = (it, items[lt]);
                    }

                    lt++;
                    i++;
                }
                else if (b > pivot)
                {
                    gt--;
                    wGt += it.W;
                    (items[gt], it) = (it, items[gt]);
                }
                else
                {
                    dLe += it.D;
                    wEq += it.W;
                    i++;
                }
            }

            double filled = met + dLe + (pivot * (open + wGt));
            if (filled <= spare)
            {
                // lambda >= pivot: every item with B <= pivot is fully met.
                met += dLe;
                lower = pivot;
                lo = gt;
            }
            else
            {
                // lambda < pivot: every item with B >= pivot is cut.
                open += wEq + wGt;
                upper = pivot;
                hi = lt;
            }
        }

        if (open <= 0)
        {
            return double.PositiveInfinity;
        }

        // Rounding in (spare - met) / open can put lambda just below the breakpoint of an item already counted as
        // fully met (or above one counted as cut); keep it inside the bracket the partitions established so every
        // item is treated the way the sums assumed.
        return Math.Min(Math.Max((spare - met) / open, lower), upper);
    }

    private uint NextRandom()
    {
        // xorshift32: deterministic, allocation-free pivot choice.
        uint x = _rng;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        _rng = x;
        return x;
    }
}
