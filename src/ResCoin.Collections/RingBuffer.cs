namespace ResCoin.Collections;

/// <summary>
/// A fixed-capacity ring buffer that overwrites its oldest element when full. Indexable from the newest
/// (<c>buffer[0]</c> is the latest push), with span views over the storage that copy nothing.
/// Not thread-safe.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class RingBuffer<T>
{
    private readonly T[] _items;
    private int _next;
    private int _count;

    /// <summary>Creates an empty buffer.</summary>
    /// <param name="capacity">The most elements it keeps; at least 1.</param>
    public RingBuffer(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _items = new T[capacity];
    }

    /// <summary>The most elements the buffer keeps.</summary>
    public int Capacity => _items.Length;

    /// <summary>The number of elements held (at most <see cref="Capacity"/>).</summary>
    public int Count => _count;

    /// <summary>Whether the buffer holds <see cref="Capacity"/> elements (the next push overwrites the oldest).</summary>
    public bool IsFull => _count == _items.Length;

    /// <summary>The element <paramref name="age"/> pushes ago: 0 is the newest, <c>Count - 1</c> the oldest.</summary>
    /// <param name="age">How many pushes ago.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="age"/> is negative or not less than <see cref="Count"/>.</exception>
    public T this[int age]
    {
        get
        {
            if ((uint)age >= (uint)_count)
            {
                ThrowAge(age);
            }

            int i = _next - 1 - age;
            return _items[i < 0 ? i + _items.Length : i];
        }
    }

    /// <summary>The newest element.</summary>
    /// <exception cref="InvalidOperationException">The buffer is empty.</exception>
    public T Newest => _count > 0 ? this[0] : throw new InvalidOperationException("The ring buffer is empty.");

    /// <summary>The oldest element.</summary>
    /// <exception cref="InvalidOperationException">The buffer is empty.</exception>
    public T Oldest => _count > 0 ? this[_count - 1] : throw new InvalidOperationException("The ring buffer is empty.");

    /// <summary>Appends an element, overwriting the oldest when full.</summary>
    /// <param name="item">The element.</param>
    /// <returns><see langword="true"/> when an element was overwritten (its value is in <paramref name="evicted"/>).</returns>
    /// <param name="evicted">The overwritten element, when one was.</param>
    public bool Push(T item, out T evicted)
    {
        bool full = _count == _items.Length;
        evicted = full ? _items[_next] : default!;
        _items[_next] = item;
        _next = _next + 1 == _items.Length ? 0 : _next + 1;
        if (!full)
        {
            _count++;
        }

        return full;
    }

    /// <summary>Appends an element, overwriting the oldest when full.</summary>
    /// <param name="item">The element.</param>
    public void Push(T item) => Push(item, out _);

    /// <summary>Removes every element.</summary>
    public void Clear()
    {
        Array.Clear(_items);
        _next = 0;
        _count = 0;
    }

    /// <summary>
    /// The elements oldest to newest as at most two spans over the storage (no copy): <paramref name="first"/>
    /// then <paramref name="second"/>. Valid until the next push.
    /// </summary>
    /// <param name="first">The older run.</param>
    /// <param name="second">The newer run (empty when the elements are contiguous).</param>
    public void GetSpans(out ReadOnlySpan<T> first, out ReadOnlySpan<T> second)
    {
        if (_count < _items.Length)
        {
            first = _items.AsSpan(0, _count);
            second = default;
        }
        else
        {
            first = _items.AsSpan(_next);
            second = _items.AsSpan(0, _next);
        }
    }

    /// <summary>Copies the elements, oldest to newest, into <paramref name="destination"/>.</summary>
    /// <param name="destination">At least <see cref="Count"/> long.</param>
    /// <returns>The number of elements copied.</returns>
    public int CopyTo(Span<T> destination)
    {
        GetSpans(out ReadOnlySpan<T> a, out ReadOnlySpan<T> b);
        a.CopyTo(destination);
        b.CopyTo(destination[a.Length..]);
        return a.Length + b.Length;
    }

    private static void ThrowAge(int age)
        => throw new ArgumentOutOfRangeException(nameof(age), age, "Age must be at least 0 and less than Count.");
}
