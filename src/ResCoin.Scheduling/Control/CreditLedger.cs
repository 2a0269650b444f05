using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ResCoin.Scheduling.Control;

/// <summary>
/// The credit of every VM slot and resource: the exact sum of the last <see cref="Window"/> terms
/// <c>template - usage</c> pushed for that slot and resource. Same semantics as
/// <see cref="Collections.SlidingWindowSum"/> (O(1) push with error-free compensation, re-summed from the stored terms
/// every <see cref="Window"/> pushes, so it never drifts), laid out for speed: per resource, ring position major
/// (<c>terms[position][slot]</c>), so one period's pushes to consecutive slots touch consecutive memory and four
/// slots at the same ring position are updated with one 256-bit vector operation. A slot that receives no term
/// (usage not measured) keeps its credit. Not thread-safe.
/// </summary>
internal sealed class CreditLedger : ICreditStore
{
    private readonly int _window;
    private int _slots;
    private double[] _terms = [];   // [(r * _window + position) * _slots + slot]
    private double[] _sum = [];     // [r * _slots + slot]
    private double[] _comp = [];    // compensation (the rounding error of _sum), same index
    private int[] _next = [];       // next ring position, same index

    public CreditLedger(int window, int initialSlots = 16)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        _window = window;
        Grow(Math.Max(initialSlots, 1));
    }

    /// <summary>The number of terms summed.</summary>
    public int Window => _window;

    /// <summary>The number of slots there is room for.</summary>
    public int SlotCapacity => _slots;

    /// <summary>Makes room for at least <paramref name="slots"/> slots (new slots have zero credit).</summary>
    public void EnsureSlots(int slots)
    {
        if (slots > _slots)
        {
            Grow(Math.Max(slots, _slots * 2));
        }
    }

    /// <summary>Empties a slot's windows for every resource (credit back to 0).</summary>
    public void Reset(int slot)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, _slots);
        for (int r = 0; r < ResourceKinds.Count; r++)
        {
            int k = (r * _slots) + slot;
            for (int j = 0; j < _window; j++)
            {
                _terms[(((r * _window) + j) * _slots) + slot] = 0;
            }

            _sum[k] = 0;
            _comp[k] = 0;
            _next[k] = 0;
        }
    }

    /// <summary>The credit of a slot for a resource.</summary>
    public double Credit(ResourceKind resource, int slot)
    {
        int k = ((int)resource * _slots) + slot;
        return _sum[k] + _comp[k];
    }

    /// <summary>The running sums of a resource by slot (credit = sum + compensation).</summary>
    public ReadOnlySpan<double> Sums(ResourceKind resource) => _sum.AsSpan((int)resource * _slots, _slots);

    /// <summary>The compensations of a resource by slot (credit = sum + compensation).</summary>
    public ReadOnlySpan<double> Compensations(ResourceKind resource) => _comp.AsSpan((int)resource * _slots, _slots);

    /// <summary>Pushes one term (a finite value) for a slot and resource, dropping the one <see cref="Window"/> pushes ago.</summary>
    public void Push(ResourceKind resource, int slot, double term)
    {
        int r = (int)resource;
        int k = (r * _slots) + slot;
        int pos = _next[k];
        ref double cell = ref _terms[(((r * _window) + pos) * _slots) + slot];
        double evicted = cell;
        cell = term;
        if (++pos == _window)
        {
            _next[k] = 0;
            Resum(r, slot);
        }
        else
        {
            _next[k] = pos;
            double s = _sum[k];
            double c = _comp[k];
            Add(ref s, ref c, term);
            Add(ref s, ref c, -evicted);
            _sum[k] = s;
            _comp[k] = c;
        }
    }

    /// <summary>
    /// Pushes the term <c>templates[slot] - observed[slot]</c> for every slot below <paramref name="count"/> whose
    /// observation is not NaN (the same as one <see cref="Push"/> per such slot, in slot order).
    /// </summary>
    public void PushAll(ResourceKind resource, int count, ReadOnlySpan<double> templates, ReadOnlySpan<double> observed)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _slots);
        templates = templates[..count];
        observed = observed[..count];
        int r = (int)resource;
        int baseK = r * _slots;
        int slot = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref double tc = ref MemoryMarshal.GetReference(templates);
            ref double obs = ref MemoryMarshal.GetReference(observed);
            ref double sum = ref _sum[baseK];
            ref double comp = ref _comp[baseK];
            ref int next = ref _next[baseK];
            ref double terms = ref _terms[r * _window * _slots];
            for (; slot <= count - 4; slot += 4)
            {
                Vector256<double> u = Vector256.LoadUnsafe(ref obs, (nuint)slot);
                Vector128<int> pos = Vector128.LoadUnsafe(ref next, (nuint)slot);
                int p = pos.GetElement(0);
                if (!Vector256.EqualsAll(u, u) || !Vector128.EqualsAll(pos, Vector128.Create(p)))
                {
                    // A slot not measured, or slots at different ring positions: one at a time.
                    for (int j = slot; j < slot + 4; j++)
                    {
                        double x = observed[j];
                        if (!double.IsNaN(x))
                        {
                            Push(resource, j, templates[j] - x);
                        }
                    }

                    continue;
                }

                Vector256<double> term = Vector256.LoadUnsafe(ref tc, (nuint)slot) - u;
                ref double cell = ref Unsafe.Add(ref terms, (p * _slots) + slot);
                Vector256<double> evicted = Vector256.LoadUnsafe(ref cell);
                term.StoreUnsafe(ref cell);
                if (p + 1 == _window)
                {
                    Vector128<int>.Zero.StoreUnsafe(ref next, (nuint)slot);
                    ResumVector(ref terms, slot, ref sum, ref comp);
                }
                else
                {
                    Vector128.Create(p + 1).StoreUnsafe(ref next, (nuint)slot);
                    Vector256<double> s = Vector256.LoadUnsafe(ref sum, (nuint)slot);
                    Vector256<double> c = Vector256.LoadUnsafe(ref comp, (nuint)slot);
                    Add(ref s, ref c, term);
                    Add(ref s, ref c, -evicted);
                    s.StoreUnsafe(ref sum, (nuint)slot);
                    c.StoreUnsafe(ref comp, (nuint)slot);
                }
            }
        }

        for (; slot < count; slot++)
        {
            double x = observed[slot];
            if (!double.IsNaN(x))
            {
                Push(resource, slot, templates[slot] - x);
            }
        }
    }

    /// <summary>Adds <paramref name="x"/> to the pair (sum, compensation) without losing its rounding error (TwoSum).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(ref double sum, ref double comp, double x)
    {
        double t = sum + x;
        double z = t - sum;
        comp += (sum - (t - z)) + (x - z);
        sum = t;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(ref Vector256<double> sum, ref Vector256<double> comp, Vector256<double> x)
    {
        Vector256<double> t = sum + x;
        Vector256<double> z = t - sum;
        comp += (sum - (t - z)) + (x - z);
        sum = t;
    }

    private void Resum(int r, int slot)
    {
        // Wrapped: re-sum the window from its terms so rounding error never accumulates.
        double s = 0;
        double c = 0;
        for (int j = 0; j < _window; j++)
        {
            Add(ref s, ref c, _terms[(((r * _window) + j) * _slots) + slot]);
        }

        int k = (r * _slots) + slot;
        _sum[k] = s;
        _comp[k] = c;
    }

    private void ResumVector(ref double terms, int slot, ref double sum, ref double comp)
    {
        Vector256<double> s = Vector256<double>.Zero;
        Vector256<double> c = Vector256<double>.Zero;
        for (int j = 0; j < _window; j++)
        {
            Add(ref s, ref c, Vector256.LoadUnsafe(ref terms, (nuint)((j * _slots) + slot)));
        }

        s.StoreUnsafe(ref sum, (nuint)slot);
        c.StoreUnsafe(ref comp, (nuint)slot);
    }

    private void Grow(int slots)
    {
        double[] terms = new double[ResourceKinds.Count * slots * _window];
        double[] sum = new double[ResourceKinds.Count * slots];
        double[] comp = new double[ResourceKinds.Count * slots];
        int[] next = new int[ResourceKinds.Count * slots];
        for (int r = 0; r < ResourceKinds.Count && _slots > 0; r++)
        {
            for (int j = 0; j < _window; j++)
            {
                _terms.AsSpan(((r * _window) + j) * _slots, _slots).CopyTo(terms.AsSpan(((r * _window) + j) * slots));
            }

            _sum.AsSpan(r * _slots, _slots).CopyTo(sum.AsSpan(r * slots));
            _comp.AsSpan(r * _slots, _slots).CopyTo(comp.AsSpan(r * slots));
            _next.AsSpan(r * _slots, _slots).CopyTo(next.AsSpan(r * slots));
        }

        _terms = terms;
        _sum = sum;
        _comp = comp;
        _next = next;
        _slots = slots;
    }
}
