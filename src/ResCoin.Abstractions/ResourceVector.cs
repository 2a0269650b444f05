using System.Globalization;
using System.Runtime.CompilerServices;

namespace ResCoin;

/// <summary>
/// A fixed-size vector of one <see cref="double"/> per <see cref="ResourceKind"/>, indexed by the kind.
/// A value type with no heap storage, so arrays and spans of it are cache-friendly and allocation-free.
/// </summary>
public struct ResourceVector : IEquatable<ResourceVector>
{
    private Values _values;

    /// <summary>Creates a vector from one value per resource.</summary>
    /// <param name="cpu">Cores.</param>
    /// <param name="memory">Bytes.</param>
    /// <param name="diskRead">Bytes per second.</param>
    /// <param name="diskWrite">Bytes per second.</param>
    /// <param name="netRx">Bytes per second.</param>
    /// <param name="netTx">Bytes per second.</param>
    public ResourceVector(double cpu, double memory, double diskRead = 0, double diskWrite = 0, double netRx = 0, double netTx = 0)
    {
        _values[0] = cpu;
        _values[1] = memory;
        _values[2] = diskRead;
        _values[3] = diskWrite;
        _values[4] = netRx;
        _values[5] = netTx;
    }

    /// <summary>A vector of zeros.</summary>
    public static ResourceVector Zero => default;

    /// <summary>A vector with every element set to <paramref name="value"/>.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The vector.</returns>
    public static ResourceVector Fill(double value)
    {
        ResourceVector v = default;
        ((Span<double>)v._values).Fill(value);
        return v;
    }

    /// <summary>Gets or sets the value of one resource.</summary>
    /// <param name="kind">The resource.</param>
    public double this[ResourceKind kind]
    {
        readonly get => _values[(int)kind];
        set => _values[(int)kind] = value;
    }

    /// <summary>Gets or sets the value at index <paramref name="index"/> (0 to <see cref="ResourceKinds.Count"/> - 1).</summary>
    /// <param name="index">The index, the numeric value of a <see cref="ResourceKind"/>.</param>
    public double this[int index]
    {
        readonly get => _values[index];
        set => _values[index] = value;
    }

    /// <summary>Processor cores.</summary>
    public double Cpu { readonly get => _values[0]; set => _values[0] = value; }

    /// <summary>Memory bytes.</summary>
    public double Memory { readonly get => _values[1]; set => _values[1] = value; }

    /// <summary>Disk read bytes per second.</summary>
    public double DiskRead { readonly get => _values[2]; set => _values[2] = value; }

    /// <summary>Disk write bytes per second.</summary>
    public double DiskWrite { readonly get => _values[3]; set => _values[3] = value; }

    /// <summary>Network receive bytes per second.</summary>
    public double NetRx { readonly get => _values[4]; set => _values[4] = value; }

    /// <summary>Network transmit bytes per second.</summary>
    public double NetTx { readonly get => _values[5]; set => _values[5] = value; }

    /// <summary>Element-wise sum.</summary>
    /// <param name="left">The left operand.</param>
    /// <param name="right">The right operand.</param>
    /// <returns>The sum.</returns>
    public static ResourceVector operator +(ResourceVector left, ResourceVector right) => Add(left, right);

    /// <summary>Element-wise difference.</summary>
    /// <param name="left">The left operand.</param>
    /// <param name="right">The right operand.</param>
    /// <returns>The difference.</returns>
    public static ResourceVector operator -(ResourceVector left, ResourceVector right) => Subtract(left, right);

    /// <summary>Every element times a scalar.</summary>
    /// <param name="left">The vector.</param>
    /// <param name="right">The scalar.</param>
    /// <returns>The scaled vector.</returns>
    public static ResourceVector operator *(ResourceVector left, double right) => Multiply(left, right);

    /// <summary>Element-wise equality (bitwise on the doubles' values, so NaN equals NaN).</summary>
    /// <param name="left">The left operand.</param>
    /// <param name="right">The right operand.</param>
    /// <returns>Whether the vectors are equal.</returns>
    public static bool operator ==(ResourceVector left, ResourceVector right) => left.Equals(right);

    /// <summary>Element-wise inequality.</summary>
    /// <param name="left">The left operand.</param>
    /// <param name="right">The right operand.</param>
    /// <returns>Whether the vectors differ.</returns>
    public static bool operator !=(ResourceVector left, ResourceVector right) => !left.Equals(right);

