namespace ResCoin;

/// <summary>
/// The fast form of an <see cref="IAllocator"/>: one resource at a time, over contiguous per-resource columns. The
/// controller's period engine keeps its data as columns, so an allocator that implements this interface is called with
/// them directly (no transposes to rows and back); the engine checks its output exactly as it checks the built-in
/// allocators'. See <c>docs/design.md</c>, "Writing your own policy".
/// </summary>
/// <remarks>
/// The row form <see cref="IAllocator.Allocate"/> is still what callers outside the controller use; an implementation
/// usually derives from <c>ResCoin.Scheduling.ColumnAllocator</c>, which implements it over this method with the same
/// input checks. Like <see cref="IAllocator"/>, an implementation may keep state between periods, must not keep the
/// spans, and allocates nothing per call if it is to keep the period allocation-free.
/// </remarks>
public interface IColumnAllocator : IAllocator
{
    /// <summary>Decides one resource's caps and weights for every VM.</summary>
    /// <param name="input">The resource, its capacity and the per-VM columns (index i = VM i), already checked.</param>
    /// <param name="caps">Receives each VM's cap (NaN: no cap); <see cref="ColumnAllocationInput.Count"/> long.</param>
    /// <param name="weights">Receives each VM's weight (NaN: the default weight); <see cref="ColumnAllocationInput.Count"/> long.</param>
    void AllocateColumn(scoped in ColumnAllocationInput input, Span<double> caps, Span<double> weights);
}
