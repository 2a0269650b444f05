using Microsoft.Extensions.Logging;
using ResCoin.Cgroups.Monitoring;

namespace ResCoin.Cgroups;

/// <summary>Discovery: which cgroups are monitored (<see cref="CgroupOptions.Cgroups"/> expanded every <see cref="CgroupOptions.RescanInterval"/>).</summary>
public sealed partial class CgroupMonitor
{
    private readonly Dictionary<string, MonitoredCgroup> _byPath = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _scan = new(StringComparer.Ordinal);
    private long _lastScan;
    private bool _scanned;

    /// <summary>Re-expands the patterns: new cgroups are tracked, vanished ones dropped; refreshes host capacity.</summary>
    internal void Rescan()
    {
        ReadHostCapacity();
        _scan.Clear();
        CgroupDiscovery.Expand(_fs, _layout.PrimaryRoot, _options.Cgroups, _scan);

        for (int i = _tracked.Count - 1; i >= 0; i--)
        {
            if (!_scan.Contains(_tracked[i].Relative))
            {
                Drop(_tracked[i]);
            }
        }

        _tracked.Clear();
        foreach (string rel in _scan)
        {
            if (!_byPath.TryGetValue(rel, out MonitoredCgroup? t))
            {
                t = new MonitoredCgroup(_fs, _layout, _time, rel, ref _buffers[0]);
                _byPath.Add(rel, t);
                LogFound(_logger, rel);
            }

            _tracked.Add(t);
        }
    }

    /// <summary>Stops monitoring a cgroup: closes its files and forgets the file system's cached state under its directories.</summary>
    private void Drop(MonitoredCgroup t)
    {
        _byPath.Remove(t.Relative);
        t.DisposeReaders();
        foreach (string dir in t.Directories)
        {
            _fs.Forget(dir);
        }

        LogGone(_logger, t.Relative);
    }

    [LoggerMessage(2, LogLevel.Information, "cgroups: now monitoring {Cgroup}")]
    private static partial void LogFound(ILogger logger, string cgroup);

    [LoggerMessage(3, LogLevel.Information, "cgroups: {Cgroup} is gone")]
    private static partial void LogGone(ILogger logger, string cgroup);
}
