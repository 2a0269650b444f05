using System.Globalization;
using Microsoft.Extensions.Logging;
using ResCoin.Actuation;
using ResCoin.Libvirt.Native;

namespace ResCoin.Libvirt;

/// <summary>The restore half of the actuator: puts journaled originals back and forgets them.</summary>
public sealed partial class LibvirtActuator
{
    /// <summary>A test seam (fault campaign): called with "restored:SETTING" after a setting was put back and before its journal entry is removed.</summary>
    internal Action<string>? FaultHook { get; set; }

    /// <summary>The connection (tests reach its call gate to simulate a slow libvirtd).</summary>
    internal LibvirtConnection Connection => _connection;

    private static SettingsJournal OpenJournal(LibvirtOptions options, TimeProvider time)
        => SettingsJournal.Open(options.JournalPath, new SettingsJournalOptions
        {
            MissingVmRetention = TimeSpan.FromHours(options.MissingVmRetentionHours),
            TimeProvider = time,
        });

    /// <summary>Says loudly what the journal found on open: a quarantined file, a shared directory.</summary>
    private void ReportJournal()
    {
        if (_journal.QuarantinedFile is { } aside)
        {
            LogJournalQuarantined(_logger, _journal.FilePath, _journal.QuarantineReason ?? "unreadable", aside, _journal.Count);
        }

        if (!_journal.IsDirectoryPrivate)
        {
            LogJournalDirectoryShared(_logger, Path.GetDirectoryName(_journal.FilePath) ?? "/");
        }
    }

    /// <summary>
    /// Applies one VM on the caller's thread, each libvirt call on the connection's call gate (<see cref="Lv{T}"/>): a hung
    /// libvirtd costs at most the call deadline, and the period's own deadline
    /// (<see cref="LibvirtOptions.ApplyTimeoutSeconds"/>) bounds the whole pass. A VM that needs no call (the steady state:
    /// every value within its dead band) costs no thread hop. Returns false when the rest of the VMs must wait for the
    /// next period.
    /// </summary>
    private bool ApplyVmWithDeadline(ConnectionHandle conn, VmId vm, in ResourceVector cap, in ResourceVector weight, in ResourceVector usage, ResourceSet resources, bool dryRun, long start, int remaining)
    {
        if (_time.GetElapsedTime(start) > TimeSpan.FromSeconds(_options.ApplyTimeoutSeconds))
        {
            LogApplyDeadline(_logger, _options.ApplyTimeoutSeconds, remaining);
            return false;
        }

        try
        {
            ApplyVm(conn, vm, cap, weight, usage, resources, dryRun);
            return true;
        }
        catch (LibvirtTimeoutException ex)
        {
            // A call that did not return may still take effect: what this actuator believes in force for the VM is
            // read again next time.
            ForgetVmState(vm);
            LogLibvirtHung(_logger, vm.Name, remaining - 1, ex.Message);
            return false;
        }
        catch (LibvirtException ex)
        {
            LogActuationFailed(_logger, vm.Name, "any", ex.Message);
            _connection.CheckAlive(conn);
            return true;
        }
    }

