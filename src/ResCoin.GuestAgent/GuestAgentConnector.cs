using System.Net;
using System.Net.Sockets;

namespace ResCoin.GuestAgent;

/// <summary>Opens connections to agents and reads exact byte counts (shared by client and server).</summary>
internal static class GuestAgentConnector
{
    public static async ValueTask<Socket> ConnectAsync(GuestAgentEndpoint endpoint, CancellationToken cancellationToken)
    {
        if (endpoint.Transport == GuestAgentTransport.Vsock)
        {
            // The libc connect is non-blocking; the wait for completion runs off the caller's thread in 50 ms slices.
            return await Task.Run(() => VsockNative.Connect(endpoint.Cid, (uint)endpoint.Port, cancellationToken), cancellationToken).ConfigureAwait(false);
        }

        Socket socket = IPAddress.TryParse(endpoint.Host, out IPAddress? address)
            ? new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.NoDelay = true;
            if (address is not null)
            {
                await socket.ConnectAsync(new IPEndPoint(address, (int)endpoint.Port), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await socket.ConnectAsync(endpoint.Host!, (int)endpoint.Port, cancellationToken).ConfigureAwait(false);
            }

            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Reads exactly <paramref name="buffer"/>.Length bytes; false when the peer closed first.</summary>
    public static async ValueTask<bool> ReadExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n = await socket.ReceiveAsync(buffer[read..], SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }

    public static async ValueTask SendAllAsync(Socket socket, ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        while (!buffer.IsEmpty)
        {
            int n = await socket.SendAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            buffer = buffer[n..];
        }
    }
}
