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

    /// <summary>
    /// Runs a period now and then one per <see cref="ResCoinOptions.Period"/> (a <see cref="PeriodicTimer"/> on the
    /// time provider) until <paramref name="cancellationToken"/> is cancelled; then restores every setting the actuator
    /// changed (<see cref="IActuator.RestoreAsync"/>, within 30 s). Completes normally on cancellation.
    /// </summary>
    /// <param name="cancellationToken">Stops the loop.</param>
    /// <returns>A task that completes when the loop has stopped and the settings are restored.</returns>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Log.Started(_logger, _period, _window, _predictorName, _policyName, _resources, _dryRun);
        try
        {
            using var timer = new PeriodicTimer(_period, _time);
            do
            {
                await RunPeriodAsync(cancellationToken).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
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
    /// Arms the period's deadline: a token cancelled by <paramref name="cancellationToken"/> or when the deadline passes
    /// (on the controller's time provider). The source is reused from period to period while it was not cancelled.
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

        _deadlineSource.CancelAfter(CurrentDeadline);
        return _deadlineSource.Token;
    }

    /// <summary>This period's deadline: the first period, which also pays for start-up, gets at least 30 s.</summary>
    private TimeSpan CurrentDeadline => _attempts == 1 && _deadline < s_firstDeadline ? s_firstDeadline : _deadline;

    /// <summary>Disarms the deadline's timer between periods (a source whose deadline passed is replaced at the next start).</summary>
    private void StopDeadline() => _deadlineSource?.TryReset();

    /// <summary>Logs and counts a failed stage; a stage cancelled by the deadline becomes a <see cref="TimeoutException"/>.</summary>
    private Exception Failure(PeriodStage stage, long index, Exception ex, CancellationToken deadline)
    {
        string name = stage switch
        {
            PeriodStage.Monitor => "monitor",
            PeriodStage.Compute => "compute",
            _ => "actuate",
        };
        _metrics.Failed(name);
        if (deadline.IsCancellationRequested)
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
