using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ResCoin.Cgroups.Ksm;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the optional KSM controller.</summary>
public static class KsmServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="KsmOptions"/> (validated on start), <see cref="KsmController"/> and a hosted service that runs its
    /// rule every <see cref="KsmOptions.Period"/> and restores the original KSM settings on stop; with TryAdd, so a second
    /// call is harmless. Needs root (it writes <c>/sys/kernel/mm/ksm</c>) unless <see cref="KsmOptions.DryRun"/> is set.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Configures the options.</param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddResCoinKsm(this IServiceCollection services, Action<KsmOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        OptionsBuilder<KsmOptions> options = services.AddOptionsWithValidateOnStart<KsmOptions, KsmOptionsValidator>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KsmOptions>, KsmOptionsRulesValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<KsmController>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, KsmHostedService>());
        return services;
    }
}
