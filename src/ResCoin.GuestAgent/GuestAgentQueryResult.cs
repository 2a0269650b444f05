namespace ResCoin.GuestAgent;

/// <summary>The outcome of asking one guest's agent for its memory.</summary>
public enum GuestAgentQueryStatus
{
    /// <summary>A valid report arrived.</summary>
    Ok = 0,

    /// <summary>No endpoint is configured for the VM.</summary>
    NotConfigured,

    /// <summary>The connection could not be made (refused, no route, no such vsock device, …).</summary>
    ConnectFailed,

    /// <summary>The whole exchange did not finish within the per-request timeout.</summary>
    Timeout,

    /// <summary>The agent closed the connection before a whole answer arrived.</summary>
    ConnectionClosed,

    /// <summary>The answer was not a well-formed message (see <see cref="GuestAgentQueryResult.ProtocolStatus"/>).</summary>
    ProtocolError,

    /// <summary>The agent answered with an error message (see <see cref="GuestAgentQueryResult.AgentError"/>).</summary>
    AgentError,

    /// <summary>The answer echoed another nonce: a stale or replayed answer.</summary>
    NonceMismatch,

    /// <summary>The report claims more memory than the VM's maximum.</summary>
    ExceedsMaximumMemory,

    /// <summary>The report's fields contradict each other (e.g. MemFree &gt; MemTotal).</summary>
    Inconsistent,

    /// <summary>The report's sequence number is not newer than one already accepted from the same agent instance.</summary>
    StaleSequence,

    /// <summary>Any other I/O failure.</summary>
    IOError,
}

/// <summary>The outcome of one query: a status, and the report only when the status is <see cref="GuestAgentQueryStatus.Ok"/>.</summary>
public readonly record struct GuestAgentQueryResult
{
    /// <summary>The outcome.</summary>
    public GuestAgentQueryStatus Status { get; init; }

    /// <summary>The report; meaningful only when <see cref="IsSuccess"/>.</summary>
    public GuestMemoryReport Report { get; init; }

    /// <summary>The decoder's verdict when <see cref="Status"/> is <see cref="GuestAgentQueryStatus.ProtocolError"/>.</summary>
    public GuestAgentProtocolStatus ProtocolStatus { get; init; }

    /// <summary>The agent's error when <see cref="Status"/> is <see cref="GuestAgentQueryStatus.AgentError"/>.</summary>
    public GuestAgentError? AgentError { get; init; }

    /// <summary>A one-line explanation of a failure (null on success).</summary>
    public string? Detail { get; init; }

    /// <summary>Whether a valid report arrived.</summary>
    public bool IsSuccess => Status == GuestAgentQueryStatus.Ok;

    /// <summary>Guest-used memory in bytes (MemTotal − MemAvailable) on success; <see cref="double.NaN"/> otherwise — never a number from a bad answer.</summary>
    public double UsedMemoryBytes => IsSuccess ? Report.UsedBytes : double.NaN;

    internal static GuestAgentQueryResult Failure(GuestAgentQueryStatus status, string detail) => new() { Status = status, Detail = detail };

    /// <inheritdoc/>
    public override string ToString() => IsSuccess
        ? $"Ok: used {Report.UsedBytes} of {Report.MemTotal} bytes (sequence {Report.Sequence})"
        : $"{Status}: {Detail}";
}
