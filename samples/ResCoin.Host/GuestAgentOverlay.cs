using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using ResCoin.GuestAgent;
using ResCoin.Libvirt;

namespace ResCoin.Host;

/// <summary>
/// The guest-agent memory overlay of the host: when the configuration section <c>ResCoin:GuestAgent</c> maps at
/// least one VM name to an agent endpoint, the host's <see cref="IMonitor"/> becomes a
/// <see cref="GuestMemoryOverlayMonitor"/> around the libvirt monitor (memory usage from inside the guest where
/// its agent answers validly, the libvirt balloon figure otherwise). Without agents nothing changes.
/// </summary>
internal static partial class GuestAgentOverlay
{
    /// <summary>The configuration section, under <c>ResCoin</c>.</summary>
    public const string SectionName = "GuestAgent";

    /// <summary>
    /// Reads <c>ResCoin:GuestAgent</c>: <c>Agents</c> (VM name → <c>vsock:CID[:PORT]</c> or <c>tcp:HOST[:PORT]</c>),
    /// <c>RequestTimeout</c> (a time span, default 2 s), <c>SampleDeadline</c> (a time span for all agents of one period
    /// together, default 3 s) and <c>MaxConcurrency</c> (default 32).
    /// </summary>
    /// <param name="section">The <c>ResCoin:GuestAgent</c> section.</param>
    /// <returns>The options, or null when no agent is configured.</returns>
    /// <exception cref="InvalidDataException">A value is malformed; the message names the key.</exception>
    public static GuestAgentMonitorOptions? Read(IConfigurationSection section)
    {
        var options = new GuestAgentMonitorOptions();
        string path = section.Path;
        foreach (IConfigurationSection agent in section.GetSection("Agents").GetChildren())
        {
            if (!GuestAgentEndpoint.TryParse(agent.Value, out GuestAgentEndpoint? endpoint, out string? error))
            {
                throw new InvalidDataException($"invalid configuration: {agent.Path}: {error}");
            }

            options.Agents[agent.Key] = endpoint;
        }

        if (options.Agents.Count == 0)
        {
            return null;
        }

        if (section["RequestTimeout"] is { } timeout)
        {
            if (!TimeSpan.TryParse(timeout, System.Globalization.CultureInfo.InvariantCulture, out TimeSpan t))
            {
                throw new InvalidDataException($"invalid configuration: {path}:RequestTimeout: '{timeout}' is not a time span (e.g. 00:00:02)");
            }

            options.RequestTimeout = t;
        }

        if (section["SampleDeadline"] is { } deadline)
        {
            if (!TimeSpan.TryParse(deadline, System.Globalization.CultureInfo.InvariantCulture, out TimeSpan d))
            {
                throw new InvalidDataException($"invalid configuration: {path}:SampleDeadline: '{deadline}' is not a time span (e.g. 00:00:03)");
            }

            options.SampleDeadline = d;
        }

        if (section["MaxConcurrency"] is { } concurrency)
        {
            if (!int.TryParse(concurrency, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n))
            {
                throw new InvalidDataException($"invalid configuration: {path}:MaxConcurrency: '{concurrency}' is not a whole number");
            }

            options.MaxConcurrency = n;
        }

        try
        {
            // The monitor validates its options (timeout and concurrency ranges) when created.
            using var check = new GuestAgentMonitor(options);
        }
        catch (ArgumentException ex)
        {
            // One line: without " (Parameter 'x')" and the "Actual value was" line.
            string message = ex.Message.Split('\n')[0];
            int parameter = message.IndexOf(" (Parameter ", StringComparison.Ordinal);
            throw new InvalidDataException($"invalid configuration: {path}: {(parameter > 0 ? message[..parameter] : message)}");
        }

        return options;
    }

    /// <summary>
    /// Replaces the <see cref="IMonitor"/> that <c>AddResCoinLibvirt</c> registered with the overlay around the
    /// <see cref="LibvirtMonitor"/>. Call after <c>AddResCoinLibvirt</c>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="options">The agents.</param>
    public static void Add(IServiceCollection services, GuestAgentMonitorOptions options)
    {
        services.AddSingleton(sp => new GuestAgentMonitor(options, sp.GetService<TimeProvider>(), sp.GetService<ILogger<GuestAgentMonitor>>()));
        services.AddSingleton(sp => new GuestMemoryOverlayMonitor(
            sp.GetRequiredService<LibvirtMonitor>(),
            sp.GetRequiredService<GuestAgentMonitor>(),
            sp.GetService<ILogger<GuestMemoryOverlayMonitor>>()));
        services.Replace(ServiceDescriptor.Singleton<IMonitor>(sp => new OverlayStatusMonitor(
            sp.GetRequiredService<GuestMemoryOverlayMonitor>(),
            options,
            sp.GetRequiredService<ILogger<GuestMemoryOverlayMonitor>>())));
    }

    /// <summary>
    /// Samples through the overlay and logs (information) how many configured VMs got their memory figure from
    /// their agent: on the first sample and whenever that changes, so a working overlay or a clean fallback is visible
    /// without debug logging. Why an agent's answer was refused is logged by <see cref="GuestAgentMonitor"/> at
    /// debug level (category <c>ResCoin.GuestAgent</c>).
    /// </summary>
    private sealed partial class OverlayStatusMonitor : IMonitor
    {
        private readonly GuestMemoryOverlayMonitor _overlay;
        private readonly ILogger _logger;
        private readonly int _count;
        private readonly string _agents;
        private bool _started;
        private int _overlaid = -1;
        private int _fallback = -1;

        public OverlayStatusMonitor(GuestMemoryOverlayMonitor overlay, GuestAgentMonitorOptions options, ILogger logger)
        {
            _overlay = overlay;
            _count = options.Agents.Count;
            _agents = string.Join(", ", options.Agents.Select(p => p.Key + "=" + p.Value));
            _logger = logger;
        }

        public async ValueTask SampleAsync(HostSnapshot snapshot, CancellationToken cancellationToken)
        {
            if (!_started)
            {
                _started = true;
                LogEnabled(_logger, _count, _agents);
            }

            await _overlay.SampleAsync(snapshot, cancellationToken).ConfigureAwait(false);
            int overlaid = _overlay.LastOverlaidCount;
            int fallback = _overlay.LastFallbackCount;
            if (overlaid != _overlaid || fallback != _fallback)
            {
                _overlaid = overlaid;
                _fallback = fallback;
                LogStatus(_logger, overlaid, overlaid + fallback, fallback);
            }
        }

        [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Guest-agent memory overlay on for {Count} VM(s): {Agents}")]
        private static partial void LogEnabled(ILogger logger, int count, string agents);

        [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Guest agents: {Overlaid} of {Running} running VM(s) with an agent gave their memory figure; {Fallback} kept the libvirt figure")]
        private static partial void LogStatus(ILogger logger, int overlaid, int running, int fallback);
    }
}
