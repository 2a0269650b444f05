namespace ResCoin;

/// <summary>Where an <see cref="IAllocator"/> writes its decision: one cap and one weight vector per VM.</summary>
public readonly ref struct AllocationOutput
{
    /// <summary>Creates an output over two spans of the same length.</summary>
    /// <param name="caps">Receives each VM's caps (NaN: no cap).</param>
    /// <param name="weights">Receives each VM's weights (NaN: the default weight).</param>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    public AllocationOutput(Span<ResourceVector> caps, Span<ResourceVector> weights)
    {
        if (caps.Length != weights.Length)
        {
            throw new ArgumentException("The caps and weights spans differ in length.", nameof(weights));
        }

        Caps = caps;
        Weights = weights;
    }

    /// <summary>Each VM's cap per resource, in the resource's unit; NaN: no cap.</summary>
    public Span<ResourceVector> Caps { get; }

    /// <summary>Each VM's weight per resource (1 = the kernel's default); NaN: the default weight.</summary>
    public Span<ResourceVector> Weights { get; }

    /// <summary>The number of VMs.</summary>
    public int Count => Caps.Length;
}
