using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ResCoin.Prediction.Internal;

/// <summary>
/// Runs every candidate model on the same observations and, per slot and resource, uses the estimate of the
/// candidate with the lowest exponentially decayed absolute error so far (ties go to the earlier candidate,
/// so a fresh slot starts with the first one). O(candidates) per slot; scratch buffers grow amortized.
/// </summary>
internal sealed class AdaptiveModel : SlotModel
{
    private readonly PredictorEngine[] _candidates;
    private readonly double _keep;
    private double[][] _scratch;
    private int _capacity;

    public AdaptiveModel(SlotModel[] candidates, double errorHalfLife)
    {
        _candidates = new PredictorEngine[candidates.Length];
        for (int c = 0; c < candidates.Length; c++)
        {
            _candidates[c] = new PredictorEngine(candidates[c], trackErrors: false, validate: false); // the adaptive engine validated the observations
        }

        _keep = Math.Pow(0.5, 1 / errorHalfLife);
        _scratch = new double[candidates.Length][];
        for (int c = 0; c < _scratch.Length; c++)
        {
            _scratch[c] = [];
        }
    }

    public int CandidateCount => _candidates.Length;

    // Per-slot layout: [0, C) decayed absolute error per candidate, [C, 2C) each candidate's previous estimate.
    public override int StateWidth(ResourceKind resource) => 2 * _candidates.Length;

    /// <summary>The candidates' engines and the scratch are indexed by slot: always update every slot at once.</summary>
    public override bool SlotLocal => false;

    public override void Reset(int slot)
    {
        foreach (PredictorEngine c in _candidates)
        {
            c.Reset(slot);
        }
    }

    public override void Update(ResourceKind resource, ReadOnlySpan<double> observed, Span<double> estimates, Span<double> state, ReadOnlySpan<int> counts)
    {
        int n = observed.Length;
        int k = _candidates.Length;
        if (n > _capacity)
        {
            int capacity = Math.Max(n, Math.Max(4, _capacity * 2));
            for (int c = 0; c < k; c++)
            {
                _scratch[c] = new double[capacity];
            }

            _capacity = capacity;
        }

        for (int c = 0; c < k; c++)
        {
            _candidates[c].Update(resource, observed, _scratch[c].AsSpan(0, n));
        }

        double keep = _keep;
        double learn = 1 - keep;
        int i = 0;
        if (k == 4 && Avx.IsSupported)
        {
            i = SelectOfFour(observed, estimates, state, counts, keep, learn);
        }

        int width = 2 * k;
        for (; i < n; i++)
        {
            double x = observed[i];
            if (double.IsNaN(x))
            {
                continue;
            }

            Span<double> s = state.Slice(i * width, width);
            bool scored = counts[i] > 0;
            int best = 0;
            double bestError = double.PositiveInfinity;
            for (int c = 0; c < k; c++)
            {
                double error = s[c];
                if (scored)
                {
                    error = (keep * error) + (learn * Math.Abs(x - s[k + c]));
                    s[c] = error;
                }

                double estimate = _scratch[c][i];
                s[k + c] = estimate;
                if (error < bestError)
                {
                    bestError = error;
                    best = c;
                }
            }

            estimates[i] = _scratch[best][i];
        }
    }

    /// <summary>
    /// The selection for the default four candidates, one slot per step: a slot's four errors and four previous
    /// estimates are one 256-bit vector each (its 64-byte state), updated with the same arithmetic as the scalar loop;
    /// the best is the first candidate with the smallest error (a vector minimum, then the lowest lane equal to it), as
    /// the scalar loop's strict <c>&lt;</c> picks. Errors are never NaN (observations and estimates are finite). Returns
    /// the number of slots done.
    /// </summary>
    private int SelectOfFour(ReadOnlySpan<double> observed, Span<double> estimates, Span<double> state, ReadOnlySpan<int> counts, double keep, double learn)
    {
        int n = observed.Length;
        if (state.Length < 8 * n || estimates.Length < n || counts.Length < n)
        {
            return 0;
        }

        ref double x0 = ref MemoryMarshal.GetReference(observed);
        ref double e0 = ref MemoryMarshal.GetReference(estimates);
        ref double s0 = ref MemoryMarshal.GetReference(state);
        ref int n0 = ref MemoryMarshal.GetReference(counts);
        ref double a0 = ref MemoryMarshal.GetArrayDataReference(_scratch[0]);
        ref double a1 = ref MemoryMarshal.GetArrayDataReference(_scratch[1]);
        ref double a2 = ref MemoryMarshal.GetArrayDataReference(_scratch[2]);
        ref double a3 = ref MemoryMarshal.GetArrayDataReference(_scratch[3]);
        Vector256<double> vKeep = Vector256.Create(keep);
        Vector256<double> vLearn = Vector256.Create(learn);
        for (int i = 0; i < n; i++)
        {
            double x = Unsafe.Add(ref x0, i);
            if (double.IsNaN(x))
            {
                continue;
            }

            ref double s = ref Unsafe.Add(ref s0, 8 * i);
            Vector256<double> error = Vector256.LoadUnsafe(ref s);
            Vector256<double> last = Vector256.LoadUnsafe(ref s, 4);
            if (Unsafe.Add(ref n0, i) > 0)
            {
                error = (vKeep * error) + (vLearn * Vector256.Abs(Vector256.Create(x) - last));
                error.StoreUnsafe(ref s);
            }

            Vector256<double> next = Vector256.Create(Unsafe.Add(ref a0, i), Unsafe.Add(ref a1, i), Unsafe.Add(ref a2, i), Unsafe.Add(ref a3, i));
            next.StoreUnsafe(ref s, 4);
            Vector256<double> min = Vector256.MinNative(error, Avx.Permute2x128(error, error, 0x01));
            min = Vector256.MinNative(min, Avx.Permute(min, 0b0101));
            int best = BitOperations.TrailingZeroCount(Vector256.Equals(error, min).ExtractMostSignificantBits() | 0x10u) & 3;
            Unsafe.Add(ref e0, i) = Unsafe.Add(ref s, 4 + best);
        }

        return n;
    }
}
