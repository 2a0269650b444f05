namespace ResCoin.GuestAgent;

/// <summary>The kind of a guest-agent protocol message (byte 5 of the header).</summary>
public enum GuestAgentMessageType : byte
{
    /// <summary>Host to guest: "report your memory", carrying a nonce the answer must echo.</summary>
    MemoryRequest = 1,

    /// <summary>Guest to host: the memory figures of <c>/proc/meminfo</c>.</summary>
    MemoryReport = 2,

    /// <summary>Either direction (in practice guest to host): the request was refused, with a code and a message.</summary>
    Error = 3,
}

/// <summary>Why the protocol decoder refused a byte sequence (or <see cref="Ok"/>).</summary>
public enum GuestAgentProtocolStatus
{
    /// <summary>The bytes hold a well-formed message.</summary>
    Ok = 0,

    /// <summary>Fewer bytes than the header or the announced payload needs.</summary>
    Incomplete,

    /// <summary>The first four bytes are not the protocol magic <c>RCGA</c>.</summary>
    BadMagic,

    /// <summary>The header names a protocol version this side does not speak.</summary>
    UnsupportedVersion,

    /// <summary>The header names a message type this version does not define.</summary>
    UnknownMessageType,

    /// <summary>A different message type was expected here (e.g. a request where a report was due).</summary>
    UnexpectedMessageType,

    /// <summary>The payload length is over the hard limit or wrong for the message type.</summary>
    BadLength,

    /// <summary>A reserved field or flag bit is not zero.</summary>
    ReservedNotZero,

    /// <summary>The payload is structurally invalid (e.g. an error message that is not UTF-8).</summary>
    BadPayload,
}

/// <summary>The reason code of an <see cref="GuestAgentMessageType.Error"/> message.</summary>
public enum GuestAgentErrorCode : ushort
{
    /// <summary>No error.</summary>
    None = 0,

    /// <summary>The request used a protocol version the agent does not speak.</summary>
    UnsupportedVersion = 1,

    /// <summary>The request was not a well-formed message.</summary>
    MalformedRequest = 2,

    /// <summary>The request's message type is unknown to the agent or not a request.</summary>
    UnknownMessageType = 3,

    /// <summary>The agent could not read or parse <c>/proc/meminfo</c>.</summary>
    MemInfoUnavailable = 4,

    /// <summary>Any other failure inside the agent.</summary>
    Internal = 5,
}
