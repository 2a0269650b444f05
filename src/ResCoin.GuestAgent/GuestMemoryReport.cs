namespace ResCoin.GuestAgent;

/// <summary>
/// One memory report of a guest, as carried by a <see cref="GuestAgentMessageType.MemoryReport"/> message.
/// Every figure is a byte count (the agent converts the kernel's kB); every field is guest-controlled data.
/// </summary>
public readonly record struct GuestMemoryReport
{
    /// <summary>The nonce of the request this report answers.</summary>
    public ulong Nonce { get; init; }

    /// <summary>A random number the agent draws when it starts; a new value means the agent restarted.</summary>
    public ulong InstanceId { get; init; }

    /// <summary>The agent's report counter: 1 for its first report, then strictly increasing.</summary>
    public ulong Sequence { get; init; }

    /// <summary>The guest's wall clock when it read <c>/proc/meminfo</c>, in Unix milliseconds (UTC).</summary>
    public long TimestampUnixMilliseconds { get; init; }

    /// <summary>Flag bits, see <see cref="GuestMemoryReportAttributes"/>.</summary>
    public GuestMemoryReportAttributes Flags { get; init; }

    /// <summary><c>MemTotal</c>: usable RAM the guest kernel sees, in bytes.</summary>
    public ulong MemTotal { get; init; }

    /// <summary><c>MemAvailable</c>: memory available for new work without swapping, in bytes.</summary>
    public ulong MemAvailable { get; init; }

    /// <summary><c>MemFree</c>, in bytes.</summary>
    public ulong MemFree { get; init; }

    /// <summary><c>Buffers</c>, in bytes.</summary>
    public ulong Buffers { get; init; }

    /// <summary><c>Cached</c>, in bytes.</summary>
    public ulong Cached { get; init; }

    /// <summary><c>SwapTotal</c>, in bytes.</summary>
    public ulong SwapTotal { get; init; }

    /// <summary><c>SwapFree</c>, in bytes.</summary>
    public ulong SwapFree { get; init; }

    /// <summary>The guest's wall clock when it read <c>/proc/meminfo</c>.</summary>
    public DateTimeOffset Timestamp =>
        TimestampUnixMilliseconds is >= -62_135_596_800_000 and <= 253_402_300_799_999
            ? DateTimeOffset.FromUnixTimeMilliseconds(TimestampUnixMilliseconds)
            : DateTimeOffset.MinValue;

    /// <summary>Memory the guest really uses, <see cref="MemTotal"/> − <see cref="MemAvailable"/>, in bytes (0 if inconsistent).</summary>
    public ulong UsedBytes => MemAvailable <= MemTotal ? MemTotal - MemAvailable : 0;
}

/// <summary>Flag bits of a <see cref="GuestMemoryReport"/>.</summary>
[Flags]
public enum GuestMemoryReportAttributes : uint
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary>
    /// The guest kernel has no <c>MemAvailable</c> line (Linux before 3.14): the agent reported
    /// <c>MemFree + Buffers + Cached</c> (capped at <c>MemTotal</c>) instead.
    /// </summary>
    MemAvailableEstimated = 1,
}

/// <summary>The content of an <see cref="GuestAgentMessageType.Error"/> message.</summary>
/// <param name="Nonce">The nonce of the refused request, or 0 when the request could not be read.</param>
/// <param name="Code">Why the request was refused.</param>
/// <param name="MinVersion">The lowest protocol version the sender speaks.</param>
/// <param name="MaxVersion">The highest protocol version the sender speaks.</param>
/// <param name="Message">A short human-readable explanation (control characters replaced).</param>
public readonly record struct GuestAgentError(ulong Nonce, GuestAgentErrorCode Code, byte MinVersion, byte MaxVersion, string Message);
