using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ResCoin.Actuation;
using ResCoin.Libvirt.Native;

namespace ResCoin.Libvirt;

/// <summary>
/// Applies allocations to libvirt domains: CPU through <c>global_quota</c> (or per-vCPU <c>vcpu_quota</c>) and optionally
/// <c>cpu_shares</c>; memory through the balloon target; disk through <c>virDomainSetBlockIoTune</c>
/// (<c>read_bytes_sec</c>/<c>write_bytes_sec</c>, split equally over the VM's disks); network through
/// <c>virDomainSetInterfaceParameters</c> (<c>inbound.average</c>/<c>outbound.average</c>).
/// Every change goes through <see cref="SafeStep"/> (floors, step limits, dead-band; a computed 0 never reaches
/// libvirt) and every VM's original settings are journaled in a <see cref="SettingsJournal"/> before its first
/// change; <see cref="RestoreAsync"/> and the first <see cref="ApplyAsync"/> after a crash put them back.
/// </summary>
public sealed partial class LibvirtActuator : IActuator, IDisposable
{
    private const string CpuGlobalQuota = "cpu.global_quota";
    private const string CpuVcpuQuota = "cpu.vcpu_quota";
    private const string CpuShares = "cpu.cpu_shares";
    private const string MemoryBalloon = "memory.balloon_kib";
    private const string BlkioPrefix = "blkio:";
    private const string NetPrefix = "net:";

    private readonly LibvirtOptions _options;
    private readonly ILogger _logger;
    private readonly LibvirtConnection _connection;
    private readonly SettingsJournal _journal;
    private readonly Dictionary<VmId, DeviceCache> _devices = [];
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly DomainFacts? _facts;
    private readonly Dictionary<VmId, KnownDomain> _known = [];
    private DateTimeOffset _planTimestamp;
    private int _knownGeneration = -1;
    private bool _leftoversChecked;

    /// <summary>Creates an actuator; opens (and loads) the journal, connects on first use.</summary>
    /// <param name="options">The options.</param>
    /// <param name="timeProvider">The clock (for reconnection back-off).</param>
    /// <param name="logger">The logger.</param>
    public LibvirtActuator(LibvirtOptions options, TimeProvider? timeProvider = null, ILogger<LibvirtActuator>? logger = null)
        : this(options, timeProvider, logger, null)
    {
    }

    /// <summary>Creates an actuator that takes each VM's domain id, vCPUs and balloon from the monitor's last sample.</summary>
    internal LibvirtActuator(LibvirtOptions options, TimeProvider? timeProvider, ILogger<LibvirtActuator>? logger, DomainFacts? facts)
    {
        ArgumentNullException.ThrowIfNull(options);
        _facts = facts;
        LibvirtOptionsValidator.ThrowIfInvalid(options);
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        TimeProvider time = timeProvider ?? TimeProvider.System;
        _time = time;
        _connection = new LibvirtConnection(options.ConnectionUri, time, _logger,
            TimeSpan.FromSeconds(options.ReconnectMinDelaySeconds), TimeSpan.FromSeconds(options.ReconnectMaxDelaySeconds),
            TimeSpan.FromSeconds(options.CallTimeoutSeconds));
        try
        {
            _journal = OpenJournal(options, time);
            ReportJournal();
        }
        catch
        {
            _connection.Dispose();
            throw;
        }
    }

    /// <summary>The number of original settings currently journaled (changed and not yet restored).</summary>
    public int JournaledSettings => _journal.Count;

