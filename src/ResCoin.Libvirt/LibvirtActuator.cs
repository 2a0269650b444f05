using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
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
            if (vms.Length > 0 && _connection.Gate.IsStuck)
            {
                // A call that passed its deadline has not returned: apply nothing this period (the VMs' state here is
                // not touched while that call may still change it). The gate names the stuck call.
                try
                {
                    _connection.Call("apply " + vms[0].Name, static () => true);
                }
                catch (LibvirtTimeoutException ex)
                {
                    LogLibvirtHung(_logger, vms[0].Name, vms.Length - 1, ex.Message);
                    return ValueTask.CompletedTask;
                }
            }

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
            VmId lookup = vm;
            dom = Lv("virDomainLookup(" + name + ")", () => lookup.Uuid != Guid.Empty ? LibvirtApi.LookupByUuid(conn, lookup.Uuid, name) : LibvirtApi.Lookup(conn, name));
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
                DomainHandle looked = dom;
                info = Lv("virDomainGetInfo(" + name + ")", () => LibvirtApi.GetInfo(looked, name));
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
    /// One libvirt call of the apply path, on the connection's call gate with the call deadline; a handle or buffer that
    /// arrives after the caller gave up is disposed.
    /// </summary>
    private T Lv<T>(string what, Func<T> call) => _connection.Call(what, call, static r => (r as IDisposable)?.Dispose());

    /// <summary>One libvirt call that returns nothing, on the call gate.</summary>
    private void Lv(string what, Action call) => _connection.Call(what, () =>
    {
        call();
        return true;
    });

    /// <summary>Forgets what this actuator believed in force for a VM (read again from libvirt next time).</summary>
    private void ForgetVmState(VmId vm)
    {
        _cpu.Remove(vm);
        _devices.Remove(vm);
        ForgetKnownDomain(vm);
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

    private static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);

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
