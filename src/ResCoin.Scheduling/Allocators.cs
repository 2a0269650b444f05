using System.Globalization;

namespace ResCoin.Scheduling;

/// <summary>The allocation policies shipped with ResCoin, by name.</summary>
public static class Allocators
{
    /// <summary>The credit allocator's name.</summary>
    public const string ResCoin = "rescoin";

    /// <summary>The static allocator's name.</summary>
    public const string Static = "static";

    /// <summary>The proportional-share allocator's name.</summary>
    public const string Share = "share";

    /// <summary>The dominant-resource-fairness allocator's name.</summary>
    public const string Drf = "drf";

    /// <summary>No controller: no caps, default weights (<see cref="NoControllerAllocator"/>).</summary>
    public const string None = "none";

    private static readonly string[] s_names = [ResCoin, None, Static, Share, Drf];

    /// <summary>The valid policy names: <c>rescoin</c>, <c>none</c>, <c>static</c>, <c>share</c>, <c>drf</c>.</summary>
    public static IReadOnlyList<string> Names { get; } = Array.AsReadOnly(s_names);

    /// <summary>Creates an allocator by policy name (case-insensitive).</summary>
    /// <param name="name">One of <see cref="Names"/>.</param>
    /// <param name="headroom">The headroom policy of the credit allocator (ignored by the others).</param>
    /// <param name="weighting">The credit allocator's weighting (ignored by the others); null: the defaults.</param>
    /// <returns>A new allocator.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not a known policy.</exception>
    public static IAllocator Create(string name, HeadroomPolicy headroom = HeadroomPolicy.ProportionalToTemplate, CreditWeighting? weighting = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Trim().ToUpperInvariant() switch
        {
            "RESCOIN" => new CreditAllocator(headroom, weighting?.Clone() ?? new CreditWeighting()),
            "NONE" => new NoControllerAllocator(),
            "STATIC" => new StaticAllocator(),
            "SHARE" => new ProportionalShareAllocator(),
            "DRF" => new DrfAllocator(),
            _ => throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"Unknown allocation policy '{name}'; valid policies: {string.Join(", ", s_names)}."),
                nameof(name)),
        };
    }

    /// <summary>Whether <paramref name="name"/> is a known policy name (case-insensitive).</summary>
    /// <param name="name">The name.</param>
    /// <returns><see langword="true"/> when <see cref="Create"/> accepts it.</returns>
    public static bool IsKnown(string? name)
    {
        if (name is null)
        {
            return false;
        }

        foreach (string n in s_names)
        {
            if (string.Equals(n, name.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
