namespace ResCoin;

/// <summary>A set of <see cref="ResourceKind"/> values, as bit flags (bit <c>i</c> is resource <c>i</c>).</summary>
[Flags]
#pragma warning disable CA1711 // "Set" is the right name here.
public enum ResourceSet
#pragma warning restore CA1711
{
    /// <summary>No resource.</summary>
    None = 0,

    /// <summary><see cref="ResourceKind.Cpu"/>.</summary>
    Cpu = 1 << ResourceKind.Cpu,

    /// <summary><see cref="ResourceKind.Memory"/>.</summary>
    Memory = 1 << ResourceKind.Memory,

    /// <summary><see cref="ResourceKind.DiskRead"/>.</summary>
    DiskRead = 1 << ResourceKind.DiskRead,

    /// <summary><see cref="ResourceKind.DiskWrite"/>.</summary>
    DiskWrite = 1 << ResourceKind.DiskWrite,

    /// <summary><see cref="ResourceKind.NetRx"/>.</summary>
    NetRx = 1 << ResourceKind.NetRx,

    /// <summary><see cref="ResourceKind.NetTx"/>.</summary>
    NetTx = 1 << ResourceKind.NetTx,

    /// <summary>Every resource.</summary>
    All = Cpu | Memory | DiskRead | DiskWrite | NetRx | NetTx,
}

/// <summary>Extension methods for <see cref="ResourceSet"/>.</summary>
public static class ResourceSetExtensions
{
    /// <summary>Whether the set contains <paramref name="kind"/>.</summary>
    /// <param name="set">The set.</param>
    /// <param name="kind">The resource.</param>
    /// <returns><see langword="true"/> when the resource is in the set.</returns>
    public static bool Contains(this ResourceSet set, ResourceKind kind) => ((int)set & (1 << (int)kind)) != 0;

    /// <summary>The set with <paramref name="kind"/> added.</summary>
    /// <param name="set">The set.</param>
    /// <param name="kind">The resource.</param>
    /// <returns>The new set.</returns>
    public static ResourceSet With(this ResourceSet set, ResourceKind kind) => (ResourceSet)((int)set | (1 << (int)kind));
}
