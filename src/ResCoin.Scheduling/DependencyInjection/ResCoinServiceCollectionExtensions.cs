using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
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
    /// Adds the ResCoin controller and its options (validated on start; a bad value fails naming its key). The built-in
    /// predictors and policies are registered by name; <see cref="ResCoinOptions.Predictor"/> and
    /// <see cref="ResCoinOptions.Policy"/> pick among them and among the user's (<c>.UsePredictor&lt;T&gt;()</c>,
    /// <c>.UseAllocator&lt;T&gt;()</c>). An <see cref="IPredictor"/> or <see cref="IAllocator"/> registered directly
    /// wins over both. Needs an <see cref="IMonitor"/> and an <see cref="IActuator"/> (ResCoin.Libvirt, ResCoin.Cgroups,
    /// ResCoin.Simulation or the user's). Calling it again is harmless.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Configures the options.</param>
    /// <returns>A builder to chain the other packages' registrations on.</returns>
    public static IResCoinBuilder AddResCoin(this IServiceCollection services, Action<ResCoinOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptionsWithValidateOnStart<ResCoinOptions, ResCoinOptionsValidator>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ResCoinOptions>, ResCoinOptionsCrossValidator>());
        if (configure is not null)
        {
            services.Configure(configure);
        }

        if (!services.Any(static d => d.ServiceType == typeof(BuiltInsMarker)))
        {
            services.AddSingleton<BuiltInsMarker>();
            foreach (string name in Predictors.Names)
            {
                string n = name;
                services.AddSingleton(new NamedFactory<IPredictor>(n, sp => CreatePredictor(n, sp)));
            }

            foreach (string name in Allocators.Names)
            {
                string n = name;
                services.AddSingleton(new NamedFactory<IAllocator>(n, sp =>
                {
                    ResCoinOptions o = sp.GetRequiredService<IOptions<ResCoinOptions>>().Value;
                    return Allocators.Create(n, o.Headroom, o.Weighting);
                }));
            }
        }

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(static sp => NamedFactory<IPredictor>.Resolve(
            sp, sp.GetServices<NamedFactory<IPredictor>>(), sp.GetRequiredService<IOptions<ResCoinOptions>>().Value.Predictor, nameof(ResCoinOptions.Predictor)));
        services.TryAddSingleton(static sp => NamedFactory<IAllocator>.Resolve(
            sp, sp.GetServices<NamedFactory<IAllocator>>(), sp.GetRequiredService<IOptions<ResCoinOptions>>().Value.Policy, nameof(ResCoinOptions.Policy)));
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

    /// <summary>Adds the ResCoin controller with its options as configured elsewhere (see the other overloads).</summary>
    /// <param name="services">The services.</param>
    /// <returns>A builder to chain the other packages' registrations on.</returns>
    public static IResCoinBuilder AddResCoin(this IServiceCollection services) => services.AddResCoin((Action<ResCoinOptions>?)null);

    /// <summary>
    /// Adds ResCoin with its options bound from a configuration section (usually <c>ResCoin</c>) and the built-in
    /// predictors' options from its <c>Predictors</c> subsection (<c>Predictors:Ewma</c>, <c>Predictors:Holt</c>,
    /// <c>Predictors:FastSlow</c>, <c>Predictors:Percentile</c>, <c>Predictors:Adaptive</c>).
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="section">The configuration section.</param>
    /// <returns>A builder to chain the other packages' registrations on.</returns>
    public static IResCoinBuilder AddResCoin(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        IResCoinBuilder builder = services.AddResCoin();
        services.Configure<ResCoinOptions>(section);
        IConfiguration predictors = section.GetSection("Predictors");
        services.Configure<EwmaOptions>(predictors.GetSection("Ewma"));
        services.Configure<HoltOptions>(predictors.GetSection("Holt"));
        services.Configure<FastSlowOptions>(predictors.GetSection("FastSlow"));
        services.Configure<PercentileOptions>(predictors.GetSection("Percentile"));
        services.Configure<AdaptiveOptions>(predictors.GetSection("Adaptive"));
        return builder;
    }

    private static IPredictor CreatePredictor(string name, IServiceProvider sp)
    {
        T Options<T>()
            where T : class, new()
            => sp.GetService<IOptions<T>>()?.Value ?? new T();

        return name switch
        {
            EwmaPredictor.PredictorName => new EwmaPredictor(Options<EwmaOptions>()),
            HoltPredictor.PredictorName => new HoltPredictor(Options<HoltOptions>()),
            FastSlowEwmaPredictor.PredictorName => new FastSlowEwmaPredictor(Options<FastSlowOptions>()),
            PercentilePredictor.PredictorName => new PercentilePredictor(Options<PercentileOptions>()),
            AdaptivePredictor.PredictorName => new AdaptivePredictor(Options<AdaptiveOptions>()),
            _ => Predictors.Create(name),
        };
    }

    private sealed class BuiltInsMarker;
}
