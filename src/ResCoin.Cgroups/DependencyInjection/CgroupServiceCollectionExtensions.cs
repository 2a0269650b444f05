using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using ResCoin;
using ResCoin.Cgroups;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the cgroup monitor and actuator.</summary>
public static class CgroupServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="CgroupOptions"/> (validated on start), <see cref="CgroupMonitor"/> as the <see cref="IMonitor"/>,
    /// <see cref="CgroupActuator"/> as the <see cref="IActuator"/>, <see cref="ProcHostMonitor"/> and <see cref="TimeProvider.System"/>,
    /// all with TryAdd: a second call, or an earlier registration of the user's own, wins.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Configures the options (e.g. the cgroup patterns).</param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddResCoinCgroups(this IServiceCollection services, Action<CgroupOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        OptionsBuilder<CgroupOptions> options = services.AddOptionsWithValidateOnStart<CgroupOptions, CgroupOptionsValidator>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CgroupOptions>, CgroupOptionsRulesValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<CgroupMonitor>();
        services.TryAddSingleton<CgroupActuator>();
        services.TryAddSingleton(static sp => new ProcHostMonitor(sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<CgroupOptions>>().Value.HostRoot));
        services.TryAddSingleton<IMonitor>(static sp => sp.GetRequiredService<CgroupMonitor>());
        services.TryAddSingleton<IActuator>(static sp => sp.GetRequiredService<CgroupActuator>());
        return services;
    }
}
