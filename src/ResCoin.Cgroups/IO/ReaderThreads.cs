namespace ResCoin.Cgroups.IO;

/// <summary>
/// A fixed set of persistent threads that run one piece of work together: <see cref="Run"/> runs
/// <c>work(slot)</c> on the calling thread (slot 0) and on each background thread (slots 1 .. N−1) at once, and returns
/// when all are done. Started once; a run allocates nothing. The work shares itself out (e.g. by an interlocked
/// counter) and must not throw: it records its own errors. Not re-entrant: one run at a time.
/// </summary>
internal sealed class ReaderThreads : IDisposable
{
    private readonly Action<int> _work;
    private readonly Thread[] _threads;
    private readonly SemaphoreSlim[] _start;
    private readonly CountdownEvent _done;
    private volatile bool _stopping;
    private volatile bool _warmingUp;
    private Exception? _unexpected;
    private long _backgroundAllocated;

    /// <summary>Starts <paramref name="threads"/> − 1 background threads.</summary>
    /// <param name="threads">The number of threads a run uses, the calling one included (at least 2).</param>
    /// <param name="work">The work, given the slot it runs in (0 .. threads − 1).</param>
    /// <param name="name">The threads' name.</param>
    public ReaderThreads(int threads, Action<int> work, string name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 2);
        _work = work;
        _threads = new Thread[threads - 1];
        _start = new SemaphoreSlim[threads - 1];
        _done = new CountdownEvent(threads - 1);
        for (int i = 0; i < _threads.Length; i++)
        {
            _start[i] = new SemaphoreSlim(0);
            _threads[i] = new Thread(Loop) { IsBackground = true, Name = name };
            _threads[i].Start(i + 1);
        }

        // Two runs in which the background threads are slow, so the caller really blocks on the countdown and later
        // releases threads that really wait: the primitives allocate their lazy state (lock objects) here, once,
        // instead of in some later period.
        _warmingUp = true;
        Run();
        Run();
        _warmingUp = false;
    }

    /// <summary>The number of threads a run uses, the calling one included.</summary>
    public int Count => _threads.Length + 1;

    /// <summary>The bytes the background threads allocated while running the work, in all runs (what tests check is 0 in steady state).</summary>
    public long BackgroundAllocatedBytes => Interlocked.Read(ref _backgroundAllocated);

    /// <summary>Runs the work on every thread and waits for all of them.</summary>
    public void Run()
    {
        ObjectDisposedException.ThrowIf(_stopping, this);
        _done.Reset(_threads.Length);
        foreach (SemaphoreSlim s in _start)
        {
            s.Release();
        }

        try
        {
            if (!_warmingUp)
            {
                _work(0);
            }
        }
        finally
        {
            // Never return (or throw) while a background thread still uses the shared state.
            _done.Wait();
        }

        if (_unexpected is { } ex)
        {
            _unexpected = null;
            throw new InvalidOperationException("A cgroup reader thread failed.", ex);
        }
    }

    /// <summary>Stops and joins the background threads.</summary>
    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        foreach (SemaphoreSlim s in _start)
        {
            s.Release();
        }

        foreach (Thread t in _threads)
        {
            t.Join();
        }

        foreach (SemaphoreSlim s in _start)
        {
            s.Dispose();
        }

        _done.Dispose();
    }

    private void Loop(object? state)
    {
        int slot = (int)state!;
        SemaphoreSlim start = _start[slot - 1];
        while (true)
        {
            start.Wait();
            if (_stopping)
            {
                return;
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                if (_warmingUp)
                {
                    Thread.Sleep(2);
                }
                else
                {
                    _work(slot);
                }
            }
            catch (Exception ex)
            {
                // The work records its own errors; anything else is handed to the caller of Run.
                _unexpected = ex;
            }
            finally
            {
                Interlocked.Add(ref _backgroundAllocated, GC.GetAllocatedBytesForCurrentThread() - allocated);
                _done.Signal();
            }
        }
    }
}
