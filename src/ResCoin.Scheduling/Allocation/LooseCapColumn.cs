namespace ResCoin.Scheduling.Allocation;

/// <summary>
/// The credit allocator's loose caps for a resource the host cannot weight (<see cref="CapOnlyRule.Loose"/>; see
/// <c>docs/design.md</c>, "Caps (cap-only resources)"). Without weights, caps are the only way to give a VM what it is
/// owed, so two kinds of unserved demand trigger them: what a VM below its template went without, up to the template (its
/// entitlement, credit or not), and what a VM with credit went without beyond that (its burst). Both are taken from the VMs without credit above
/// their template first, in proportion to their excess; what entitlements still miss is then taken from VMs with credit
/// above their template. Caps are never below a VM's template. Once everyone is served, a cap that still binds holds
/// (plus its share of the capacity the host left idle, so idle capacity loosens it) and one that no longer binds goes.
/// </summary>
internal sealed class LooseCapColumn
{
    private readonly double _unserved;
    private readonly double _capped;

    public LooseCapColumn(CreditWeighting weighting)
    {
        _unserved = weighting.UnservedPressure;
        _capped = weighting.CappedFraction;
    }

    public void Allocate(scoped in ColumnAllocationInput input, Span<double> caps)
    {
        int n = input.Count;
        if (n == 0)
        {
            return;
        }

        double capacity = input.Capacity;
        ReadOnlySpan<double> templates = input.Templates[..n];
        ReadOnlySpan<double> credits = input.Credits[..n];
        ReadOnlySpan<double> usage = input.Usage[..n];
        ReadOnlySpan<double> limits = input.Limits[..n];
        ReadOnlySpan<double> pressure = input.Pressure[..n];
        ReadOnlySpan<double> previous = input.PreviousCaps[..n];
        caps = caps[..n];

        double creditDeficit = 0, entitlementDeficit = 0, excessNoCredit = 0, excessCredit = 0, used = 0, aboveHeld = 0;
        int held = 0;
        for (int i = 0; i < n; i++)
        {
            double t = templates[i];
            double prev = previous[i];
            if (prev >= 0 && usage[i] > t && usage[i] >= prev * _capped)
            {
                aboveHeld += Math.Max(prev - t, 0);
                held++;
            }

            double u = usage[i];
            if (!(u >= 0))
            {
                continue;
            }

            used += u;
            double limit = limits[i] >= 0 ? Math.Min(limits[i], capacity) : capacity;
            double want = ColumnMath.Unserved(u, prev, limit, pressure[i], _capped, _unserved);

            // Up to the template it is an entitlement, whoever asks; beyond it, a burst, which only credit claims.
            bool withCredit = credits[i] > 0;
            double owed = u < t ? Math.Min(want, t - u) : 0;
            entitlementDeficit += owed;
            if (withCredit)
            {
                creditDeficit += want - owed;
            }

            if (u > t)
            {
                if (withCredit)
                {
                    excessCredit += u - t;
                }
                else
                {
                    excessNoCredit += u - t;
                }
            }
        }

        // Entitlements first, then bursts, from the VMs without credit; what entitlements still miss, from those with credit.
        double fromNoCreditForEntitlements = Math.Min(entitlementDeficit, excessNoCredit);
        double fromNoCredit = fromNoCreditForEntitlements + Math.Min(creditDeficit, excessNoCredit - fromNoCreditForEntitlements);
        double fromCredit = Math.Min(entitlementDeficit - fromNoCreditForEntitlements, excessCredit);
        double fNoCredit = excessNoCredit > 0 ? fromNoCredit / excessNoCredit : 0;
        double fCredit = excessCredit > 0 ? fromCredit / excessCredit : 0;
        if (fNoCredit > 0 || fCredit > 0)
        {
            for (int i = 0; i < n; i++)
            {
                double u = usage[i];
                double t = templates[i];
                double f = credits[i] > 0 ? fCredit : fNoCredit;
                caps[i] = u > t && f > 0 ? ColumnMath.ClampCap(Math.Max(t, u - (f * (u - t))), limits[i], capacity) : double.NaN;
            }

            return;
        }

        // Everyone was served. Caps that made that possible hold while the host is busy, with the capacity it left idle
        // handed back in proportion to each cap above template; with nobody capped above template any more, they go.
        double spare = capacity - used;
        if (held == 0)
        {
            caps.Fill(double.NaN);
            return;
        }

        double back = spare > _unserved * capacity ? spare : 0;
        for (int i = 0; i < n; i++)
        {
            double prev = previous[i];
            double t = templates[i];
            double u = usage[i];
            if (!(prev >= 0 && u > t && u >= prev * _capped))
            {
                caps[i] = double.NaN; // no cap, or one that no longer binds: released
                continue;
            }

            double share = aboveHeld > 0 ? back * Math.Max(prev - t, 0) / aboveHeld : back / held;
            caps[i] = ColumnMath.ClampCap(Math.Max(prev + share, t), limits[i], capacity);
        }
    }
}
