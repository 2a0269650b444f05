using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using ResCoin.GuestAgent;

namespace ResCoin.GuestAgent.Tests;

/// <summary>Feeds the server fixture text instead of /proc/meminfo.</summary>
internal sealed class FixtureMemInfo(string text) : IMemInfoSource
{
    public volatile string Text = text;
    public volatile bool Fail;

    public string ReadAll() => Fail ? throw new IOException("fixture: meminfo unreadable") : Text;
}

internal static class Fixtures
{
    /// <summary>A real /proc/meminfo of a 2 GiB Debian 12 guest (kB values).</summary>
    public const string MemInfo2G = """
        MemTotal:        2014128 kB
        MemFree:         1402936 kB
        MemAvailable:    1712344 kB
        Buffers:           23612 kB
        Cached:           381092 kB
        SwapCached:            0 kB
        Active:           270532 kB
        Inactive:         214304 kB
        SwapTotal:        998396 kB
        SwapFree:         998396 kB
        HugePages_Total:       0
        HugePages_Free:        0
        Hugepagesize:       2048 kB
        DirectMap4k:      106368 kB
        """;

    /// <summary>
    /// Starts a TCP agent on 127.0.0.1 (any port). By default 127.0.0.1 is its host address, so the tests' own clients are
    /// the host; hostile peers connect from other loopback addresses (127.0.0.2 and up, see <see cref="ConnectFromAsync"/>).
    /// </summary>
    public static async Task<GuestAgentServer> StartTcpServerAsync(
        IMemInfoSource memInfo, int maxConnections = 64, TimeSpan? readTimeout = null, Action<GuestAgentServerOptions>? configure = null)
    {
        var options = new GuestAgentServerOptions
        {
            VsockPort = null,
            TcpEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            MaxConnections = maxConnections,
            ReadTimeout = readTimeout ?? TimeSpan.FromSeconds(5),
        };
        options.HostAddresses.Add(IPAddress.Loopback);
        configure?.Invoke(options);
        var server = new GuestAgentServer(options, memInfo, TimeProvider.System, null);
        server.Start();
        await Task.Yield();
        return server;
    }

    /// <summary>Connects to the server from the loopback address 127.0.0.<paramref name="lastOctet"/> (not the host's 127.0.0.1).</summary>
    public static async Task<Socket> ConnectFromAsync(GuestAgentServer server, int lastOctet, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(new IPAddress([127, 0, 0, (byte)lastOctet]), 0));
            await socket.ConnectAsync(server.TcpLocalEndPoint!, cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static GuestAgentEndpoint EndpointOf(GuestAgentServer server) => GuestAgentEndpoint.Tcp("127.0.0.1", server.TcpLocalEndPoint!.Port);

    public static GuestMemoryReport Report(ulong nonce, ulong sequence = 1, ulong instance = 42) => new()
    {
        Nonce = nonce,
        InstanceId = instance,
        Sequence = sequence,
        TimestampUnixMilliseconds = 1_700_000_000_000,
        MemTotal = 2L << 30,
        MemAvailable = 1L << 30,
        MemFree = 512L << 20,
        Buffers = 16L << 20,
        Cached = 256L << 20,
        SwapTotal = 1L << 30,
        SwapFree = 1L << 30,
    };

    public static int CountOpenFileDescriptors(out int sockets)
    {
        sockets = 0;
        int all = 0;
        foreach (string fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            all++;
            try
            {
                if (new FileInfo(fd).LinkTarget?.StartsWith("socket:", StringComparison.Ordinal) == true)
                {
                    sockets++;
                }
            }
            catch (IOException)
            {
                // The descriptor closed while we looked.
            }
        }

        return all;
    }
}

/// <summary>
/// A hostile in-test TCP agent on loopback: for every connection it runs <see cref="Behaviour"/> with the
/// accepted socket and the nonce of the request it read (if it read one).
/// </summary>
internal sealed class HostilePeer : IAsyncDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly List<Task> _connections = [];

    public HostilePeer(Func<Socket, ulong, CancellationToken, Task> behaviour, bool readRequest = true)
    {
        Behaviour = behaviour;
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(512);
        Endpoint = GuestAgentEndpoint.Tcp("127.0.0.1", ((IPEndPoint)_listener.LocalEndPoint!).Port);
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                Socket client;
                try
                {
                    client = await _listener.AcceptAsync(_stop.Token);
                }
                catch (Exception)
                {
                    return;
                }

                lock (_connections)
                {
                    _connections.Add(Task.Run(async () =>
                    {
                        using (client)
                        {
                            try
                            {
                                ulong nonce = 0;
                                if (readRequest)
                                {
                                    byte[] request = new byte[GuestAgentProtocol.RequestMessageSize];
                                    int read = 0;
                                    while (read < request.Length)
                                    {
                                        int n = await client.ReceiveAsync(request.AsMemory(read), SocketFlags.None, _stop.Token);
                                        if (n == 0)
                                        {
                                            return;
                                        }

                                        read += n;
                                    }

                                    nonce = BinaryPrimitives.ReadUInt64LittleEndian(request.AsSpan(GuestAgentProtocol.HeaderSize));
                                }

                                await Behaviour(client, nonce, _stop.Token);
                            }
                            catch (Exception)
                            {
                                // Hostile peers do not care.
                            }
                        }
                    }));
                }
            }
        });
    }

    public Func<Socket, ulong, CancellationToken, Task> Behaviour { get; set; }

    public GuestAgentEndpoint Endpoint { get; }

    public static Func<Socket, ulong, CancellationToken, Task> Send(byte[] bytes) => async (s, _, ct) =>
    {
        await s.SendAsync(bytes, SocketFlags.None, ct);
        s.Shutdown(SocketShutdown.Send);
    };

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _loop;
        Task[] open;
        lock (_connections)
        {
            open = [.. _connections];
        }

        await Task.WhenAll(open).WaitAsync(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }
}
