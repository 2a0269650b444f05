using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace ResCoin.Collections.Tests;

public sealed class SlidingWindowSumTests
{
    [Fact]
    public void Constructor_WindowBelowOne_Throws()
        => Assert.Throws<ArgumentOutOfRangeException>(() => new SlidingWindowSum(0));

    [Fact]
    public void Push_KnownAnswer_SumsLastWindowValues()
    {
        var s = new SlidingWindowSum(3);
        Assert.Equal(0, s.Sum);
        s.Push(1);
        s.Push(2);
        Assert.Equal(3, s.Sum);
        Assert.Equal(2, s.Count);
        s.Push(4);
        s.Push(8);
        Assert.Equal(14, s.Sum);
        Assert.Equal(3, s.Count);
        Assert.Equal(3, s.Window);
    }

    [Fact]
    public void Push_NonFinite_ThrowsAndKeepsSum()
    {
        var s = new SlidingWindowSum(2);
        s.Push(5);
        Assert.Throws<ArgumentException>(() => s.Push(double.NaN));
        Assert.Throws<ArgumentException>(() => s.Push(double.PositiveInfinity));
        Assert.Equal(5, s.Sum);
        Assert.Equal(1, s.Count);
    }

    [Fact]
    public void Clear_Empties()
    {
        var s = new SlidingWindowSum(2);
        s.Push(5);
        s.Push(6);
        s.Clear();
        Assert.Equal(0, s.Sum);
        Assert.Equal(0, s.Count);
        s.Push(1);
        Assert.Equal(1, s.Sum);
    }

    [Fact]
    public void Push_CatastrophicCancellation_StaysExact()
    {
        // A huge term enters and leaves; the small ones must survive it exactly.
        var s = new SlidingWindowSum(3);
        s.Push(1e16);
        s.Push(1);
        s.Push(1);
        s.Push(1); // evicts 1e16
        Assert.Equal(3, s.Sum);
    }

    [Fact]
    public void Push_SteadyState_AllocatesNothing()
    {
        var s = new SlidingWindowSum(10);
        for (int i = 0; i < 100; i++)
        {
            s.Push(i);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            s.Push(i * 0.5);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(s.Sum > 0);
    }

    /// <summary>
    /// Over long runs (up to 20 000 pushes) of values of mixed sign and magnitude (1e-6 to 1e12 in one run), the sum
    /// equals a naive re-summation of the window to 1e-9 relative to the window's magnitude (the sum of absolute values).
    /// </summary>
    [Property(MaxTest = 100)]
    public Property LongRun_EqualsNaiveRecomputation() => Prop.ForAll(
        (from window in Gen.Frequency((2, Gen.Choose(1, 3)), (3, Gen.Choose(4, 30)), (1, Gen.Choose(31, 500)))
         from length in Gen.Frequency((1, Gen.Choose(1, 100)), (3, Gen.Choose(101, 5000)), (1, Gen.Choose(5001, 20000)))
         from seed in Gen.Choose(0, int.MaxValue)
         select (window, length, seed)).ToArbitrary(),
        input =>
        {
            (int window, int length, int seed) = input;
            var random = new Random(seed);
            var sum = new SlidingWindowSum(window);
            var values = new double[length];
            for (int t = 0; t < length; t++)
            {
                double magnitude = Math.Pow(10, random.Next(-6, 13));
                double v = random.Next(4) switch
                {
                    0 => 0,
                    1 => magnitude * random.NextDouble(),
                    2 => -magnitude * random.NextDouble(),
                    _ => Math.Round(random.NextDouble() * 100) - 50, // ties and integers
                };
                values[t] = v;
                sum.Push(v);

                int from = Math.Max(0, t + 1 - window);
                decimal exact = 0;
                double absolute = 0;
                for (int i = from; i <= t; i++)
                {
                    exact += (decimal)values[i];
                    absolute += Math.Abs(values[i]);
                }

                double error = Math.Abs(sum.Sum - (double)exact);
                Assert.True(error <= 1e-9 * Math.Max(absolute, 1e-300) || error == 0, $"t={t}: {sum.Sum:R} vs {exact}");
                Assert.Equal(t + 1 - from, sum.Count);
            }
        });
}
