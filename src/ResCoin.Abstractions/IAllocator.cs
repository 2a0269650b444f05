namespace ResCoin;

/// <summary>
/// Decides, for one period and every scheduled resource at once, each VM's cap (hard limit), weight (share under
/// contention within the period) and, through the controller, its guarantee.
/// </summary>
/// <remarks>
/// Allocation is allocation-free: spans in, spans out. An implementation may keep state from one period to the next
/// (a warm start, who went unserved last period), so each controller owns its own instance; it must not keep the
/// spans it was given. See <c>docs/design.md</c> ("The allocation algorithm").
/// </remarks>
public interface IAllocator
{
    /// <summary>The policy's name (<c>rescoin</c>, <c>none</c>, <c>static</c>, <c>share</c>, <c>drf</c>, …).</summary>
    string Name { get; }

    /// <summary>Computes each VM's cap and weight.</summary>
    /// <param name="input">Capacity, templates, estimates, credits, limits, usage and pressure.</param>
    /// <param name="output">
    /// Receives each VM's caps and weights; spans of the input's length. NaN means "nothing set" (no cap, default
    /// weight). Resources not in <see cref="AllocationInput.Resources"/> are left as they are.
    /// </param>
    /// <exception cref="ArgumentException">An input is NaN, infinite or negative (the message names the VM and resource), or the spans differ in length.</exception>
    void Allocate(scoped in AllocationInput input, scoped in AllocationOutput output);
}
