using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ResCoin.Prediction;

/// <summary>
/// Accumulates one-step-ahead prediction error per resource: mean absolute error, root mean squared error,
/// symmetric mean absolute percentage error (with an epsilon so zero demand predicted as zero scores 0, not NaN)
/// and the share of predictions below the actual value. Every predictor keeps one; the simulator can use one to
/// score any series. Allocation-free after construction. Not thread-safe.
/// </summary>
public sealed class PredictionErrorTracker
{
    /// <summary>The default epsilon added to the sMAPE denominator.</summary>
    public const double DefaultEpsilon = 1e-9;

    private readonly Accumulator[] _accumulators = new Accumulator[ResourceKinds.Count];

    /// <summary>Creates an empty tracker.</summary>
    /// <param name="epsilon">
    /// Added to the sMAPE denominator <c>(|actual| + |estimate|) / 2</c>; finite and non-negative. It keeps the
    /// metric defined when both are zero; pick it small compared with the resource's meaningful amounts.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epsilon"/> is negative, NaN or infinite.</exception>
    public PredictionErrorTracker(double epsilon = DefaultEpsilon)
    {
        if (!(epsilon >= 0 && epsilon <= double.MaxValue))
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "The sMAPE epsilon must be finite and non-negative.");
        }

        Epsilon = epsilon;
    }

    /// <summary>The epsilon added to the sMAPE denominator.</summary>
    public double Epsilon { get; }

    /// <summary>Scores one prediction. A NaN actual or estimate means "not measured" and is ignored.</summary>
    /// <param name="resource">The resource.</param>
    /// <param name="actual">What was used.</param>
    /// <param name="estimate">What had been predicted.</param>
    /// <exception cref="ArgumentException">A value is infinite.</exception>
    public void Record(ResourceKind resource, double actual, double estimate)
    {
        ref Accumulator a = ref At(resource);
        if (double.IsNaN(actual) || double.IsNaN(estimate))
        {
            return;
        }

        if (double.IsInfinity(actual) || double.IsInfinity(estimate))
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"Cannot score an infinite {ResourceKinds.Name(resource)} value (actual {actual}, estimate {estimate})."),
                double.IsInfinity(actual) ? nameof(actual) : nameof(estimate));
        }

        a.Add(actual, estimate, Epsilon);
    }

    /// <summary>The error statistics of one resource so far (all zero before the first score).</summary>
    /// <param name="resource">The resource.</param>
    /// <returns>The statistics.</returns>
    public PredictionError Get(ResourceKind resource)
    {
        ref Accumulator a = ref At(resource);
        if (a.Count == 0)
        {
            return default;
        }

        double n = a.Count;
        return new PredictionError(a.Count, a.SumAbs / n, Math.Sqrt(a.SumSquares / n), a.SumSymmetric / n, a.Under / n);
    }

    /// <summary>Forgets every score.</summary>
    public void Reset() => Array.Clear(_accumulators);

    /// <summary>
    /// Checks every observation (NaN, or finite and at least 0) and scores the slots that have a previous estimate
    /// (<paramref name="counts"/> &gt; 0) and a measured (non-NaN) observation. Returns the index of the first invalid
    /// observation, having recorded nothing, or -1. The three spans have one length.
    /// </summary>
    internal int RecordSlots(ResourceKind resource, ReadOnlySpan<double> actual, ReadOnlySpan<double> estimate, ReadOnlySpan<int> counts)
    {
        ref Accumulator a = ref At(resource);
        Accumulator local = a;
        int n = actual.Length;
        estimate = estimate[..n];
        counts = counts[..n];
        int i = 0;
        if (Vector256.IsHardwareAccelerated && n >= 4)
        {
            ref double x0 = ref MemoryMarshal.GetReference(actual);
            ref double e0 = ref MemoryMarshal.GetReference(estimate);
            ref int c0 = ref MemoryMarshal.GetReference(counts);
            Vector256<double> zero = Vector256<double>.Zero;
            Vector256<double> max = Vector256.Create(double.MaxValue);
            Vector256<double> half = Vector256.Create(0.5);
            Vector256<double> eps = Vector256.Create(Epsilon);
            Vector256<double> one = Vector256<double>.One;
            Vector256<double> count = zero, sumAbs = zero, sumSquares = zero, sumSymmetric = zero, under = zero;
            for (; i <= n - 4; i += 4)
            {
                Vector256<double> x = Vector256.LoadUnsafe(ref x0, (nuint)i);
                Vector256<double> measured = Vector256.Equals(x, x);
                Vector256<double> valid = ~measured | (Vector256.GreaterThanOrEqual(x, zero) & Vector256.LessThanOrEqual(x, max));
                if (!Vector256.EqualsAll(valid.AsInt64(), Vector256<long>.AllBitsSet))
                {
                    return FirstInvalid(actual, i);
                }

                Vector128<int> c = Vector128.LoadUnsafe(ref c0, (nuint)i);
                Vector128<int> seen = Vector128.GreaterThan(c, Vector128<int>.Zero);
                Vector256<double> scored = measured & Vector256.Create(Vector128.WidenLower(seen), Vector128.WidenUpper(seen)).AsDouble();
                Vector256<double> e = Vector256.LoadUnsafe(ref e0, (nuint)i);
                Vector256<double> diff = e - x;
                Vector256<double> abs = Vector256.Abs(diff);
                Vector256<double> denominator = ((Vector256.Abs(x) + Vector256.Abs(e)) * half) + eps;
                Vector256<double> symmetric = (abs / denominator) & Vector256.GreaterThan(denominator, zero);
                count += one & scored;
                sumAbs += abs & scored;
                sumSquares += (diff * diff) & scored;
                sumSymmetric += symmetric & scored;
                under += one & scored & Vector256.LessThan(e, x);
            }

            local.Count += (long)Vector256.Sum(count);
            local.SumAbs += Vector256.Sum(sumAbs);
            local.SumSquares += Vector256.Sum(sumSquares);
            local.SumSymmetric += Vector256.Sum(sumSymmetric);
            local.Under += (long)Vector256.Sum(under);
        }

        for (; i < n; i++)
        {
            double x = actual[i];
            if (!double.IsNaN(x) && !(x >= 0 && x <= double.MaxValue))
            {
                return i;
            }

            if (counts[i] > 0 && !double.IsNaN(x))
            {
                local.Add(x, estimate[i], Epsilon);
            }
        }

        a = local;
        return -1;
    }

    private static int FirstInvalid(ReadOnlySpan<double> actual, int from)
    {
        for (int i = from; i < actual.Length; i++)
        {
            double x = actual[i];
            if (!double.IsNaN(x) && !(x >= 0 && x <= double.MaxValue))
            {
                return i;
            }
        }

        return -1;
    }

    private ref Accumulator At(ResourceKind resource)
    {
        if ((uint)resource >= ResourceKinds.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(resource), resource, "Unknown resource kind.");
        }

        return ref _accumulators[(int)resource];
    }

    private struct Accumulator
    {
        public long Count;
        public double SumAbs;
        public double SumSquares;
        public double SumSymmetric;
        public long Under;

        public void Add(double actual, double estimate, double epsilon)
        {
            double e = estimate - actual;
            double abs = Math.Abs(e);
            Count++;
            SumAbs += abs;
            SumSquares += e * e;
            double denominator = ((Math.Abs(actual) + Math.Abs(estimate)) * 0.5) + epsilon;
            SumSymmetric += denominator > 0 ? abs / denominator : 0;
            if (estimate < actual)
            {
                Under++;
            }
        }
    }
}
