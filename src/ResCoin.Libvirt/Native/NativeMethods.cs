using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

[assembly: DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]

namespace ResCoin.Libvirt.Native;

/// <summary>
/// The small part of libvirt's C API that ResCoin calls (libvirt.so.0, signatures from libvirt 9 headers).
/// Source-generated marshalling; every pointer-returning call yields a SafeHandle or a pointer the caller frees.
/// </summary>
internal static unsafe partial class NativeMethods
{
    internal const string Library = "libvirt.so.0";

    // virDomainStatsTypes
    internal const uint StatsState = 1 << 0;
    internal const uint StatsCpuTotal = 1 << 1;
    internal const uint StatsBalloon = 1 << 2;
    internal const uint StatsVcpu = 1 << 3;
    internal const uint StatsInterface = 1 << 4;
    internal const uint StatsBlock = 1 << 5;

    // virConnectGetAllDomainStatsFlags / virConnectListAllDomainsFlags
    internal const uint ListActive = 1 << 0;
    internal const uint ListRunning = 1 << 4;

    // virDomainModificationImpact
    internal const uint AffectLive = 1 << 0;

    // virDomainState
    internal const int DomainRunning = 1;

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial ConnectionHandle virConnectOpen(string? name);

    [LibraryImport(Library)]
    internal static partial int virConnectClose(nint conn);

    [LibraryImport(Library)]
    internal static partial int virConnectIsAlive(ConnectionHandle conn);

    [LibraryImport(Library)]
    internal static partial int virNodeGetInfo(ConnectionHandle conn, out NodeInfo info);

    [LibraryImport(Library)]
    internal static partial int virConnectListAllDomains(ConnectionHandle conn, out nint* domains, uint flags);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial DomainHandle virDomainLookupByName(ConnectionHandle conn, string name);

    [LibraryImport(Library)]
    internal static partial DomainHandle virDomainLookupByUUID(ConnectionHandle conn, byte* uuid);

    /// <summary>Fills 16 bytes (VIR_UUID_BUFLEN) with the domain's raw UUID (RFC 4122 byte order).</summary>
    [LibraryImport(Library)]
    internal static partial int virDomainGetUUID(nint domain, byte* uuid);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial DomainHandle virDomainCreateXML(ConnectionHandle conn, string xml, uint flags);

    [LibraryImport(Library)]
    internal static partial int virDomainDestroy(DomainHandle domain);

    [LibraryImport(Library)]
    internal static partial int virDomainFree(nint domain);

    /// <summary>Takes a reference on a domain object (local, no call to libvirtd); released with <see cref="virDomainFree"/>.</summary>
    [LibraryImport(Library)]
    internal static partial int virDomainRef(nint domain);

    [LibraryImport(Library)]
    internal static partial byte* virDomainGetName(nint domain);

    [LibraryImport(Library)]
    internal static partial uint virDomainGetID(nint domain);

    [LibraryImport(Library)]
    internal static partial int virDomainIsActive(DomainHandle domain);

    [LibraryImport(Library)]
    internal static partial int virDomainGetInfo(DomainHandle domain, out DomainInfo info);

    [LibraryImport(Library)]
    internal static partial CULong virDomainGetMaxMemory(DomainHandle domain);

    [LibraryImport(Library)]
    internal static partial byte* virDomainGetXMLDesc(DomainHandle domain, uint flags);

    [LibraryImport(Library)]
    internal static partial int virConnectGetAllDomainStats(ConnectionHandle conn, uint stats, out DomainStatsRecord** records, uint flags);

    [LibraryImport(Library)]
    internal static partial void virDomainStatsRecordListFree(DomainStatsRecord** records);

    [LibraryImport(Library)]
    internal static partial int virDomainSetMemoryStatsPeriod(nint domain, int period, uint flags);

    [LibraryImport(Library)]
    internal static partial int virDomainSetMemoryFlags(DomainHandle domain, CULong memoryKiB, uint flags);

    [LibraryImport(Library)]
    internal static partial byte* virDomainGetSchedulerType(DomainHandle domain, out int nparams);

    [LibraryImport(Library)]
    internal static partial int virDomainGetSchedulerParametersFlags(DomainHandle domain, TypedParameter* parameters, ref int nparams, uint flags);

    [LibraryImport(Library)]
    internal static partial int virDomainSetSchedulerParametersFlags(DomainHandle domain, TypedParameter* parameters, int nparams, uint flags);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virDomainGetBlockIoTune(DomainHandle domain, string disk, TypedParameter* parameters, ref int nparams, uint flags);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virDomainSetBlockIoTune(DomainHandle domain, string disk, TypedParameter* parameters, int nparams, uint flags);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virDomainGetInterfaceParameters(DomainHandle domain, string device, TypedParameter* parameters, ref int nparams, uint flags);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virDomainSetInterfaceParameters(DomainHandle domain, string device, TypedParameter* parameters, int nparams, uint flags);

    // The balloon's actual size (the restore's confirmation).
    [LibraryImport(Library)]
    internal static partial int virDomainMemoryStats(DomainHandle domain, MemoryStat* stats, uint count, uint flags);

    [LibraryImport(Library)]
    internal static partial void virTypedParamsClear(TypedParameter* parameters, int nparams);

    [LibraryImport(Library)]
    internal static partial VirError* virGetLastError();

    [LibraryImport(Library)]
    internal static partial void virResetLastError();

    [LibraryImport(Library)]
    internal static partial void virSetErrorFunc(nint userData, delegate* unmanaged[Cdecl]<nint, nint, void> handler);

    private static int s_initialized;

    /// <summary>Silences libvirt's default error handler (it prints every error to stderr); errors are reported as exceptions instead.</summary>
    internal static void EnsureInitialized()
    {
        if (Interlocked.Exchange(ref s_initialized, 1) == 0)
        {
            virSetErrorFunc(0, &IgnoreError);
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void IgnoreError(nint userData, nint error)
    {
    }

    /// <summary>Reads a NUL-terminated UTF-8 string libvirt owns.</summary>
    internal static string? PtrToString(byte* s) => s is null ? null : Marshal.PtrToStringUTF8((nint)s);

    /// <summary>Reads and frees (with libc free) a string libvirt allocated for the caller.</summary>
    internal static string? TakeString(byte* s)
    {
        if (s is null)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8((nint)s);
        }
        finally
        {
            NativeMemory.Free(s);
        }
    }
}

/// <summary>virNodeInfo.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NodeInfo
{
    public fixed byte Model[32];
    public CULong MemoryKiB;
    public uint Cpus;
    public uint Mhz;
    public uint Nodes;
    public uint Sockets;
    public uint Cores;
    public uint Threads;
}

/// <summary>virDomainInfo.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct DomainInfo
{
    public byte State;
    public CULong MaxMemKiB;
    public CULong MemoryKiB;
    public ushort VirtCpus;
    public ulong CpuTimeNs;
}

/// <summary>virDomainStatsRecord.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct DomainStatsRecord
{
    public nint Domain;
    public TypedParameter* Parameters;
    public int Count;
}

/// <summary>virDomainMemoryStatStruct.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MemoryStat
{
    public int Tag;
    public ulong Value;
}

/// <summary>The leading fields of virError (the rest is deprecated or unused here).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct VirError
{
    public int Code;
    public int Domain;
    public byte* Message;
    public int Level;
}
