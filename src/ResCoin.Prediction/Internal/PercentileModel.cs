namespace ResCoin.Prediction.Internal;

/// <summary>
/// A decaying histogram per slot (VPA-style) whose <c>p</c>-quantile times a margin is the estimate.
/// <para>
/// Buckets are exponential: bucket <c>j</c> holds values whose absolute log-index <c>k = floor(log(x) / log(g))</c>
/// equals <c>lo + j</c>, where <c>lo</c> is a per-slot offset; bucket 0 also takes every smaller positive value
/// (its largest <c>k</c> is remembered), and a separate weight counts exact zeros. The window of <c>B</c> buckets is
/// placed so the first positive value lands near the top. It slides up when a larger value arrives (folding the
/// lowest buckets into bucket 0) and slides down when a smaller value arrives and the buckets that would fall off
/// the top hold a negligible share of the decayed weight, so any magnitude from 1e-300 to 1e300 works, with full
/// resolution over the top <c>g^B</c> range of each slot's recent values. The estimate is the upper edge of the
/// quantile's bucket (pessimistic by at most a factor <c>g</c>) times the margin.
/// </para>
/// <para>
/// Decay without touching old buckets: each new sample weighs <c>2^(1/halfLife)</c> times the previous one;
/// when weights grow large the slot's histogram is rescaled (rare, O(B)).
/// </para>
/// </summary>
internal sealed class PercentileModel : SlotModel
{
    // Per-slot layout: [0] weight of the next sample, [1] total weight, [2] lo, [3] zero weight,
    // [4] largest log-index held by bucket 0 (meaningful while bucket 0 is non-empty), [5, 5+B) buckets.
    private const int Header = 5;
    private const double RescaleAbove = 1e200;
    private const double NegligibleShare = 1e-4;

    private readonly double _quantile;
    private readonly double _margin;
    private readonly double _growthPerSample;
    private readonly int _buckets;
    private readonly double _logBase;
    private readonly double _base;

    public PercentileModel(double quantile, double margin, double halfLife, int buckets, double bucketGrowth)
    {
        _quantile = quantile;
        _margin = margin;
        _growthPerSample = Math.Pow(2, 1 / halfLife);
        _buckets = buckets;
        _base = bucketGrowth;
        _logBase = Math.Log(bucketGrowth);
    }

    public override int StateWidth(ResourceKind resource) => Header + _buckets;

    public override void Update(ResourceKind resource, ReadOnlySpan<double> observed, Span<double> estimates, Span<double> state, ReadOnlySpan<int> counts)
    {
        int width = Header + _buckets;
        for (int i = 0; i < observed.Length; i++)
        {
            double x = observed[i];
            if (double.IsNaN(x))
            {
                continue;
            }

            Span<double> s = state.Slice(i * width, width);
            if (counts[i] == 0)
            {
                s.Clear();
                s[0] = 1;
                s[2] = double.NaN; // no positive value yet
            }

            Add(s, x);
            estimates[i] = Quantile(s) * _margin;
        }
    }

    private void Add(Span<double> s, double x)
    {
        double w = s[0];
        Span<double> buckets = s[Header..];
        if (x > 0)
        {
            double k = Math.Floor(Math.Log(x) / _logBase);
            if (double.IsNaN(s[2]))
            {
                s[2] = k - (_buckets - 4); // the first positive value sits 4 buckets below the top
            }

            if (k > s[2] + _buckets - 1)
            {
                ShiftUp(s, buckets, k - (s[2] + _buckets - 1));
            }
            else if (k < s[2])
            {
                ShiftDown(s, buckets, k);
            }

            double lo = s[2];
            if (k <= lo)
            {
                s[4] = buckets[0] > 0 ? Math.Max(s[4], k) : k;
                buckets[0] += w;
            }
            else
            {
                buckets[(int)(k - lo)] += w;
            }
        }
        else
        {
            s[3] += w;
        }

        s[1] += w;
        w *= _growthPerSample;
        if (w > RescaleAbove)
        {
            double f = 1 / w;
            s[1] *= f;
            s[3] *= f;
            for (int j = 0; j < buckets.Length; j++)
            {
                buckets[j] *= f;
            }

            w = 1;
        }

        s[0] = w;
    }

    // Slides the window up by `by` buckets, folding the lowest ones into bucket 0.
    private void ShiftUp(Span<double> s, Span<double> buckets, double by)
    {
        double lo = s[2];
        double newLo = lo + by;
        int fold = by >= _buckets ? _buckets - 1 : (int)by; // old buckets 0..fold end up in bucket 0
        double folded = 0;
        double highest = s[4];
        for (int j = 0; j <= fold; j++)
        {
            if (buckets[j] > 0)
            {
                folded += buckets[j];
                highest = j == 0 ? s[4] : lo + j;
            }
        }

        if (fold < _buckets - 1)
        {
            buckets[(fold + 1)..].CopyTo(buckets[1..]);
            buckets[^fold..].Clear();
        }
        else
        {
            buckets.Clear();
        }

        buckets[0] = folded;
        s[4] = highest;
        s[2] = newLo;
    }

    // Slides the window down towards log-index k, as far as the buckets that would fall off the top hold a
    // negligible share of the weight (they are dropped): a slot whose usage fell far below an old, decayed peak
    // regains full resolution.
    private void ShiftDown(Span<double> s, Span<double> buckets, double k)
    {
        double lo = s[2];
        double limit = NegligibleShare * s[1];
        double dropped = 0;
        int top = buckets.Length - 1;
        while (top >= 0 && dropped + buckets[top] <= limit)
        {
            dropped += buckets[top];
            top--;
        }

        if (top < 0)
        {
            // Everything left is negligible: start afresh around k.
            s[1] -= dropped;
            buckets.Clear();
            s[2] = k - (_buckets - 4);
            return;
        }

        double topIndex = top == 0 ? s[4] : lo + top; // absolute log-index of the highest weight that must stay
        double shift = Math.Min(lo - k, (_buckets - 1) - (topIndex - lo));
        if (shift < 1)
        {
            return;
        }

        double newLo = lo - shift;
        int moved = shift >= _buckets ? _buckets : (int)shift;
        double removed = 0;
        for (int j = Math.Max(1, _buckets - moved); j < _buckets; j++)
        {
            removed += buckets[j];
        }

        double bottom = buckets[0];
        if (moved < _buckets - 1)
        {
            buckets[1..(_buckets - moved)].CopyTo(buckets[(1 + moved)..]);
            buckets[1..(1 + moved)].Clear();
        }
        else
        {
            buckets[1..].Clear();
        }

        buckets[0] = 0;
        s[1] -= removed;
        s[2] = newLo;
        if (bottom > 0)
        {
            double k0 = s[4];
            if (k0 <= newLo)
            {
                buckets[0] = bottom;
            }
            else
            {
                buckets[(int)Math.Min(_buckets - 1, k0 - newLo)] += bottom;
            }
        }
    }

    private double Quantile(ReadOnlySpan<double> s)
    {
        double total = s[1];
        double above = (1 - _quantile) * total;
        ReadOnlySpan<double> buckets = s[Header..];
        double acc = 0;
        for (int j = buckets.Length - 1; j > 0; j--)
        {
            acc += buckets[j];
            if (acc > above)
            {
                return Math.Pow(_base, s[2] + j + 1);
            }
        }

        acc += buckets[0];
        if (acc > above)
        {
            return Math.Pow(_base, Math.Min(s[2], s[4]) + 1);
        }

        return 0; // the quantile is among the zeros
    }
}
