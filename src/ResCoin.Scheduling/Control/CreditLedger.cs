namespace ResCoin.Scheduling.Control;

/// <summary>
/// The credit of every VM slot and resource: the exact sum of the last <see cref="Window"/> terms
/// <c>template - usage</c> pushed for that slot and resource. Same semantics as
/// <see cref="Collections.SlidingWindowSum"/> (O(1) push with Neumaier compensation, re-summed from the stored terms
/// every <see cref="Window"/> pushes, so it never drifts), laid out in flat arrays for speed: one ring of terms per
/// (resource, slot). A slot that receives no term (usage not measured) keeps its credit. Not thread-safe.
/// </summary>
internal sealed class CreditLedger
{
    private readonly int _window;
    private int _slots;
    private double[] _terms = [];   // [(r * _slots + slot) * _window + j]
    private double[] _sum = [];     // [r * _slots + slot]
    private double[] _comp = [];    // Neumaier compensation, same index
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
        for (int r = 0; r < ResourceKinds.Count; r++)
        {
            int k = (r * _slots) + slot;
            _terms.AsSpan(k * _window, _window).Clear();
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

    /// <summary>Pushes one term (a finite value) for a slot and resource, dropping the one <see cref="Window"/> pushes ago.</summary>
    public void Push(ResourceKind resource, int slot, double term)
    {
        int k = ((int)resource * _slots) + slot;
        int baseIndex = k * _window;
        int pos = _next[k];
        ref double cell = ref _terms[baseIndex + pos];
        double evicted = cell;
        cell = term;
        if (++pos == _window)
        {
            // Wrapped: re-sum the window from its terms so rounding error never accumulates.
            _next[k] = 0;
            double s = 0;
            double c = 0;
            ReadOnlySpan<double> ring = _terms.AsSpan(baseIndex, _window);
            for (int j = 0; j < ring.Length; j++)
            {
                Neumaier(ref s, ref c, ring[j]);
            }

            _sum[k] = s;
            _comp[k] = c;
        }
        else
        {
            _next[k] = pos;
            double s = _sum[k];
            double c = _comp[k];
            Neumaier(ref s, ref c, term);
            Neumaier(ref s, ref c, -evicted);
            _sum[k] = s;
            _comp[k] = c;
        }
    }

    private static void Neumaier(ref double sum, ref double comp, double x)
    {
        double t = sum + x;
        comp += Math.Abs(sum) >= Math.Abs(x) ? (sum - t) + x : (x - t) + sum;
        sum = t;
    }

    private void Grow(int slots)
    {
        double[] terms = new double[ResourceKinds.Count * slots * _window];
        double[] sum = new double[ResourceKinds.Count * slots];
        double[] comp = new double[ResourceKinds.Count * slots];
        int[] next = new int[ResourceKinds.Count * slots];
        for (int r = 0; r < ResourceKinds.Count && _slots > 0; r++)
        {
            _terms.AsSpan(r * _slots * _window, _slots * _window).CopyTo(terms.AsSpan(r * slots * _window));
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
