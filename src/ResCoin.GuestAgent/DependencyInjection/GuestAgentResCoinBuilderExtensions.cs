using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using ResCoin.GuestAgent;

namespace ResCoin;

/// <summary>
/// Chains the in-guest memory agents on <c>services.AddResCoin(...)</c>: the host's monitor (registered before, e.g.
/// by <c>.AddLibvirt()</c>) is wrapped in a <see cref="GuestMemoryOverlayMonitor"/> that takes each configured VM's
/// memory usage from its agent, and falls back to the host's figure where the agent does not answer validly.
/// </summary>
public static class GuestAgentResCoinBuilderExtensions
{
    /// <summary>Overlays the agents configured by <paramref name="configure"/> on the registered <see cref="IMonitor"/>; without agents nothing changes.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Configures the agents and their deadlines.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="InvalidOperationException">No <see cref="IMonitor"/> is registered yet.</exception>
    /// <exception cref="ArgumentException">An option is out of range (the message names it).</exception>
    public static IResCoinBuilder AddGuestAgent(this IResCoinBuilder builder, Action<GuestAgentMonitorOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new GuestAgentMonitorOptions();
        configure(options);
        options.Validate();
        if (options.Agents.Count == 0)
        {
            return builder;
        }

        IServiceCollection services = builder.Services;
        ServiceDescriptor? inner = null;
        foreach (ServiceDescriptor d in services)
        {
            if (d.ServiceType == typeof(IMonitor) && !d.IsKeyedService)
            {
                inner = d;
            }
        }

        if (inner is null)
        {
            throw new InvalidOperationException("AddGuestAgent overlays the host's monitor: register one first (for example .AddLibvirt()).");
        }

        services.Remove(inner);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new GuestAgentMonitor(options, sp.GetService<TimeProvider>(), sp.GetService<ILogger<GuestAgentMonitor>>()));
        services.AddSingleton<IMonitor>(sp => new GuestMemoryOverlayMonitor(
            Build(sp, inner),
            sp.GetRequiredService<GuestAgentMonitor>(),
            sp.GetService<ILogger<GuestMemoryOverlayMonitor>>()));
        return builder;
    }

    /// <summary>
    /// Overlays the agents of a configuration section (usually <c>ResCoin:GuestAgent</c>): <c>Agents</c> (VM name →
    /// <c>vsock:CID[:PORT]</c> or <c>tcp:HOST[:PORT]</c>), <c>RequestTimeout</c>, <c>SampleDeadline</c> (time spans),
    /// <c>MaxConcurrency</c>, <c>HostMemoryBytes</c>.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="section">The section.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="InvalidDataException">A value is malformed or out of range; the message names the key.</exception>
    public static IResCoinBuilder AddGuestAgent(this IResCoinBuilder builder, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        string path = section is IConfigurationSection s ? s.Path : "GuestAgent";
        var options = new GuestAgentMonitorOptions();
        foreach (IConfigurationSection agent in section.GetSection("Agents").GetChildren())
        {
            if (!GuestAgentEndpoint.TryParse(agent.Value, out GuestAgentEndpoint? endpoint, out string? error))
            {
                throw new InvalidDataException($"invalid configuration: {agent.Path}: {error}");
            }

            options.Agents[agent.Key] = endpoint;
        }

        options.RequestTimeout = Read(section, path, "RequestTimeout", options.RequestTimeout, static (string v, out TimeSpan t) => TimeSpan.TryParse(v, CultureInfo.InvariantCulture, out t), "a time span (e.g. 00:00:02)");
        options.SampleDeadline = Read(section, path, "SampleDeadline", options.SampleDeadline, static (string v, out TimeSpan t) => TimeSpan.TryParse(v, CultureInfo.InvariantCulture, out t), "a time span (e.g. 00:00:03)");
        options.MaxConcurrency = Read(section, path, "MaxConcurrency", options.MaxConcurrency, static (string v, out int n) => int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out n), "a whole number");
        if (section["HostMemoryBytes"] is not null)
        {
            options.HostMemoryBytes = Read(section, path, "HostMemoryBytes", 0.0, static (string v, out double b) => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out b), "a number of bytes");
        }

        try
        {
            return builder.AddGuestAgent(o =>
            {
                foreach (KeyValuePair<string, GuestAgentEndpoint> a in options.Agents)
                {
                    o.Agents[a.Key] = a.Value;
                }

                o.RequestTimeout = options.RequestTimeout;
                o.SampleDeadline = options.SampleDeadline;
                o.MaxConcurrency = options.MaxConcurrency;
                o.HostMemoryBytes = options.HostMemoryBytes;
            });
        }
        catch (ArgumentException ex)
        {
            // One line: without " (Parameter 'x')" and the "Actual value was" line.
            string message = ex.Message.Split('\n')[0];
            int parameter = message.IndexOf(" (Parameter ", StringComparison.Ordinal);
            throw new InvalidDataException($"invalid configuration: {path}: {(parameter > 0 ? message[..parameter] : message)}", ex);
        }
    }

    private delegate bool TryParser<T>(string value, out T result);

    private static T Read<T>(IConfiguration section, string path, string key, T fallback, TryParser<T> parse, string what)
    {
        string? text = section[key];
        if (text is null)
        {
            return fallback;
        }

        return parse(text, out T value) ? value : throw new InvalidDataException($"invalid configuration: {path}:{key}: '{text}' is not {what}");
    }

    private static IMonitor Build(IServiceProvider sp, ServiceDescriptor d)
        => d.ImplementationInstance as IMonitor
        ?? d.ImplementationFactory?.Invoke(sp) as IMonitor
        ?? (IMonitor)ActivatorUtilities.CreateInstance(sp, d.ImplementationType!);
}
