using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace ResCoin.Collections.Tests;

public sealed class RingBufferTests
{
    [Fact]
    public void Constructor_CapacityBelowOne_Throws()
        => Assert.Throws<ArgumentOutOfRangeException>(() => new RingBuffer<int>(0));

    [Fact]
    public void Push_UntilFull_IndexesFromNewest()
    {
        var b = new RingBuffer<int>(3);
        b.Push(1);
        b.Push(2);
        Assert.Equal(2, b.Count);
        Assert.False(b.IsFull);
        Assert.Equal(2, b[0]);
        Assert.Equal(1, b[1]);
        Assert.Equal(2, b.Newest);
        Assert.Equal(1, b.Oldest);
    }

    [Fact]
    public void Push_WhenFull_OverwritesOldestAndReportsIt()
    {
        var b = new RingBuffer<int>(2);
        Assert.False(b.Push(1, out _));
        Assert.False(b.Push(2, out _));
        Assert.True(b.Push(3, out int evicted));
        Assert.Equal(1, evicted);
        Assert.True(b.IsFull);
        Assert.Equal([2, 3], Contents(b));
    }

    [Fact]
    public void Indexer_OutOfRange_Throws()
    {
        var b = new RingBuffer<int>(4);
        b.Push(1);
        Assert.Throws<ArgumentOutOfRangeException>(() => b[1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => b[-1]);
    }

    [Fact]
    public void NewestOldest_Empty_Throw()
    {
        var b = new RingBuffer<string>(1);
        Assert.Throws<InvalidOperationException>(() => b.Newest);
        Assert.Throws<InvalidOperationException>(() => b.Oldest);
    }

    [Fact]
    public void Clear_Empties()
    {
        var b = new RingBuffer<int>(2);
        b.Push(1);
        b.Push(2);
        b.Push(3);
        b.Clear();
        Assert.Equal(0, b.Count);
        Assert.Empty(Contents(b));
        b.Push(9);
        Assert.Equal([9], Contents(b));
    }

    [Fact]
    public void GetSpans_WrappedBuffer_TwoRunsOldestFirstWithoutCopy()
    {
        var b = new RingBuffer<int>(4);
        for (int i = 1; i <= 6; i++)
        {
            b.Push(i);
        }

        b.GetSpans(out ReadOnlySpan<int> first, out ReadOnlySpan<int> second);
        Assert.Equal([3, 4], first.ToArray());
        Assert.Equal([5, 6], second.ToArray());
    }

    [Fact]
    public void CopyTo_ReturnsCountOldestFirst()
    {
        var b = new RingBuffer<int>(3);
        for (int i = 1; i <= 5; i++)
        {
            b.Push(i);
        }

        var destination = new int[5];
        Assert.Equal(3, b.CopyTo(destination));
        Assert.Equal([3, 4, 5, 0, 0], destination);
    }

    [Fact]
    public void Push_SteadyState_AllocatesNothing()
    {
        var b = new RingBuffer<double>(16);
        for (int i = 0; i < 100; i++)
        {
            b.Push(i);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        double sum = 0;
        for (int i = 0; i < 10_000; i++)
        {
            b.Push(i, out double evicted);
            sum += evicted + b[0];
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(sum > 0);
    }

    /// <summary>Any sequence of operations gives the same observable state as a naive list that keeps the last <c>capacity</c> items.</summary>
    [Property(MaxTest = 1000)]
    public Property Operations_MatchNaiveListModel() => Prop.ForAll(
        (from capacity in Gen.Frequency((3, Gen.Choose(1, 4)), (2, Gen.Choose(5, 40)))
         from ops in Gen.ListOf(Gen.Frequency((12, Gen.Choose(0, 1_000_000)), (1, Gen.Constant(-1))))
         select (capacity, ops.ToArray())).ToArbitrary(),
        input =>
        {
            (int capacity, int[] ops) = input;
            var buffer = new RingBuffer<int>(capacity);
            var model = new List<int>();
            foreach (int op in ops)
            {
                if (op < 0)
                {
                    buffer.Clear();
                    model.Clear();
                }
                else
                {
                    bool overwrote = buffer.Push(op, out int evicted);
                    model.Add(op);
                    bool expectOverwrite = model.Count > capacity;
                    Assert.Equal(expectOverwrite, overwrote);
                    if (expectOverwrite)
                    {
                        Assert.Equal(model[0], evicted);
                        model.RemoveAt(0);
                    }
                }

                Assert.Equal(model.Count, buffer.Count);
                Assert.Equal(model.Count == capacity, buffer.IsFull);
                Assert.Equal(model, Contents(buffer));
                for (int age = 0; age < model.Count; age++)
                {
                    Assert.Equal(model[model.Count - 1 - age], buffer[age]);
                }

                var copy = new int[capacity];
                Assert.Equal(model.Count, buffer.CopyTo(copy));
                Assert.Equal(model, copy.Take(model.Count));
            }
        });

    private static int[] Contents(RingBuffer<int> b)
    {
        b.GetSpans(out ReadOnlySpan<int> first, out ReadOnlySpan<int> second);
        return [.. first, .. second];
    }
}
