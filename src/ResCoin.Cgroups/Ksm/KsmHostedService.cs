using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ResCoin.Cgroups.Ksm;

/// <summary>Runs <see cref="KsmController.Step"/> every <see cref="KsmOptions.Period"/> and restores the original KSM settings on stop.</summary>
internal sealed partial class KsmHostedService(KsmController controller, IOptions<KsmOptions> options, TimeProvider timeProvider, ILogger<KsmHostedService> logger)
    : BackgroundService
{
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await base.StopAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            controller.Restore();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Period, timeProvider);
        try
        {
            do
            {
                try
                {
                    controller.Step();
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or CgroupFormatException)
                {
                    LogStepFailed(logger, ex.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(47, LogLevel.Error, "ksm: period failed: {Reason}")]
    private static partial void LogStepFailed(ILogger logger, string reason);
}
