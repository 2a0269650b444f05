using System.Runtime.InteropServices;
using System.Globalization;
using System.Xml.Linq;

namespace ResCoin.Libvirt.Native;

/// <summary>Checked wrappers over <see cref="NativeMethods"/>: every failure becomes a <see cref="LibvirtException"/>.</summary>
internal static unsafe class LibvirtApi
{
    /// <summary>A test seam (fault campaign): called after every successful setter with the call's name.</summary>
    internal static Action<string>? AfterSet { get; set; }

    /// <summary>Builds an exception from libvirt's last error on this thread (and resets it).</summary>
    internal static LibvirtException LastError(string operation)
    {
        VirError* e = NativeMethods.virGetLastError();
        if (e is null)
        {
            return new LibvirtException(operation, 0, 0, null);
        }

        var ex = new LibvirtException(operation, e->Code, e->Domain, NativeMethods.PtrToString(e->Message));
        NativeMethods.virResetLastError();
        return ex;
    }

    internal static ConnectionHandle Open(string uri)
    {
        NativeMethods.EnsureInitialized();
        ConnectionHandle h = NativeMethods.virConnectOpen(uri);
        if (h.IsInvalid)
        {
            h.Dispose();
            throw LastError($"virConnectOpen({uri})");
        }

        return h;
    }

    internal static NodeInfo GetNodeInfo(ConnectionHandle conn)
    {
        if (NativeMethods.virNodeGetInfo(conn, out NodeInfo info) < 0)
        {
            throw LastError("virNodeGetInfo");
        }

        return info;
    }

    internal static DomainHandle Lookup(ConnectionHandle conn, string name)
    {
        DomainHandle h = NativeMethods.virDomainLookupByName(conn, name);
        if (h.IsInvalid)
        {
            h.Dispose();
            throw LastError($"virDomainLookupByName({name})");
        }

        return h;
    }

    /// <summary>Looks a domain up by UUID (so a different VM re-created under the same name is never taken for it).</summary>
    internal static DomainHandle LookupByUuid(ConnectionHandle conn, Guid uuid, string vm)
    {
        byte* raw = stackalloc byte[16];
        uuid.TryWriteBytes(new Span<byte>(raw, 16), bigEndian: true, out _);
        DomainHandle h = NativeMethods.virDomainLookupByUUID(conn, raw);
        if (h.IsInvalid)
        {
            h.Dispose();
            throw LastError($"virDomainLookupByUUID({vm}, {uuid:D})");
        }

        return h;
    }

    /// <summary>A domain's UUID.</summary>
    internal static Guid GetUuid(nint dom, string vm)
    {
        byte* raw = stackalloc byte[16];
        if (NativeMethods.virDomainGetUUID(dom, raw) < 0)
        {
            throw LastError($"virDomainGetUUID({vm})");
        }

        return new Guid(new ReadOnlySpan<byte>(raw, 16), bigEndian: true);
    }

    /// <summary>
    /// The balloon's actual size as QEMU reports it now (memory statistic ACTUAL_BALLOON), or
    /// <paramref name="fallbackKiB"/> when the statistic is missing. libvirt's <c>virDomainGetInfo</c> memory jumps to a
    /// new target as soon as it is set and only later follows the guest, so it cannot tell a balloon that arrived.
    /// </summary>
    internal static ulong GetActualBalloonKiB(DomainHandle dom, string vm, ulong fallbackKiB)
    {
        const int ActualBalloon = 6;
        MemoryStat* stats = stackalloc MemoryStat[16];
        int n = NativeMethods.virDomainMemoryStats(dom, stats, 16, 0);
        if (n < 0)
        {
            throw LastError($"virDomainMemoryStats({vm})");
        }

        for (int i = 0; i < n; i++)
        {
            if (stats[i].Tag == ActualBalloon)
            {
                return stats[i].Value;
            }
        }

        return fallbackKiB;
    }

