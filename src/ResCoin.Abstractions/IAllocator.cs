namespace ResCoin;

/// <summary>Divides a host's capacity among its VMs for one period, for every scheduled resource at once.</summary>
/// <remarks>Implementations are pure and allocation-free: spans in, spans out.</remarks>
public interface IAllocator
{
    /// <summary>The policy's name (<c>rescoin</c>, <c>static</c>, <c>share</c>, <c>drf</c>, …).</summary>
    string Name { get; }

    /// <summary>Computes one allocation per VM.</summary>
    /// <param name="input">Capacity, templates, estimates and credits.</param>
    /// <param name="allocations">Receives the allocation of each VM; same length as the input spans. Resources not in <see cref="AllocationInput.Resources"/> are left as they are.</param>
    /// <exception cref="ArgumentException">An input is NaN, infinite or negative (the message names the VM and resource), or the spans differ in length.</exception>
    void Allocate(scoped in AllocationInput input, Span<ResourceVector> allocations);
}
