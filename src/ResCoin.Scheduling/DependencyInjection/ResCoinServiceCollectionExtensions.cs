using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ResCoin;
using ResCoin.Prediction;
using ResCoin.Scheduling;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the ResCoin control loop.</summary>
public static class ResCoinServiceCollectionExtensions
{
    /// <summary>
    /// Adds the ResCoin controller: <see cref="ResCoinOptions"/> (validated on start), <see cref="TimeProvider.System"/>,
    /// the <see cref="IPredictor"/> and <see cref="IAllocator"/> named in the options (unless already registered: a user
    /// registration wins) and <see cref="ResCoinController"/> as a singleton. An <see cref="IMonitor"/> and an
    /// <see cref="IActuator"/> must be registered too (<c>AddResCoinLibvirt</c>, <c>AddResCoinCgroups</c>, a simulator, or your own).
    /// Safe to call more than once.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Configures the options (applied after any configuration binding registered earlier).</param>
    /// <returns>A builder for chaining.</returns>
    public static ResCoinBuilder AddResCoin(this IServiceCollection services, Action<ResCoinOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptionsWithValidateOnStart<ResCoinOptions, ResCoinOptionsValidator>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ResCoinOptions>, ResCoinOptionsCrossValidator>());
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(static sp => Predictors.Create(sp.GetRequiredService<IOptions<ResCoinOptions>>().Value.Predictor));
        services.TryAddSingleton(static sp =>
        {
            ResCoinOptions o = sp.GetRequiredService<IOptions<ResCoinOptions>>().Value;
            return Allocators.Create(o.Policy, o.Headroom, o.Weighting);
        });
        services.TryAddSingleton(static sp => new ResCoinController(
            sp.GetRequiredService<IMonitor>(),
            sp.GetRequiredService<IPredictor>(),
            sp.GetRequiredService<IAllocator>(),
            sp.GetRequiredService<IActuator>(),
            sp.GetRequiredService<IOptions<ResCoinOptions>>().Value,
            sp.GetService<TimeProvider>(),
            sp.GetService<ILogger<ResCoinController>>(),
            sp.GetService<IMeterFactory>(),
            sp.GetServices<IPeriodObserver>()));
        return new ResCoinBuilder(services);
    }
}
