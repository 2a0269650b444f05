namespace ResCoin.Prediction.Internal;

/// <summary>
/// A decaying histogram per slot (VPA-style) whose <c>p</c>-quantile times a margin is the estimate.
/// <para>
/// Buckets are exponential: bucket <c>j</c> holds values whose absolute log-index
/// <c>floor(log(x) / log(g))</c> equals <c>lo + j</c>, where <c>lo</c> is a per-slot offset; bucket 0 also takes
/// every smaller positive value and a separate weight counts exact zeros. The window of <c>B</c> buckets is
/// placed so the first positive value lands near the top and slides up (merging the lowest buckets into bucket 0)
/// when a larger value arrives, so any magnitude from 1e-300 to 1e300 works with full resolution over the top
/// <c>g^B</c> range of each slot's values. The estimate is the upper edge of the quantile's bucket (pessimistic by
/// at most a factor <c>g</c>) times the margin.
/// </para>
/// <para>
/// Decay without touching old buckets: each new sample weighs <c>2^(1/halfLife)</c> times the previous one;
/// when weights grow large the slot's histogram is rescaled (rare, O(B)).
/// </para>
/// </summary>
internal sealed class PercentileModel : SlotModel
{
    // Per-slot layout: [0] weight of the next sample, [1] total weight, [2] lo, [3] zero weight, [4..4+B) buckets.
    private const int Header = 4;
    private const double RescaleAbove = 1e200;

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

            double lo = s[2];
            if (k > lo + _buckets - 1)
            {
                Shift(s, buckets, k - (lo + _buckets - 1));
                lo = s[2];
            }

            int j = k <= lo ? 0 : (int)(k - lo);
            buckets[j] += w;
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
            for (int j = 1; j < Header; j++)
            {
                if (j != 2)
                {
                    s[j] *= f;
                }
            }

            for (int j = 0; j < buckets.Length; j++)
            {
                buckets[j] *= f;
            }

            w = 1;
        }

        s[0] = w;
    }

    // Slides the window up by `by` buckets, folding the lowest ones into bucket 0.
    private void Shift(Span<double> s, Span<double> buckets, double by)
    {
        s[2] += by;
        if (by >= _buckets)
        {
            double all = 0;
            for (int j = 0; j < buckets.Length; j++)
            {
                all += buckets[j];
            }

            buckets.Clear();
            buckets[0] = all;
            return;
        }

        int shift = (int)by;
        double folded = 0;
        for (int j = 0; j <= shift; j++)
        {
            folded += buckets[j];
        }

        buckets[(shift + 1)..].CopyTo(buckets[1..]);
        buckets[^shift..].Clear();
        buckets[0] = folded;
    }

    private double Quantile(ReadOnlySpan<double> s)
    {
        double total = s[1];
        double above = (1 - _quantile) * total;
        ReadOnlySpan<double> buckets = s[Header..];
        double acc = 0;
        for (int j = buckets.Length - 1; j >= 0; j--)
        {
            acc += buckets[j];
            if (acc > above)
            {
                return Math.Pow(_base, s[2] + j + 1);
            }
        }

        return 0; // the quantile is among the zeros
    }
}
