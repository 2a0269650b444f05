using System.Buffers.Binary;
using System.Text;

namespace ResCoin.GuestAgent;

/// <summary>
/// Encodes and decodes the guest-agent wire protocol (version 1; byte layout in the package README).
/// Every message is a 12-byte header — magic <c>RCGA</c>, version, message type, two reserved bytes,
/// little-endian 32-bit payload length — followed by the payload; no message exceeds
/// <see cref="MaxMessageSize"/> bytes. Decoders never throw on hostile input: they return a
/// <see cref="GuestAgentProtocolStatus"/>.
/// </summary>
public static class GuestAgentProtocol
{
    /// <summary>The protocol version this library writes and reads.</summary>
    public const byte Version = 1;

    /// <summary>The size of the fixed header.</summary>
    public const int HeaderSize = 12;

    /// <summary>The hard upper bound of a payload; a header announcing more is refused before anything is read.</summary>
    public const int MaxPayloadSize = 256;

    /// <summary>The hard upper bound of a whole message.</summary>
    public const int MaxMessageSize = HeaderSize + MaxPayloadSize;

    /// <summary>The payload size of a <see cref="GuestAgentMessageType.MemoryRequest"/>.</summary>
    public const int RequestPayloadSize = 8;

    /// <summary>The payload size of a <see cref="GuestAgentMessageType.MemoryReport"/>.</summary>
    public const int ReportPayloadSize = 96;

    /// <summary>The fixed part of an <see cref="GuestAgentMessageType.Error"/> payload (before the message text).</summary>
    public const int ErrorFixedSize = 14;

    /// <summary>The longest error message text, in UTF-8 bytes; longer texts are truncated when written.</summary>
    public const int MaxErrorMessageBytes = 200;

    /// <summary>
    /// The TCP and vsock port the agent listens on by default: 458, a privileged port (below 1024), so only root (or
    /// CAP_NET_BIND_SERVICE) inside the guest can bind it and no other guest user can answer the host in the agent's place
    /// while it is stopped. (The 2014 prototype used 4588, which any guest user can bind.)
    /// </summary>
    public const int DefaultPort = 458;

    /// <summary>The whole size of a request message.</summary>
    public const int RequestMessageSize = HeaderSize + RequestPayloadSize;

    /// <summary>The whole size of a report message.</summary>
    public const int ReportMessageSize = HeaderSize + ReportPayloadSize;

    private const uint Magic = 0x41474352; // "RCGA" read as a little-endian uint32
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    /// <summary>Reads and checks a header (magic, version, type, reserved bytes, payload bound).</summary>
    /// <param name="source">At least <see cref="HeaderSize"/> bytes (more is fine).</param>
    /// <param name="type">The message type, when the status is <see cref="GuestAgentProtocolStatus.Ok"/>.</param>
    /// <param name="payloadLength">The announced payload length, when the status is <see cref="GuestAgentProtocolStatus.Ok"/>.</param>
    /// <returns><see cref="GuestAgentProtocolStatus.Ok"/> or why the header is refused.</returns>
    public static GuestAgentProtocolStatus TryReadHeader(ReadOnlySpan<byte> source, out GuestAgentMessageType type, out int payloadLength)
    {
        type = default;
        payloadLength = 0;
        if (source.Length < HeaderSize)
        {
            return GuestAgentProtocolStatus.Incomplete;
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(source) != Magic)
        {
            return GuestAgentProtocolStatus.BadMagic;
        }

        if (source[4] != Version)
        {
            return GuestAgentProtocolStatus.UnsupportedVersion;
        }

        byte rawType = source[5];
        if (rawType is < (byte)GuestAgentMessageType.MemoryRequest or > (byte)GuestAgentMessageType.Error)
        {
            return GuestAgentProtocolStatus.UnknownMessageType;
        }

        if (source[6] != 0 || source[7] != 0)
        {
            return GuestAgentProtocolStatus.ReservedNotZero;
        }

        uint length = BinaryPrimitives.ReadUInt32LittleEndian(source[8..]);
        type = (GuestAgentMessageType)rawType;
        bool fits = type switch
        {
            GuestAgentMessageType.MemoryRequest => length == RequestPayloadSize,
            GuestAgentMessageType.MemoryReport => length == ReportPayloadSize,
            _ => length is >= ErrorFixedSize and <= ErrorFixedSize + MaxErrorMessageBytes,
        };
        if (!fits)
        {
            type = default;
            return GuestAgentProtocolStatus.BadLength;
        }

        payloadLength = (int)length;
        return GuestAgentProtocolStatus.Ok;
    }

