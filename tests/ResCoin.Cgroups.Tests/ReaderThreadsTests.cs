using ResCoin.Cgroups.IO;

namespace ResCoin.Cgroups.Tests;

public sealed class ReaderThreadsTests
{
    [Fact]
    public void Run_EverySlotRunsOncePerRun_OnDistinctThreads()
    {
        int[] runs = new int[3];
        int[] threadIds = new int[3];
        using var threads = new ReaderThreads(3, slot =>
        {
            runs[slot]++;
            threadIds[slot] = Environment.CurrentManagedThreadId;
        }, "test");

        for (int i = 0; i < 20; i++)
        {
            threads.Run();
        }

        Assert.Equal(3, threads.Count);
        Assert.Equal([20, 20, 20], runs);
        Assert.Equal(Environment.CurrentManagedThreadId, threadIds[0]); // slot 0 is the caller
        Assert.Equal(3, threadIds.Distinct().Count());
    }

    [Fact]
    public void Run_WaitsForSlowBackgroundWork()
    {
        int finished = 0;
        using var threads = new ReaderThreads(2, slot =>
        {
            if (slot == 1)
            {
                Thread.Sleep(50);
                Interlocked.Increment(ref finished);
            }
        }, "test");

        threads.Run();
        Assert.Equal(1, Volatile.Read(ref finished));
    }

    [Fact]
    public void Run_BackgroundWorkThrows_SurfacesAfterAllFinished_ThenWorksAgain()
    {
        bool fail = true;
        int callerRuns = 0;
        using var threads = new ReaderThreads(2, slot =>
        {
            if (slot == 1 && fail)
            {
                throw new InvalidDataException("boom");
            }

            if (slot == 0)
            {
                callerRuns++;
            }
        }, "test");

        var ex = Assert.Throws<InvalidOperationException>(threads.Run);
        Assert.IsType<InvalidDataException>(ex.InnerException);
        fail = false;
        threads.Run();
        Assert.Equal(2, callerRuns);
    }

    [Fact]
    public void Run_CallerSlotThrows_WaitsForBackgroundThenRethrows()
    {
        int background = 0;
        using var threads = new ReaderThreads(2, slot =>
        {
            if (slot == 0)
            {
                throw new InvalidDataException("caller");
            }

            Thread.Sleep(20);
            Interlocked.Increment(ref background);
        }, "test");

        Assert.Throws<InvalidDataException>(threads.Run);
        Assert.Equal(1, Volatile.Read(ref background));
    }

    [Fact]
    public void Dispose_StopsThreads_RunAfterwardsThrows()
    {
        var threads = new ReaderThreads(3, _ => { }, "test");
        threads.Run();
        threads.Dispose();
        threads.Dispose(); // twice is harmless
        Assert.Throws<ObjectDisposedException>(threads.Run);
    }

    [Fact]
    public void Constructor_FewerThanTwoThreads_Throws()
        => Assert.Throws<ArgumentOutOfRangeException>(() => new ReaderThreads(1, _ => { }, "test"));
}