    /// <summary>The names of the running domains.</summary>
    internal static List<string> ListRunningDomainNames(ConnectionHandle conn)
    {
        int n = NativeMethods.virConnectListAllDomains(conn, out nint* doms, NativeMethods.ListRunning);
        if (n < 0)
        {
            throw LastError("virConnectListAllDomains");
        }

        var names = new List<string>(n);
        try
        {
            for (int i = 0; i < n; i++)
            {
                names.Add(NativeMethods.PtrToString(NativeMethods.virDomainGetName(doms[i])) ?? string.Empty);
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

        return names;
    }

    internal static DomainInfo GetInfo(DomainHandle dom, string vm)
    {
        if (NativeMethods.virDomainGetInfo(dom, out DomainInfo info) < 0)
        {
            throw LastError($"virDomainGetInfo({vm})");
        }

        return info;
    }

    internal static bool IsActive(DomainHandle dom, string vm)
    {
        int r = NativeMethods.virDomainIsActive(dom);
        return r < 0 ? throw LastError($"virDomainIsActive({vm})") : r == 1;
    }

    internal static string GetXml(DomainHandle dom, string vm)
    {
        byte* s = NativeMethods.virDomainGetXMLDesc(dom, 0);
        return s is null ? throw LastError($"virDomainGetXMLDesc({vm})") : NativeMethods.TakeString(s)!;
    }

    internal static void SetMemory(DomainHandle dom, string vm, ulong kib)
    {
        if (kib == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(kib), "A zero balloon target never reaches libvirt.");
        }

        if (NativeMethods.virDomainSetMemoryFlags(dom, new CULong((nuint)kib), NativeMethods.AffectLive) < 0)
        {
            throw LastError(string.Create(CultureInfo.InvariantCulture, $"virDomainSetMemoryFlags({vm}, {kib} KiB)"));
        }

        AfterSet?.Invoke("virDomainSetMemoryFlags");
    }

    internal static TypedParameterBuffer GetSchedulerParameters(DomainHandle dom, string vm)
    {
        byte* type = NativeMethods.virDomainGetSchedulerType(dom, out int n);
        if (type is null)
        {
            throw LastError($"virDomainGetSchedulerType({vm})");
        }

        NativeMemory.Free(type);
        var buffer = new TypedParameterBuffer(n);
        int count = n;
        if (NativeMethods.virDomainGetSchedulerParametersFlags(dom, buffer.Pointer, ref count, NativeMethods.AffectLive) < 0)
        {
            buffer.Dispose();
            throw LastError($"virDomainGetSchedulerParametersFlags({vm})");
        }

        buffer.Count = count;
        return buffer;
    }

    internal static void SetSchedulerParameters(DomainHandle dom, string vm, TypedParameterBuffer parameters)
    {
        if (NativeMethods.virDomainSetSchedulerParametersFlags(dom, parameters.Pointer, parameters.Count, NativeMethods.AffectLive) < 0)
        {
            throw LastError($"virDomainSetSchedulerParametersFlags({vm}, {Describe(parameters)})");
        }

        AfterSet?.Invoke("virDomainSetSchedulerParametersFlags");
    }

    internal static TypedParameterBuffer GetBlockIoTune(DomainHandle dom, string vm, string disk)
    {
        int n = 0;
        if (NativeMethods.virDomainGetBlockIoTune(dom, disk, null, ref n, NativeMethods.AffectLive) < 0)
        {
            throw LastError($"virDomainGetBlockIoTune({vm}, {disk})");
        }

        var buffer = new TypedParameterBuffer(n);
        int count = n;
        if (NativeMethods.virDomainGetBlockIoTune(dom, disk, buffer.Pointer, ref count, NativeMethods.AffectLive) < 0)
        {
            buffer.Dispose();
            throw LastError($"virDomainGetBlockIoTune({vm}, {disk})");
        }

        buffer.Count = count;
        return buffer;
    }

    internal static void SetBlockIoTune(DomainHandle dom, string vm, string disk, TypedParameterBuffer parameters)
    {
        if (NativeMethods.virDomainSetBlockIoTune(dom, disk, parameters.Pointer, parameters.Count, NativeMethods.AffectLive) < 0)
        {
            throw LastError($"virDomainSetBlockIoTune({vm}, {disk}, {Describe(parameters)})");
        }

        AfterSet?.Invoke("virDomainSetBlockIoTune");
    }

    internal static TypedParameterBuffer GetInterfaceParameters(DomainHandle dom, string vm, string device)
    {
        int n = 0;
        if (NativeMethods.virDomainGetInterfaceParameters(dom, device, null, ref n, NativeMethods.AffectLive) < 0)
        {
            throw LastError($"virDomainGetInterfaceParameters({vm}, {device})");
        }

        var buffer = new TypedParameterBuffer(n);
        int count = n;
        if (NativeMethods.virDomainGetInterfaceParameters(dom, device, buffer.Pointer, ref count, NativeMethods.AffectLive) < 0)
        {
            buffer.Dispose();
            throw LastError($"virDomainGetInterfaceParameters({vm}, {device})");
        }

        buffer.Count = count;
        return buffer;
    }

    internal static void SetInterfaceParameters(DomainHandle dom, string vm, string device, TypedParameterBuffer parameters)
    {
        if (NativeMethods.virDomainSetInterfaceParameters(dom, device, parameters.Pointer, parameters.Count, NativeMethods.AffectLive) < 0)
        {
            throw LastError($"virDomainSetInterfaceParameters({vm}, {device}, {Describe(parameters)})");
        }

        AfterSet?.Invoke("virDomainSetInterfaceParameters");
    }

    /// <summary>The disk targets (<c>vda</c>, …) and interface targets (<c>vnet0</c>, …) in a domain's XML.</summary>
    internal static (string[] Disks, string[] Interfaces) ParseDevices(string xml)
    {
        XElement? devices = XDocument.Parse(xml).Root?.Element("devices");
        if (devices is null)
        {
            return ([], []);
        }

        var disks = new List<string>();
        foreach (XElement disk in devices.Elements("disk"))
        {
            string device = (string?)disk.Attribute("device") ?? "disk";
            string? target = (string?)disk.Element("target")?.Attribute("dev");
            if (device == "disk" && !string.IsNullOrEmpty(target))
            {
                disks.Add(target);
            }
        }

        var nics = new List<string>();
        foreach (XElement nic in devices.Elements("interface"))
        {
            string? target = (string?)nic.Element("target")?.Attribute("dev");
            if (!string.IsNullOrEmpty(target))
            {
                nics.Add(target);
            }
        }

        return ([.. disks], [.. nics]);
    }

    private static string Describe(TypedParameterBuffer parameters)
    {
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < parameters.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }

            ref TypedParameter p = ref parameters[i];
            sb.Append(System.Text.Encoding.UTF8.GetString(p.Name)).Append('=').Append(p.AsInt64().ToString(CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }
}