    /// <summary>
    /// Puts every journaled original back, VM by VM, each VM on the call gate with the call deadline and all of them
    /// within <paramref name="budget"/>. Continues past every failure and logs each setting it could not restore (it
    /// stays in the journal for the next start). A VM that cannot be found by its UUID (destroyed, undefined, shut off)
    /// keeps its entries for <see cref="LibvirtOptions.MissingVmRetentionHours"/>; a different VM with the same name is
    /// never touched.
    /// </summary>
    /// <param name="conn">The connection.</param>
    /// <param name="keepEntries">Keep the entries after restoring (the recovery at start: they stay the originals).</param>
    /// <param name="budget">The time the whole restore may take.</param>
    /// <param name="cancellationToken">Stops early (what is left is reported as not restored).</param>
    private void RestoreAll(ConnectionHandle conn, bool keepEntries, TimeSpan budget, CancellationToken cancellationToken)
    {
        IReadOnlyList<JournalEntry> entries = _journal.GetEntries();
        long start = _time.GetTimestamp();
        var failures = new List<(JournalEntry Entry, string Reason)>();
        var balloons = new List<JournalEntry>();
        int restored = 0, kept = 0;
        int i = 0;
        while (i < entries.Count)
        {
            VmId vm = entries[i].Vm;
            int end = i;
            while (end < entries.Count && entries[end].Vm == vm && entries[end].Vm.Uuid == vm.Uuid)
            {
                end++;
            }

            int first = i;
            i = end;
            string? skip = cancellationToken.IsCancellationRequested ? "the restore was cancelled"
                : _time.GetElapsedTime(start) > budget ? string.Create(CultureInfo.InvariantCulture, $"the restore deadline ({budget.TotalSeconds:0.#} s) passed")
                : null;
            if (skip is not null)
            {
                for (int k = first; k < end; k++)
                {
                    failures.Add((entries[k], skip));
                }

                continue;
            }

            var group = new JournalEntry[end - first];
            for (int k = first; k < end; k++)
            {
                group[k - first] = entries[k];
            }

            try
            {
                VmRestore r = _connection.Call("restore " + vm.Name, () => RestoreVm(conn, vm, group, keepEntries));
                restored += r.Restored;
                kept += r.Kept;
                failures.AddRange(r.Failures);
                if (r.Balloon is { } b)
                {
                    balloons.Add(b);
                }
            }
            catch (Exception ex) when (ex is LibvirtException or LibvirtTimeoutException)
            {
                foreach (JournalEntry e in group)
                {
                    failures.Add((e, ex.Message));
                }

                if (ex is LibvirtException)
                {
                    _connection.CheckAlive(conn);
                }
            }
        }

        ConfirmBalloons(conn, balloons, start, budget, cancellationToken);
        _devices.Clear();
        _balloonAtRest.Clear();
        foreach ((JournalEntry e, string reason) in failures)
        {
            LogNotRestored(_logger, e.Vm.Name, e.Setting, e.OriginalValue, reason);
        }

        if (failures.Count > 0)
        {
            LogRestoreIncomplete(_logger, restored, failures.Count, kept, _journal.FilePath);
        }
        else
        {
            LogRestoreDone(_logger, restored, kept);
        }
    }

    private readonly record struct VmRestore(int Restored, int Kept, List<(JournalEntry Entry, string Reason)> Failures, JournalEntry? Balloon = null);

    /// <summary>Restores one VM's entries (runs on the call gate's worker).</summary>
    private VmRestore RestoreVm(ConnectionHandle conn, VmId vm, JournalEntry[] group, bool keepEntries)
    {
        var failures = new List<(JournalEntry, string)>();
        DomainHandle? dom = null;
        try
        {
            dom = vm.Uuid != Guid.Empty ? LibvirtApi.LookupByUuid(conn, vm.Uuid, vm.Name) : LibvirtApi.Lookup(conn, vm.Name);
            if (!LibvirtApi.IsActive(dom, vm.Name))
            {
                dom.Dispose();
                dom = null;
            }
        }
        catch (LibvirtException ex) when (ex.IsDomainGone)
        {
            dom?.Dispose();
            dom = null;
        }

        if (dom is null)
        {
            return Missing(vm, group, failures);
        }

        int restored = 0;
        JournalEntry? balloon = null;
        using (dom)
        {
            try
            {
                _journal.ClearMissing(vm);
            }
            catch (IOException ex)
            {
                LogJournalWriteFailed(_logger, vm.Name, "missing-VM mark", _journal.FilePath, ex.Message);
            }

            foreach (JournalEntry e in group)
            {
                try
                {
                    RestoreOne(dom, e);
                    FaultHook?.Invoke("restored:" + e.Setting);
                    LogRestored(_logger, vm.Name, e.Setting, e.OriginalValue);
                    restored++;
                }
                catch (LibvirtException ex) when (ex.IsDomainGone)
                {
                    return Missing(vm, group, failures);
                }
                catch (Exception ex) when (ex is LibvirtException or FormatException or OverflowException or ArgumentException)
                {
                    failures.Add((e, ex.Message));
                    continue;
                }

                if (!keepEntries && e.Setting == MemoryBalloon)
                {
                    // The balloon moves for a while after its target is set: the entry goes only once the VM is back
                    // at its original size (ConfirmBalloons), so a restart meanwhile never takes a half-grown size for it.
                    balloon = e;
                }
                else if (!keepEntries)
                {
                    try
                    {
                        _journal.Remove(vm, e.Setting);
                    }
                    catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                    {
                        // Restored, but the journal still lists it: the next start restores it again (same value).
                        LogJournalRemoveFailed(_logger, vm.Name, e.Setting, _journal.FilePath, ex.Message);
                    }
                }
            }
        }

        return new VmRestore(restored, 0, failures, balloon);
    }

