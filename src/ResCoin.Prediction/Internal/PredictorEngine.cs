using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ResCoin.Prediction.Internal;

/// <summary>
/// Shared machinery of every predictor: per-resource slot storage that grows amortized when more slots appear and is
/// then reused (a steady period allocates nothing), validation, the NaN = "not measured" rule, clamping of estimates
/// to finite non-negative values, and scoring of each slot's previous estimate against the new observation.
/// </summary>
internal sealed class PredictorEngine
{
    private readonly SlotModel _model;
    private readonly PredictionErrorTracker? _errors;
    private readonly ResourceSlots?[] _resources = new ResourceSlots?[ResourceKinds.Count];

    /// <summary>Slots per block when the model is slot-local (a few KB per array: well inside the level-1 cache).</summary>
    private const int Block = 512;

    private readonly bool _validate;

    /// <param name="model">The model.</param>
    /// <param name="trackErrors">Whether to score each estimate against the next observation.</param>
    /// <param name="validate">
    /// Whether to check the observations; false only where another engine checked the same span first (the adaptive
    /// predictor's candidates).
    /// </param>
    public PredictorEngine(SlotModel model, bool trackErrors = true, bool validate = true)
    {
        _model = model;
        _errors = trackErrors ? new PredictionErrorTracker() : null;
        _validate = validate;
    }

    public SlotModel Model => _model;

    public void Reset(int slot)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        for (int r = 0; r < _resources.Length; r++)
        {
            ResourceSlots? s = _resources[r];
            if (s is null || slot >= s.Capacity)
            {
                continue;
            }

            s.Counts[slot] = 0;
            s.Previous[slot] = 0;
            s.State.AsSpan(slot * s.Width, s.Width).Clear();
        }

        _model.Reset(slot);
    }

    public PredictionError GetError(ResourceKind resource)
        => _errors is null ? default : _errors.Get(resource);

    public void Update(ResourceKind resource, ReadOnlySpan<double> observed, Span<double> estimates)
    {
        if ((uint)resource >= ResourceKinds.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(resource), resource, "Unknown resource kind.");
        }

        if (observed.Length != estimates.Length)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"The estimates span has {estimates.Length} elements but {observed.Length} observations were given for {ResourceKinds.Name(resource)}; they must be the same length."),
                nameof(estimates));
        }

        int n = observed.Length;
        ResourceSlots s = _resources[(int)resource] ??= new ResourceSlots(_model.StateWidth(resource));
        s.EnsureCapacity(n);

        Span<double> previous = s.Previous.AsSpan(0, n);
        Span<int> counts = s.Counts.AsSpan(0, n);
        int bad = _errors is not null ? _errors.RecordSlots(resource, observed, previous, counts) : _validate ? FirstInvalid(observed) : -1;
        if (bad >= 0)
        {
            ThrowBadObservation(resource, bad, observed[bad], nameof(observed));
        }

        Span<double> state = s.State.AsSpan(0, n * s.Width);
        if (!_model.SlotLocal)
        {
            previous.CopyTo(estimates);
            _model.Update(resource, observed, estimates, state, counts);
            Finish(observed, estimates, previous, counts);
            return;
        }

        // Slot by slot independent: run the copy, the model and the clamp block by block, so each block's arrays are
        // read from memory once and stay in the level-1 cache for the three steps.
        for (int start = 0; start < n; start += Block)
        {
            int length = Math.Min(Block, n - start);
            Span<double> e = estimates.Slice(start, length);
            Span<double> p = previous.Slice(start, length);
            ReadOnlySpan<double> x = observed.Slice(start, length);
            Span<int> c = counts.Slice(start, length);
            p.CopyTo(e);
            _model.Update(resource, x, e, state.Slice(start * s.Width, length * s.Width), c);
            Finish(x, e, p, c);
        }
    }

    /// <summary>Clamps every estimate to [0, <see cref="double.MaxValue"/>] (NaN to 0), remembers it, and counts the measured slots.</summary>
    private static void Finish(ReadOnlySpan<double> observed, Span<double> estimates, Span<double> previous, Span<int> counts)
    {
        int n = observed.Length;
        estimates = estimates[..n];
        previous = previous[..n];
        counts = counts[..n];
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref double x0 = ref MemoryMarshal.GetReference(observed);
            ref double e0 = ref MemoryMarshal.GetReference(estimates);
            ref double p0 = ref MemoryMarshal.GetReference(previous);
            ref int c0 = ref MemoryMarshal.GetReference(counts);
            Vector256<double> max = Vector256.Create(double.MaxValue);
            Vector128<int> saturated = Vector128.Create(int.MaxValue);
            for (; i <= n - 4; i += 4)
            {
                Vector256<double> e = Vector256.LoadUnsafe(ref e0, (nuint)i);
                e = Vector256.MinNative(e & Vector256.GreaterThanOrEqual(e, Vector256<double>.Zero), max);
                e.StoreUnsafe(ref e0, (nuint)i);
                e.StoreUnsafe(ref p0, (nuint)i);
                Vector256<double> x = Vector256.LoadUnsafe(ref x0, (nuint)i);
                Vector256<long> measured = Vector256.Equals(x, x).AsInt64();
                Vector128<int> c = Vector128.LoadUnsafe(ref c0, (nuint)i);
                Vector128<int> step = Vector128.Narrow(measured.GetLower(), measured.GetUpper()) & ~Vector128.Equals(c, saturated);
                (c - step).StoreUnsafe(ref c0, (nuint)i); // step is -1 where counted
            }
        }

        for (; i < n; i++)
        {
            double e = estimates[i];
            if (!(e >= 0))
            {
                e = 0; // negative or NaN
            }
            else if (e > double.MaxValue)
            {
                e = double.MaxValue;
            }

            estimates[i] = e;
            previous[i] = e;
            if (!double.IsNaN(observed[i]) && counts[i] < int.MaxValue)
            {
                counts[i]++;
            }
        }
    }

    private static int FirstInvalid(ReadOnlySpan<double> observed)
    {
        for (int i = 0; i < observed.Length; i++)
        {
            double x = observed[i];
            if (!double.IsNaN(x) && !(x >= 0 && x <= double.MaxValue))
            {
                return i;
            }
        }

        return -1;
    }

    private static void ThrowBadObservation(ResourceKind resource, int slot, double value, string paramName)
        => throw new ArgumentException(
            string.Create(CultureInfo.InvariantCulture, $"Observed {ResourceKinds.Name(resource)} usage of slot {slot} is {value}; it must be a finite non-negative number, or NaN for \"not measured\"."),
            paramName);

    private sealed class ResourceSlots(int width)
    {
        public int Width { get; } = width;

        public int Capacity { get; private set; }

        public double[] Previous { get; private set; } = [];

        public int[] Counts { get; private set; } = [];

        public double[] State { get; private set; } = [];

        public void EnsureCapacity(int n)
        {
            if (n <= Capacity)
            {
                return;
            }

            int capacity = Math.Max(n, Math.Max(4, Capacity * 2));
            Previous = Grow(Previous, capacity);
            Counts = Grow(Counts, capacity);
            State = Grow(State, capacity * Width);
            Capacity = capacity;
        }

        private static T[] Grow<T>(T[] old, int length)
        {
            var grown = new T[length];
            old.AsSpan().CopyTo(grown);
            return grown;
        }
    }
}
