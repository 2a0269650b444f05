namespace ResCoin.Scheduling;

/// <summary>
/// A read-only view of the last period a <see cref="ResCoinController"/> computed: one entry per VM in every span,
/// in the same order. The controller reuses the buffers, so the view is valid until the next period starts; it is
/// not safe to read while a period runs on another thread.
/// </summary>
public sealed class ControllerPeriod
{
    internal VmId[] VmBuffer = [];
    internal int[] SlotBuffer = [];
    internal ResourceVector[] TemplateBuffer = [];
    internal ResourceVector[] UsageBuffer = [];
    internal ResourceVector[] EstimateBuffer = [];
    internal ResourceVector[] CreditBuffer = [];
    internal ResourceVector[] CapBuffer = [];
    internal ResourceVector[] WeightBuffer = [];
    internal ResourceVector[] LimitBuffer = [];
    internal ResourceVector[] PressureBuffer = [];

    internal ControllerPeriod()
    {
        Capacity = ResourceVector.Fill(double.NaN);
    }

    /// <summary>The period's number: 1 for the first period computed, 0 before any.</summary>
    public long Index { get; internal set; }

    /// <summary>When the period's sample was taken.</summary>
    public DateTimeOffset Timestamp { get; internal set; }

    /// <summary>The capacity divided (after reserves), NaN for resources that were not scheduled.</summary>
    public ResourceVector Capacity { get; internal set; }

    /// <summary>The resources scheduled in this period (configured, and with a known capacity).</summary>
    public ResourceSet Resources { get; internal set; }

    /// <summary>The number of VMs.</summary>
    public int Count { get; internal set; }

    /// <summary>The VMs.</summary>
    public ReadOnlySpan<VmId> Vms => VmBuffer.AsSpan(0, Count);

    /// <summary>Each VM's template (entitlement).</summary>
    public ReadOnlySpan<ResourceVector> Templates => TemplateBuffer.AsSpan(0, Count);

    /// <summary>Each VM's measured usage (NaN where not measured).</summary>
    public ReadOnlySpan<ResourceVector> Usage => UsageBuffer.AsSpan(0, Count);

    /// <summary>Each VM's predicted demand for the next period.</summary>
    public ReadOnlySpan<ResourceVector> Estimates => EstimateBuffer.AsSpan(0, Count);

    /// <summary>Each VM's credit after this period's update.</summary>
    public ReadOnlySpan<ResourceVector> Credits => CreditBuffer.AsSpan(0, Count);

    /// <summary>Each VM's cap (hard limit; NaN: no cap, or the resource was not scheduled).</summary>
    public ReadOnlySpan<ResourceVector> Caps => CapBuffer.AsSpan(0, Count);

    /// <summary>Each VM's weight (1 = the kernel's default; NaN: none set, or the resource was not scheduled).</summary>
    public ReadOnlySpan<ResourceVector> Weights => WeightBuffer.AsSpan(0, Count);

    /// <summary>Each VM's own limit as the monitor reported it (NaN: unknown).</summary>
    public ReadOnlySpan<ResourceVector> Limits => LimitBuffer.AsSpan(0, Count);

    /// <summary>Each VM's pressure as the monitor reported it (share of demand not served, 0 to 1; NaN: not reported).</summary>
    public ReadOnlySpan<ResourceVector> Pressure => PressureBuffer.AsSpan(0, Count);

    /// <summary>The position of a VM in the spans.</summary>
    /// <param name="id">The VM.</param>
    /// <returns>Its index, or -1 when it was not in the period.</returns>
    public int IndexOf(VmId id) => Array.IndexOf(VmBuffer, id, 0, Count);

    internal void EnsureCapacity(int n)
    {
        if (VmBuffer.Length >= n)
        {
            return;
        }

        int size = Math.Max(n, Math.Max(16, VmBuffer.Length * 2));
        Array.Resize(ref VmBuffer, size);
        Array.Resize(ref SlotBuffer, size);
        Array.Resize(ref TemplateBuffer, size);
        Array.Resize(ref UsageBuffer, size);
        Array.Resize(ref EstimateBuffer, size);
        Array.Resize(ref CreditBuffer, size);
        Array.Resize(ref CapBuffer, size);
        Array.Resize(ref WeightBuffer, size);
        Array.Resize(ref LimitBuffer, size);
        Array.Resize(ref PressureBuffer, size);
    }
}