    /// <inheritdoc/>
    public ValueTask ApplyAsync(AllocationPlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        lock (_lock)
        {
            bool dryRun = plan.DryRun;
            ConnectionHandle conn = _connection.Acquire();
            _planTimestamp = plan.Timestamp;
            if (_knownGeneration != _connection.Generation)
            {
                // Domain handles belong to the connection they were looked up on.
                ForgetKnownDomains();
                _knownGeneration = _connection.Generation;
            }

            if (!_leftoversChecked)
            {
                _leftoversChecked = true;
                int leftovers = _journal.Count;
                if (leftovers > 0)
                {
                    if (dryRun)
                    {
                        LogLeftoversDryRun(_logger, leftovers, _journal.FilePath);
                    }
                    else
                    {
                        // Put the originals back but keep them journaled: a restore in progress (a balloon still
                        // converging) is not a new original, and the entries stay the originals until a clean stop.
                        LogRestoringLeftovers(_logger, leftovers, _journal.FilePath);
                        RestoreAll(conn, keepEntries: true, TimeSpan.FromSeconds(_options.RestoreTimeoutSeconds), cancellationToken);
                    }
                }
            }

            ReadOnlySpan<VmId> vms = plan.Vms;
            long start = _time.GetTimestamp();
            for (int i = 0; i < vms.Length; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (!ApplyVmWithDeadline(conn, vms[i], plan.Caps[i], plan.Weights[i], plan.Usage[i], plan.Resources, dryRun, start, vms.Length - i))
                {
                    break;
                }
            }

            if (!_connection.Gate.IsStuck)
            {
                ForgetVanishedCpuStates(vms);
                ForgetVanishedDomains(vms);
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask RestoreAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_journal.Count == 0)
            {
                return ValueTask.CompletedTask;
            }

            ConnectionHandle conn;
            try
            {
                conn = _connection.Acquire();
            }
            catch (Exception ex) when (ex is LibvirtException or LibvirtTimeoutException)
            {
                LogRestoreImpossible(_logger, _journal.Count, _journal.FilePath, ex.Message);
                foreach (JournalEntry e in _journal.GetEntries())
                {
                    LogNotRestored(_logger, e.Vm.Name, e.Setting, e.OriginalValue, "no connection to libvirtd");
                }

                return ValueTask.CompletedTask;
            }

            RestoreAll(conn, keepEntries: false, TimeSpan.FromSeconds(_options.RestoreTimeoutSeconds), cancellationToken);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Closes the connection and releases the journal's instance lock (does not restore: call <see cref="RestoreAsync"/> first).</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (!_connection.Gate.IsStuck)
            {
                ForgetKnownDomains();
            }
        }

        _connection.Dispose();
        _journal.Dispose();
    }

    private void ApplyVm(ConnectionHandle conn, VmId vm, in ResourceVector allocation, in ResourceVector weight, in ResourceVector usage, ResourceSet resources, bool dryRun)
    {
        string name = vm.Name;
        ResourceVector alloc = allocation;
        double cpuWeight = weight.Cpu;
        double used = usage.Memory;
        if (TryGetKnownDomain(conn, vm, resources, out DomainHandle? known, out DomainInfo knownInfo, out uint knownId))
        {
            // The monitor's sample of this period said what GetInfo would: no lookup, no GetInfo.
            if (!ApplyVm(conn, known, vm, knownId, knownInfo, alloc, cpuWeight, used, resources, dryRun))
            {
                // A failure (the VM gone, a journal write failed): look the VM up again next period.
                ForgetKnownDomain(vm);
            }

            return;
        }

        DomainHandle dom;
        try
        {
            // By UUID when the monitor gave one: a different VM re-created under the same name is not this VM.
            dom = vm.Uuid != Guid.Empty ? LibvirtApi.LookupByUuid(conn, vm.Uuid, name) : LibvirtApi.Lookup(conn, name);
            if (vm.Uuid == Guid.Empty)
            {
                // The journal keys originals by UUID.
                vm = new VmId(name, LibvirtApi.GetUuid(dom.DangerousGetHandle(), name));
            }
        }
        catch (LibvirtException ex) when (ex.IsDomainGone)
        {
            LogVmGone(_logger, name, ex.LibvirtMessage ?? ex.Message);
            return;
        }
        catch (LibvirtException)
        {
            _connection.CheckAlive(conn);
            throw;
        }

        using (dom)
        {
            DomainInfo info;
            try
            {
                info = LibvirtApi.GetInfo(dom, name);
            }
            catch (LibvirtException ex) when (ex.IsDomainGone)
            {
                LogVmGone(_logger, name, ex.LibvirtMessage ?? ex.Message);
                return;
            }

            if (info.State != NativeMethods.DomainRunning)
            {
                return;
            }

            _ = ApplyVm(conn, dom, vm, NativeMethods.virDomainGetID(dom.DangerousGetHandle()), info, alloc, cpuWeight, used, resources, dryRun);
        }
    }

