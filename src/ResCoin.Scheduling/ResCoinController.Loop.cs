using Microsoft.Extensions.Logging;
using ResCoin.Scheduling.Control;

namespace ResCoin.Scheduling;

/// <content>The timer loop, the period deadline, failure reporting and the restore on stop.</content>
public sealed partial class ResCoinController
{
    private static readonly TimeSpan s_firstDeadline = TimeSpan.FromSeconds(30);
    private CancellationTokenSource? _deadlineSource;
    private CancellationToken _deadlineLinkedTo;
    private CancellationTokenRegistration _deadlineLink;
    private bool _deadlineArmed;

    /// <summary>
    /// Runs a period now and then one per <see cref="ResCoinOptions.Period"/> until <paramref name="cancellationToken"/>
    /// is cancelled; then restores every setting the actuator changed (<see cref="IActuator.RestoreAsync"/>, within
    /// 30 s). Completes normally on cancellation. On the system clock the periods run on a thread of their own that sleeps
    /// between them (one wake-up per period); on any other time provider, on a <see cref="PeriodicTimer"/> over it.
    /// </summary>
    /// <param name="cancellationToken">Stops the loop.</param>
    /// <returns>A task that completes when the loop has stopped and the settings are restored.</returns>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Log.Started(_logger, _period, _window, _predictorName, _policyName, _resources, _dryRun);
        try
        {
            if (ReferenceEquals(_time, TimeProvider.System))
            {
                await RunOnOwnThreadAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                using var timer = new PeriodicTimer(_period, _time);
                do
                {
                    await RunPeriodAsync(cancellationToken).ConfigureAwait(false);
                }
                while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Normal stop.
        }
        finally
        {
            using var restoreTimeout = new CancellationTokenSource(s_restoreTimeout, _time);
            try
            {
                await _actuator.RestoreAsync(restoreTimeout.Token).ConfigureAwait(false);
                Log.Stopped(_logger, _last.Index);
            }
#pragma warning disable CA1031 // Reported, not thrown: the caller is stopping anyway.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.RestoreFailed(_logger, ex);
            }
        }
    }

    /// <summary>
    /// The loop on the system clock: a dedicated background thread runs each period and then blocks until the next tick
    /// or the cancellation, whichever comes first. A timer and the thread pool would wake two or three threads a period
    /// (the timer thread, a worker, often a second worker that finds nothing to do) for a loop that does its work in
    /// well under a millisecond; here, with a monitor and an actuator that finish synchronously (the libvirt ones do in
    /// a quiet period), a period costs one wake-up (benchmarks/daemon-cost). Ticks are on a fixed grid from the start,
    /// like <see cref="PeriodicTimer"/>'s: a period that overran makes the next one start at once, and ticks missed
    /// meanwhile are skipped, not run back to back.
    /// </summary>
    private Task RunOnOwnThreadAsync(CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                RunLoop(cancellationToken);
                done.SetResult();
            }
