namespace ResCoin.Collections;

/// <summary>
/// The exact sum of the last <see cref="Window"/> values pushed. Updated in O(1) per push
/// (add the new term, subtract the evicted one, with Neumaier compensation) and re-summed from the
/// terms every <see cref="Window"/> pushes, so rounding error never accumulates over a long run.
/// Allocation-free after construction. Not thread-safe.
/// </summary>
public sealed class SlidingWindowSum
{
    private readonly double[] _terms;
    private int _next;
    private int _count;
    private int _sinceResum;
    private double _sum;
    private double _compensation;

    /// <summary>Creates an empty window.</summary>
    /// <param name="window">The number of most recent values summed; at least 1.</param>
    public SlidingWindowSum(int window)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        _terms = new double[window];
    }

    /// <summary>The number of most recent values summed.</summary>
    public int Window => _terms.Length;

    /// <summary>The number of values in the window (at most <see cref="Window"/>).</summary>
    public int Count => _count;

    /// <summary>The sum of the values in the window.</summary>
    public double Sum => _sum + _compensation;

    /// <summary>Adds a value, dropping the one <see cref="Window"/> pushes ago.</summary>
    /// <param name="value">A finite value.</param>
    /// <exception cref="ArgumentException">The value is NaN or infinite.</exception>
    public void Push(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentException("A sliding-window term must be finite.", nameof(value));
        }

        double evicted = 0;
        if (_count == _terms.Length)
        {
            evicted = _terms[_next];
        }
        else
        {
            _count++;
        }

        _terms[_next] = value;
        _next = _next + 1 == _terms.Length ? 0 : _next + 1;

        if (++_sinceResum >= _terms.Length)
        {
            Resum();
        }
        else
        {
            Add(value);
            Add(-evicted);
        }
    }

    /// <summary>Empties the window.</summary>
    public void Clear()
    {
        Array.Clear(_terms);
        _next = 0;
        _count = 0;
        _sinceResum = 0;
        _sum = 0;
        _compensation = 0;
    }

    private void Resum()
    {
        _sum = 0;
        _compensation = 0;
        _sinceResum = 0;
        for (int i = 0; i < _terms.Length; i++)
        {
            Add(_terms[i]);
        }
    }

    // Neumaier's improved Kahan summation.
    private void Add(double x)
    {
        double t = _sum + x;
        if (Math.Abs(_sum) >= Math.Abs(x))
        {
            _compensation += (_sum - t) + x;
        }
        else
        {
            _compensation += (x - t) + _sum;
        }

        _sum = t;
    }
}