    /// <summary>Applies one VM's plan to a running domain whose facts are known; false when a resource failed in a way that stops the VM's period.</summary>
    private bool ApplyVm(ConnectionHandle conn, DomainHandle dom, VmId vm, uint domainId, DomainInfo info, ResourceVector alloc, double cpuWeight, double used, ResourceSet resources, bool dryRun)
    {
        string name = vm.Name;
        VmId id = vm;
        if (resources.Contains(ResourceKind.Cpu) && !Guard(conn, name, "cpu", () => ApplyCpu(dom, id, domainId, alloc.Cpu, cpuWeight, info.VirtCpus, dryRun)))
        {
            return false;
        }

        if (resources.Contains(ResourceKind.Memory))
        {
            DomainInfo infoCopy = info;
            if (!Guard(conn, name, "memory", () => ApplyMemory(dom, id, alloc.Memory, used, infoCopy, dryRun)))
            {
                return false;
            }
        }

        bool disk = resources.Contains(ResourceKind.DiskRead) || resources.Contains(ResourceKind.DiskWrite);
        bool net = resources.Contains(ResourceKind.NetRx) || resources.Contains(ResourceKind.NetTx);
        if (!disk && !net)
        {
            return true;
        }

        DeviceCache devices = GetDevices(dom, vm, domainId);
        if (disk)
        {
            for (int i = 0; i < devices.Disks.Length; i++)
            {
                DiskState d = devices.DiskStates[i];
                if (!Guard(conn, name, d.What, () => ApplyDisk(dom, id, d, devices.Disks.Length, resources, alloc, dryRun)))
                {
                    return false;
                }
            }
        }

        if (net)
        {
            foreach (string nic in devices.Interfaces)
            {
                if (!Guard(conn, name, "network " + nic, () => ApplyNet(dom, id, nic, devices.Interfaces.Length, resources, alloc, dryRun)))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>
    /// Runs one resource's actuation; a libvirt failure is logged and the other resources go on. A journal write that
    /// failed (the original could not be made durable, so nothing was changed) stops every further change to this VM
    /// this period: returns false.
    /// </summary>
    private bool Guard(ConnectionHandle conn, string vm, string what, Action action)
    {
        try
        {
            action();
        }
        catch (LibvirtException ex) when (ex.IsDomainGone)
        {
            LogVmGone(_logger, vm, ex.LibvirtMessage ?? ex.Message);
            return false;
        }
        catch (LibvirtException ex)
        {
            LogActuationFailed(_logger, vm, what, ex.Message);
            _connection.CheckAlive(conn);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogJournalWriteFailed(_logger, vm, what, _journal.FilePath, ex.Message);
            return false;
        }

        return true;
    }

    private void ApplyMemory(DomainHandle dom, VmId vm, double bytes, double guestUsed, in DomainInfo info, bool dryRun)
    {
        if (!double.IsFinite(bytes))
        {
            return;
        }

        double currentBytes = info.MemoryKiB.Value * 1024.0;
        double maxBytes = info.MaxMemKiB.Value * 1024.0;
        // Unknown guest usage: never shrink (the floor is the current balloon).
        double floor = double.IsFinite(guestUsed) && guestUsed >= 0
            ? Math.Max(_options.MemoryFloorBytes, guestUsed + _options.MemoryMarginBytes)
            : Math.Max(_options.MemoryFloorBytes, currentBytes);
        var limits = new StepLimits(floor, maxBytes > 0 ? maxBytes : double.PositiveInfinity, _options.MemoryMaxDecreaseFraction, _options.DeadBandFraction);
        StepDecision d = SafeStep.Compute(currentBytes, bytes, limits);
        if (!d.Apply)
        {
            return;
        }

        ulong kib = Math.Max((ulong)Math.Ceiling(d.Value / 1024), 1);
        if (maxBytes > 0)
        {
            kib = Math.Min(kib, info.MaxMemKiB.Value);
        }

        ulong currentKib = info.MemoryKiB.Value;
        if (kib == currentKib)
        {
            return;
        }

        if (dryRun)
        {
            LogDryRun(_logger, vm.Name, "balloon KiB", (long)currentKib, (long)kib);
            return;
        }

        if (!_journal.TryGetOriginal(vm, MemoryBalloon, out _) && !TryReadBalloonOriginal(dom, vm, currentKib))
        {
            return; // the balloon is moving: its original is read once it is at rest
        }

        _journal.TryRecordOriginal(vm, MemoryBalloon, Format((long)currentKib));
        LibvirtApi.SetMemory(dom, vm.Name, kib);
        LogApplied(_logger, vm.Name, "balloon KiB", (long)currentKib, (long)kib);
    }

    private void ApplyDisk(DomainHandle dom, VmId vm, DiskState state, int disks, ResourceSet resources, in ResourceVector allocation, bool dryRun)
    {
        string name = vm.Name;
        string disk = state.Disk;
        if (!state.Known)
        {
            // Read once per domain (and after a restore); afterwards the cache holds what this actuator set.
            using TypedParameterBuffer p = LibvirtApi.GetBlockIoTune(dom, name, disk);
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
            LibvirtApi.SetBlockIoTune(dom, name, disk, set);
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
        using (TypedParameterBuffer p = LibvirtApi.GetInterfaceParameters(dom, name, nic))
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
            LibvirtApi.SetInterfaceParameters(dom, name, nic, set);
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

        (string[] disks, string[] nics) = LibvirtApi.ParseDevices(LibvirtApi.GetXml(dom, vm.Name));
        var created = new DeviceCache(id, disks, nics);
        _devices[vm] = created;
        return created;
    }

    /// <summary>
    /// The monitor's facts of this VM from the sample this plan was computed from, and a domain handle kept from an earlier
    /// period when the domain id is still the same (looked up again, by UUID, otherwise). False when there are no such
    /// facts (no monitor sharing them, a VM without UUID, a resource the sample did not measure): the caller then asks
    /// libvirtd as before.
    /// </summary>
    private bool TryGetKnownDomain(ConnectionHandle conn, VmId vm, ResourceSet resources, [NotNullWhen(true)] out DomainHandle? dom, out DomainInfo info, out uint domainId)
    {
        dom = null;
        info = default;
        domainId = 0;
        if (_facts is null || vm.Uuid == Guid.Empty || !_facts.TryGet(vm, _planTimestamp, out DomainFacts.Fact fact) || fact.DomainId == 0
            || (resources.Contains(ResourceKind.Cpu) && fact.Vcpus <= 0)
            || (resources.Contains(ResourceKind.Memory) && (fact.MemoryKiB == 0 || fact.MaxMemoryKiB == 0)))
        {
            return false;
        }

        if (!_known.TryGetValue(vm, out KnownDomain? known) || known.DomainId != fact.DomainId)
        {
            ForgetKnownDomain(vm);
            DomainHandle looked;
            try
            {
                looked = LibvirtApi.LookupByUuid(conn, vm.Uuid, vm.Name);
            }
            catch (LibvirtException ex) when (ex.IsDomainGone)
            {
                return false;
            }

            known = new KnownDomain(looked, fact.DomainId);
            _known[vm] = known;
        }

        dom = known.Handle;
        domainId = fact.DomainId;
        info = new DomainInfo
        {
            State = NativeMethods.DomainRunning,
            MaxMemKiB = new CULong((nuint)fact.MaxMemoryKiB),
            MemoryKiB = new CULong((nuint)fact.MemoryKiB),
            VirtCpus = (ushort)Math.Clamp(fact.Vcpus, 0, ushort.MaxValue),
        };
        return true;
    }

    private void ForgetKnownDomain(VmId vm)
    {
        if (_known.Remove(vm, out KnownDomain? known))
        {
            known.Handle.Dispose();
        }
    }

    private void ForgetKnownDomains()
    {
        foreach (KnownDomain known in _known.Values)
        {
            known.Handle.Dispose();
        }

        _known.Clear();
    }

    /// <summary>Frees the kept domain handles of VMs no longer in the plan (only when some vanished: no work otherwise).</summary>
    private void ForgetVanishedDomains(ReadOnlySpan<VmId> vms)
    {
        if (_known.Count <= vms.Length)
        {
            return;
        }

        var present = new HashSet<VmId>(vms.Length);
        foreach (VmId vm in vms)
        {
            present.Add(vm);
        }

        foreach (VmId vm in _known.Keys.ToArray())
        {
            if (!present.Contains(vm))
            {
                ForgetKnownDomain(vm);
            }
        }
    }

    private static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);

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

    /// <summary>A domain handle kept across periods while the domain id stays the same.</summary>
    private sealed record KnownDomain(DomainHandle Handle, uint DomainId);

    // Debug: with weights from credit a setting may change every period, and a daemon logging per VM per period costs more
    // than the change itself (benchmarks/daemon-cost). ResCoinOptions.DecisionLogPath records every decision instead.
    [LoggerMessage(EventId = 10, Level = LogLevel.Debug, Message = "VM {Vm}: {Setting} {From} -> {To}")]
    private static partial void LogApplied(ILogger logger, string vm, string setting, long from, long to);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "dry-run: VM {Vm}: would set {Setting} {From} -> {To}")]
    private static partial void LogDryRun(ILogger logger, string vm, string setting, long from, long to);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "VM {Vm} vanished (stopped, crashed or migrated away) during actuation: {Error}")]
    private static partial void LogVmGone(ILogger logger, string vm, string error);

    [LoggerMessage(EventId = 13, Level = LogLevel.Error, Message = "VM {Vm}: cannot apply the {Resource} limit; the other resources are still applied: {Error}")]
    private static partial void LogActuationFailed(ILogger logger, string vm, string resource, string error);

    [LoggerMessage(EventId = 14, Level = LogLevel.Warning, Message = "VM {Vm}: disk {Disk} has total_bytes_sec={Total} set by someone else; not throttling it separately for read/write")]
    private static partial void LogDiskTotalSet(ILogger logger, string vm, string disk, long total);
}
