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
    /// of the host and restores the original settings on stop. Safe to call more than once. Call <c>UseSystemd()</c> on
    /// the host builder to run as a systemd service (ready/stopping notifications, journal-friendly logs).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddResCoinHostedService(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ResCoinHostedService>());
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
