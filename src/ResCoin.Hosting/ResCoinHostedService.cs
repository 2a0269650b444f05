using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ResCoin.Scheduling;

namespace ResCoin.Hosting;

/// <summary>
/// Runs the <see cref="ResCoinController"/> loop under the .NET generic host. On a graceful stop (Ctrl+C, SIGTERM,
/// <c>systemctl stop</c>) the loop is cancelled and the controller restores every setting the actuator changed before
/// <see cref="BackgroundService.StopAsync"/> completes (within the host's shutdown timeout).
/// </summary>
public sealed partial class ResCoinHostedService : BackgroundService
{
    private readonly ResCoinController _controller;
    private readonly ILogger _logger;

    /// <summary>Creates the service.</summary>
    /// <param name="controller">The controller to run.</param>
    /// <param name="logger">The logger; none when null.</param>
    public ResCoinHostedService(ResCoinController controller, ILogger<ResCoinHostedService>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(controller);
        _controller = controller;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogStarting(_logger, _controller.Period);
        try
        {
            await _controller.RunAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogCrashed(_logger, ex);
            throw;
        }

        LogStopped(_logger, _controller.LastPeriod.Index);
    }

    [LoggerMessage(1, LogLevel.Information, "ResCoin hosted service starting (period {Period}).")]
    private static partial void LogStarting(ILogger logger, TimeSpan period);

    [LoggerMessage(2, LogLevel.Information, "ResCoin hosted service stopped after {Periods} periods.")]
    private static partial void LogStopped(ILogger logger, long periods);

    [LoggerMessage(3, LogLevel.Critical, "The ResCoin control loop failed unexpectedly.")]
    private static partial void LogCrashed(ILogger logger, Exception exception);
}
