using ResCoin.Scheduling.Allocation;

namespace ResCoin.Scheduling;

/// <summary>
/// The baseline <c>none</c>: no controller at all. No caps and no weights (every VM keeps the kernel's default weight),
/// which is what a KVM host does when nobody manages it. Compare every policy against this first.
/// </summary>
public sealed class NoControllerAllocator : IAllocator
{
    /// <summary>The policy name, <c>none</c>.</summary>
    public string Name => Allocators.None;

    /// <inheritdoc/>
    public void Allocate(scoped in AllocationInput input, scoped in AllocationOutput output)
    {
        AllocatorGuard.CheckShape(input, output.Count);
        output.Caps.Fill(ResourceVector.Fill(double.NaN));
        output.Weights.Fill(ResourceVector.Fill(double.NaN));
    }
}
