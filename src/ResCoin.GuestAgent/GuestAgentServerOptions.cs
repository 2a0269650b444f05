using System.Net;

namespace ResCoin.GuestAgent;

/// <summary>Settings of a <see cref="GuestAgentServer"/>.</summary>
public sealed class GuestAgentServerOptions
{
    /// <summary>The default <see cref="MaxConnections"/>.</summary>
    public const int DefaultMaxConnections = 64;

    /// <summary>The default <see cref="ReservedHostConnections"/>.</summary>
    public const int DefaultReservedHostConnections = 4;

    /// <summary>The default <see cref="MaxConnectionsPerSource"/>.</summary>
    public const int DefaultMaxConnectionsPerSource = 4;

    /// <summary>The default <see cref="MaxRequestsPerConnection"/>.</summary>
    public const int DefaultMaxRequestsPerConnection = 16;

    /// <summary>
    /// The vsock port to listen on (any CID), or null for no vsock listener. Default <see cref="GuestAgentProtocol.DefaultPort"/>,
    /// a privileged port (below 1024): only root (or CAP_NET_BIND_SERVICE) in the guest can bind it, so no other guest user
    /// can stand in for a stopped agent.
    /// </summary>
    public uint? VsockPort { get; set; } = GuestAgentProtocol.DefaultPort;

    /// <summary>
    /// The TCP address and port to listen on, or null (the default) for no TCP listener. There is no
    /// "all interfaces" default: the operator names the address (port 0 picks a free port).
    /// </summary>
    public IPEndPoint? TcpEndPoint { get; set; }

    /// <summary>
    /// The TCP peer addresses that are the host (the ResCoin daemon's address as the guest sees it). Their connections may
    /// use the <see cref="ReservedHostConnections"/> and are not limited per source. Over vsock the host is recognised by its
    /// context id (2), which no guest process can connect from, so nothing needs configuring there. Empty by default: then
    /// no TCP peer is the host, and every TCP connection is an ordinary one.
    /// </summary>
    public IList<IPAddress> HostAddresses { get; } = [];

    /// <summary>At most this many connections from any peer are served at once; a further non-host connection is closed at once.</summary>
    public int MaxConnections { get; set; } = DefaultMaxConnections;

    /// <summary>
    /// Connection slots on top of <see cref="MaxConnections"/> that only the host may use, so peers inside the guest that fill
    /// every ordinary slot cannot lock the host out. Host connections that find every slot taken wait (up to
    /// <see cref="Backlog"/> of them) for the next free one.
    /// </summary>
    public int ReservedHostConnections { get; set; } = DefaultReservedHostConnections;

    /// <summary>
    /// At most this many connections at once from one source that is not the host (one IP address; over vsock one
    /// context id, so all of the guest's own processes together); a further one is closed at once. A value above
    /// <see cref="MaxConnections"/> only means that one source may take every ordinary slot.
    /// </summary>
    public int MaxConnectionsPerSource { get; set; } = DefaultMaxConnectionsPerSource;

    /// <summary>A connection is closed after answering this many requests (the host asks one per connection).</summary>
    public int MaxRequestsPerConnection { get; set; } = DefaultMaxRequestsPerConnection;

    /// <summary>
    /// How long a new connection may take to deliver its first whole request before it is closed; sending each answer is
    /// bounded by the same span, separately.
    /// </summary>
    public TimeSpan ReadTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>After each answer, how long the connection may take to deliver its next whole request before it is closed.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The listen backlog of each listener, and the most host connections waiting for a slot.</summary>
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

        if (ReservedHostConnections is < 0 or > 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(ReservedHostConnections), ReservedHostConnections, "ReservedHostConnections must be from 0 to 1024.");
        }

        if (MaxConnectionsPerSource is < 1 or > 65_536)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxConnectionsPerSource), MaxConnectionsPerSource, "MaxConnectionsPerSource must be from 1 to 65536.");
        }

        if (MaxRequestsPerConnection is < 1 or > 1_000_000)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRequestsPerConnection), MaxRequestsPerConnection, "MaxRequestsPerConnection must be from 1 to 1000000.");
        }

        if (ReadTimeout <= TimeSpan.Zero || ReadTimeout > TimeSpan.FromHours(1))
        {
            throw new ArgumentOutOfRangeException(nameof(ReadTimeout), ReadTimeout, "ReadTimeout must be positive and at most one hour.");
        }

        if (IdleTimeout <= TimeSpan.Zero || IdleTimeout > TimeSpan.FromHours(1))
        {
            throw new ArgumentOutOfRangeException(nameof(IdleTimeout), IdleTimeout, "IdleTimeout must be positive and at most one hour.");
        }

        if (Backlog is < 1 or > 65_536)
        {
            throw new ArgumentOutOfRangeException(nameof(Backlog), Backlog, "Backlog must be from 1 to 65536.");
        }

        foreach (IPAddress address in HostAddresses)
        {
            if (address is null || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
            {
                throw new ArgumentException("HostAddresses must name the host's own addresses (not null, 0.0.0.0 or ::).", nameof(HostAddresses));
            }
        }

        ArgumentException.ThrowIfNullOrEmpty(MemInfoPath);
    }
}
