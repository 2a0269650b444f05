using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ResCoin.Prediction.Internal;

/// <summary>
/// s ← x on the first observation, then s ← α·x + (1 − α)·s; estimate = s. The smoothed value is the previous
/// estimate, which the engine passes in <c>estimates</c>, so the model needs no state of its own.
/// </summary>
internal sealed class EwmaModel(ResourceVector alpha) : SlotModel
{
    public override int StateWidth(ResourceKind resource) => 0;

    public override void Update(ResourceKind resource, ReadOnlySpan<double> observed, Span<double> estimates, Span<double> state, ReadOnlySpan<int> counts)
    {
        double a = alpha[resource];
        int n = observed.Length;
        estimates = estimates[..n];
        counts = counts[..n];
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref double x0 = ref MemoryMarshal.GetReference(observed);
            ref double e0 = ref MemoryMarshal.GetReference(estimates);
            ref int c0 = ref MemoryMarshal.GetReference(counts);
            Vector256<double> va = Vector256.Create(a);
            for (; i <= n - 4; i += 4)
            {
                Vector256<double> x = Vector256.LoadUnsafe(ref x0, (nuint)i);
                Vector256<double> e = Vector256.LoadUnsafe(ref e0, (nuint)i);
                Vector128<int> first = Vector128.Equals(Vector128.LoadUnsafe(ref c0, (nuint)i), Vector128<int>.Zero);
                Vector256<double> next = Vector256.ConditionalSelect(
                    Vector256.Create(Vector128.WidenLower(first), Vector128.WidenUpper(first)).AsDouble(),
                    x,
                    e + (va * (x - e)));
                Vector256.ConditionalSelect(Vector256.Equals(x, x), next, e).StoreUnsafe(ref e0, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            double x = observed[i];
            if (double.IsNaN(x))
            {
                continue;
            }

            estimates[i] = counts[i] == 0 ? x : estimates[i] + (a * (x - estimates[i]));
        }
    }
}
