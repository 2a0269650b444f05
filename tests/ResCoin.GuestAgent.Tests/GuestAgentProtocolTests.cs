using System.Buffers.Binary;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using ResCoin.GuestAgent;

namespace ResCoin.GuestAgent.Tests;

/// <summary>Generators for the protocol properties: valid messages, and hostile byte strings built to reach deep into the decoder.</summary>
public static class ProtocolArbitraries
{
    private static readonly Gen<ulong> AnyULong = ArbMap.Default.GeneratorFor<ulong>();

    public static Arbitrary<GuestMemoryReport> Reports() =>
        (from n in AnyULong
         from id in AnyULong
         from seq in AnyULong
         from ts in ArbMap.Default.GeneratorFor<long>()
         from flags in Gen.Elements(GuestMemoryReportAttributes.None, GuestMemoryReportAttributes.MemAvailableEstimated)
         from values in Gen.ArrayOf(Gen.OneOf(AnyULong, Gen.Elements(0UL, 1UL, ulong.MaxValue, 4UL << 40)), 7)
         select new GuestMemoryReport
         {
             Nonce = n,
             InstanceId = id,
             Sequence = seq,
             TimestampUnixMilliseconds = ts,
             Flags = flags,
             MemTotal = values[0],
             MemAvailable = values[1],
             MemFree = values[2],
             Buffers = values[3],
             Cached = values[4],
             SwapTotal = values[5],
             SwapFree = values[6],
         }).ToArbitrary();

    /// <summary>Random bytes, often behind a valid or nearly valid header so the payload checks are reached.</summary>
    public static Arbitrary<byte[]> HostileBytes()
    {
        Gen<byte[]> random = Gen.Choose(0, 2 * GuestAgentProtocol.MaxMessageSize).SelectMany(n => Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), n));
        Gen<byte[]> headed =
            from type in Gen.Elements<byte>(0, 1, 2, 3, 4, 255)
            from version in Gen.Elements<byte>(1, 1, 1, 0, 2, 255)
            from length in Gen.OneOf(
                Gen.Elements(0u, 8u, 14u, 96u, 214u, 215u, 256u, 257u, uint.MaxValue, 1u << 30),
                Gen.Choose(0, 300).Select(i => (uint)i))
            from body in Gen.Choose(0, 300).SelectMany(n => Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), n))
            select Headed(version, type, length, body);
        return Gen.Frequency((1, random), (3, headed)).ToArbitrary();
    }

    private static byte[] Headed(byte version, byte type, uint length, byte[] body)
    {
        byte[] bytes = new byte[GuestAgentProtocol.HeaderSize + body.Length];
        "RCGA"u8.CopyTo(bytes);
        bytes[4] = version;
        bytes[5] = type;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), length);
        body.CopyTo(bytes, GuestAgentProtocol.HeaderSize);
        return bytes;
    }
}

[Properties(Arbitrary = [typeof(ProtocolArbitraries)])]
public class GuestAgentProtocolTests
{
    [Property(MaxTest = 1000)]
    public bool Report_RoundTrips(GuestMemoryReport report)
    {
        byte[] buffer = new byte[GuestAgentProtocol.MaxMessageSize];
        bool written = GuestAgentProtocol.TryWriteReport(buffer, report, out int length);
        GuestAgentProtocolStatus status = GuestAgentProtocol.TryReadReport(buffer.AsSpan(0, length), out GuestMemoryReport decoded);
        return written && length == GuestAgentProtocol.ReportMessageSize && status == GuestAgentProtocolStatus.Ok && decoded == report;
    }

    [Property(MaxTest = 500)]
    public bool Request_RoundTrips(ulong nonce)
    {
        Span<byte> buffer = stackalloc byte[GuestAgentProtocol.RequestMessageSize];
        bool written = GuestAgentProtocol.TryWriteRequest(buffer, nonce, out int length);
        return written && length == buffer.Length
            && GuestAgentProtocol.TryReadRequest(buffer, out ulong decoded) == GuestAgentProtocolStatus.Ok && decoded == nonce;
    }

    [Property(MaxTest = 500)]
    public bool Error_RoundTrips_TruncatedToLimit_AndStaysValidUtf8(ulong nonce, ushort code, NonNull<string> message)
    {
        byte[] buffer = new byte[GuestAgentProtocol.MaxMessageSize];
        bool written = GuestAgentProtocol.TryWriteError(buffer, nonce, (GuestAgentErrorCode)code, message.Get, out int length);
        GuestAgentProtocolStatus status = GuestAgentProtocol.TryReadError(buffer.AsSpan(0, length), out GuestAgentError error);
        return written && status == GuestAgentProtocolStatus.Ok && error.Nonce == nonce && (ushort)error.Code == code
            && Encoding.UTF8.GetByteCount(error.Message) <= GuestAgentProtocol.MaxErrorMessageBytes
            && !error.Message.Any(char.IsControl)
            && error.MinVersion == GuestAgentProtocol.Version && error.MaxVersion == GuestAgentProtocol.Version;
    }

