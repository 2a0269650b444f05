using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ResCoin.Scheduling.Allocation;

/// <summary>
/// The credit allocator's rule for a resource the host arbitrates by weight (see <see cref="CreditWeighting"/> and
/// <c>docs/design.md</c>, "Weights and caps"): weights from credit, caps only on VMs without credit above their template
/// while a VM with credit goes unserved. Two passes over the column, nothing allocated.
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

    public void Allocate(scoped in ColumnInput input, Span<double> caps, Span<double> weights)
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
        caps.Fill(double.NaN);

        // What the VMs with credit could not get last period, and how much the others used above their templates.
        ReadOnlySpan<double> usage = input.Usage[..n];
        ReadOnlySpan<double> limits = input.Limits[..n];
        ReadOnlySpan<double> pressure = input.Pressure[..n];
        ReadOnlySpan<double> previous = input.PreviousCaps[..n];
        double deficit = 0;
        double excess = 0;
        double bursting = 0;
        double used = 0;
        int held = 0;
        for (int i = 0; i < n; i++)
        {
            double u = usage[i];
            if (!(u >= 0))
            {
                continue;
            }

            used += u;
            double t = templates[i];
            if (credits[i] > 0)
            {
                bursting += Math.Max(u - t, 0);
                double limit = limits[i] >= 0 ? Math.Min(limits[i], capacity) : capacity;
                double p = pressure[i];
                double prev = previous[i];
                double d = 0;
                if (prev > 0 && prev < limit && u >= prev * _capped)
                {
                    d = limit - u; // capped and wanting more: claims up to its limit at once
                }
                else if (p > _unserved)
                {
                    d = p < 1 ? Math.Min(u * p / (1 - p), limit - u) : limit - u;
                }

                deficit += Math.Max(d, 0);
            }
            else if (u > t)
            {
                excess += u - t;
            }
        }

        if (deficit > 0 && excess > 0)
        {
            // Take the deficit from the VMs without credit, in proportion to what they use above their template.
            double f = Math.Min(deficit, excess) / excess;
            for (int i = 0; i < n; i++)
            {
                double u = usage[i];
                double t = templates[i];
                if (credits[i] <= 0 && u > t)
                {
                    caps[i] = Math.Max(t, u - (f * (u - t)));
                }
            }
        }
        else if (bursting > 0)
        {
            // A VM with credit is still bursting and was served: hold the caps that made room for it, but hand what the
            // host left idle back to the capped VMs (in proportion to their caps above template), so that caps never
            // keep capacity idle for long.
            double spare = capacity - used;
            double above = 0;
            for (int i = 0; i < n; i++)
            {
                double prev = previous[i];
                if (credits[i] <= 0 && prev >= 0)
                {
                    above += Math.Max(prev - templates[i], 0);
                    held++;
                }
            }

            bool give = spare > _unserved * capacity && held > 0;
            for (int i = 0; i < n; i++)
            {
                double prev = previous[i];
                if (credits[i] <= 0 && prev >= 0)
                {
                    double t = templates[i];
                    double back = !give ? 0 : above > 0 ? spare * Math.Max(prev - t, 0) / above : spare / held;
                    caps[i] = Math.Max(prev + back, t);
                }
            }
        }
        else
        {
            return;
        }

        for (int i = 0; i < n; i++)
        {
            double c = caps[i];
            if (c >= 0)
            {
                double l = limits[i];
                caps[i] = Math.Min(l < c ? l : c, capacity);
            }
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
