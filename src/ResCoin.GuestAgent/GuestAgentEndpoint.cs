using System.Globalization;
using System.Net;

namespace ResCoin.GuestAgent;

/// <summary>How the host reaches a guest's agent.</summary>
public enum GuestAgentTransport
{
    /// <summary>AF_VSOCK: a context id (CID) and port; needs no guest network.</summary>
    Vsock,

    /// <summary>TCP: a host name or address and port.</summary>
    Tcp,
}

/// <summary>
/// The address of one guest's agent: <c>vsock:CID[:PORT]</c> or <c>tcp:HOST[:PORT]</c> (a bare
/// <c>HOST:PORT</c> means TCP; IPv6 addresses in brackets). The port defaults to
/// <see cref="GuestAgentProtocol.DefaultPort"/>.
/// </summary>
public sealed class GuestAgentEndpoint : IEquatable<GuestAgentEndpoint>
{
    private GuestAgentEndpoint(GuestAgentTransport transport, uint cid, string? host, long port)
    {
        Transport = transport;
        Cid = cid;
        Host = host;
        Port = port;
    }

    /// <summary>The transport.</summary>
    public GuestAgentTransport Transport { get; }

    /// <summary>The guest's vsock context id (vsock only).</summary>
    public uint Cid { get; }

    /// <summary>The host name or address (TCP only).</summary>
    public string? Host { get; }

    /// <summary>The port (a vsock port, or a TCP port 1–65535).</summary>
    public long Port { get; }

    /// <summary>A vsock endpoint.</summary>
    /// <param name="cid">The guest's context id (3 or more; 0–2 are reserved for hypervisor, local and host).</param>
    /// <param name="port">The vsock port.</param>
    /// <returns>The endpoint.</returns>
    public static GuestAgentEndpoint Vsock(uint cid, uint port = GuestAgentProtocol.DefaultPort)
    {
        if (port == uint.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(port), "vsock port 4294967295 is VMADDR_PORT_ANY, not a port to connect to.");
        }

        if (cid == uint.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(cid), "vsock CID 4294967295 is VMADDR_CID_ANY, not a guest.");
        }

        return new GuestAgentEndpoint(GuestAgentTransport.Vsock, cid, null, port);
    }

    /// <summary>A TCP endpoint.</summary>
    /// <param name="host">Host name or IP address.</param>
    /// <param name="port">TCP port, 1–65535.</param>
    /// <returns>The endpoint.</returns>
    public static GuestAgentEndpoint Tcp(string host, int port = GuestAgentProtocol.DefaultPort)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        return new GuestAgentEndpoint(GuestAgentTransport.Tcp, 0, host, port);
    }

    /// <summary>Parses <c>vsock:CID[:PORT]</c>, <c>tcp:HOST[:PORT]</c> or <c>HOST:PORT</c>.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The endpoint.</returns>
    /// <exception cref="FormatException">The text is not an endpoint; the message says what is wrong.</exception>
    public static GuestAgentEndpoint Parse(string text) =>
        TryParse(text, out GuestAgentEndpoint? endpoint, out string? error) ? endpoint : throw new FormatException(error);

    /// <summary>Parses <c>vsock:CID[:PORT]</c>, <c>tcp:HOST[:PORT]</c> or <c>HOST:PORT</c>.</summary>
    /// <param name="text">The text.</param>
    /// <param name="endpoint">The endpoint, on success.</param>
    /// <param name="error">A one-line reason, on failure.</param>
    /// <returns>Whether the text is an endpoint.</returns>
    public static bool TryParse(
        string? text,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out GuestAgentEndpoint? endpoint,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        endpoint = null;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "guest agent endpoint is empty (expected vsock:CID[:PORT] or tcp:HOST[:PORT])";
            return false;
        }

        text = text.Trim();
        if (text.StartsWith("vsock:", StringComparison.OrdinalIgnoreCase))
        {
            string rest = text["vsock:".Length..];
            int colon = rest.IndexOf(':', StringComparison.Ordinal);
            string cidText = colon < 0 ? rest : rest[..colon];
            string? portText = colon < 0 ? null : rest[(colon + 1)..];
            if (!uint.TryParse(cidText, NumberStyles.None, CultureInfo.InvariantCulture, out uint cid) || cid == uint.MaxValue)
            {
                error = $"guest agent endpoint '{text}': CID '{cidText}' is not a number from 0 to 4294967294";
                return false;
            }

            uint port = GuestAgentProtocol.DefaultPort;
            if (portText is not null && (!uint.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port == uint.MaxValue))
            {
                error = $"guest agent endpoint '{text}': vsock port '{portText}' is not a number from 0 to 4294967294";
                return false;
            }

            endpoint = new GuestAgentEndpoint(GuestAgentTransport.Vsock, cid, null, port);
            return true;
        }

        string hostPort = text.StartsWith("tcp:", StringComparison.OrdinalIgnoreCase) ? text[4..] : text;
        if (!TrySplitHostPort(hostPort, out string? host, out int tcpPort, out string? why))
        {
            error = $"guest agent endpoint '{text}': {why}";
            return false;
        }

        endpoint = new GuestAgentEndpoint(GuestAgentTransport.Tcp, 0, host, tcpPort);
        return true;
    }

    /// <summary>Splits <c>HOST[:PORT]</c> or <c>[IPV6][:PORT]</c>.</summary>
    internal static bool TrySplitHostPort(string text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? host, out int port, out string? error)
    {
        host = null;
        port = GuestAgentProtocol.DefaultPort;
        error = null;
        string? portText = null;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                error = "IPv6 address has no closing ']'";
                return false;
            }

            host = text[1..close];
            string after = text[(close + 1)..];
            if (after.Length > 0)
            {
                if (after[0] != ':')
                {
                    error = "expected ':PORT' after the IPv6 address";
                    return false;
                }

                portText = after[1..];
            }
        }
        else
        {
            int colon = text.LastIndexOf(':');
            if (colon >= 0 && text.IndexOf(':', StringComparison.Ordinal) != colon)
            {
                error = "an IPv6 address must be written in brackets, e.g. [::1]:458";
                return false;
            }

            host = colon < 0 ? text : text[..colon];
            portText = colon < 0 ? null : text[(colon + 1)..];
        }

        if (host.Length == 0)
        {
            error = "the host is empty";
            host = null;
            return false;
        }

        if (portText is not null && (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > IPEndPoint.MaxPort))
        {
            error = $"port '{portText}' is not a number from 1 to 65535";
            host = null;
            return false;
        }

        return true;
    }

    /// <inheritdoc/>
    public bool Equals(GuestAgentEndpoint? other) =>
        other is not null && Transport == other.Transport && Cid == other.Cid && Port == other.Port &&
        string.Equals(Host, other.Host, StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as GuestAgentEndpoint);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Transport, Cid, Port, Host is null ? 0 : StringComparer.OrdinalIgnoreCase.GetHashCode(Host));

    /// <inheritdoc/>
    public override string ToString() => Transport == GuestAgentTransport.Vsock
        ? string.Create(CultureInfo.InvariantCulture, $"vsock:{Cid}:{Port}")
        : Host!.Contains(':', StringComparison.Ordinal)
            ? string.Create(CultureInfo.InvariantCulture, $"tcp:[{Host}]:{Port}")
            : string.Create(CultureInfo.InvariantCulture, $"tcp:{Host}:{Port}");
}