    [Fact]
    public void Error_PlainAsciiMessage_IsKeptVerbatim()
    {
        byte[] buffer = new byte[GuestAgentProtocol.MaxMessageSize];
        Assert.True(GuestAgentProtocol.TryWriteError(buffer, 7, GuestAgentErrorCode.UnsupportedVersion, "version 9 is not supported", out int length));
        Assert.Equal(GuestAgentProtocolStatus.Ok, GuestAgentProtocol.TryReadError(buffer.AsSpan(0, length), out GuestAgentError error));
        Assert.Equal(new GuestAgentError(7, GuestAgentErrorCode.UnsupportedVersion, 1, 1, "version 9 is not supported"), error);
    }

    /// <summary>The decoder never throws, and whatever it accepts is canonical: re-encoding gives the same bytes.</summary>
    [Property(MaxTest = 5000)]
    public bool HostileBytes_NeverThrow_AndAcceptedMessagesAreCanonical(byte[] bytes)
    {
        byte[] again = new byte[GuestAgentProtocol.MaxMessageSize];
        GuestAgentProtocolStatus header = GuestAgentProtocol.TryReadHeader(bytes, out _, out int payloadLength);
        bool headerSane = header != GuestAgentProtocolStatus.Ok || payloadLength <= GuestAgentProtocol.MaxPayloadSize;

        bool reportOk = GuestAgentProtocol.TryReadReport(bytes, out GuestMemoryReport report) != GuestAgentProtocolStatus.Ok
            || (GuestAgentProtocol.TryWriteReport(again, report, out int n1) && again.AsSpan(0, n1).SequenceEqual(bytes));
        bool requestOk = GuestAgentProtocol.TryReadRequest(bytes, out ulong nonce) != GuestAgentProtocolStatus.Ok
            || (GuestAgentProtocol.TryWriteRequest(again, nonce, out int n2) && again.AsSpan(0, n2).SequenceEqual(bytes));
        bool errorOk = GuestAgentProtocol.TryReadError(bytes, out GuestAgentError error) != GuestAgentProtocolStatus.Ok
            || (error.Message.Length <= GuestAgentProtocol.MaxErrorMessageBytes && !error.Message.Any(char.IsControl));
        return headerSane && reportOk && requestOk && errorOk;
    }

    [Property(MaxTest = 300)]
    public bool TruncatedReport_IsIncomplete(GuestMemoryReport report, byte cut)
    {
        byte[] buffer = new byte[GuestAgentProtocol.ReportMessageSize];
        GuestAgentProtocol.TryWriteReport(buffer, report, out _);
        int length = cut % GuestAgentProtocol.ReportMessageSize;
        return GuestAgentProtocol.TryReadReport(buffer.AsSpan(0, length), out GuestMemoryReport decoded) == GuestAgentProtocolStatus.Incomplete
            && decoded == default;
    }

    [Property(MaxTest = 300)]
    public bool OverlongReport_IsBadLength(GuestMemoryReport report, PositiveInt extra)
    {
        byte[] buffer = new byte[GuestAgentProtocol.ReportMessageSize + Math.Min(extra.Get, 1000)];
        GuestAgentProtocol.TryWriteReport(buffer, report, out _);
        return GuestAgentProtocol.TryReadReport(buffer, out _) == GuestAgentProtocolStatus.BadLength;
    }