    /// <summary>Writes a <see cref="GuestAgentMessageType.MemoryRequest"/>.</summary>
    /// <param name="destination">Room for <see cref="RequestMessageSize"/> bytes.</param>
    /// <param name="nonce">The value the answer must echo.</param>
    /// <param name="bytesWritten">The bytes written.</param>
    /// <returns>Whether the destination was large enough.</returns>
    public static bool TryWriteRequest(Span<byte> destination, ulong nonce, out int bytesWritten)
    {
        bytesWritten = 0;
        if (destination.Length < RequestMessageSize)
        {
            return false;
        }

        WriteHeader(destination, GuestAgentMessageType.MemoryRequest, RequestPayloadSize);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[HeaderSize..], nonce);
        bytesWritten = RequestMessageSize;
        return true;
    }

    /// <summary>Reads a whole <see cref="GuestAgentMessageType.MemoryRequest"/> message.</summary>
    /// <param name="source">The message bytes (header and payload).</param>
    /// <param name="nonce">The request's nonce.</param>
    /// <returns><see cref="GuestAgentProtocolStatus.Ok"/> or why the message is refused.</returns>
    public static GuestAgentProtocolStatus TryReadRequest(ReadOnlySpan<byte> source, out ulong nonce)
    {
        nonce = 0;
        GuestAgentProtocolStatus status = ReadPayload(source, GuestAgentMessageType.MemoryRequest, out ReadOnlySpan<byte> payload);
        if (status != GuestAgentProtocolStatus.Ok)
        {
            return status;
        }

        nonce = BinaryPrimitives.ReadUInt64LittleEndian(payload);
        return GuestAgentProtocolStatus.Ok;
    }

    /// <summary>Writes a <see cref="GuestAgentMessageType.MemoryReport"/>.</summary>
    /// <param name="destination">Room for <see cref="ReportMessageSize"/> bytes.</param>
    /// <param name="report">The report.</param>
    /// <param name="bytesWritten">The bytes written.</param>
    /// <returns>Whether the destination was large enough.</returns>
    public static bool TryWriteReport(Span<byte> destination, in GuestMemoryReport report, out int bytesWritten)
    {
        bytesWritten = 0;
        if (destination.Length < ReportMessageSize)
        {
            return false;
        }

        WriteHeader(destination, GuestAgentMessageType.MemoryReport, ReportPayloadSize);
        Span<byte> p = destination.Slice(HeaderSize, ReportPayloadSize);
        BinaryPrimitives.WriteUInt64LittleEndian(p, report.Nonce);
        BinaryPrimitives.WriteUInt64LittleEndian(p[8..], report.InstanceId);
        BinaryPrimitives.WriteUInt64LittleEndian(p[16..], report.Sequence);
        BinaryPrimitives.WriteInt64LittleEndian(p[24..], report.TimestampUnixMilliseconds);
        BinaryPrimitives.WriteUInt32LittleEndian(p[32..], (uint)report.Flags);
        BinaryPrimitives.WriteUInt32LittleEndian(p[36..], 0);
        BinaryPrimitives.WriteUInt64LittleEndian(p[40..], report.MemTotal);
        BinaryPrimitives.WriteUInt64LittleEndian(p[48..], report.MemAvailable);
        BinaryPrimitives.WriteUInt64LittleEndian(p[56..], report.MemFree);
        BinaryPrimitives.WriteUInt64LittleEndian(p[64..], report.Buffers);
        BinaryPrimitives.WriteUInt64LittleEndian(p[72..], report.Cached);
        BinaryPrimitives.WriteUInt64LittleEndian(p[80..], report.SwapTotal);
        BinaryPrimitives.WriteUInt64LittleEndian(p[88..], report.SwapFree);
        bytesWritten = ReportMessageSize;
        return true;
    }

    /// <summary>Reads a whole <see cref="GuestAgentMessageType.MemoryReport"/> message.</summary>
    /// <param name="source">The message bytes (header and payload).</param>
    /// <param name="report">The report, when the status is <see cref="GuestAgentProtocolStatus.Ok"/>.</param>
    /// <returns><see cref="GuestAgentProtocolStatus.Ok"/> or why the message is refused.</returns>
    /// <remarks>This checks the encoding only; whether the figures are plausible is the host's
    /// validation (<see cref="GuestAgentMonitor"/>).</remarks>
    public static GuestAgentProtocolStatus TryReadReport(ReadOnlySpan<byte> source, out GuestMemoryReport report)
    {
        report = default;
        GuestAgentProtocolStatus status = ReadPayload(source, GuestAgentMessageType.MemoryReport, out ReadOnlySpan<byte> p);
        if (status != GuestAgentProtocolStatus.Ok)
        {
            return status;
        }

        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(p[32..]);
        if ((flags & ~(uint)GuestMemoryReportAttributes.MemAvailableEstimated) != 0 || BinaryPrimitives.ReadUInt32LittleEndian(p[36..]) != 0)
        {
            return GuestAgentProtocolStatus.ReservedNotZero;
        }

        report = new GuestMemoryReport
        {
            Nonce = BinaryPrimitives.ReadUInt64LittleEndian(p),
            InstanceId = BinaryPrimitives.ReadUInt64LittleEndian(p[8..]),
            Sequence = BinaryPrimitives.ReadUInt64LittleEndian(p[16..]),
            TimestampUnixMilliseconds = BinaryPrimitives.ReadInt64LittleEndian(p[24..]),
            Flags = (GuestMemoryReportAttributes)flags,
            MemTotal = BinaryPrimitives.ReadUInt64LittleEndian(p[40..]),
            MemAvailable = BinaryPrimitives.ReadUInt64LittleEndian(p[48..]),
            MemFree = BinaryPrimitives.ReadUInt64LittleEndian(p[56..]),
            Buffers = BinaryPrimitives.ReadUInt64LittleEndian(p[64..]),
            Cached = BinaryPrimitives.ReadUInt64LittleEndian(p[72..]),
            SwapTotal = BinaryPrimitives.ReadUInt64LittleEndian(p[80..]),
            SwapFree = BinaryPrimitives.ReadUInt64LittleEndian(p[88..]),
        };
        return GuestAgentProtocolStatus.Ok;
    }

    /// <summary>
    /// Writes an <see cref="GuestAgentMessageType.Error"/> message. Always written with a version-1 header,
    /// so a host of any version can read why it was refused.
    /// </summary>
    /// <param name="destination">Room for up to <see cref="MaxMessageSize"/> bytes.</param>
    /// <param name="nonce">The refused request's nonce, or 0 when it could not be read.</param>
    /// <param name="code">Why.</param>
    /// <param name="message">A short explanation; truncated to <see cref="MaxErrorMessageBytes"/> UTF-8 bytes.</param>
    /// <param name="bytesWritten">The bytes written.</param>
    /// <returns>Whether the destination was large enough.</returns>
    public static bool TryWriteError(Span<byte> destination, ulong nonce, GuestAgentErrorCode code, string? message, out int bytesWritten)
    {
        bytesWritten = 0;
        message ??= string.Empty;
        Span<byte> text = stackalloc byte[MaxErrorMessageBytes];
        int textLength = TruncateUtf8(message, text);
        int payloadLength = ErrorFixedSize + textLength;
        if (destination.Length < HeaderSize + payloadLength)
        {
            return false;
        }

        WriteHeader(destination, GuestAgentMessageType.Error, payloadLength);
        Span<byte> p = destination.Slice(HeaderSize, payloadLength);
        BinaryPrimitives.WriteUInt64LittleEndian(p, nonce);
        BinaryPrimitives.WriteUInt16LittleEndian(p[8..], (ushort)code);
        p[10] = Version;
        p[11] = Version;
        BinaryPrimitives.WriteUInt16LittleEndian(p[12..], (ushort)textLength);
        text[..textLength].CopyTo(p[ErrorFixedSize..]);
        bytesWritten = HeaderSize + payloadLength;
        return true;
    }

    /// <summary>Reads a whole <see cref="GuestAgentMessageType.Error"/> message.</summary>
    /// <param name="source">The message bytes (header and payload).</param>
    /// <param name="error">The error, when the status is <see cref="GuestAgentProtocolStatus.Ok"/>.</param>
    /// <returns><see cref="GuestAgentProtocolStatus.Ok"/> or why the message is refused.</returns>
    public static GuestAgentProtocolStatus TryReadError(ReadOnlySpan<byte> source, out GuestAgentError error)
    {
        error = default;
        GuestAgentProtocolStatus status = ReadPayload(source, GuestAgentMessageType.Error, out ReadOnlySpan<byte> p);
        if (status != GuestAgentProtocolStatus.Ok)
        {
            return status;
        }

        int textLength = BinaryPrimitives.ReadUInt16LittleEndian(p[12..]);
        if (textLength != p.Length - ErrorFixedSize)
        {
            return GuestAgentProtocolStatus.BadLength;
        }

        ReadOnlySpan<byte> text = p.Slice(ErrorFixedSize, textLength);
        if (!System.Text.Unicode.Utf8.IsValid(text))
        {
            return GuestAgentProtocolStatus.BadPayload;
        }

        string message = StrictUtf8.GetString(text);
        if (message.AsSpan().ContainsAnyInRange('\u0000', '\u001f') || message.Contains('\u007f', StringComparison.Ordinal))
        {
            message = string.Create(message.Length, message, static (dest, src) =>
            {
                for (int i = 0; i < src.Length; i++)
                {
                    dest[i] = char.IsControl(src[i]) ? '?' : src[i];
                }
            });
        }

        error = new GuestAgentError(
            BinaryPrimitives.ReadUInt64LittleEndian(p),
            (GuestAgentErrorCode)BinaryPrimitives.ReadUInt16LittleEndian(p[8..]),
            p[10],
            p[11],
            message);
        return GuestAgentProtocolStatus.Ok;
    }

    private static GuestAgentProtocolStatus ReadPayload(ReadOnlySpan<byte> source, GuestAgentMessageType expected, out ReadOnlySpan<byte> payload)
    {
        payload = default;
        GuestAgentProtocolStatus status = TryReadHeader(source, out GuestAgentMessageType type, out int length);
        if (status != GuestAgentProtocolStatus.Ok)
        {
            return status;
        }

        if (type != expected)
        {
            return GuestAgentProtocolStatus.UnexpectedMessageType;
        }

        if (source.Length - HeaderSize < length)
        {
            return GuestAgentProtocolStatus.Incomplete;
        }

        if (source.Length - HeaderSize > length)
        {
            return GuestAgentProtocolStatus.BadLength;
        }

        payload = source.Slice(HeaderSize, length);
        return GuestAgentProtocolStatus.Ok;
    }

    private static void WriteHeader(Span<byte> destination, GuestAgentMessageType type, int payloadLength)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Magic);
        destination[4] = Version;
        destination[5] = (byte)type;
        destination[6] = 0;
        destination[7] = 0;
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], (uint)payloadLength);
    }

    private static int TruncateUtf8(string message, Span<byte> destination)
    {
        // Encode whole characters until the next one would not fit, so the result stays valid UTF-8.
        int written = 0;
        foreach (Rune rune in message.EnumerateRunes())
        {
            Rune r = Rune.IsControl(rune) ? new Rune('?') : rune;
            if (written + r.Utf8SequenceLength > destination.Length)
            {
                break;
            }

            written += r.EncodeToUtf8(destination[written..]);
        }

        return written;
    }
}
