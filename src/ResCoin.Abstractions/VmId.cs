namespace ResCoin;

/// <summary>
/// The identity of a scheduled unit (a VM, or a cgroup) on one host: its name, compared ordinally.
/// For libvirt this is the domain name, for cgroups the cgroup path relative to the hierarchy root.
/// A VM may also carry its UUID (libvirt fills it): equality and order stay by name, so the controller's slots do not
/// change; actuators use <see cref="Uuid"/> to tell a re-created VM with the same name from the one they changed.
/// </summary>
public readonly struct VmId : IEquatable<VmId>, IComparable<VmId>
{
    private readonly string? _name;
    private readonly Guid _uuid;

    /// <summary>Creates an identity.</summary>
    /// <param name="name">The name; not empty.</param>
    /// <exception cref="ArgumentException">The name is null or empty.</exception>
    public VmId(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        _name = name;
    }

    /// <summary>Creates an identity with the VM's UUID.</summary>
    /// <param name="name">The name; not empty.</param>
    /// <param name="uuid">The VM's UUID (<see cref="Guid.Empty"/> = unknown).</param>
    /// <exception cref="ArgumentException">The name is null or empty.</exception>
    public VmId(string name, Guid uuid)
        : this(name)
    {
        _uuid = uuid;
    }

    /// <summary>The VM's UUID when known (libvirt domains); <see cref="Guid.Empty"/> otherwise. Not part of equality.</summary>
    public Guid Uuid => _uuid;

    /// <summary>The name (empty for <see langword="default"/>).</summary>
    public string Name => _name ?? string.Empty;

    /// <summary>Whether this is the default (unset) identity.</summary>
    public bool IsEmpty => _name is null;

    /// <summary>Equality.</summary>
    /// <param name="left">The left operand.</param>
    /// <param name="right">The right operand.</param>
    /// <returns>Whether equal.</returns>
    public static bool operator ==(VmId left, VmId right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    /// <param name="left">The left operand.</param>
    /// <param name="right">The right operand.</param>
    /// <returns>Whether different.</returns>
    public static bool operator !=(VmId left, VmId right) => !left.Equals(right);

    /// <summary>Ordinal order.</summary>
    /// <param name="left">The left operand.</param>
    /// <param name="right">The right operand.</param>
    /// <returns>Whether <paramref name="left"/> sorts first.</returns>
    public static bool operator <(VmId left, VmId right) => left.CompareTo(right) < 0;

    /// <summary>Ordinal order.</summary>
    /// <param name="left">The left operand.</param>
    /// <param name="right">The right operand.</param>
    /// <returns>Whether <paramref name="left"/> sorts last.</returns>
    public static bool operator >(VmId left, VmId right) => left.CompareTo(right) > 0;

    /// <summary>Ordinal order.</summary>
    /// <param name="left">The left operand.</param>
    /// <param name="right">The right operand.</param>
    /// <returns>Whether <paramref name="left"/> sorts first or equal.</returns>
    public static bool operator <=(VmId left, VmId right) => left.CompareTo(right) <= 0;

    /// <summary>Ordinal order.</summary>
    /// <param name="left">The left operand.</param>
    /// <param name="right">The right operand.</param>
    /// <returns>Whether <paramref name="left"/> sorts last or equal.</returns>
    public static bool operator >=(VmId left, VmId right) => left.CompareTo(right) >= 0;

    /// <inheritdoc/>
    public bool Equals(VmId other) => string.Equals(_name, other._name, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is VmId other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _name is null ? 0 : StringComparer.Ordinal.GetHashCode(_name);

    /// <inheritdoc/>
    public int CompareTo(VmId other) => string.CompareOrdinal(_name, other._name);

    /// <inheritdoc/>
    public override string ToString() => Name;
}
