using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace ResCoin.GuestAgent;

/// <summary>
/// AF_VSOCK through libc. .NET's Unix socket layer refuses address families it does not know
/// (dotnet/runtime#58327: <c>new Socket((AddressFamily)40, …)</c> throws "Address family not supported",
/// and <c>SocketAddress</c> cannot be built for family 40), so the socket is created, bound, connected and
/// accepted here, and the connected descriptor is handed to <see cref="Socket"/> for ordinary async I/O.
/// </summary>
internal static partial class VsockNative
{
    public const int AfVsock = 40;
    public const uint CidAny = uint.MaxValue;
    public const uint PortAny = uint.MaxValue;

    /// <summary>VMADDR_CID_HOST: the hypervisor host. A guest's processes cannot connect from this CID.</summary>
    public const uint CidHost = 2;
    private const string LibC = "libc.so.6";
    private const int SockStream = 1;
    private const int SockNonBlock = 0x800;
    private const int SockCloexec = 0x80000;
    private const short PollIn = 0x1;
    private const short PollOut = 0x4;
    private const int SolSocket = 1;
    private const int SoError = 4;
    private const int EInProgress = 115;
    private const int EIntr = 4;
    private const int EAgain = 11;
    private const nuint IoctlGetLocalCid = 0x7b9;

    /// <summary>Whether the kernel lets this process create AF_VSOCK sockets.</summary>
    public static bool IsSupported()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        int fd = socket(AfVsock, SockStream | SockCloexec, 0);
        if (fd < 0)
        {
            return false;
        }

