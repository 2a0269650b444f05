using ResCoin.Scheduling.Allocation;

namespace ResCoin.Scheduling;

/// <summary>
/// The base of a policy written in column form (<see cref="IColumnAllocator"/>), built in or the user's: implement
/// <see cref="AllocateColumn"/> for one resource and the controller calls it on its fast path, with its columns as they
/// are. The row form <see cref="Allocate"/> is implemented here over the same method, with the same checks as the
/// built-in allocators: the inputs (the messages name the VM and resource) and the output (every cap NaN or finite and
/// at least 0, every weight NaN or finite and above 0).
/// </summary>
/// <remarks>
/// An instance keeps scratch buffers for the row form (grown to the VM count, then reused) and is not thread-safe; each
/// controller owns its own. See <c>docs/design.md</c>, "Writing your own policy".
/// </remarks>
public abstract class ColumnAllocator : IColumnAllocator
{
    private readonly ColumnBuffers _columns = new();

    /// <inheritdoc/>
    public abstract string Name { get; }

    /// <summary>
    /// Computes each VM's cap and weight in row form: checks the input, transposes it into columns, calls
    /// <see cref="AllocateColumn"/> once per scheduled resource, checks its output and transposes it back.
    /// </summary>
    /// <param name="input">Capacity, templates, estimates, credits, limits, usage and pressure.</param>
    /// <param name="output">Receives the caps and weights of the scheduled resources.</param>
    /// <exception cref="ArgumentException">An input is invalid or the spans differ in length; the message names the VM and resource.</exception>
    /// <exception cref="InvalidOperationException"><see cref="AllocateColumn"/> returned an invalid cap or weight; the message names the VM and resource.</exception>
    public void Allocate(scoped in AllocationInput input, scoped in AllocationOutput output)
        => _columns.Allocate(this, input, output);

    /// <inheritdoc/>
    public abstract void AllocateColumn(scoped in ColumnAllocationInput input, Span<double> caps, Span<double> weights);
}
