using System.Net;

namespace ResCoin.GuestAgent;

/// <summary>Settings of a <see cref="GuestAgentServer"/>.</summary>
public sealed class GuestAgentServerOptions
{
    /// <summary>The default <see cref="MaxConnections"/>.</summary>
    public const int DefaultMaxConnections = 64;

    /// <summary>The vsock port to listen on (any CID), or null for no vsock listener. Default <see cref="GuestAgentProtocol.DefaultPort"/>.</summary>
    public uint? VsockPort { get; set; } = GuestAgentProtocol.DefaultPort;

    /// <summary>
    /// The TCP address and port to listen on, or null (the default) for no TCP listener. There is no
    /// "all interfaces" default: the operator names the address (port 0 picks a free port).
    /// </summary>
    public IPEndPoint? TcpEndPoint { get; set; }

    /// <summary>At most this many connections are served at once; further ones wait in the kernel's backlog.</summary>
    public int MaxConnections { get; set; } = DefaultMaxConnections;

    /// <summary>How long a connection may take to deliver a whole request before it is closed; sending the answer is bounded by the same span, separately.</summary>
    public TimeSpan ReadTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The listen backlog of each listener.</summary>
    public int Backlog { get; set; } = 1024;

    /// <summary>The file read on every request.</summary>
    public string MemInfoPath { get; set; } = "/proc/meminfo";

    internal void Validate()
    {
        if (VsockPort is null && TcpEndPoint is null)
        {
            throw new ArgumentException("The guest agent needs a listener: set a vsock port or a TCP address.", nameof(VsockPort));
        }

        if (VsockPort == uint.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(VsockPort), VsockPort, "vsock port 4294967295 (VMADDR_PORT_ANY) cannot be listened on.");
        }

        if (MaxConnections is < 1 or > 65_536)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxConnections), MaxConnections, "MaxConnections must be from 1 to 65536.");
        }

        if (ReadTimeout <= TimeSpan.Zero || ReadTimeout > TimeSpan.FromHours(1))
        {
            throw new ArgumentOutOfRangeException(nameof(ReadTimeout), ReadTimeout, "ReadTimeout must be positive and at most one hour.");
        }

        if (Backlog is < 1 or > 65_536)
        {
            throw new ArgumentOutOfRangeException(nameof(Backlog), Backlog, "Backlog must be from 1 to 65536.");
        }

        ArgumentException.ThrowIfNullOrEmpty(MemInfoPath);
    }
}
