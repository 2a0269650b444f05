using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ResCoin.Scheduling.Allocation;

/// <summary>
/// The credit allocator's rule for a resource the host arbitrates by weight (see <see cref="CreditWeighting"/> and
/// <c>docs/design.md</c>, "Weights and caps"): weights from credit, caps only on VMs without credit above their template
/// while a VM with credit goes unserved. Three vectorized passes over the column (weights, the sums, the caps), nothing
/// allocated.
/// </summary>
internal sealed class WeightedCreditColumn
{
    private readonly double _invPeriods;
    private readonly double _maxExponent;
    private readonly double _unserved;
    private readonly double _capped;

    public WeightedCreditColumn(CreditWeighting weighting)
    {
        _invPeriods = 1 / weighting.CreditPeriods;
        _maxExponent = Math.Log2(weighting.MaxBoost);
        _unserved = weighting.UnservedPressure;
        _capped = weighting.CappedFraction;
    }

    public void Allocate(scoped in ColumnAllocationInput input, Span<double> caps, Span<double> weights)
    {
        int n = input.Count;
        if (n == 0)
        {
            return;
        }

        double capacity = input.Capacity;
        ReadOnlySpan<double> templates = input.Templates;
        ReadOnlySpan<double> credits = input.Credits[..n];
        weights = weights[..n];
        caps = caps[..n];
        Weights(templates, credits, capacity > 0 ? capacity / n : 0, weights);

        // One pass: what the VMs with credit could not get last period, how much the others used above their
        // templates, and (for the held caps) what the VMs without credit were capped at above their templates.
        ReadOnlySpan<double> usage = input.Usage[..n];
        ReadOnlySpan<double> limits = input.Limits[..n];
        ReadOnlySpan<double> pressure = input.Pressure[..n];
        ReadOnlySpan<double> previous = input.PreviousCaps[..n];
        Sums s = Scan(capacity, templates, credits, usage, limits, pressure, previous);
        double deficit = s.Deficit;
        double excess = s.Excess;
        if (deficit > 0 && excess > 0)
        {
            // Take the deficit from the VMs without credit, in proportion to what they use above their template.
            Caps(Rule.Deficit, Math.Min(deficit, excess) / excess, 0, 0, 0, capacity, templates, credits, usage, limits, previous, caps);
        }
        else if (s.Bursting > 0)
        {
            // A VM with credit is still bursting and was served: hold the caps that made room for it, but hand what the
            // host left idle back to the capped VMs (in proportion to their caps above template), so that caps never
            // keep capacity idle for long.
            double spare = capacity - s.Used;
            bool give = spare > _unserved * capacity && s.Held > 0;
            Caps(give ? Rule.Give : Rule.Hold, 0, spare, s.Above, s.Held, capacity, templates, credits, usage, limits, previous, caps);
        }
        else
        {
            caps.Fill(double.NaN);
        }
    }

    private enum Rule
    {
        Deficit,
        Hold,
        Give,
    }

    private struct Sums
    {
        public double Deficit;
        public double Excess;
        public double Bursting;
        public double Used;
        public double Above;
        public int Held;
    }

