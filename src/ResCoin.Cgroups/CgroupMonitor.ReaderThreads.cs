using System.Runtime.ExceptionServices;
using ResCoin.Cgroups.IO;
using ResCoin.Cgroups.Monitoring;

namespace ResCoin.Cgroups;

/// <summary>
/// Reading every tracked cgroup once per period: on the calling thread, or shared out in blocks over the
/// <see cref="ReaderThreads"/> when <see cref="CgroupOptions.ReadThreads"/> &gt; 1, with the same error as sequential reading.
/// </summary>
public sealed partial class CgroupMonitor
{
    /// <summary>Cgroups per block of work a reader thread takes at a time.</summary>
    private const int BlockSize = 16;

    private readonly ReaderThreads? _threads;
    private readonly Failure[] _failures;
    private int _measureCount;
    private int _nextBlock;

    /// <summary>The number of threads that read the cgroups each period (<see cref="CgroupOptions.ReadThreads"/>).</summary>
    internal int ReadThreadCount => _buffers.Length;

    /// <summary>The bytes the background reader threads allocated so far (0 without them).</summary>
    internal long ReaderThreadsAllocatedBytes => _threads?.BackgroundAllocatedBytes ?? 0;

    /// <summary>Measures every tracked cgroup (<see cref="MonitoredCgroup.Measure"/>), sequentially or on the reader threads.</summary>
    private void MeasureAll()
    {
        int count = _tracked.Count;
        if (_threads is null || count <= BlockSize)
        {
            for (int i = 0; i < count; i++)
            {
                _tracked[i].Measure(ref _buffers[0], _slowPeriod);
            }

            return;
        }

        _measureCount = count;
        _nextBlock = 0;
        Array.Fill(_failures, new Failure(int.MaxValue, null));
        _threads.Run();

        // The error sequential reading would have thrown: the first failing cgroup in order. Each thread stops at its
        // first failure, but every block before it was taken (blocks go out in order) and read up to its own failure.
        Failure first = new(int.MaxValue, null);
        foreach (Failure f in _failures)
        {
            if (f.Index < first.Index)
            {
                first = f;
            }
        }

        if (first.Error is not null)
        {
            Array.Fill(_failures, new Failure(int.MaxValue, null));
            ExceptionDispatchInfo.Throw(first.Error);
        }
    }

    /// <summary>The work of one reader thread: takes blocks of cgroups until none is left or one fails.</summary>
    private void MeasureBlocks(int slot)
    {
        int count = _measureCount;
        while (true)
        {
            int start = (Interlocked.Increment(ref _nextBlock) - 1) * BlockSize;
            if (start >= count)
            {
                return;
            }

            int end = Math.Min(count, start + BlockSize);
            for (int i = start; i < end; i++)
            {
                try
                {
                    _tracked[i].Measure(ref _buffers[slot], _slowPeriod);
                }
                catch (Exception ex)
                {
                    // Handed to the caller of Sample (the first in cgroup order), exactly as sequential reading throws it.
                    _failures[slot] = new Failure(i, ex);
                    return;
                }
            }
        }
    }

    /// <summary>The first error a reader thread met, and the index of its cgroup.</summary>
    private readonly record struct Failure(int Index, Exception? Error);
}
