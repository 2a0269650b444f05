using System.Globalization;

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
    /// Scores the slots that have a previous estimate (<paramref name="counts"/> &gt; 0) and a measured (non-NaN)
    /// observation. Inputs are already validated by the caller.
    /// </summary>
    internal void RecordSlots(ResourceKind resource, ReadOnlySpan<double> actual, ReadOnlySpan<double> estimate, ReadOnlySpan<int> counts)
    {
        ref Accumulator a = ref At(resource);
        Accumulator local = a;
        for (int i = 0; i < actual.Length; i++)
        {
            double x = actual[i];
            if (counts[i] > 0 && !double.IsNaN(x))
            {
                local.Add(x, estimate[i], Epsilon);
            }
        }

        a = local;
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
