namespace ResCoin.Simulation;

/// <summary>
/// How the simulated host's kernel divides one resource among the VMs in a period (see the README, "The simulated
/// period"). Allocation-free: the caller owns every span.
/// </summary>
internal static class HostWaterFill
{
    /// <summary>
    /// Weighted water-filling under caps, as the kernel's fair scheduler does with <c>cpu.shares</c>/<c>cpu.weight</c>
    /// and quotas: <c>served_i = min(demand_i, cap_i, λ·weight_i)</c>, with the level λ chosen so that
    /// <c>Σ served = min(capacity, Σ min(demand_i, cap_i))</c>: nobody gets more than it wants or its cap, nothing is
    /// left idle while someone below its cap wants more (work-conserving), and VMs that all stay unsatisfied get
    /// amounts in proportion to their weights.
    /// </summary>
    /// <param name="demand">What each VM wants (negative counts as 0).</param>
    /// <param name="cap">Each VM's cap; NaN or +∞ for none.</param>
    /// <param name="weight">Each VM's weight, greater than zero.</param>
    /// <param name="capacity">The host's capacity (non-negative).</param>
    /// <param name="served">Receives what each VM gets.</param>
    /// <param name="keys">Scratch, at least as long as <paramref name="demand"/>.</param>
    /// <param name="order">Scratch, at least as long as <paramref name="demand"/>.</param>
    public static void Weighted(ReadOnlySpan<double> demand, ReadOnlySpan<double> cap, ReadOnlySpan<double> weight, double capacity, Span<double> served, Span<double> keys, Span<int> order)
    {
        int n = demand.Length;
        double total = Bounds(demand, cap, served);
        if (total <= capacity)
        {
            return;
        }

        double weights = 0;
        for (int i = 0; i < n; i++)
        {
            keys[i] = served[i] / weight[i];
            order[i] = i;
            weights += weight[i];
        }

        keys[..n].Sort(order[..n]);

        // Walk the VMs from the one that saturates at the lowest level up: each one whose bound is below the level
        // the rest would get is served in full and leaves the rest more; the first one above the level sets λ.
        double left = Math.Max(capacity, 0);
        int k = 0;
        double level = 0;
        for (; k < n; k++)
        {
            level = weights > 0 ? left / weights : 0;
            if (keys[k] > level)
            {
                break;
            }

            int i = order[k];
            left -= served[i];
            weights -= weight[i];
        }

        for (; k < n; k++)
        {
            int i = order[k];
            served[i] = level * weight[i];
        }
    }

    /// <summary>
    /// A resource actuated by caps alone (memory, disk and network limits): each VM gets <c>min(demand, cap)</c>;
    /// when that adds up to more than the capacity, every VM gets the same fraction of it.
    /// </summary>
    /// <param name="demand">What each VM wants (negative counts as 0).</param>
    /// <param name="cap">Each VM's cap; NaN or +∞ for none.</param>
    /// <param name="capacity">The host's capacity (non-negative).</param>
    /// <param name="served">Receives what each VM gets.</param>
    public static void CapOnly(ReadOnlySpan<double> demand, ReadOnlySpan<double> cap, double capacity, Span<double> served)
    {
        double total = Bounds(demand, cap, served);
        if (total <= capacity)
        {
            return;
        }

        double scale = Math.Max(capacity, 0) / total;
        for (int i = 0; i < demand.Length; i++)
        {
            served[i] *= scale;
        }
    }

    // served_i = min(demand_i, cap_i) (NaN cap: none); returns the sum.
    private static double Bounds(ReadOnlySpan<double> demand, ReadOnlySpan<double> cap, Span<double> served)
    {
        double total = 0;
        for (int i = 0; i < demand.Length; i++)
        {
            double d = demand[i] > 0 ? demand[i] : 0;
            double c = cap[i];
            double u = c < d ? Math.Max(c, 0) : d; // NaN compares false: no cap
            served[i] = u;
            total += u;
        }

        return total;
    }
}
