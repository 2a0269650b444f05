using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ResCoin;
using ResCoin.Libvirt;
using ResCoin.Libvirt.Native;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the libvirt monitor and actuator.</summary>
public static class LibvirtServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="LibvirtMonitor"/> as <see cref="IMonitor"/> and <see cref="LibvirtActuator"/> as
    /// <see cref="IActuator"/> (singletons, <c>TryAdd</c>: a second call or an earlier registration wins), plus
    /// <see cref="LibvirtOptions"/> validated on start and <see cref="TimeProvider.System"/>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Configures the options.</param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddResCoinLibvirt(this IServiceCollection services, Action<LibvirtOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        OptionsBuilder<LibvirtOptions> options = services.AddOptions<LibvirtOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LibvirtOptions>, LibvirtOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        // The monitor hands each sample's domain ids, vCPUs and balloon sizes to the actuator: no lookup or GetInfo per VM per period.
        services.TryAddSingleton<DomainFacts>();
        services.TryAddSingleton(static sp => new LibvirtMonitor(
            sp.GetRequiredService<IOptions<LibvirtOptions>>().Value, sp.GetService<TimeProvider>(), sp.GetService<ILogger<LibvirtMonitor>>(), sp.GetRequiredService<DomainFacts>()));
        services.TryAddSingleton(static sp => new LibvirtActuator(
            sp.GetRequiredService<IOptions<LibvirtOptions>>().Value, sp.GetService<TimeProvider>(), sp.GetService<ILogger<LibvirtActuator>>(), sp.GetRequiredService<DomainFacts>()));
        services.TryAddSingleton<IMonitor>(static sp => sp.GetRequiredService<LibvirtMonitor>());
        services.TryAddSingleton<IActuator>(static sp => sp.GetRequiredService<LibvirtActuator>());
        return services;
    }
}
