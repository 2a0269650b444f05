using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ResCoin.Scheduling.Control;

/// <summary>
/// The period engine's demand stage, per resource and VM: the estimate (the prediction, raised when the VM used nearly
/// all of its last cap), the credit, and demand discovery (see <c>docs/design.md</c>, "Demand discovery"), in one pass.
/// </summary>
internal sealed partial class PeriodEngine
{
    /// <summary>
    /// The demand stage when VM i has slot i: the estimates replace the predictions in place, the credits are written by
    /// VM. One pass over the columns, four VMs per AVX step; a group of four with a VM not measured this period takes
    /// the scalar rule (the same arithmetic, so the results are identical either way).
    /// </summary>
    private void DemandInPlace(ResourceKind kind, int n, ReadOnlySpan<VmId> vms)
    {
        int r = (int)kind;
        ReadOnlySpan<double> sum = _ledger.Sums(kind)[..n];
        ReadOnlySpan<double> comp = _ledger.Compensations(kind)[..n];
        Span<double> est = _predicted[r].AsSpan(0, n);
        Span<double> credit = _credits[r].AsSpan(0, n);
        ReadOnlySpan<double> usage = _observed[r].AsSpan(0, n);
        ReadOnlySpan<double> last = _lastAllocation[r].AsSpan(0, n);
        ReadOnlySpan<double> templates = _templates[r].AsSpan(0, n);
        ReadOnlySpan<double> limits = _limits[r].AsSpan(0, n);
        ReadOnlySpan<double> pressure = _pressure[r].AsSpan(0, n);
        Span<bool> measured = _measured[r].AsSpan(0, n);
        bool throttle = _throttledGrowth > 0;
        double growth = 1 + _throttledGrowth;
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref double e0 = ref MemoryMarshal.GetReference(est);
            ref double s0 = ref MemoryMarshal.GetReference(sum);
            ref double k0 = ref MemoryMarshal.GetReference(comp);
            ref double c0 = ref MemoryMarshal.GetReference(credit);
            ref double u0 = ref MemoryMarshal.GetReference(usage);
            ref double l0 = ref MemoryMarshal.GetReference(last);
            ref double lim0 = ref MemoryMarshal.GetReference(limits);
            ref double p0 = ref MemoryMarshal.GetReference(pressure);
            ref byte m0 = ref Unsafe.As<bool, byte>(ref MemoryMarshal.GetReference(measured));
            Vector256<double> zero = Vector256<double>.Zero;
            Vector256<double> one = Vector256<double>.One;
            Vector256<double> max = Vector256.Create(double.MaxValue);
            Vector256<double> fraction = Vector256.Create(ThrottledUsageFraction);
            Vector256<double> g = Vector256.Create(growth);
            for (; i <= n - 4; i += 4)
            {
                Vector256<double> u = Vector256.LoadUnsafe(ref u0, (nuint)i);
                Vector256<double> c = Vector256.LoadUnsafe(ref s0, (nuint)i) + Vector256.LoadUnsafe(ref k0, (nuint)i);
                if (!Vector256.EqualsAll(c - c, zero) || !Vector256.GreaterThanOrEqualAll(u, zero))
                {
                    // An infinite credit (the scalar rule throws) or a VM not measured (its template may stand in).
                    for (int j = i; j < i + 4; j++)
                    {
                        credit[j] = CreditOf(sum[j] + comp[j], vms, j, kind);
                        est[j] = Demand(EstimateOf(est[j], throttle ? last[j] : double.NaN, usage[j], growth), usage[j], pressure[j], limits[j], last[j], credit[j], templates[j], ref measured[j]);
                    }

                    continue;
                }

                c.StoreUnsafe(ref c0, (nuint)i);
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref m0, i), 0x01010101u);

                // The estimate: NaN or negative predictions count as 0; censored usage raises it (EstimateOf).
                Vector256<double> prev = Vector256.LoadUnsafe(ref l0, (nuint)i);
                Vector256<double> e = Vector256.LoadUnsafe(ref e0, (nuint)i);
                e &= Vector256.GreaterThanOrEqual(e, zero);
                if (throttle)
                {
                    Vector256<double> capped = Vector256.GreaterThan(prev, zero) & Vector256.GreaterThanOrEqual(u, prev * fraction);
                    e = Vector256.ConditionalSelect(capped, Vector256.MaxNative(e, prev * g), e);
                }

                e = Vector256.MinNative(e, max);

