using ResCoin.Actuation;
using ResCoin.Libvirt.Native;

namespace ResCoin.Libvirt;

/// <content>Disks and network interfaces: throttles per device, the devices of a domain, what was set.</content>
public sealed partial class LibvirtActuator
{
    private void ApplyDisk(DomainHandle dom, VmId vm, DiskState state, int disks, ResourceSet resources, in ResourceVector allocation, bool dryRun)
    {
        string name = vm.Name;
        string disk = state.Disk;
        if (!state.Known)
        {
            // Read once per domain (and after a restore); afterwards the cache holds what this actuator set.
            using TypedParameterBuffer p = Lv("virDomainGetBlockIoTune(" + name + ")", () => LibvirtApi.GetBlockIoTune(dom, name, disk));
            state.Read = p.TryGet("read_bytes_sec"u8, out TypedParameter r) ? r.AsInt64() : 0;
            state.Write = p.TryGet("write_bytes_sec"u8, out TypedParameter w) ? w.AsInt64() : 0;
            state.Total = p.TryGet("total_bytes_sec"u8, out TypedParameter t) ? t.AsInt64() : 0;
            state.Known = true;
        }

        long rd = state.Read, wr = state.Write, total = state.Total;
        if (total > 0)
        {
            if (!state.TotalReported)
            {
                state.TotalReported = true;
                LogDiskTotalSet(_logger, name, disk, total);
            }

            return;
        }

        using var set = new TypedParameterBuffer(2);
        var changes = new List<(string Field, long From, long To)>(2);
        var limits = new StepLimits(_options.MinDiskBytesPerSecond, double.PositiveInfinity, 1.0, _options.DeadBandFraction);
        if (resources.Contains(ResourceKind.DiskRead))
        {
            Plan("read_bytes_sec", rd, allocation.DiskRead / disks);
        }

        if (resources.Contains(ResourceKind.DiskWrite))
        {
            Plan("write_bytes_sec", wr, allocation.DiskWrite / disks);
        }

        if (set.Count == 0)
        {
            return;
        }

        if (set.Count == 1)
        {
            // libvirt sets total/read/write_bytes_sec as one group: a field left out is reset to 0 (unlimited), which
            // would silently drop an administrator's cap on the other direction. Keep it explicitly.
            bool read = changes[0].Field == "read_bytes_sec";
            set.Add(read ? "write_bytes_sec" : "read_bytes_sec", TypedParameterType.ULLong, read ? wr : rd);
        }

        foreach ((string field, long from, long to) in changes)
        {
            if (dryRun)
            {
                LogDryRun(_logger, name, disk + " " + field, from, to);
            }
            else
            {
                _journal.TryRecordOriginal(vm, BlkioPrefix + disk + ":" + field, Format(from));
            }
        }

        if (dryRun)
        {
            return;
        }

        try
        {
            Lv("virDomainSetBlockIoTune(" + name + ")", () => LibvirtApi.SetBlockIoTune(dom, name, disk, set));
        }
        catch (LibvirtException)
        {
            // What is in force is not known any more: read it again next time.
            state.Known = false;
            throw;
        }

        foreach ((string field, long from, long to) in changes)
        {
            LogApplied(_logger, name, disk + " " + field, from, to);
            if (field == "read_bytes_sec")
            {
                state.Read = to;
            }
            else
            {
                state.Write = to;
            }
        }

        void Plan(string field, long current, double target)
        {
            // 0 means unlimited in libvirt: treat it as "unknown current" (no step limit or dead-band).
            StepDecision d = SafeStep.Compute(current > 0 ? current : double.NaN, target, limits);
            if (!d.Apply)
            {
                return;
            }

            long next = Math.Max((long)Math.Round(d.Value), 1);
            if (next == current)
            {
                return;
            }

            set.Add(field, TypedParameterType.ULLong, next);
            changes.Add((field, current, next));
        }
    }