    /// <summary>
    /// Waits (within the restore budget, at most 10 s) until each restored balloon is back at
    /// its original size, then drops its entry; a balloon still moving keeps its entry (the next start restores it again).
    /// </summary>
    private void ConfirmBalloons(ConnectionHandle conn, List<JournalEntry> pending, long start, TimeSpan budget, CancellationToken cancellationToken)
    {
        long settleStart = _time.GetTimestamp();
        while (pending.Count > 0)
        {
            for (int k = pending.Count - 1; k >= 0; k--)
            {
                JournalEntry e = pending[k];
                try
                {
                    ulong current = _connection.Call("virDomainGetInfo(" + e.Vm.Name + ")", () =>
                    {
                        using DomainHandle dom = e.Vm.Uuid != Guid.Empty ? LibvirtApi.LookupByUuid(conn, e.Vm.Uuid, e.Vm.Name) : LibvirtApi.Lookup(conn, e.Vm.Name);
                        return LibvirtApi.GetActualBalloonKiB(dom, e.Vm.Name, LibvirtApi.GetInfo(dom, e.Vm.Name).MemoryKiB.Value);
                    });
                    if (current.ToString(CultureInfo.InvariantCulture) == e.OriginalValue)
                    {
                        _journal.Remove(e.Vm, e.Setting);
                        pending.RemoveAt(k);
                    }
                }
                catch (Exception ex) when (ex is LibvirtException or LibvirtTimeoutException or IOException or UnauthorizedAccessException)
                {
                    LogBalloonNotConfirmed(_logger, e.Vm.Name, e.OriginalValue, ex.Message);
                    pending.RemoveAt(k);
                }
            }

            if (pending.Count == 0 || cancellationToken.IsCancellationRequested
                || _time.GetElapsedTime(start) > budget || _time.GetElapsedTime(settleStart) > s_balloonSettleTime)
            {
                break;
            }

            Thread.Sleep(200);
        }

        foreach (JournalEntry e in pending)
        {
            LogBalloonNotConfirmed(_logger, e.Vm.Name, e.OriginalValue, "the balloon is still moving towards it");
        }
    }

    /// <summary>Per VM whose balloon has no journaled original yet: QEMU's actual balloon size, seen at rest in an earlier period.</summary>
    private readonly Dictionary<VmId, ulong> _balloonAtRest = [];