    /// <summary>Element-wise sum.</summary>
    /// <param name="left">The left operand.</param>
    /// <param name="right">The right operand.</param>
    /// <returns>The sum.</returns>
    public static ResourceVector Add(ResourceVector left, ResourceVector right)
    {
        ResourceVector r = default;
        for (int i = 0; i < ResourceKinds.Count; i++)
        {
            r._values[i] = left._values[i] + right._values[i];
        }

        return r;
    }

    /// <summary>Element-wise difference.</summary>
    /// <param name="left">The left operand.</param>
    /// <param name="right">The right operand.</param>
    /// <returns>The difference.</returns>
    public static ResourceVector Subtract(ResourceVector left, ResourceVector right)
    {
        ResourceVector r = default;
        for (int i = 0; i < ResourceKinds.Count; i++)
        {
            r._values[i] = left._values[i] - right._values[i];
        }

        return r;
    }

    /// <summary>Every element times a scalar.</summary>
    /// <param name="left">The vector.</param>
    /// <param name="right">The scalar.</param>
    /// <returns>The scaled vector.</returns>
    public static ResourceVector Multiply(ResourceVector left, double right)
    {
        ResourceVector r = default;
        for (int i = 0; i < ResourceKinds.Count; i++)
        {
            r._values[i] = left._values[i] * right;
        }

        return r;
    }

    /// <summary>Element-wise minimum.</summary>
    /// <param name="left">The left operand.</param>
    /// <param name="right">The right operand.</param>
    /// <returns>The minimum.</returns>
    public static ResourceVector Min(ResourceVector left, ResourceVector right)
    {
        ResourceVector r = default;
        for (int i = 0; i < ResourceKinds.Count; i++)
        {
            r._values[i] = Math.Min(left._values[i], right._values[i]);
        }

        return r;
    }

    /// <summary>Element-wise maximum.</summary>
    /// <param name="left">The left operand.</param>
    /// <param name="right">The right operand.</param>
    /// <returns>The maximum.</returns>
    public static ResourceVector Max(ResourceVector left, ResourceVector right)
    {
        ResourceVector r = default;
        for (int i = 0; i < ResourceKinds.Count; i++)
        {
            r._values[i] = Math.Max(left._values[i], right._values[i]);
        }

        return r;
    }

    /// <summary>The values as a read-only span over this vector's storage (valid while the vector lives).</summary>
    /// <param name="vector">The vector, by reference.</param>
    /// <returns>A span of <see cref="ResourceKinds.Count"/> elements.</returns>
    public static ReadOnlySpan<double> AsReadOnlySpan(ref readonly ResourceVector vector) => vector._values;

    /// <summary>The values as a writable span over this vector's storage (valid while the vector lives).</summary>
    /// <param name="vector">The vector, by reference.</param>
    /// <returns>A span of <see cref="ResourceKinds.Count"/> elements.</returns>
    public static Span<double> AsSpan(ref ResourceVector vector) => vector._values;

    /// <summary>Whether every element is finite (not NaN, not infinite).</summary>
    /// <returns><see langword="true"/> when all values are finite.</returns>
    public readonly bool IsFinite()
    {
        for (int i = 0; i < ResourceKinds.Count; i++)
        {
            if (!double.IsFinite(_values[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc/>
    public readonly bool Equals(ResourceVector other)
    {
        for (int i = 0; i < ResourceKinds.Count; i++)
        {
            if (!_values[i].Equals(other._values[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc/>
    public override readonly bool Equals(object? obj) => obj is ResourceVector v && Equals(v);

    /// <inheritdoc/>
    public override readonly int GetHashCode()
        => HashCode.Combine(_values[0], _values[1], _values[2], _values[3], _values[4], _values[5]);

    /// <inheritdoc/>
    public override readonly string ToString()
        => string.Create(
            CultureInfo.InvariantCulture,
            $"cpu={_values[0]:G6} memory={_values[1]:G6} diskRead={_values[2]:G6} diskWrite={_values[3]:G6} netRx={_values[4]:G6} netTx={_values[5]:G6}");

    [InlineArray(ResourceKinds.Count)]
    private struct Values
    {
        private double _element0;
    }
}