#pragma warning disable CA1031 // Handed to the caller through the task.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                done.SetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = "rescoin-controller",
        };
        thread.Start();
        return done.Task;
    }

    private void RunLoop(CancellationToken cancellationToken)
    {
        WaitHandle cancelled = cancellationToken.WaitHandle;
        long period = Math.Max(1, (long)(_period.TotalSeconds * System.Diagnostics.Stopwatch.Frequency));
        long next = System.Diagnostics.Stopwatch.GetTimestamp();
        while (true)
        {
            ValueTask<PeriodResult> run = RunPeriodAsync(cancellationToken);
            if (run.IsCompletedSuccessfully)
            {
                _ = run.Result;
            }
            else
            {
                run.AsTask().GetAwaiter().GetResult();
            }

            long now = System.Diagnostics.Stopwatch.GetTimestamp();
            next += period;
            if (next <= now)
            {
                next += (now - next) / period * period; // the last tick that has passed: start at once, skip the others
            }

            // Until the tick (at most a day per wait: a wait handle takes no longer timeout), or the cancellation.
            while (now < next)
            {
                // Whole milliseconds, rounded up: a wait rounded down to 0 would spin until the tick.
                double ms = Math.Ceiling((next - now) * 1000.0 / System.Diagnostics.Stopwatch.Frequency);
                if (cancelled.WaitOne((int)Math.Min(ms, 86_400_000)))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }

                now = System.Diagnostics.Stopwatch.GetTimestamp();
            }
        }
    }

    /// <summary>
    /// Starts the period's deadline: a token cancelled by <paramref name="cancellationToken"/> or when the deadline passes
    /// (on the controller's time provider). The source is reused from period to period while it was not cancelled. Its
    /// timer is armed only when a stage goes asynchronous (<see cref="ArmDeadline"/>): a timer armed and disarmed every
    /// period leaves the runtime's timer thread a wake-up at each old due time, which it hands to a thread-pool worker,
    /// two or three thread wake-ups a period for a deadline that a stage finishing synchronously never needs. A stage that
    /// returned synchronously after the deadline makes the next stage start with the token cancelled.
    /// </summary>
    private CancellationToken StartDeadline(CancellationToken cancellationToken)
    {
        if (_deadlineSource is null || cancellationToken != _deadlineLinkedTo || !_deadlineSource.TryReset())
        {
            _deadlineLink.Dispose();
            _deadlineSource?.Dispose();
            _deadlineSource = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _time);
            _deadlineLink = cancellationToken.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), _deadlineSource);
            _deadlineLinkedTo = cancellationToken;
        }

        _deadlineArmed = false;
        return _deadlineSource.Token;
    }

    /// <summary>
    /// Before a stage, and when a stage went asynchronous: cancels the deadline's token when the deadline has passed since
    /// <paramref name="started"/>, or arms its timer for the time left (once a period).
    /// </summary>
    private void ArmDeadline(long started, bool waiting)
    {
        TimeSpan left = CurrentDeadline - _time.GetElapsedTime(started);
        if (left <= TimeSpan.Zero)
        {
            _deadlineSource!.Cancel();
        }
        else if (waiting && !_deadlineArmed)
        {
            _deadlineSource!.CancelAfter(left);
            _deadlineArmed = true;
        }
    }

    /// <summary>This period's deadline: the first period, which also pays for start-up, gets at least 30 s.</summary>
    private TimeSpan CurrentDeadline => _attempts == 1 && _deadline < s_firstDeadline ? s_firstDeadline : _deadline;

    /// <summary>Disarms the deadline's timer between periods (a source whose deadline passed is replaced at the next start).</summary>
    private void StopDeadline() => _deadlineSource?.TryReset();

    /// <summary>Logs and counts a failed stage; a stage cancelled by the deadline becomes a <see cref="TimeoutException"/>.</summary>
    private Exception Failure(PeriodStage stage, long index, Exception ex, long started, CancellationToken deadline)
    {
        string name = stage switch
        {
            PeriodStage.Monitor => "monitor",
            PeriodStage.Compute => "compute",
            _ => "actuate",
        };
        _metrics.Failed(name);
        // Past the deadline: its token was cancelled, or a stage that ran synchronously (no timer armed) failed after it.
        if (deadline.IsCancellationRequested || (stage != PeriodStage.Compute && _time.GetElapsedTime(started) >= CurrentDeadline))
        {
            Log.DeadlineMissed(_logger, index, stage, CurrentDeadline);
            return new TimeoutException($"The {name} stage of period {index} did not finish within the period deadline of {CurrentDeadline}.", ex);
        }

        switch (stage)
        {
            case PeriodStage.Monitor:
                Log.MonitorFailed(_logger, index, ex);
                break;
            case PeriodStage.Compute:
                Log.ComputeFailed(_logger, index, ex);
                break;
            default:
                Log.ActuatorFailed(_logger, index, ex);
                break;
        }

        return ex;
    }
}
