namespace ResCoin.Libvirt.Native;

/// <summary>
/// Runs blocking libvirt calls with a deadline. libvirt's calls block the calling thread until libvirtd answers, and a
/// hung libvirtd (SIGSTOP, a stuck QEMU monitor) never answers; so every call runs on this gate's worker thread and the
/// caller waits at most the deadline. A call past its deadline throws <see cref="LibvirtTimeoutException"/>; until that
/// call returns, the gate is "stuck" and every further call fails at once (no pile-up of blocked threads), so a hung
/// libvirtd costs one deadline per period, and a stop costs at most one deadline. A late result is disposed when
/// abandoned. The libvirt error of a failed call is read on the worker thread (libvirt keeps it per thread), inside the
/// delegate. Thread-safe.
/// </summary>
internal sealed partial class LibvirtCallGate : IDisposable
{
    private readonly Thread _worker;
    private readonly Lock _lock = new();
    // Blocking waits without spinning (SemaphoreSlim and ManualResetEventSlim spin with sched_yield before they block:
    // hundreds of system calls per period for a thread hop that waits on libvirtd anyway; benchmarks/daemon-cost).
    private readonly AutoResetEvent _ready = new(false);
    private readonly Queue<WorkItem> _queue = new();
    private WorkItem? _stuck;
    private bool _disposed;

    public LibvirtCallGate(string name)
    {
        _worker = new Thread(Run) { IsBackground = true, Name = name };
        _worker.Start();
    }

    /// <summary>A test seam: called on the worker thread before each call with the call's description (may sleep to simulate a slow or hung libvirtd).</summary>
    internal Action<string>? BeforeCall { get; set; }

    /// <summary>Whether a call that passed its deadline has still not returned.</summary>
    public bool IsStuck
    {
        get
        {
            lock (_lock)
            {
                return _stuck is not null;
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="call"/> on the worker; waits at most <paramref name="deadline"/>. Called on the worker itself
    /// (by a call already running there), runs it inline.
    /// </summary>
    /// <param name="what">The call, for messages (e.g. <c>virDomainGetInfo(vm1)</c>).</param>
    /// <param name="deadline">The longest wait.</param>
    /// <param name="call">The call (throws <see cref="LibvirtException"/> on a libvirt error).</param>
    /// <param name="discard">Disposes a result that arrives after the caller gave up (handles, buffers); may be null.</param>
    /// <exception cref="LibvirtTimeoutException">The deadline passed, or an earlier call is still stuck.</exception>
    public T Call<T>(string what, TimeSpan deadline, Func<T> call, Action<T>? discard = null)
    {
        if (Thread.CurrentThread == _worker)
        {
            return call(); // a call made by a call already on the gate (its deadline covers both)
        }

        var item = new WorkItem<T>(what, call, discard);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_stuck is { } stuck)
            {
                throw new LibvirtTimeoutException(what, stuck.What, stuck.Elapsed);
            }

            _queue.Enqueue(item);
        }

        _ready.Set();
        if (!item.Done.Wait(deadline))
        {
            lock (_lock)
            {
                if (!item.Done.IsSet)
                {
                    item.Abandoned = true;
                    _stuck ??= item;
                    throw new LibvirtTimeoutException(what, deadline);
                }
            }
        }

        item.Done.Dispose();
        if (item.Error is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(item.Error);
        }

        return item.Result!;
    }

    /// <summary>Runs a call that returns nothing (see <see cref="Call{T}"/>).</summary>
    public void Call(string what, TimeSpan deadline, Action call)
        => Call<bool>(what, deadline, () =>
        {
            call();
            return true;
        });

    /// <summary>Stops the worker once the calls queued so far have run (a stuck call keeps its thread until it returns).</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        _ready.Set();
    }

    private void Run()
    {
        while (true)
        {
            WorkItem? item;
            lock (_lock)
            {
                if (!_queue.TryDequeue(out item))
                {
                    if (_disposed)
                    {
                        // _ready is left to its finalizer: Dispose may still be about to set it.
                        return;
                    }

                    item = null;
                }
            }

            if (item is null)
            {
                // Woken for every enqueue; a wake-up that finds the queue already drained just waits again.
                _ready.WaitOne();
                continue;
            }

            item.Started = Environment.TickCount64;
            try
            {
                BeforeCall?.Invoke(item.What);
            }
            catch (Exception ex) when (ex is LibvirtException or ThreadInterruptedException)
            {
                item.Error = ex;
            }

            if (item.Error is null)
            {
                item.Execute();
            }

            lock (_lock)
            {
                if (ReferenceEquals(_stuck, item))
                {
                    _stuck = null;
                }

                if (item.Abandoned)
                {
                    item.DiscardResult();
                    item.Done.Dispose();
                }
                else
                {
                    item.Done.Set();
                }
            }
        }
    }

    private abstract class WorkItem(string what)
    {
        public string What { get; } = what;

        public ManualResetEventSlim Done { get; } = new(false, spinCount: 0);

        public long Started { get; set; }

        public bool Abandoned { get; set; }

        public Exception? Error { get; set; }

        public TimeSpan Elapsed => Started == 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Environment.TickCount64 - Started);

        public abstract void Execute();

        public abstract void DiscardResult();
    }

    private sealed class WorkItem<T>(string what, Func<T> call, Action<T>? discard) : WorkItem(what)
    {
        public T? Result { get; private set; }

        public override void Execute()
        {
            try
            {
                Result = call();
            }
#pragma warning disable CA1031 // the caller rethrows whatever the call threw
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Error = ex;
            }
        }

        public override void DiscardResult()
        {
            if (Error is null && Result is not null && discard is not null)
            {
                discard(Result);
            }
        }
    }
}
