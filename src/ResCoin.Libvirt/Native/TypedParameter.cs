using System.Runtime.InteropServices;
using System.Text;

namespace ResCoin.Libvirt.Native;

/// <summary>virTypedParameterType.</summary>
internal enum TypedParameterType
{
    Int = 1,
    UInt = 2,
    LLong = 3,
    ULLong = 4,
    Double = 5,
    Boolean = 6,
    String = 7,
}

/// <summary>
/// virTypedParameter: <c>char field[80]; int type; union { int; unsigned; long long; unsigned long long; double; char; char*; } value;</c>
/// (96 bytes on LP64: the union is 8-byte aligned at offset 88).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 96)]
internal unsafe struct TypedParameter
{
    internal const int FieldLength = 80;

    [FieldOffset(0)]
    public fixed byte Field[FieldLength];

    [FieldOffset(80)]
    public TypedParameterType Type;

    [FieldOffset(88)]
    public int IntValue;

    [FieldOffset(88)]
    public long LongValue;

    [FieldOffset(88)]
    public double DoubleValue;

    [FieldOffset(88)]
    public byte* StringValue;

    /// <summary>The field name (NUL-terminated, UTF-8), without the terminator.</summary>
    public readonly ReadOnlySpan<byte> Name
    {
        get
        {
            fixed (byte* p = Field)
            {
                var span = new ReadOnlySpan<byte>(p, FieldLength);
                int end = span.IndexOf((byte)0);
                return end < 0 ? span : span[..end];
            }
        }
    }

    /// <summary>Whether the name is <paramref name="name"/>.</summary>
    public readonly bool Is(ReadOnlySpan<byte> name) => Name.SequenceEqual(name);

    /// <summary>The numeric value as a double (NaN for strings).</summary>
    public readonly double AsDouble() => Type switch
    {
        TypedParameterType.Int => IntValue,
        TypedParameterType.UInt => (uint)IntValue,
        TypedParameterType.LLong => LongValue,
        TypedParameterType.ULLong => (ulong)LongValue,
        TypedParameterType.Double => DoubleValue,
        TypedParameterType.Boolean => (byte)IntValue,
        _ => double.NaN,
    };

    /// <summary>The numeric value as a signed 64-bit integer (saturating for large unsigned values; 0 for strings).</summary>
    public readonly long AsInt64() => Type switch
    {
        TypedParameterType.Int => IntValue,
        TypedParameterType.UInt => (uint)IntValue,
        TypedParameterType.LLong => LongValue,
        TypedParameterType.ULLong => (ulong)LongValue > long.MaxValue ? long.MaxValue : LongValue,
        TypedParameterType.Double => (long)DoubleValue,
        TypedParameterType.Boolean => (byte)IntValue,
        _ => 0,
    };

    /// <summary>Sets the name (UTF-8, truncated to 79 bytes) and a value of the given numeric type.</summary>
    public void Set(string name, TypedParameterType type, long value)
    {
        SetName(name);
        Type = type;
        LongValue = 0;
        switch (type)
        {
            case TypedParameterType.Int:
            case TypedParameterType.UInt:
                IntValue = unchecked((int)value);
                break;
            case TypedParameterType.LLong:
            case TypedParameterType.ULLong:
                LongValue = value;
                break;
            case TypedParameterType.Double:
                DoubleValue = value;
                break;
            case TypedParameterType.Boolean:
                IntValue = value != 0 ? 1 : 0;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "Only numeric typed parameters are written.");
        }
    }

    /// <summary>Sets the name and a double value.</summary>
    public void SetDouble(string name, double value)
    {
        SetName(name);
        Type = TypedParameterType.Double;
        LongValue = 0;
        DoubleValue = value;
    }

    private void SetName(string name)
    {
        fixed (byte* p = Field)
        {
            var span = new Span<byte>(p, FieldLength);
            span.Clear();
            int n = Encoding.UTF8.GetBytes(name.AsSpan(0, Math.Min(name.Length, FieldLength - 1)), span[..(FieldLength - 1)]);
            span[n] = 0;
        }
    }
}

/// <summary>A native array of typed parameters the caller owns (for the get/set calls); clears libvirt strings on dispose.</summary>
internal sealed unsafe class TypedParameterBuffer : IDisposable
{
    private TypedParameter* _items;

    public TypedParameterBuffer(int capacity)
    {
        Capacity = Math.Max(capacity, 1);
        _items = (TypedParameter*)NativeMemory.AllocZeroed((nuint)Capacity, (nuint)sizeof(TypedParameter));
    }

    public int Capacity { get; }

    /// <summary>The number of valid entries.</summary>
    public int Count { get; set; }

    public TypedParameter* Pointer => _items;

    public Span<TypedParameter> Items => new(_items, Count);

    public ref TypedParameter this[int index] => ref _items[index];

    /// <summary>Finds a parameter by name.</summary>
    public bool TryGet(ReadOnlySpan<byte> name, out TypedParameter value)
    {
        for (int i = 0; i < Count; i++)
        {
            if (_items[i].Is(name))
            {
                value = _items[i];
                return true;
            }
        }

        value = default;
        return false;
    }

    /// <summary>Appends a numeric parameter.</summary>
    public void Add(string name, TypedParameterType type, long value)
    {
        if (Count == Capacity)
        {
            throw new InvalidOperationException("Typed parameter buffer full.");
        }

        _items[Count++].Set(name, type, value);
    }

    public void Dispose()
    {
        if (_items is not null)
        {
            // Frees any strings libvirt put in the entries it filled (a no-op for numbers).
            bool hasString = false;
            for (int i = 0; i < Count; i++)
            {
                hasString |= _items[i].Type == TypedParameterType.String && _items[i].StringValue is not null;
            }

            if (hasString)
            {
                NativeMethods.virTypedParamsClear(_items, Count);
            }

            NativeMemory.Free(_items);
            _items = null;
        }
    }
}
