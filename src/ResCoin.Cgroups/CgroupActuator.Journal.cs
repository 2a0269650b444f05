using System.Text;
using Microsoft.Extensions.Logging;
using ResCoin.Actuation;

namespace ResCoin.Cgroups;

/// <summary>
/// The journal of originals (<see cref="SettingsJournal"/> at <see cref="CgroupOptions.JournalPath"/>): every change
/// records the file's original first; a setting the plan no longer sets gets its original back; <see cref="RestoreAsync"/>
/// and the first real plan after a crash write every original back. Journal keys are the file's name, followed by the
/// device for per-device files (<c>io.max 8:0</c>).
/// </summary>
public sealed partial class CgroupActuator
{
    private SettingsJournal? _journal;
    private bool _recovered;

    private SettingsJournal Journal => _journal ??= SettingsJournal.Open(_options.JournalPath);

    /// <summary>Restores, once, what a previous run left in the journal (it crashed before restoring).</summary>
    private void RecoverOnce(CancellationToken cancellationToken)
    {
        if (_recovered)
        {
            return;
        }

        _recovered = true;
        if (Journal.Count > 0)
        {
            LogRecovering(_logger, Journal.Count, Journal.FilePath);
            RestoreAll(Journal, cancellationToken);
        }
    }

    /// <summary>
    /// The plan sets nothing for this setting (NaN): when ResCoin changed it earlier, the journaled original goes back and
    /// the entry is forgotten; otherwise the setting is left as it is. A dry run only logs it.
    /// </summary>
    private void PutBack(VmId vm, string setting, string path, bool dryRun)
    {
        if (dryRun ? _journal is null || !_journal.TryGetOriginal(vm, setting, out string original) : !Journal.TryGetOriginal(vm, setting, out original))
        {
            return;
        }

        int space = setting.IndexOf(' ', StringComparison.Ordinal);
        string value = space > 0 ? setting[(space + 1)..] + " " + original : original;
        if (dryRun)
        {
            LogDryRun(_logger, path, value);
            return;
        }

        try
        {
            _fs.Write(path, Encoding.UTF8.GetBytes(value + "\n"));
            Journal.Remove(vm, setting);
            LogPutBack(_logger, path, value);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogWriteFailed(_logger, path, value, ex.Message);
        }
    }

    /// <summary>Journals the original (first change only), then writes; logs instead in a dry run. A failed write is logged, not thrown.</summary>
    private void Change(VmId vm, string setting, string path, ReadOnlySpan<byte> value, string original, bool dryRun)
    {
        if (dryRun)
        {
            if (_logger.IsEnabled(LogLevel.Information))
            {
                LogDryRun(_logger, path, Encoding.UTF8.GetString(value).TrimEnd('\n'));
            }

            return;
        }

        if (!Journal.TryGetOriginal(vm, setting, out _))
        {
            Journal.TryRecordOriginal(vm, setting, original);
        }

        try
        {
            _fs.Write(path, value);
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                LogWrote(_logger, path, Encoding.UTF8.GetString(value).TrimEnd('\n'));
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogWriteFailed(_logger, path, Encoding.UTF8.GetString(value).TrimEnd('\n'), ex.Message);
        }
    }

    private void RestoreAll(SettingsJournal journal, CancellationToken cancellationToken)
    {
        foreach (JournalEntry e in journal.GetEntries())
        {
            cancellationToken.ThrowIfCancellationRequested();
            string setting = e.Setting;
            string file = setting;
            string? device = null;
            int space = setting.IndexOf(' ', StringComparison.Ordinal);
            if (space > 0)
            {
                file = setting[..space];
                device = setting[(space + 1)..];
            }

            int dot = file.IndexOf('.', StringComparison.Ordinal);
            string? root = _layout.ControllerRoot(dot > 0 ? file[..dot] : file);
            if (root is null)
            {
                LogRestoreFailed(_logger, e.Vm.Name, setting, e.OriginalValue, "its controller is not mounted");
                continue;
            }

            string path = root + "/" + e.Vm.Name + "/" + file;
            string value = device is null ? e.OriginalValue : device + " " + e.OriginalValue;
            try
            {
                _fs.Write(path, Encoding.UTF8.GetBytes(value + "\n"));
                journal.Remove(e.Vm, setting);
                LogRestored(_logger, path, value);
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
                // The cgroup is gone: nothing left to restore.
                journal.Remove(e.Vm, setting);
                LogRestoreFailed(_logger, e.Vm.Name, setting, value, "the cgroup no longer exists; entry dropped");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                LogRestoreFailed(_logger, e.Vm.Name, path, value, ex.Message);
            }
        }
    }

    [LoggerMessage(10, LogLevel.Information, "cgroups: dry run: would write {File} = {Value}")]
    private static partial void LogDryRun(ILogger logger, string file, string value);

    [LoggerMessage(11, LogLevel.Debug, "cgroups: wrote {File} = {Value}")]
    private static partial void LogWrote(ILogger logger, string file, string value);

    [LoggerMessage(12, LogLevel.Error, "cgroups: writing {File} = {Value} failed: {Reason}")]
    private static partial void LogWriteFailed(ILogger logger, string file, string value, string reason);

    [LoggerMessage(15, LogLevel.Warning, "cgroups: restoring {Count} settings a previous run left in {Journal}")]
    private static partial void LogRecovering(ILogger logger, int count, string journal);

    [LoggerMessage(16, LogLevel.Information, "cgroups: restored {File} = {Value}")]
    private static partial void LogRestored(ILogger logger, string file, string value);

    [LoggerMessage(17, LogLevel.Error, "cgroups: {Cgroup}: restoring {Setting} = {Value} failed: {Reason}")]
    private static partial void LogRestoreFailed(ILogger logger, string cgroup, string setting, string value, string reason);

    [LoggerMessage(18, LogLevel.Information, "cgroups: no value planned; put the original back: {File} = {Value}")]
    private static partial void LogPutBack(ILogger logger, string file, string value);
}