    private void ApplyNet(DomainHandle dom, VmId vm, string nic, int nics, ResourceSet resources, in ResourceVector allocation, bool dryRun)
    {
        string name = vm.Name;
        long inbound, outbound;
        using (TypedParameterBuffer p = Lv("virDomainGetInterfaceParameters(" + name + ")", () => LibvirtApi.GetInterfaceParameters(dom, name, nic)))
        {
            inbound = p.TryGet("inbound.average"u8, out TypedParameter i) ? i.AsInt64() : 0;
            outbound = p.TryGet("outbound.average"u8, out TypedParameter o) ? o.AsInt64() : 0;
        }

        // libvirt's bandwidth unit is KiB/s.
        var limits = new StepLimits(_options.MinNetBytesPerSecond / 1024, double.PositiveInfinity, 1.0, _options.DeadBandFraction);
        using var set = new TypedParameterBuffer(2);
        var changes = new List<(string Field, long From, long To)>(2);
        if (resources.Contains(ResourceKind.NetRx))
        {
            Plan("inbound.average", inbound, allocation.NetRx / nics / 1024);
        }

        if (resources.Contains(ResourceKind.NetTx))
        {
            Plan("outbound.average", outbound, allocation.NetTx / nics / 1024);
        }

        if (set.Count == 0)
        {
            return;
        }

        var recorded = new List<string>(2);
        foreach ((string field, long from, long to) in changes)
        {
            if (dryRun)
            {
                LogDryRun(_logger, name, nic + " " + field + " KiB/s", from, to);
            }
            else if (_journal.TryRecordOriginal(vm, NetPrefix + nic + ":" + field, Format(from)))
            {
                recorded.Add(NetPrefix + nic + ":" + field);
            }
        }

        if (dryRun)
        {
            return;
        }

        try
        {
            Lv("virDomainSetInterfaceParameters(" + name + ")", () => LibvirtApi.SetInterfaceParameters(dom, name, nic, set));
        }
        catch (LibvirtException)
        {
            // Nothing changed: forget the originals recorded for this attempt.
            foreach (string key in recorded)
            {
                _journal.Remove(vm, key);
            }

            throw;
        }

        foreach ((string field, long from, long to) in changes)
        {
            LogApplied(_logger, name, nic + " " + field + " KiB/s", from, to);
        }

        void Plan(string field, long current, double target)
        {
            StepDecision d = SafeStep.Compute(current > 0 ? current : double.NaN, target, limits);
            if (!d.Apply)
            {
                return;
            }

            long next = Math.Clamp((long)Math.Round(d.Value), 1, uint.MaxValue);
            if (next == current)
            {
                return;
            }

            set.Add(field, TypedParameterType.UInt, next);
            changes.Add((field, current, next));
        }
    }

    private DeviceCache GetDevices(DomainHandle dom, VmId vm, uint id)
    {
        if (_devices.TryGetValue(vm, out DeviceCache? cached) && cached.DomainId == id)
        {
            return cached;
        }

        string name = vm.Name;
        (string[] disks, string[] nics) = LibvirtApi.ParseDevices(Lv("virDomainGetXMLDesc(" + name + ")", () => LibvirtApi.GetXml(dom, name)));
        var created = new DeviceCache(id, disks, nics);
        _devices[vm] = created;
        return created;
    }

    private sealed class DeviceCache(uint domainId, string[] disks, string[] interfaces)
    {
        public uint DomainId { get; } = domainId;

        public string[] Disks { get; } = disks;

        public string[] Interfaces { get; } = interfaces;

        /// <summary>Per disk, the throttles in force (read once, then what this actuator set).</summary>
        public DiskState[] DiskStates { get; } = Array.ConvertAll(disks, static d => new DiskState(d));
    }

    /// <summary>The block I/O throttles in force on one disk, as read or last set.</summary>
    private sealed class DiskState(string disk)
    {
        public string Disk { get; } = disk;

        public string What { get; } = "disk " + disk;

        public bool Known { get; set; }

        public bool TotalReported { get; set; }

        public long Read { get; set; }

        public long Write { get; set; }

        public long Total { get; set; }
    }
}
