using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ResCoin.Scheduling.Control;

/// <summary>Where the period engine keeps each slot's credit: a sliding window (<see cref="CreditLedger"/>) or a bucket.</summary>
internal interface ICreditStore
{
    void EnsureSlots(int slots);

    void Reset(int slot);

    /// <summary>One slot's credit.</summary>
    double Credit(ResourceKind resource, int slot);

    /// <summary>Adds <c>templates[slot] - observed[slot]</c> for every slot below count whose observation is not NaN.</summary>
    void PushAll(ResourceKind resource, int count, ReadOnlySpan<double> templates, ReadOnlySpan<double> observed);

    /// <summary>The credits by slot: <c>Sums + Compensations</c>.</summary>
    ReadOnlySpan<double> Sums(ResourceKind resource);

    /// <summary>The rounding compensation by slot (zeros for a bucket).</summary>
    ReadOnlySpan<double> Compensations(ResourceKind resource);
}

/// <summary>
/// The credit bucket (see <c>docs/design.md</c>, "Credit"): per slot and resource, credit accrues at
/// <c>template − usage</c> each measured period and stays within <c>[0, CapPeriods × template]</c>. Usage above the
/// template spends it; an empty bucket holds the VM to its template under contention. Allocation-free, vectorized.
/// </summary>
internal sealed class CreditBucket : ICreditStore
{
    private readonly double _capPeriods;
    private int _slots;
    private double[] _credit = []; // [r * _slots + slot]
    private double[] _zeros = [];

    public CreditBucket(double capPeriods, int initialSlots = 16)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capPeriods);
        _capPeriods = capPeriods;
        EnsureSlots(Math.Max(initialSlots, 1));
    }

    public double CapPeriods => _capPeriods;

    public void EnsureSlots(int slots)
    {
        if (slots <= _slots)
        {
            return;
        }

        int size = Math.Max(slots, _slots * 2);
        double[] credit = new double[ResourceKinds.Count * size];
        for (int r = 0; r < ResourceKinds.Count; r++)
        {
            _credit.AsSpan(r * _slots, _slots).CopyTo(credit.AsSpan(r * size));
        }

        _credit = credit;
        _zeros = new double[size];
        _slots = size;
    }

    public void Reset(int slot)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, _slots);
        for (int r = 0; r < ResourceKinds.Count; r++)
        {
            _credit[(r * _slots) + slot] = 0;
        }
    }

    public double Credit(ResourceKind resource, int slot) => _credit[((int)resource * _slots) + slot];

    public ReadOnlySpan<double> Sums(ResourceKind resource) => _credit.AsSpan((int)resource * _slots, _slots);

    public ReadOnlySpan<double> Compensations(ResourceKind resource) => _zeros;

    public void PushAll(ResourceKind resource, int count, ReadOnlySpan<double> templates, ReadOnlySpan<double> observed)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _slots);
        templates = templates[..count];
        observed = observed[..count];
        Span<double> credit = _credit.AsSpan((int)resource * _slots, count);
        double k = _capPeriods;
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref double t0 = ref MemoryMarshal.GetReference(templates);
            ref double u0 = ref MemoryMarshal.GetReference(observed);
            ref double c0 = ref MemoryMarshal.GetReference(credit);
            Vector256<double> vk = Vector256.Create(k);
            Vector256<double> zero = Vector256<double>.Zero;
            for (; i <= count - 4; i += 4)
            {
                Vector256<double> t = Vector256.LoadUnsafe(ref t0, (nuint)i);
                Vector256<double> u = Vector256.LoadUnsafe(ref u0, (nuint)i);
                Vector256<double> c = Vector256.LoadUnsafe(ref c0, (nuint)i);
                Vector256<double> next = Vector256.MinNative(Vector256.MaxNative(c + t - u, zero), t * vk);
                Vector256.ConditionalSelect(Vector256.Equals(u, u), next, c).StoreUnsafe(ref c0, (nuint)i);
            }
        }

        for (; i < count; i++)
        {
            double u = observed[i];
            if (!double.IsNaN(u))
            {
                double t = templates[i];
                credit[i] = Math.Min(Math.Max(credit[i] + t - u, 0), t * k);
            }
        }
    }
}
