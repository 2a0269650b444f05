using System.Runtime.InteropServices;

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
/// Weighted water-filling in expected O(n): finds <c>lambda</c> with <c>sum_i min(D_i, lambda * W_i) = S</c> by
/// quickselect on the breakpoints <c>D_i / W_i</c> (three-way partitions of a reusable scratch buffer around a random
/// pivot, keeping the sum of the claims known to be met and of the weights known to be unmet). No sort, no allocation
/// once the buffer is large enough. Not thread-safe.
/// </summary>
internal sealed class WaterFiller
{
    private WaterFillItem[] _items = [];
    private uint _rng = 0x9E3779B9u;

    /// <summary>A scratch buffer of at least <paramref name="count"/> items, for the caller to fill.</summary>
    public Span<WaterFillItem> Items(int count)
    {
        if (_items.Length < count)
        {
            _items = new WaterFillItem[Math.Max(count, _items.Length * 2)];
        }

        return _items.AsSpan(0, count);
    }

    /// <summary>
    /// Solves for <c>lambda</c> over the first <paramref name="count"/> items (each with <c>D &gt; 0</c>, <c>W &gt; 0</c>)
    /// given <paramref name="spare"/> less than the sum of their claims. Returns positive infinity when rounding makes
    /// every claim fit (every claimant then gets its full claim).
    /// </summary>
    public double Solve(int count, double spare)
    {
        Span<WaterFillItem> items = _items.AsSpan(0, count);
        int lo = 0;
        int hi = count;
        double met = 0; // sum of D of the items known to be fully met (B <= lambda)
        double open = 0; // sum of W of the items known to be cut (B > lambda)
        double lower = 0; // lambda >= every pivot found to leave spare unfilled
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
