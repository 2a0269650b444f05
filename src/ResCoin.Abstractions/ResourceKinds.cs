namespace ResCoin;

/// <summary>Helpers for <see cref="ResourceKind"/>: the count, the list, names and units.</summary>
public static class ResourceKinds
{
    /// <summary>The number of resource kinds (the length of a <see cref="ResourceVector"/>).</summary>
    public const int Count = 6;

    private static readonly ResourceKind[] s_all =
    [
        ResourceKind.Cpu, ResourceKind.Memory, ResourceKind.DiskRead,
        ResourceKind.DiskWrite, ResourceKind.NetRx, ResourceKind.NetTx,
    ];

    /// <summary>All resource kinds in index order.</summary>
    public static ReadOnlySpan<ResourceKind> All => s_all;

    /// <summary>The stable lower-camel-case name used in configuration, logs and JSON (<c>cpu</c>, <c>memory</c>, <c>diskRead</c>, <c>diskWrite</c>, <c>netRx</c>, <c>netTx</c>).</summary>
    /// <param name="kind">The resource.</param>
    /// <returns>The name.</returns>
    public static string Name(ResourceKind kind) => kind switch
    {
        ResourceKind.Cpu => "cpu",
        ResourceKind.Memory => "memory",
        ResourceKind.DiskRead => "diskRead",
        ResourceKind.DiskWrite => "diskWrite",
        ResourceKind.NetRx => "netRx",
        ResourceKind.NetTx => "netTx",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown resource kind."),
    };

    /// <summary>The unit of a resource (<c>cores</c>, <c>bytes</c> or <c>bytes/s</c>).</summary>
    /// <param name="kind">The resource.</param>
    /// <returns>The unit.</returns>
    public static string Unit(ResourceKind kind) => kind switch
    {
        ResourceKind.Cpu => "cores",
        ResourceKind.Memory => "bytes",
        ResourceKind.DiskRead or ResourceKind.DiskWrite or ResourceKind.NetRx or ResourceKind.NetTx => "bytes/s",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown resource kind."),
    };

    /// <summary>Parses a resource name as written by <see cref="Name"/> (case-insensitive).</summary>
    /// <param name="name">The name.</param>
    /// <param name="kind">The resource, when the name is known.</param>
    /// <returns><see langword="true"/> when the name is known.</returns>
    public static bool TryParse(ReadOnlySpan<char> name, out ResourceKind kind)
    {
        foreach (ResourceKind k in s_all)
        {
            if (name.Equals(Name(k), StringComparison.OrdinalIgnoreCase))
            {
                kind = k;
                return true;
            }
        }

        kind = default;
        return false;
    }
}