                // Demand discovery (Demand): pressure p wanted u / (1 - p), p >= 1 its limit; credit and a full cap claim the limit.
                Vector256<double> limit = Vector256.LoadUnsafe(ref lim0, (nuint)i);
                Vector256<double> p = Vector256.LoadUnsafe(ref p0, (nuint)i);
                Vector256<double> wanted = Vector256.ConditionalSelect(Vector256.LessThan(p, one), u / (one - p), limit);
                Vector256<double> raise = Vector256.GreaterThan(p, zero) & Vector256.GreaterThan(wanted, e);
                e = Vector256.ConditionalSelect(raise, Vector256.MinNative(wanted, max), e);
                Vector256<double> burst = Vector256.GreaterThan(c, zero) & Vector256.GreaterThan(prev, zero)
                    & Vector256.GreaterThanOrEqual(u, prev * fraction) & Vector256.GreaterThan(limit, e);
                e = Vector256.ConditionalSelect(burst, limit, e);
                Vector256.ConditionalSelect(Vector256.LessThan(limit, e), limit, e).StoreUnsafe(ref e0, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            credit[i] = CreditOf(sum[i] + comp[i], vms, i, kind);
            est[i] = Demand(EstimateOf(est[i], throttle ? last[i] : double.NaN, usage[i], growth), usage[i], pressure[i], limits[i], last[i], credit[i], templates[i], ref measured[i]);
        }
    }

    /// <summary>The demand stage when slots differ from VM indexes: predictions, usage, credits and last caps gathered from the slots.</summary>
    private void DemandGathered(ResourceKind kind, int n, ReadOnlySpan<int> slots, ReadOnlySpan<VmId> vms)
    {
        int r = (int)kind;
        ReadOnlySpan<double> sum = _ledger.Sums(kind);
        ReadOnlySpan<double> comp = _ledger.Compensations(kind);
        double[] predicted = _predicted[r];
        double[] observed = _observed[r];
        double[] lastAllocation = _lastAllocation[r];
        bool[] measured = _measured[r];
        Span<double> est = _estimates[r].AsSpan(0, n);
        Span<double> credit = _credits[r].AsSpan(0, n);
        Span<double> previous = _previousCaps[r].AsSpan(0, n);
        ReadOnlySpan<double> templates = _templates[r].AsSpan(0, n);
        ReadOnlySpan<double> limits = _limits[r].AsSpan(0, n);
        ReadOnlySpan<double> pressure = _pressure[r].AsSpan(0, n);
        slots = slots[..n];
        bool throttle = _throttledGrowth > 0;
        double growth = 1 + _throttledGrowth;
        for (int i = 0; i < slots.Length; i++)
        {
            int slot = slots[i];
            double last = lastAllocation[slot];
            double u = observed[slot];
            previous[i] = last;
            credit[i] = CreditOf(sum[slot] + comp[slot], vms, i, kind);
            est[i] = Demand(EstimateOf(predicted[slot], throttle ? last : double.NaN, u, growth), u, pressure[i], limits[i], last, credit[i], templates[i], ref measured[slot]);
        }
    }

    /// <summary>
    /// A VM's estimate: the prediction (NaN or negative from a faulty predictor counts as 0, capped to the largest
    /// finite value), raised to <paramref name="last"/> × <paramref name="growth"/> when the VM used nearly all of its
    /// last allocation (censored usage; <paramref name="last"/> NaN: no such rule).
    /// </summary>
    private static double EstimateOf(double predicted, double last, double observed, double growth)
    {
        double e = predicted >= 0 ? predicted : 0;
        if (last > 0 && observed >= last * ThrottledUsageFraction)
        {
            e = Math.Max(e, last * growth);
        }

        return Math.Min(e, double.MaxValue);
    }

    /// <summary>
    /// Demand discovery (see <c>docs/design.md</c>): a VM never measured is estimated at its template; a VM under
    /// pressure p wanted about usage ÷ (1 − p); a VM with credit that used nearly all its cap claims up to its limit;
    /// no estimate exceeds the VM's limit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Demand(double e, double u, double p, double limit, double previous, double credit, double template, ref bool measured)
    {
        if (u >= 0)
        {
            measured = true;
            if (p > 0)
            {
                // p = 1: served nothing; what it wanted is unknown beyond "more": its limit where known.
                double wanted = p < 1 ? u / (1 - p) : limit;
                if (wanted > e)
                {
                    e = Math.Min(wanted, double.MaxValue);
                }
            }

            if (credit > 0 && previous > 0 && u >= previous * ThrottledUsageFraction && limit > e)
            {
                e = limit;
            }
        }
        else if (!measured)
        {
            e = template;
        }

        return limit < e ? limit : e;
    }

    private static double CreditOf(double credit, ReadOnlySpan<VmId> vms, int i, ResourceKind kind)
    {
        if (!double.IsFinite(credit))
        {
            ThrowBadCredit(vms, i, kind, credit);
        }

        return credit;
    }

    [DoesNotReturn]
    private static void ThrowBadCredit(ReadOnlySpan<VmId> vms, int i, ResourceKind r, double credit)
        => throw new ArgumentException(
            string.Create(CultureInfo.InvariantCulture, $"The credit of VM '{NameOf(vms, i)}' for {ResourceKinds.Name(r)} is {credit.ToString("R", CultureInfo.InvariantCulture)}: its template and usage are too large to sum over the window."),
            nameof(vms));
}
