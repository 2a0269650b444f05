using System.Globalization;
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
    private bool _leftoversChecked;

    /// <summary>Creates an actuator; opens (and loads) the journal, connects on first use.</summary>
    /// <param name="options">The options.</param>
    /// <param name="timeProvider">The clock (for reconnection back-off).</param>
    /// <param name="logger">The logger.</param>
    public LibvirtActuator(LibvirtOptions options, TimeProvider? timeProvider = null, ILogger<LibvirtActuator>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        LibvirtOptionsValidator.ThrowIfInvalid(options);
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        TimeProvider time = timeProvider ?? TimeProvider.System;
        _connection = new LibvirtConnection(options.ConnectionUri, time, _logger,
            TimeSpan.FromSeconds(options.ReconnectMinDelaySeconds), TimeSpan.FromSeconds(options.ReconnectMaxDelaySeconds));
        _journal = SettingsJournal.Open(options.JournalPath);
    }

    /// <summary>The number of original settings currently journaled (changed and not yet restored).</summary>
    public int JournaledSettings => _journal.Count;

    /// <inheritdoc/>
    public ValueTask ApplyAsync(AllocationPlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        lock (_lock)
        {
            bool dryRun = plan.DryRun || _options.DryRun;
            ConnectionHandle conn = _connection.Acquire();
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
                        LogRestoringLeftovers(_logger, leftovers, _journal.FilePath);
                        RestoreAll(conn, cancellationToken);
                    }
                }
            }

            ReadOnlySpan<VmId> vms = plan.Vms;
            for (int i = 0; i < vms.Length; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                ApplyVm(conn, vms[i], plan.Allocations[i], plan.Usage[i], plan.Resources, dryRun);
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

            ConnectionHandle conn = _connection.Acquire();
            RestoreAll(conn, cancellationToken);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Closes the connection (does not restore: call <see cref="RestoreAsync"/> first).</summary>
    public void Dispose() => _connection.Dispose();

    private void ApplyVm(ConnectionHandle conn, VmId vm, in ResourceVector allocation, in ResourceVector usage, ResourceSet resources, bool dryRun)
    {
        string name = vm.Name;
        DomainHandle dom;
        try
        {
            dom = LibvirtApi.Lookup(conn, name);
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

        ResourceVector alloc = allocation;
        double used = usage.Memory;
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

            if (resources.Contains(ResourceKind.Cpu))
            {
                Guard(conn, name, "cpu", () => ApplyCpu(dom, vm, alloc.Cpu, info.VirtCpus, dryRun));
            }

            if (resources.Contains(ResourceKind.Memory))
            {
                DomainInfo infoCopy = info;
                Guard(conn, name, "memory", () => ApplyMemory(dom, vm, alloc.Memory, used, infoCopy, dryRun));
            }

            bool disk = resources.Contains(ResourceKind.DiskRead) || resources.Contains(ResourceKind.DiskWrite);
            bool net = resources.Contains(ResourceKind.NetRx) || resources.Contains(ResourceKind.NetTx);
            if (!disk && !net)
            {
                return;
            }

            DeviceCache devices = GetDevices(dom, vm);
            if (disk)
            {
                foreach (string d in devices.Disks)
                {
                    Guard(conn, name, "disk " + d, () => ApplyDisk(dom, vm, d, devices.Disks.Length, resources, alloc, dryRun));
                }
            }

            if (net)
            {
                foreach (string nic in devices.Interfaces)
                {
                    Guard(conn, name, "network " + nic, () => ApplyNet(dom, vm, nic, devices.Interfaces.Length, resources, alloc, dryRun));
                }
            }
        }
    }

    /// <summary>Runs one resource's actuation; a libvirt failure is logged and the other resources go on.</summary>
    private void Guard(ConnectionHandle conn, string vm, string what, Action action)
    {
        try
        {
            action();
        }
        catch (LibvirtException ex) when (ex.IsDomainGone)
        {
            LogVmGone(_logger, vm, ex.LibvirtMessage ?? ex.Message);
        }
        catch (LibvirtException ex)
        {
            LogActuationFailed(_logger, vm, what, ex.Message);
            _connection.CheckAlive(conn);
        }
    }

    private void ApplyCpu(DomainHandle dom, VmId vm, double cores, int vcpus, bool dryRun)
    {
        if (!double.IsFinite(cores))
        {
            return;
        }

        string name = vm.Name;
        bool global;
        long period, quota, shares;
        using (TypedParameterBuffer p = LibvirtApi.GetSchedulerParameters(dom, name))
        {
            global = p.TryGet("global_quota"u8, out TypedParameter q);
            if (!global && !p.TryGet("vcpu_quota"u8, out q))
            {
                throw new LibvirtException($"VM {name}: the scheduler has neither global_quota nor vcpu_quota; cannot cap CPU");
            }

            quota = q.AsInt64();
            period = p.TryGet(global ? "global_period"u8 : "vcpu_period"u8, out TypedParameter per) ? per.AsInt64() : 100_000;
            shares = p.TryGet("cpu_shares"u8, out TypedParameter s) ? s.AsInt64() : -1;
        }

        if (period <= 0)
        {
            period = 100_000;
        }

        // global_quota caps the whole VM; vcpu_quota caps each vCPU, so the per-vCPU share is cores / vcpus.
        int divisor = global ? 1 : Math.Max(vcpus, 1);
        double ceiling = (global ? Math.Max(vcpus, 1) : 1) * (double)period;
        bool unlimited = quota <= 0 || quota >= ceiling;
        double current = unlimited ? ceiling : quota;
        var limits = new StepLimits(
            Floor: Math.Max(_options.MinCpuCores / divisor * period, 1000),
            Ceiling: ceiling,
            MaxDecreaseFraction: _options.CpuMaxDecreaseFraction,
            DeadBandFraction: _options.DeadBandFraction);
        StepDecision d = SafeStep.Compute(current, cores / divisor * period, limits);
        string setting = global ? CpuGlobalQuota : CpuVcpuQuota;
        string field = global ? "global_quota" : "vcpu_quota";
        if (d.Apply && !(unlimited && d.Value >= ceiling))
        {
            long next = Math.Max((long)Math.Round(d.Value), 1000);
            if (dryRun)
            {
                LogDryRun(_logger, name, field, quota, next);
            }
            else
            {
                _journal.TryRecordOriginal(vm, setting, Format(quota));
                using var set = new TypedParameterBuffer(1);
                set.Add(field, TypedParameterType.LLong, next);
                LibvirtApi.SetSchedulerParameters(dom, name, set);
                LogApplied(_logger, name, field, quota, next);
            }
        }

        if (_options.UseCpuShares && shares > 0)
        {
            long nextShares = (long)Math.Clamp(Math.Round(Math.Max(cores, _options.MinCpuCores) * 1024), 2, 262_144);
            if (Math.Abs(nextShares - shares) > _options.DeadBandFraction * shares)
            {
                if (dryRun)
                {
                    LogDryRun(_logger, name, "cpu_shares", shares, nextShares);
                }
                else
                {
                    _journal.TryRecordOriginal(vm, CpuShares, Format(shares));
                    using var set = new TypedParameterBuffer(1);
                    set.Add("cpu_shares", TypedParameterType.ULLong, nextShares);
                    LibvirtApi.SetSchedulerParameters(dom, name, set);
                    LogApplied(_logger, name, "cpu_shares", shares, nextShares);
                }
            }
        }
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

        _journal.TryRecordOriginal(vm, MemoryBalloon, Format((long)currentKib));
        LibvirtApi.SetMemory(dom, vm.Name, kib);
        LogApplied(_logger, vm.Name, "balloon KiB", (long)currentKib, (long)kib);
    }

    private void ApplyDisk(DomainHandle dom, VmId vm, string disk, int disks, ResourceSet resources, in ResourceVector allocation, bool dryRun)
    {
        string name = vm.Name;
        long rd, wr, total;
        using (TypedParameterBuffer p = LibvirtApi.GetBlockIoTune(dom, name, disk))
        {
            rd = p.TryGet("read_bytes_sec"u8, out TypedParameter r) ? r.AsInt64() : 0;
            wr = p.TryGet("write_bytes_sec"u8, out TypedParameter w) ? w.AsInt64() : 0;
            total = p.TryGet("total_bytes_sec"u8, out TypedParameter t) ? t.AsInt64() : 0;
        }

        if (total > 0)
        {
            LogDiskTotalSet(_logger, name, disk, total);
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

        LibvirtApi.SetBlockIoTune(dom, name, disk, set);
        foreach ((string field, long from, long to) in changes)
        {
            LogApplied(_logger, name, disk + " " + field, from, to);
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

    private DeviceCache GetDevices(DomainHandle dom, VmId vm)
    {
        uint id = NativeMethods.virDomainGetID(dom.DangerousGetHandle());
        if (_devices.TryGetValue(vm, out DeviceCache? cached) && cached.DomainId == id)
        {
            return cached;
        }

        (string[] disks, string[] nics) = LibvirtApi.ParseDevices(LibvirtApi.GetXml(dom, vm.Name));
        var created = new DeviceCache(id, disks, nics);
        _devices[vm] = created;
        return created;
    }

    private void RestoreAll(ConnectionHandle conn, CancellationToken cancellationToken)
    {
        IReadOnlyList<JournalEntry> entries = _journal.GetEntries();
        int restored = 0, failed = 0;
        int i = 0;
        while (i < entries.Count)
        {
            cancellationToken.ThrowIfCancellationRequested();
            VmId vm = entries[i].Vm;
            int end = i;
            while (end < entries.Count && entries[end].Vm == vm)
            {
                end++;
            }

            DomainHandle? dom = null;
            try
            {
                dom = LibvirtApi.Lookup(conn, vm.Name);
                if (!LibvirtApi.IsActive(dom, vm.Name))
                {
                    // Live settings of a stopped VM are gone with it: nothing to restore.
                    LogRestoreVmNotRunning(_logger, vm.Name);
                    _journal.RemoveVm(vm);
                    i = end;
                    continue;
                }
            }
            catch (LibvirtException ex) when (ex.IsDomainGone)
            {
                LogRestoreVmNotRunning(_logger, vm.Name);
                _journal.RemoveVm(vm);
                dom?.Dispose();
                i = end;
                continue;
            }
            catch (LibvirtException ex)
            {
                LogRestoreFailed(_logger, vm.Name, "*", ex.Message);
                _connection.CheckAlive(conn);
                dom?.Dispose();
                failed += end - i;
                i = end;
                continue;
            }

            using (dom)
            {
                for (; i < end; i++)
                {
                    JournalEntry e = entries[i];
                    try
                    {
                        RestoreOne(dom, e);
                        _journal.Remove(vm, e.Setting);
                        LogRestored(_logger, vm.Name, e.Setting, e.OriginalValue);
                        restored++;
                    }
                    catch (LibvirtException ex) when (ex.IsDomainGone)
                    {
                        _journal.RemoveVm(vm);
                        LogRestoreVmNotRunning(_logger, vm.Name);
                        i = end;
                        break;
                    }
                    catch (Exception ex) when (ex is LibvirtException or FormatException)
                    {
                        LogRestoreFailed(_logger, vm.Name, e.Setting, ex.Message);
                        failed++;
                    }
                }
            }
        }

        _devices.Clear();
        LogRestoreDone(_logger, restored, failed);
    }

    private static void RestoreOne(DomainHandle dom, in JournalEntry e)
    {
        string name = e.Vm.Name;
        long value = long.Parse(e.OriginalValue, NumberStyles.Integer, CultureInfo.InvariantCulture);
        switch (e.Setting)
        {
            case CpuGlobalQuota:
            case CpuVcpuQuota:
            {
                using var p = new TypedParameterBuffer(1);
                p.Add(e.Setting == CpuGlobalQuota ? "global_quota" : "vcpu_quota", TypedParameterType.LLong, value);
                LibvirtApi.SetSchedulerParameters(dom, name, p);
                return;
            }

            case CpuShares:
            {
                using var p = new TypedParameterBuffer(1);
                p.Add("cpu_shares", TypedParameterType.ULLong, value);
                LibvirtApi.SetSchedulerParameters(dom, name, p);
                return;
            }

            case MemoryBalloon:
                LibvirtApi.SetMemory(dom, name, (ulong)value);
                return;
        }

        if (TrySplit(e.Setting, BlkioPrefix, out string device, out string field))
        {
            using var p = new TypedParameterBuffer(1);
            p.Add(field, TypedParameterType.ULLong, value);
            LibvirtApi.SetBlockIoTune(dom, name, device, p);
            return;
        }

        if (TrySplit(e.Setting, NetPrefix, out device, out field))
        {
            using var p = new TypedParameterBuffer(1);
            p.Add(field, TypedParameterType.UInt, value);
            LibvirtApi.SetInterfaceParameters(dom, name, device, p);
            return;
        }

        throw new FormatException($"unknown journal setting '{e.Setting}'");
    }

    private static bool TrySplit(string setting, string prefix, out string device, out string field)
    {
        device = field = string.Empty;
        if (!setting.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        int colon = setting.IndexOf(':', prefix.Length);
        if (colon <= prefix.Length || colon == setting.Length - 1)
        {
            return false;
        }

        device = setting[prefix.Length..colon];
        field = setting[(colon + 1)..];
        return true;
    }

    private static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);

    private sealed record DeviceCache(uint DomainId, string[] Disks, string[] Interfaces);

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "VM {Vm}: {Setting} {From} -> {To}")]
    private static partial void LogApplied(ILogger logger, string vm, string setting, long from, long to);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "dry-run: VM {Vm}: would set {Setting} {From} -> {To}")]
    private static partial void LogDryRun(ILogger logger, string vm, string setting, long from, long to);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "VM {Vm} vanished (stopped, crashed or migrated away) during actuation: {Error}")]
    private static partial void LogVmGone(ILogger logger, string vm, string error);

    [LoggerMessage(EventId = 13, Level = LogLevel.Error, Message = "VM {Vm}: cannot apply the {Resource} limit; the other resources are still applied: {Error}")]
    private static partial void LogActuationFailed(ILogger logger, string vm, string resource, string error);

    [LoggerMessage(EventId = 14, Level = LogLevel.Warning, Message = "VM {Vm}: disk {Disk} has total_bytes_sec={Total} set by someone else; not throttling it separately for read/write")]
    private static partial void LogDiskTotalSet(ILogger logger, string vm, string disk, long total);

    [LoggerMessage(EventId = 20, Level = LogLevel.Warning, Message = "Restoring {Count} settings left in the journal {Path} by a previous run that did not stop cleanly")]
    private static partial void LogRestoringLeftovers(ILogger logger, int count, string path);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "dry-run: the journal {Path} holds {Count} settings left by a previous run; run without dry-run to restore them")]
    private static partial void LogLeftoversDryRun(ILogger logger, int count, string path);

    [LoggerMessage(EventId = 22, Level = LogLevel.Information, Message = "VM {Vm}: restored {Setting} = {Value}")]
    private static partial void LogRestored(ILogger logger, string vm, string setting, string value);

    [LoggerMessage(EventId = 23, Level = LogLevel.Error, Message = "VM {Vm}: cannot restore {Setting}; it stays in the journal: {Error}")]
    private static partial void LogRestoreFailed(ILogger logger, string vm, string setting, string error);

    [LoggerMessage(EventId = 24, Level = LogLevel.Information, Message = "VM {Vm} is not running any more; its journaled live settings are dropped")]
    private static partial void LogRestoreVmNotRunning(ILogger logger, string vm);

    [LoggerMessage(EventId = 25, Level = LogLevel.Information, Message = "Restore finished: {Restored} settings restored, {Failed} failed")]
    private static partial void LogRestoreDone(ILogger logger, int restored, int failed);
}
