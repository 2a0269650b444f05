namespace ResCoin.GuestAgent;

/// <summary>Settings of a <see cref="GuestAgentMonitor"/>: where each VM's agent listens, and the bounds of a query.</summary>
public sealed class GuestAgentMonitorOptions
{
    /// <summary>The map VM name → agent endpoint (names compared ordinally). VMs not listed are not queried.</summary>
    public IDictionary<string, GuestAgentEndpoint> Agents { get; } = new Dictionary<string, GuestAgentEndpoint>(StringComparer.Ordinal);

    /// <summary>The limit for one query (connect, send, receive). Default 2 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>At most this many queries are in flight at once. Default 32.</summary>
    public int MaxConcurrency { get; set; } = 32;

    internal void Validate()
    {
        if (RequestTimeout <= TimeSpan.Zero || RequestTimeout > TimeSpan.FromMinutes(5))
        {
            throw new ArgumentOutOfRangeException(nameof(RequestTimeout), RequestTimeout, "RequestTimeout must be positive and at most 5 minutes.");
        }

        if (MaxConcurrency is < 1 or > 4096)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxConcurrency), MaxConcurrency, "MaxConcurrency must be from 1 to 4096.");
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
