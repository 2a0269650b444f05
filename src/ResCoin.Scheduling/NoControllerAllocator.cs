namespace ResCoin.Scheduling;

/// <summary>
/// The baseline <c>none</c>: no controller at all. No caps and no weights (every VM keeps the kernel's default weight),
/// which is what a KVM host does when nobody manages it. Compare every policy against this first.
/// </summary>
public sealed class NoControllerAllocator : ColumnAllocator
{
    /// <summary>The policy name, <c>none</c>.</summary>
    public override string Name => Allocators.None;

    /// <summary>One resource: no cap and the default weight (NaN) for every VM.</summary>
    /// <param name="input">The resource's columns.</param>
    /// <param name="caps">Receives NaN.</param>
    /// <param name="weights">Receives NaN.</param>
    public override void AllocateColumn(scoped in ColumnAllocationInput input, Span<double> caps, Span<double> weights)
    {
        caps[..input.Count].Fill(double.NaN);
        weights[..input.Count].Fill(double.NaN);
    }
}
