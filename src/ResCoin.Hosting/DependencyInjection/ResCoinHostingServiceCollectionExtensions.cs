using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using ResCoin;
using ResCoin.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Runs ResCoin under the generic host.</summary>
public static class ResCoinHostingServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="ResCoinHostedService"/>, which runs the controller registered by <c>AddResCoin</c> for the life
    /// of the host and restores the original settings on stop, and the <see cref="SystemdWatchdog"/>, which feeds
    /// systemd's watchdog while periods complete. Safe to call more than once. Call <c>UseSystemd()</c> on the host
    /// builder to run as a <c>Type=notify</c> systemd service (ready/stopping notifications, journal-friendly logs); set
    /// <c>WatchdogSec=</c> in the unit to turn the watchdog on.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddResCoinHostedService(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ResCoinHostedService>());
        if (!services.Any(static d => d.ServiceType == typeof(SystemdWatchdog)))
        {
            services.AddSingleton(static sp => new SystemdWatchdog(
                sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<ResCoin.Scheduling.ResCoinOptions>>(),
                sp.GetService<Microsoft.Extensions.Hosting.Systemd.ISystemdNotifier>(),
                sp.GetService<TimeProvider>(),
                sp.GetService<Microsoft.Extensions.Logging.ILogger<SystemdWatchdog>>()));
            services.AddSingleton<IHostedService>(static sp => sp.GetRequiredService<SystemdWatchdog>());
            services.AddSingleton<ResCoin.Scheduling.IPeriodObserver>(static sp => sp.GetRequiredService<SystemdWatchdog>());
        }

        return services;
    }

    /// <summary>Adds <see cref="ResCoinHostedService"/> (see <see cref="AddResCoinHostedService(IServiceCollection)"/>).</summary>
    /// <param name="builder">The builder returned by <c>AddResCoin</c>.</param>
    /// <returns>The builder.</returns>
    public static IResCoinBuilder AddHostedService(this IResCoinBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddResCoinHostedService();
        return builder;
    }
}