    /// <summary>
    /// Whether <paramref name="reportedKiB"/>, the balloon size libvirt reports for a VM whose balloon has no journaled
    /// original yet, can be recorded as its original: the balloon must be at rest. libvirt's size (virDomainGetInfo, the
    /// bulk stats' <c>balloon.current</c>) is its copy of QEMU's last BALLOON_CHANGE event, which QEMU sends at most once a
    /// second; for up to a second after anyone changed the balloon (an administrator, the restore of a previous run) it is
    /// a size the balloon passed through, and a restore to it would leave the VM short of memory for good. At rest means:
    /// QEMU's actual size (virDomainMemoryStats' ACTUAL_BALLOON, from <c>query-balloon</c>) equals libvirt's, and equals
    /// the actual size this actuator saw in an earlier period. Otherwise the balloon is left alone this period.
    /// </summary>
    private bool TryReadBalloonOriginal(DomainHandle dom, VmId vm, ulong reportedKiB)
    {
        ulong actual = Lv("virDomainMemoryStats(" + vm.Name + ")", () => LibvirtApi.GetActualBalloonKiB(dom, vm.Name, 0));
        bool seen = _balloonAtRest.Remove(vm, out ulong before);
        if (actual == 0 || actual != reportedKiB)
        {
            LogBalloonMoving(_logger, vm.Name, reportedKiB, actual);
            return false;
        }

        if (seen && before == actual)
        {
            return true;
        }

        if (_balloonAtRest.Count >= MaxBalloonSightings)
        {
            _balloonAtRest.Clear(); // VMs that went away without a change; the others are seen again next period
        }

        _balloonAtRest[vm] = actual;
        return false;
    }

    private const int MaxBalloonSightings = 65_536;

    /// <summary>How long a stop waits for restored balloons to reach their original size before leaving them journaled.</summary>
    private static readonly TimeSpan s_balloonSettleTime = TimeSpan.FromSeconds(10);