        _ = close(fd);
        return true;
    }

    /// <summary>This machine's own vsock context id (IOCTL_VM_SOCKETS_GET_LOCAL_CID on /dev/vsock), or null.</summary>
    public static uint? GetLocalCid()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/dev/vsock"))
        {
            return null;
        }

        int fd = open("/dev/vsock", 0x80000 /* O_RDONLY | O_CLOEXEC */);
        if (fd < 0)
        {
            return null;
        }

        try
        {
            uint cid = 0;
            return ioctl(fd, IoctlGetLocalCid, ref cid) == 0 ? cid : null;
        }
        finally
        {
            _ = close(fd);
        }
    }

    /// <summary>Creates a listening vsock socket bound to (any CID, <paramref name="port"/>).</summary>
    public static SafeSocketHandle Listen(uint port, int backlog, out uint boundPort)
    {
        EnsureLinux();
        int fd = socket(AfVsock, SockStream | SockCloexec, 0);
        if (fd < 0)
        {
            throw Error("socket(AF_VSOCK)");
        }

        var handle = new SafeSocketHandle(fd, ownsHandle: true);
        try
        {
            var address = new SockaddrVm(CidAny, port);
            if (bind(fd, in address, SockaddrVm.Size) != 0)
            {
                throw Error($"bind(vsock port {port})");
            }

            if (listen(fd, backlog) != 0)
            {
                throw Error("listen(vsock)");
            }

            SockaddrVm bound = default;
            int length = SockaddrVm.Size;
            boundPort = getsockname(fd, ref bound, ref length) == 0 ? bound.Port : port;
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Waits up to <paramref name="waitMilliseconds"/> for a pending connection and accepts it.
    /// Returns null when none arrived in time. <paramref name="peerCid"/> is the connecting side's context id
    /// (<see cref="CidHost"/> for the hypervisor host; a guest's own processes connect from CID 1 or its own CID).
    /// </summary>
    public static Socket? TryAccept(SafeSocketHandle listener, int waitMilliseconds, out uint peerCid)
    {
        peerCid = CidAny;
        bool added = false;
        try
        {
            listener.DangerousAddRef(ref added);
            int fd = (int)listener.DangerousGetHandle();
            var pfd = new PollFd { Fd = fd, Events = PollIn };
            int ready = poll(ref pfd, 1, waitMilliseconds);
            if (ready <= 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                return ready == 0 || errno == EIntr ? null : throw Error("poll(vsock listener)", errno);
            }

            var peer = default(SockaddrVm);
            int peerLength = SockaddrVm.Size;
            int client = accept4(fd, ref peer, ref peerLength, SockCloexec | SockNonBlock);
            if (client < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                return errno is EAgain or EIntr ? null : throw Error("accept4(vsock)", errno);
            }

            peerCid = peerLength >= SockaddrVm.Size && peer.Family == AfVsock ? peer.Cid : CidAny;
            return new Socket(new SafeSocketHandle(client, ownsHandle: true));
        }
        finally
        {
            if (added)
            {
                listener.DangerousRelease();
            }
        }
    }

    /// <summary>Connects to (cid, port), waiting in short slices so cancellation is honoured.</summary>
    public static Socket Connect(uint cid, uint port, CancellationToken cancellationToken)
    {
        EnsureLinux();
        int fd = socket(AfVsock, SockStream | SockCloexec | SockNonBlock, 0);
        if (fd < 0)
        {
            throw Error("socket(AF_VSOCK)");
        }

        var handle = new SafeSocketHandle(fd, ownsHandle: true);
        try
        {
            var address = new SockaddrVm(cid, port);
            if (connect(fd, in address, SockaddrVm.Size) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno != EInProgress)
                {
                    throw Error($"connect(vsock:{cid}:{port})", errno);
                }

                while (true)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var pfd = new PollFd { Fd = fd, Events = PollOut };
                    int ready = poll(ref pfd, 1, 50);
                    if (ready > 0)
                    {
                        break;
                    }

                    if (ready < 0 && Marshal.GetLastPInvokeError() != EIntr)
                    {
                        throw Error($"poll(vsock:{cid}:{port})");
                    }
                }

                int soError = 0;
                int size = sizeof(int);
                if (getsockopt(fd, SolSocket, SoError, ref soError, ref size) != 0)
                {
                    throw Error("getsockopt(SO_ERROR)");
                }

                if (soError != 0)
                {
                    throw Error($"connect(vsock:{cid}:{port})", soError);
                }
            }

            return new Socket(handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static void EnsureLinux()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("AF_VSOCK is only available on Linux.");
        }
    }

    private static IOException Error(string operation) => Error(operation, Marshal.GetLastPInvokeError());

    private static IOException Error(string operation, int errno) =>
        new($"{operation} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})") { HResult = errno };

    [LibraryImport(LibC, SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int socket(int domain, int type, int protocol);

    [LibraryImport(LibC, SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int bind(int fd, in SockaddrVm address, int length);

    [LibraryImport(LibC, SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int connect(int fd, in SockaddrVm address, int length);

    [LibraryImport(LibC, SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int listen(int fd, int backlog);

    [LibraryImport(LibC, SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int accept4(int fd, ref SockaddrVm address, ref int length, int flags);

    [LibraryImport(LibC, SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int getsockname(int fd, ref SockaddrVm address, ref int length);

    [LibraryImport(LibC, SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int getsockopt(int fd, int level, int name, ref int value, ref int length);

    [LibraryImport(LibC, SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int poll(ref PollFd fds, nuint count, int timeoutMilliseconds);

    [LibraryImport(LibC, SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int close(int fd);

    [LibraryImport(LibC, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int open(string path, int flags);

    [LibraryImport(LibC, SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int ioctl(int fd, nuint request, ref uint value);

    /// <summary>struct sockaddr_vm (linux/vm_sockets.h): family, reserved, port, cid, flags, zero[3] — 16 bytes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct SockaddrVm
    {
        public const int Size = 16;
        public ushort Family;
        public ushort Reserved1;
        public uint Port;
        public uint Cid;
        public uint FlagsAndZero;

        public SockaddrVm(uint cid, uint port)
        {
            Family = AfVsock;
            Reserved1 = 0;
            Port = port;
            Cid = cid;
            FlagsAndZero = 0;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }
}