    [Property(MaxTest = 500)]
    public bool AnnouncedPayloadOverLimit_IsRefusedFromTheHeaderAlone(uint length, byte type)
    {
        uint announced = GuestAgentProtocol.MaxPayloadSize + 1 + (length % (uint.MaxValue - GuestAgentProtocol.MaxPayloadSize - 1));
        byte[] header = new byte[GuestAgentProtocol.HeaderSize];
        "RCGA"u8.CopyTo(header);
        header[4] = GuestAgentProtocol.Version;
        header[5] = (byte)(1 + (type % 3));
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), announced);
        return GuestAgentProtocol.TryReadHeader(header, out _, out int payload) == GuestAgentProtocolStatus.BadLength && payload == 0;
    }

    [Property(MaxTest = 255)]
    public bool UnknownVersion_IsRefusedClearly(byte version)
    {
        if (version == GuestAgentProtocol.Version)
        {
            return true;
        }

        byte[] buffer = new byte[GuestAgentProtocol.ReportMessageSize];
        GuestAgentProtocol.TryWriteReport(buffer, Fixtures.Report(1), out _);
        buffer[4] = version;
        return GuestAgentProtocol.TryReadReport(buffer, out _) == GuestAgentProtocolStatus.UnsupportedVersion
            && GuestAgentProtocol.TryReadHeader(buffer, out _, out _) == GuestAgentProtocolStatus.UnsupportedVersion;
    }

    [Fact]
    public void Header_ByteLayout_IsTheDocumentedOne()
    {
        byte[] buffer = new byte[GuestAgentProtocol.RequestMessageSize];
        GuestAgentProtocol.TryWriteRequest(buffer, 0x0102030405060708, out _);
        Assert.Equal(
            new byte[] { 0x52, 0x43, 0x47, 0x41, 1, 1, 0, 0, 8, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1 },
            buffer);
    }

    [Fact]
    public void Report_ByteLayout_IsTheDocumentedOne()
    {
        byte[] buffer = new byte[GuestAgentProtocol.ReportMessageSize];
        GuestMemoryReport report = Fixtures.Report(nonce: 5, sequence: 6, instance: 7) with { Flags = GuestMemoryReportAttributes.MemAvailableEstimated };
        GuestAgentProtocol.TryWriteReport(buffer, report, out _);
        ReadOnlySpan<byte> p = buffer.AsSpan(GuestAgentProtocol.HeaderSize);
        Assert.Equal(2, buffer[5]);
        Assert.Equal(96u, BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(8)));
        Assert.Equal(5ul, BinaryPrimitives.ReadUInt64LittleEndian(p));
        Assert.Equal(7ul, BinaryPrimitives.ReadUInt64LittleEndian(p[8..]));
        Assert.Equal(6ul, BinaryPrimitives.ReadUInt64LittleEndian(p[16..]));
        Assert.Equal(1_700_000_000_000L, BinaryPrimitives.ReadInt64LittleEndian(p[24..]));
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(p[32..]));
        Assert.Equal(report.MemTotal, BinaryPrimitives.ReadUInt64LittleEndian(p[40..]));
        Assert.Equal(report.MemAvailable, BinaryPrimitives.ReadUInt64LittleEndian(p[48..]));
        Assert.Equal(report.SwapFree, BinaryPrimitives.ReadUInt64LittleEndian(p[88..]));
    }

    [Fact]
    public void Report_WithUnknownFlagOrReservedBits_IsRefused()
    {
        byte[] buffer = new byte[GuestAgentProtocol.ReportMessageSize];
        GuestAgentProtocol.TryWriteReport(buffer, Fixtures.Report(1), out _);
        buffer[GuestAgentProtocol.HeaderSize + 32] = 2;
        Assert.Equal(GuestAgentProtocolStatus.ReservedNotZero, GuestAgentProtocol.TryReadReport(buffer, out _));
        buffer[GuestAgentProtocol.HeaderSize + 32] = 0;
        buffer[6] = 1;
        Assert.Equal(GuestAgentProtocolStatus.ReservedNotZero, GuestAgentProtocol.TryReadReport(buffer, out _));
    }

    [Fact]
    public void Request_WhereReportExpected_IsUnexpectedType()
    {
        byte[] buffer = new byte[GuestAgentProtocol.RequestMessageSize];
        GuestAgentProtocol.TryWriteRequest(buffer, 1, out _);
        Assert.Equal(GuestAgentProtocolStatus.UnexpectedMessageType, GuestAgentProtocol.TryReadReport(buffer, out _));
    }

    [Fact]
    public void Error_WithInvalidUtf8_IsBadPayload()
    {
        byte[] buffer = new byte[GuestAgentProtocol.MaxMessageSize];
        GuestAgentProtocol.TryWriteError(buffer, 1, GuestAgentErrorCode.Internal, "ab", out int length);
        buffer[length - 1] = 0xFF;
        Assert.Equal(GuestAgentProtocolStatus.BadPayload, GuestAgentProtocol.TryReadError(buffer.AsSpan(0, length), out _));
    }

    [Fact]
    public void Writers_RefuseTooSmallDestinations()
    {
        Assert.False(GuestAgentProtocol.TryWriteRequest(new byte[19], 1, out int a));
        Assert.False(GuestAgentProtocol.TryWriteReport(new byte[107], Fixtures.Report(1), out int b));
        Assert.False(GuestAgentProtocol.TryWriteError(new byte[25], 1, GuestAgentErrorCode.Internal, null, out int c));
        Assert.Equal(0, a + b + c);
    }
}