    private VmRestore Missing(VmId vm, JournalEntry[] group, List<(JournalEntry, string)> failures)
    {
        try
        {
            if (_journal.MarkMissing(vm, out TimeSpan missingFor))
            {
                LogRestoreVmMissingKept(_logger, vm.Name, vm.Uuid, group.Length, missingFor.TotalHours, _options.MissingVmRetentionHours);
                return new VmRestore(0, group.Length, failures);
            }

            _journal.RemoveVm(vm);
            LogRestoreVmMissingDropped(_logger, vm.Name, vm.Uuid, group.Length, _options.MissingVmRetentionHours);
            return new VmRestore(0, 0, failures);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogJournalWriteFailed(_logger, vm.Name, "missing-VM mark", _journal.FilePath, ex.Message);
            return new VmRestore(0, group.Length, failures);
        }
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
            // libvirt sets total/read/write_bytes_sec as one group (a field left out becomes 0): restore the field with
            // the other direction's value in force, or restoring one would reset the other.
            long rd, wr;
            using (TypedParameterBuffer current = LibvirtApi.GetBlockIoTune(dom, name, device))
            {
                rd = current.TryGet("read_bytes_sec"u8, out TypedParameter r) ? r.AsInt64() : 0;
                wr = current.TryGet("write_bytes_sec"u8, out TypedParameter w) ? w.AsInt64() : 0;
            }

            using var p = new TypedParameterBuffer(2);
            if (field is "read_bytes_sec" or "write_bytes_sec")
            {
                p.Add("read_bytes_sec", TypedParameterType.ULLong, field == "read_bytes_sec" ? value : rd);
                p.Add("write_bytes_sec", TypedParameterType.ULLong, field == "write_bytes_sec" ? value : wr);
            }
            else
            {
                p.Add(field, TypedParameterType.ULLong, value);
            }

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

    [LoggerMessage(EventId = 20, Level = LogLevel.Warning, Message = "Restoring {Count} settings left in the journal {Path} by a previous run that did not stop cleanly")]
    private static partial void LogRestoringLeftovers(ILogger logger, int count, string path);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "dry-run: the journal {Path} holds {Count} settings left by a previous run; run without dry-run to restore them")]
    private static partial void LogLeftoversDryRun(ILogger logger, int count, string path);

    [LoggerMessage(EventId = 22, Level = LogLevel.Information, Message = "VM {Vm}: restored {Setting} = {Value}")]
    private static partial void LogRestored(ILogger logger, string vm, string setting, string value);

    [LoggerMessage(EventId = 23, Level = LogLevel.Error, Message = "VM {Vm}: NOT restored: {Setting} should be {Value}; it stays in the journal for the next start: {Error}")]
    private static partial void LogNotRestored(ILogger logger, string vm, string setting, string value, string error);

    [LoggerMessage(EventId = 24, Level = LogLevel.Warning, Message = "VM {Vm} ({Uuid}) is not running or not defined; its {Count} journaled originals are kept in case it comes back (missing for {Hours:0.##} h of {Retention} h)")]
    private static partial void LogRestoreVmMissingKept(ILogger logger, string vm, Guid uuid, int count, double hours, double retention);

    [LoggerMessage(EventId = 25, Level = LogLevel.Information, Message = "Restore finished: {Restored} settings restored, {Kept} kept for VMs that are not running")]
    private static partial void LogRestoreDone(ILogger logger, int restored, int kept);

    [LoggerMessage(EventId = 26, Level = LogLevel.Error, Message = "Restore INCOMPLETE: {Restored} settings restored, {Failed} NOT restored (listed above), {Kept} kept for VMs that are not running; the journal {Path} keeps them for the next start")]
    private static partial void LogRestoreIncomplete(ILogger logger, int restored, int failed, int kept, string path);

    [LoggerMessage(EventId = 27, Level = LogLevel.Warning, Message = "VM {Vm} ({Uuid}) has been missing for more than {Retention} h; its {Count} journaled originals are dropped")]
    private static partial void LogRestoreVmMissingDropped(ILogger logger, string vm, Guid uuid, int count, double retention);

    [LoggerMessage(EventId = 28, Level = LogLevel.Error, Message = "Cannot restore the {Count} settings in the journal {Path} now; they stay for the next start: {Error}")]
    private static partial void LogRestoreImpossible(ILogger logger, int count, string path, string error);

    [LoggerMessage(EventId = 29, Level = LogLevel.Error, Message = "VM {Vm}: the original of {Setting} cannot be journaled in {Path}, so the VM is not changed this period: {Error}")]
    private static partial void LogJournalWriteFailed(ILogger logger, string vm, string setting, string path, string error);

    [LoggerMessage(EventId = 30, Level = LogLevel.Warning, Message = "VM {Vm}: {Setting} was restored but the journal {Path} could not drop it (the next start restores it again): {Error}")]
    private static partial void LogJournalRemoveFailed(ILogger logger, string vm, string setting, string path, string error);

    [LoggerMessage(EventId = 31, Level = LogLevel.Critical, Message = "The settings journal {Path} was unusable ({Reason}); it was moved to {Aside} and {Recovered} originals were recovered from it. VMs whose originals were lost may still be throttled: check them by hand")]
    private static partial void LogJournalQuarantined(ILogger logger, string path, string reason, string aside, int recovered);

    [LoggerMessage(EventId = 32, Level = LogLevel.Warning, Message = "The settings journal's directory {Dir} is accessible to other users; use a root-only (0700) directory")]
    private static partial void LogJournalDirectoryShared(ILogger logger, string dir);

    [LoggerMessage(EventId = 33, Level = LogLevel.Warning, Message = "The actuation deadline ({Seconds} s) passed; {Remaining} VMs wait for the next period")]
    private static partial void LogApplyDeadline(ILogger logger, double seconds, int remaining);

    [LoggerMessage(EventId = 35, Level = LogLevel.Warning, Message = "VM {Vm}: the balloon was set back to {Value} KiB but has not reached it yet; the original stays in the journal and is restored again at the next start: {Error}")]
    private static partial void LogBalloonNotConfirmed(ILogger logger, string vm, string value, string error);

    [LoggerMessage(EventId = 36, Level = LogLevel.Debug, Message = "VM {Vm}: the balloon is not at rest (libvirt reports {Reported} KiB, QEMU's actual size is {Actual} KiB); its original is recorded, and the balloon changed, once it is")]
    private static partial void LogBalloonMoving(ILogger logger, string vm, ulong reported, ulong actual);

    [LoggerMessage(EventId = 34, Level = LogLevel.Error, Message = "VM {Vm}: libvirtd does not answer; {Remaining} more VMs wait for the next period: {Error}")]
    private static partial void LogLibvirtHung(ILogger logger, string vm, int remaining, string error);
}