    /// <summary>
    /// The sums that decide the rule. Vectorized per VM, but every sum is still added VM after VM (a VM that does not
    /// count adds 0, which changes nothing), so the result is the same bit for bit with and without AVX.
    /// </summary>
    private Sums Scan(double capacity, ReadOnlySpan<double> templates, ReadOnlySpan<double> credits, ReadOnlySpan<double> usage, ReadOnlySpan<double> limits, ReadOnlySpan<double> pressure, ReadOnlySpan<double> previous)
    {
        int n = credits.Length;
        Sums s = default;
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref double t0 = ref MemoryMarshal.GetReference(templates);
            ref double c0 = ref MemoryMarshal.GetReference(credits);
            ref double u0 = ref MemoryMarshal.GetReference(usage);
            ref double l0 = ref MemoryMarshal.GetReference(limits);
            ref double p0 = ref MemoryMarshal.GetReference(pressure);
            ref double v0 = ref MemoryMarshal.GetReference(previous);
            Vector256<double> zero = Vector256<double>.Zero;
            Vector256<double> one = Vector256<double>.One;
            Vector256<double> cap = Vector256.Create(capacity);
            Vector256<double> capped = Vector256.Create(_capped);
            Vector256<double> unserved = Vector256.Create(_unserved);
            for (; i <= n - 4; i += 4)
            {
                Vector256<double> u = Vector256.LoadUnsafe(ref u0, (nuint)i);
                Vector256<double> t = Vector256.LoadUnsafe(ref t0, (nuint)i);
                Vector256<double> c = Vector256.LoadUnsafe(ref c0, (nuint)i);
                Vector256<double> l = Vector256.LoadUnsafe(ref l0, (nuint)i);
                Vector256<double> p = Vector256.LoadUnsafe(ref p0, (nuint)i);
                Vector256<double> prev = Vector256.LoadUnsafe(ref v0, (nuint)i);
                Vector256<double> measured = Vector256.GreaterThanOrEqual(u, zero);
                Vector256<double> withCredit = Vector256.GreaterThan(c, zero);
                Vector256<double> counted = measured & withCredit;
                Vector256<double> limit = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(l, zero), Vector256.MinNative(l, cap), cap);
                Vector256<double> room = limit - u;
                Vector256<double> atCap = Vector256.GreaterThan(prev, zero) & Vector256.LessThan(prev, limit) & Vector256.GreaterThanOrEqual(u, prev * capped);
                Vector256<double> partial = Vector256.ConditionalSelect(Vector256.LessThan(p, one), Vector256.MinNative(u * p / (one - p), room), room);
                Vector256<double> d = Vector256.ConditionalSelect(atCap, room, partial & Vector256.GreaterThan(p, unserved));
                Vector256<double> deficit = Vector256.MaxNative(d, zero) & counted;
                Vector256<double> bursting = Vector256.MaxNative(u - t, zero) & counted;
                Vector256<double> excess = (u - t) & Vector256.AndNot(measured & Vector256.GreaterThan(u, t), withCredit);
                Vector256<double> used = u & measured;
                Vector256<double> held = Vector256.AndNot(Vector256.GreaterThanOrEqual(prev, zero), withCredit);
                Vector256<double> above = Vector256.MaxNative(prev - t, zero) & held;
                for (int j = 0; j < 4; j++)
                {
                    s.Used += used.GetElement(j);
                    s.Bursting += bursting.GetElement(j);
                    s.Deficit += deficit.GetElement(j);
                    s.Excess += excess.GetElement(j);
                    s.Above += above.GetElement(j);
                }

                s.Held += BitOperations.PopCount(held.ExtractMostSignificantBits());
            }
        }

        for (; i < n; i++)
        {
            double prev = previous[i];
            double t = templates[i];
            if (credits[i] <= 0 && prev >= 0)
            {
                s.Above += Math.Max(prev - t, 0);
                s.Held++;
            }

            double u = usage[i];
            if (!(u >= 0))
            {
                continue;
            }

            s.Used += u;
            if (credits[i] > 0)
            {
                s.Bursting += Math.Max(u - t, 0);
                double limit = limits[i] >= 0 ? Math.Min(limits[i], capacity) : capacity;
                s.Deficit += ColumnMath.Unserved(u, prev, limit, pressure[i], _capped, _unserved);
            }
            else if (u > t)
            {
                s.Excess += u - t;
            }
        }

        return s;
    }

    /// <summary>
    /// Writes the caps of one rule (NaN for the VMs it does not cap), each at most the VM's limit and the capacity.
    /// <see cref="Rule.Deficit"/>: VMs without credit above their template, at <c>max(t, u − f·(u − t))</c>.
    /// <see cref="Rule.Hold"/>/<see cref="Rule.Give"/>: VMs without credit that had a cap keep it, plus their share of the
    /// idle capacity when given back, never below their template.
    /// </summary>
    private static void Caps(Rule rule, double f, double spare, double above, int held, double capacity, ReadOnlySpan<double> templates, ReadOnlySpan<double> credits, ReadOnlySpan<double> usage, ReadOnlySpan<double> limits, ReadOnlySpan<double> previous, Span<double> caps)
    {
        int n = caps.Length;
        int i = 0;
        double even = held > 0 ? spare / held : 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref double t0 = ref MemoryMarshal.GetReference(templates);
            ref double c0 = ref MemoryMarshal.GetReference(credits);
            ref double u0 = ref MemoryMarshal.GetReference(usage);
            ref double l0 = ref MemoryMarshal.GetReference(limits);
            ref double v0 = ref MemoryMarshal.GetReference(previous);
            ref double a0 = ref MemoryMarshal.GetReference(caps);
            Vector256<double> zero = Vector256<double>.Zero;
            Vector256<double> nan = Vector256.Create(double.NaN);
            Vector256<double> cap = Vector256.Create(capacity);
            Vector256<double> vf = Vector256.Create(f);
            Vector256<double> vSpare = Vector256.Create(spare);
            Vector256<double> vAbove = Vector256.Create(above);
            Vector256<double> vEven = Vector256.Create(even);
            for (; i <= n - 4; i += 4)
            {
                Vector256<double> t = Vector256.LoadUnsafe(ref t0, (nuint)i);
                Vector256<double> noCredit = Vector256.LessThanOrEqual(Vector256.LoadUnsafe(ref c0, (nuint)i), zero);
                Vector256<double> a;
                Vector256<double> capped;
                if (rule == Rule.Deficit)
                {
                    Vector256<double> u = Vector256.LoadUnsafe(ref u0, (nuint)i);
                    capped = noCredit & Vector256.GreaterThan(u, t);
                    a = Vector256.MaxNative(t, u - (vf * (u - t)));
                }
                else
                {
                    Vector256<double> prev = Vector256.LoadUnsafe(ref v0, (nuint)i);
                    capped = noCredit & Vector256.GreaterThanOrEqual(prev, zero);
                    Vector256<double> back = rule == Rule.Hold ? zero : above > 0 ? vSpare * Vector256.MaxNative(prev - t, zero) / vAbove : vEven;
                    a = Vector256.MaxNative(prev + back, t);
                }

                Vector256<double> l = Vector256.LoadUnsafe(ref l0, (nuint)i);
                a = Vector256.MinNative(Vector256.ConditionalSelect(Vector256.LessThan(l, a), l, a), cap);
                Vector256.ConditionalSelect(capped, a, nan).StoreUnsafe(ref a0, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            double t = templates[i];
            double c;
            if (rule == Rule.Deficit)
            {
                double u = usage[i];
                if (!(credits[i] <= 0 && u > t))
                {
                    caps[i] = double.NaN;
                    continue;
                }

                c = Math.Max(t, u - (f * (u - t)));
            }
            else
            {
                double prev = previous[i];
                if (!(credits[i] <= 0 && prev >= 0))
                {
                    caps[i] = double.NaN;
                    continue;
                }

                double back = rule == Rule.Hold ? 0 : above > 0 ? spare * Math.Max(prev - t, 0) / above : even;
                c = Math.Max(prev + back, t);
            }

            caps[i] = ColumnMath.ClampCap(c, limits[i], capacity);
        }
    }

    private void Weights(ReadOnlySpan<double> templates, ReadOnlySpan<double> credits, double equalShare, Span<double> weights)
    {
        int n = weights.Length;
        double inv = equalShare > 0 ? 1 / equalShare : 0;
        int i = 0;
        if (Vector256.IsHardwareAccelerated && inv > 0)
        {
            ref double t0 = ref MemoryMarshal.GetReference(templates);
            ref double c0 = ref MemoryMarshal.GetReference(credits);
            ref double w0 = ref MemoryMarshal.GetReference(weights);
            Vector256<double> vInv = Vector256.Create(inv);
            Vector256<double> vK = Vector256.Create(_invPeriods);
            Vector256<double> vMax = Vector256.Create(_maxExponent);
            Vector256<double> vMin = Vector256.Create(-_maxExponent);
            Vector256<double> vFloor = Vector256.Create(ColumnMath.MinimumWeight);
            Vector256<double> ln2 = Vector256.Create(Math.Log(2));
            Vector256<double> zero = Vector256<double>.Zero;
            for (; i <= n - 4; i += 4)
            {
                Vector256<double> t = Vector256.LoadUnsafe(ref t0, (nuint)i);
                Vector256<double> c = Vector256.LoadUnsafe(ref c0, (nuint)i);
                Vector256<double> x = (c * vK / t) & Vector256.GreaterThan(t, zero);
                x = Vector256.MinNative(Vector256.MaxNative(x, vMin), vMax);
                Vector256<double> w = Vector256.MaxNative(t * vInv, vFloor) * Vector256.Exp(x * ln2);
                w.StoreUnsafe(ref w0, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            double t = templates[i];
            double x = t > 0 ? credits[i] * _invPeriods / t : 0;
            x = Math.Clamp(x, -_maxExponent, _maxExponent);
            double b = inv > 0 ? Math.Max(t * inv, ColumnMath.MinimumWeight) : 1;
            // The same exponential as the vector loop, so that equal inputs give equal weights wherever they sit.
            double e = Vector256.IsHardwareAccelerated ? Vector256.Exp(Vector256.Create(x * Math.Log(2))).ToScalar() : Math.Exp(x * Math.Log(2));
            weights[i] = b * e;
        }
    }
}
