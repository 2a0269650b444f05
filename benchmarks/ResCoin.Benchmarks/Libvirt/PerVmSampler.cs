using System.Runtime.InteropServices;
using ResCoin.Libvirt.Native;

namespace ResCoin.Benchmarks.Libvirt;

/// <summary>
/// The 2014 prototype's way of sampling: list the domains, then one call per VM per resource
/// (<c>virDomainGetInfo</c>, <c>virDomainMemoryStats</c>, <c>virDomainBlockStats</c> per disk,
/// <c>virDomainInterfaceStats</c> per NIC). Only the baseline of <see cref="LibvirtMonitorBenchmarks"/>: it does not ship
/// in the ResCoin.Libvirt package, and neither do the two per-device calls it alone needs.
/// </summary>
internal static unsafe partial class PerVmSampler
{
    /// <summary>Reads every running VM's counters; returns a checksum so the work cannot be optimized away.</summary>
    public static double SampleAll(ConnectionHandle conn, IReadOnlyDictionary<string, (string[] Disks, string[] Nics)> devices)
    {
        double sum = 0;
        int n = NativeMethods.virConnectListAllDomains(conn, out nint* doms, NativeMethods.ListRunning);
        if (n < 0)
        {
            throw LibvirtApi.LastError("virConnectListAllDomains");
        }

        try
        {
            MemoryStat* mem = stackalloc MemoryStat[16];
            BlockStats block;
            InterfaceStats net;
            for (int i = 0; i < n; i++)
            {
                string name = NativeMethods.PtrToString(NativeMethods.virDomainGetName(doms[i]))!;
                using DomainHandle d = LibvirtApi.Lookup(conn, name);
                DomainInfo info = LibvirtApi.GetInfo(d, name);
                sum += info.CpuTimeNs;
                int m = NativeMethods.virDomainMemoryStats(d, mem, 16, 0);
                for (int k = 0; k < m; k++)
                {
                    sum += mem[k].Value;
                }

                if (devices.TryGetValue(name, out (string[] Disks, string[] Nics) dev))
                {
                    nint handle = d.DangerousGetHandle();
                    foreach (string disk in dev.Disks)
                    {
                        if (virDomainBlockStats(handle, disk, &block, (nuint)sizeof(BlockStats)) == 0)
                        {
                            sum += block.ReadBytes + block.WriteBytes;
                        }
                    }

                    foreach (string nic in dev.Nics)
                    {
                        if (virDomainInterfaceStats(handle, nic, &net, (nuint)sizeof(InterfaceStats)) == 0)
                        {
                            sum += net.RxBytes + net.TxBytes;
                        }
                    }
                }
            }
        }
        finally
        {
            for (int i = 0; i < n; i++)
            {
                _ = NativeMethods.virDomainFree(doms[i]);
            }

            NativeMemory.Free(doms);
        }

        return sum;
    }

    [LibraryImport(NativeMethods.Library, StringMarshalling = StringMarshalling.Utf8)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int virDomainBlockStats(nint domain, string disk, BlockStats* stats, nuint size);

    [LibraryImport(NativeMethods.Library, StringMarshalling = StringMarshalling.Utf8)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int virDomainInterfaceStats(nint domain, string device, InterfaceStats* stats, nuint size);

    /// <summary>virDomainBlockStatsStruct.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct BlockStats
    {
        public long ReadRequests;
        public long ReadBytes;
        public long WriteRequests;
        public long WriteBytes;
        public long Errors;
    }

    /// <summary>virDomainInterfaceStatsStruct.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct InterfaceStats
    {
        public long RxBytes;
        public long RxPackets;
        public long RxErrors;
        public long RxDrop;
        public long TxBytes;
        public long TxPackets;
        public long TxErrors;
        public long TxDrop;
    }
}
