namespace ResCoin.GuestAgent;

/// <summary>Settings of a <see cref="GuestAgentMonitor"/>: where each VM's agent listens, and the bounds of a query.</summary>
public sealed class GuestAgentMonitorOptions
{
    /// <summary>The map VM name → agent endpoint (names compared ordinally). VMs not listed are not queried.</summary>
    public IDictionary<string, GuestAgentEndpoint> Agents { get; } = new Dictionary<string, GuestAgentEndpoint>(StringComparer.Ordinal);

    /// <summary>The limit for one query (connect, send, receive). Default 2 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The one deadline for all the agents of one sample together (<see cref="GuestAgentMonitor.QueryManyAsync"/>, and so
    /// every period of a <see cref="GuestMemoryOverlayMonitor"/>): queries still waiting for a turn or an answer when it
    /// passes end as <see cref="GuestAgentQueryStatus.Timeout"/>, however many agents stay silent. Keep it well inside the
    /// control period. Default 3 s.
    /// </summary>
    public TimeSpan SampleDeadline { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>At most this many queries are in flight at once. Default 32.</summary>
    public int MaxConcurrency { get; set; } = 32;

    /// <summary>
    /// The host's memory in bytes: a report whose <c>MemTotal</c> is above it is refused when the VM's own maximum memory is
    /// unknown. Null (the default) reads <c>MemTotal</c> of the host's <c>/proc/meminfo</c> once, when the monitor is created
    /// (or, where that cannot be read, the memory the runtime sees).
    /// </summary>
    public double? HostMemoryBytes { get; set; }

    internal void Validate()
    {
        if (RequestTimeout <= TimeSpan.Zero || RequestTimeout > TimeSpan.FromMinutes(5))
        {
            throw new ArgumentOutOfRangeException(nameof(RequestTimeout), RequestTimeout, "RequestTimeout must be positive and at most 5 minutes.");
        }

        if (SampleDeadline <= TimeSpan.Zero || SampleDeadline > TimeSpan.FromMinutes(5))
        {
            throw new ArgumentOutOfRangeException(nameof(SampleDeadline), SampleDeadline, "SampleDeadline must be positive and at most 5 minutes.");
        }

        if (MaxConcurrency is < 1 or > 4096)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxConcurrency), MaxConcurrency, "MaxConcurrency must be from 1 to 4096.");
        }

        if (HostMemoryBytes is { } host && !(double.IsFinite(host) && host > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(HostMemoryBytes), HostMemoryBytes, "HostMemoryBytes must be a positive number of bytes (or null to read /proc/meminfo).");
        }

        foreach (KeyValuePair<string, GuestAgentEndpoint> pair in Agents)
        {
            if (string.IsNullOrEmpty(pair.Key) || pair.Value is null)
            {
                throw new ArgumentException($"Guest agent map entry '{pair.Key}' needs a VM name and an endpoint.", nameof(Agents));
            }
        }
    }
}
