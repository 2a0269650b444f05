using System.Runtime.InteropServices;

namespace ResCoin.Libvirt.Native;

/// <summary>
/// The 2014 prototype's way of sampling: list the domains, then one call per VM per resource
/// (<c>virDomainGetInfo</c>, <c>virDomainMemoryStats</c>, <c>virDomainBlockStats</c> per disk,
/// <c>virDomainInterfaceStats</c> per NIC). Kept only as the baseline of the monitor benchmark.
/// </summary>
internal static unsafe class PerVmSampler
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
                    foreach (string disk in dev.Disks)
                    {
                        if (NativeMethods.virDomainBlockStats(d, disk, &block, (nuint)sizeof(BlockStats)) == 0)
                        {
                            sum += block.ReadBytes + block.WriteBytes;
                        }
                    }

                    foreach (string nic in dev.Nics)
                    {
                        if (NativeMethods.virDomainInterfaceStats(d, nic, &net, (nuint)sizeof(InterfaceStats)) == 0)
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
}
