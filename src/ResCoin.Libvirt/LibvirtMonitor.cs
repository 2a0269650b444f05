using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ResCoin.Libvirt.Native;

namespace ResCoin.Libvirt;

/// <summary>
/// Measures every running VM of a libvirt host with one <c>virConnectGetAllDomainStats</c> call per period:
/// CPU in cores from <c>cpu.time</c> deltas over measured wall time, guest-used memory from balloon statistics
/// (with <c>last-update</c> staleness and fallbacks), disk and network bytes/s summed over devices, CPU pressure
/// (<see cref="VmSample.Pressure"/>) from the vCPUs' run-queue delay (<c>vcpu.N.delay</c>).
/// Counter resets (a VM restarted) yield NaN for one period, never a negative or huge rate.
/// </summary>
public sealed partial class LibvirtMonitor : IMonitor, IDisposable
{
    private readonly uint _statsMask;
    private readonly bool _processCpu;
    private bool _needLibvirtCpu = true; // the first sample asks libvirtd too, for the VMs whose process is not found
    private bool _needLibvirtVcpu = true; // likewise for the vCPU threads' times (the first detailed sample)
    private readonly LibvirtOptions _options;
    private readonly DomainFacts? _facts;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly LibvirtConnection _connection;
    private readonly List<VmState> _vms = [];
    private int _nodeGeneration = -1;
    private double _nodeCpus = double.NaN;
    private double _nodeMemoryBytes = double.NaN;
    private long _lastSampleTimestamp;
    private long _lastDetailTimestamp;
    private long _lastBalloonTimestamp;
    private int _generation;
    private long _runStamp;
    private int _statsConnectionGeneration = -1;

    /// <summary>Creates a monitor; the connection is opened on the first sample.</summary>
    /// <param name="options">The options.</param>
    /// <param name="timeProvider">The clock (default <see cref="TimeProvider.System"/>).</param>
    /// <param name="logger">The logger.</param>
    public LibvirtMonitor(LibvirtOptions options, TimeProvider? timeProvider = null, ILogger<LibvirtMonitor>? logger = null)
        : this(options, timeProvider, logger, null)
    {
    }

    /// <summary>Creates a monitor that also hands each sample's domain facts to the actuator of the same host.</summary>
    internal LibvirtMonitor(LibvirtOptions options, TimeProvider? timeProvider, ILogger<LibvirtMonitor>? logger, DomainFacts? facts)
    {
        ArgumentNullException.ThrowIfNull(options);
        LibvirtOptionsValidator.ThrowIfInvalid(options);
        _options = options;
        _facts = facts;
        _statsMask = StatsMask(options.MonitoredResources);
        _processCpu = (_statsMask & NativeMethods.StatsCpuTotal) != 0 && !string.IsNullOrEmpty(options.QemuRunDirectory)
            && IsLocal(options.ConnectionUri) && OperatingSystem.IsLinux();
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _connection = new LibvirtConnection(options.ConnectionUri, _time, _logger,
            TimeSpan.FromSeconds(options.ReconnectMinDelaySeconds), TimeSpan.FromSeconds(options.ReconnectMaxDelaySeconds),
            TimeSpan.FromSeconds(options.CallTimeoutSeconds));
    }

    /// <inheritdoc/>
    public ValueTask SampleAsync(HostSnapshot snapshot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        cancellationToken.ThrowIfCancellationRequested();
        Sample(snapshot);
        return ValueTask.CompletedTask;
    }

    /// <summary>Closes the connection and the QEMU processes' stat files.</summary>
    public void Dispose()
    {
        foreach (VmState vm in _vms)
        {
            vm.Dispose();
        }

        _vms.Clear();
        _connection.Dispose();
    }

    /// <summary>The statistics groups the last sample asked libvirtd for.</summary>
    internal uint LastStatsMask { get; private set; }

    /// <summary>Whether a connection URI names the local host (no host between <c>://</c> and the path).</summary>
    internal static bool IsLocal(string uri)
    {
        int scheme = uri.IndexOf("://", StringComparison.Ordinal);
        return scheme >= 0 && uri.AsSpan(scheme + 3).StartsWith("/");
    }

    private unsafe void Sample(HostSnapshot snapshot)
    {
        ConnectionHandle conn = _connection.Acquire();
        if (_nodeGeneration != _connection.Generation)
        {
            NodeInfo node = _connection.Call("virNodeGetInfo", () => LibvirtApi.GetNodeInfo(conn));
            _nodeCpus = node.Cpus;
            _nodeMemoryBytes = node.MemoryKiB.Value * 1024.0;
            _nodeGeneration = _connection.Generation;
        }

        long t0 = _time.GetTimestamp();
        // The slow groups (vCPUs, block, interfaces) at most every SlowStatsIntervalSeconds (a 10 % early margin, so a
        // period's jitter does not push them a whole period later).
        bool detailed = _lastDetailTimestamp == 0 || _options.SlowStatsIntervalSeconds <= 0
            || _time.GetElapsedTime(_lastDetailTimestamp, t0).TotalSeconds >= _options.SlowStatsIntervalSeconds * 0.9;

        // The balloon group (a QEMU round trip per VM) at most once per guest statistics period, which the monitor set
        // itself: in between, the guest has nothing new to say. Read again at once after the actuator moved a balloon.
        bool memoryChanged = _facts?.TakeMemoryChanged() ?? false;
        bool balloon = _lastBalloonTimestamp == 0 || _options.MemoryStatsPeriodSeconds <= 0 || memoryChanged
            || _time.GetElapsedTime(_lastBalloonTimestamp, t0).TotalSeconds >= _options.MemoryStatsPeriodSeconds * 0.9;

        uint mask = detailed ? _statsMask : _statsMask & FastStatsMask;
        if (_processCpu && !_needLibvirtCpu)
        {
            mask &= ~NativeMethods.StatsCpuTotal; // every VM's CPU time comes from its QEMU process
        }

        if (_processCpu && !_needLibvirtVcpu)
        {
            mask &= ~NativeMethods.StatsVcpu; // and the vCPU threads' run and wait times from their schedstat files
        }

        if (!balloon)
        {
            mask &= ~NativeMethods.StatsBalloon;
        }

        // A quiet period on a local host: when the call would ask for nothing but the domains' states, and the QEMU run
        // directory shows no domain started, stopped, paused or resumed since the last call (libvirtd rewrites a domain's
        // status file there on each of these), libvirtd is not asked at all: the CPU times come from the processes and
        // the rest is repeated. Read before the call, so a change during it is seen by the next period.
        long runStamp = _processCpu ? QemuProcess.DirectoryStamp(_options.QemuRunDirectory) : 0;
        if ((mask & ~NativeMethods.StatsState) == 0 && runStamp != 0 && runStamp == _runStamp
            && _statsConnectionGeneration == _connection.Generation && TrySampleQuiet(snapshot, t0))
        {
            LastStatsMask = 0;
            return;
        }

        LastStatsMask = mask;

        // On the connection's call gate: a hung libvirtd costs the call deadline, not the loop.
        StatsResult result;
        try
        {
            result = _connection.Call("virConnectGetAllDomainStats", () => GetAllDomainStats(conn, mask), static r => NativeMethods.virDomainStatsRecordListFree(r.Records));
        }
        catch (Exception ex) when (ex is LibvirtException or LibvirtTimeoutException)
        {
            if (memoryChanged)
            {
                _facts!.MarkMemoryChanged(); // the moved balloon was not read: the next sample still must
            }

            if (ex is LibvirtException)
            {
                _connection.CheckAlive(conn);
            }

            throw;
        }

        int n = result.Count;
        DomainStatsRecord** records = result.Records;
        long t1 = _time.GetTimestamp();

        long now = t0 + ((t1 - t0) / 2);
        if (detailed)
        {
            _lastDetailTimestamp = t0;
        }

        bool balloonRead = (mask & NativeMethods.StatsBalloon) != 0;
        if (balloonRead)
        {
            _lastBalloonTimestamp = t0;
        }

        BeginSnapshot(snapshot, now);
        int generation = ++_generation;
        double unixNow = snapshot.Timestamp.ToUnixTimeMilliseconds() / 1000.0;
        _facts?.Begin(snapshot.Timestamp);
        bool needLibvirtCpu = false;
        bool needLibvirtVcpu = !_processCpu;
        try
        {
            for (int i = 0; i < n; i++)
            {
                DomainStatsRecord* r = records[i];
                DomainStats stats = DomainStatsParser.Parse(new ReadOnlySpan<TypedParameter>(r->Parameters, r->Count));
                if (stats.State is not double.NaN && (int)stats.State != NativeMethods.DomainRunning)
                {
                    continue;
                }

                byte* namePtr = NativeMethods.virDomainGetName(r->Domain);
                if (namePtr is null)
                {
                    continue;
                }

                var name = System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpanFromNullTerminated(namePtr);
                VmState vm = FindOrAdd(name, r->Domain);
                vm.Generation = generation;
                uint id = NativeMethods.virDomainGetID(r->Domain);
                bool fromProcess = _processCpu && ReadProcessCpu(vm, id, ref stats);
                needLibvirtCpu |= _processCpu && !fromProcess;
                bool vcpuFromProcess = false;
                if (detailed && fromProcess && (_statsMask & NativeMethods.StatsVcpu) != 0)
                {
                    vcpuFromProcess = ReadProcessVcpus(vm, ref stats);
                    needLibvirtVcpu |= !vcpuFromProcess;
                }

                ref VmSample sample = ref snapshot.Add(vm.Id);
                vm.Update(ref sample, in stats, id, now, unixNow, _time, _options.BalloonStatsMaxAgeSeconds, detailed, fromProcess, balloonRead, vcpuFromProcess);
                _facts?.Set(vm.Id, new DomainFacts.Fact(id, ToCount(vm.Vcpus), ToKiB(vm.BalloonCurrentKiB), ToKiB(vm.BalloonMaximumKiB)));
                MaybeSetStatsPeriod(vm, r->Domain, in stats, id);
            }
        }
        finally
        {
            NativeMethods.virDomainStatsRecordListFree(records);
        }

        _needLibvirtCpu = needLibvirtCpu;
        if (detailed)
        {
            _needLibvirtVcpu = needLibvirtVcpu;
        }

        _runStamp = runStamp;
        _statsConnectionGeneration = _connection.Generation;

        // VMs that stopped or vanished since the last period are forgotten (their counters restart if they come back).
        for (int i = _vms.Count - 1; i >= 0; i--)
        {
            if (_vms[i].Generation != generation)
            {
                _vms[i].Dispose();
                _vms.RemoveAt(i);
            }
        }
    }

    private void BeginSnapshot(HostSnapshot snapshot, long now)
    {
        snapshot.Timestamp = _time.GetUtcNow();
        snapshot.Interval = _lastSampleTimestamp == 0 ? TimeSpan.Zero : _time.GetElapsedTime(_lastSampleTimestamp, now);
        _lastSampleTimestamp = now;
        // The raw host capacity: what is kept for the host itself is ResCoinOptions.Reserve, which the controller
        // subtracts (one source of truth; subtracting a reserve here as well would take it twice).
        snapshot.HostCapacity = new ResourceVector(
            _nodeCpus,
            _nodeMemoryBytes,
            CapacityOrNaN(_options.DiskReadCapacity),
            CapacityOrNaN(_options.DiskWriteCapacity),
            CapacityOrNaN(_options.NetRxCapacity),
            CapacityOrNaN(_options.NetTxCapacity));
    }

    /// <summary>
    /// A sample without libvirtd: the VMs of the last call, each one's CPU time from its QEMU process, everything else
    /// repeated from the last call (as in a period without the slow groups). False, with nothing written, when a VM's
    /// process cannot be read (it exited: the caller asks libvirtd, which knows why).
    /// </summary>
    private bool TrySampleQuiet(HostSnapshot snapshot, long t0)
    {
        foreach (VmState vm in _vms)
        {
            double ns = vm.Process?.ReadCpuNs() ?? double.NaN;
            if (double.IsNaN(ns))
            {
                return false;
            }

            vm.QuietCpuNs = ns;
        }

        long now = t0 + ((_time.GetTimestamp() - t0) / 2);
        BeginSnapshot(snapshot, now);
        int generation = ++_generation;
        double unixNow = snapshot.Timestamp.ToUnixTimeMilliseconds() / 1000.0;
        _facts?.Begin(snapshot.Timestamp);
        foreach (VmState vm in _vms)
        {
            DomainStats stats = DomainStats.Empty;
            stats.CpuTimeNs = vm.QuietCpuNs;
            vm.Generation = generation;
            ref VmSample sample = ref snapshot.Add(vm.Id);
            vm.Update(ref sample, in stats, vm.ProcessForId, now, unixNow, _time, _options.BalloonStatsMaxAgeSeconds, detailed: false, cpuFromProcess: true, balloonRead: false);
            _facts?.Set(vm.Id, new DomainFacts.Fact(vm.ProcessForId, ToCount(vm.Vcpus), ToKiB(vm.BalloonCurrentKiB), ToKiB(vm.BalloonMaximumKiB)));
        }

        return true;
    }

    /// <summary>
    /// The VM's CPU time from its QEMU process into <paramref name="stats"/>; false when the process is not known or cannot
    /// be read (then libvirtd's <c>cpu.time</c>, when the sample carries it, is used, and the next sample asks for it).
    /// The process is looked up once per domain id.
    /// </summary>
    private bool ReadProcessCpu(VmState vm, uint domainId, ref DomainStats stats)
    {
        if (vm.ProcessForId != domainId)
        {
            vm.SetProcess(QemuProcess.TryOpen(_options.QemuRunDirectory, vm.Id.Name), domainId);
            if (vm.Process is null)
            {
                LogProcessCpuUnavailable(_logger, vm.Id.Name, _options.QemuRunDirectory);
            }
        }

        double ns = vm.Process?.ReadCpuNs() ?? double.NaN;
        if (double.IsNaN(ns))
        {
            vm.SetProcess(null, domainId); // gone: through libvirtd until the domain id changes
            return false;
        }

        stats.CpuTimeNs = ns;
        return true;
    }

    /// <summary>
    /// The vCPU threads' run and wait times and count from the QEMU process into <paramref name="stats"/> (found again at
    /// every detailed sample); false when they cannot be read (then libvirtd's <c>vcpu</c> group, when the sample carries
    /// it, is used, and the next detailed sample asks for it). This replaces the group that cost libvirtd 0.35 ms per VM
    /// per call on the development host (docs/design.md, "What a period costs the host").
    /// </summary>
    private static bool ReadProcessVcpus(VmState vm, ref DomainStats stats)
    {
        QemuProcess? process = vm.Process;
        if (process is null || !process.FindVcpus() || !process.ReadVcpuTimes(out double runNs, out double waitNs))
        {
            return false;
        }

        stats.VcpuTimeNs = runNs;
        stats.VcpuDelayNs = waitNs;
        stats.VcpuCurrent = process.VcpuCount;
        stats.VcpuMaximum = double.NaN;
        return true;
    }

    private readonly unsafe struct StatsResult(int count, DomainStatsRecord** records)
    {
        public int Count { get; } = count;

        public DomainStatsRecord** Records { get; } = records;
    }

    private static double CapacityOrNaN(double value) => value > 0 ? value : double.NaN;

    private static int ToCount(double value) => value is > 0 and < int.MaxValue ? (int)value : 0;

    private static ulong ToKiB(double value) => value is > 0 and < ulong.MaxValue ? (ulong)value : 0;

    /// <summary>The groups asked for every period: the state, <c>cpu.time</c> and the balloon.</summary>
    internal const uint FastStatsMask = NativeMethods.StatsState | NativeMethods.StatsCpuTotal | NativeMethods.StatsBalloon;

    /// <summary>
    /// The statistics groups the resources need: the state always; <c>cpu.time</c> and the vCPUs (count, run and wait
    /// times) for CPU; the balloon for memory; the block devices for disk; the interfaces for network. Each group that
    /// needs QEMU (balloon, block) costs libvirtd a monitor round trip per VM.
    /// </summary>
    internal static uint StatsMask(ResourceSet resources)
    {
        uint mask = NativeMethods.StatsState;
        if (resources.Contains(ResourceKind.Cpu))
        {
            mask |= NativeMethods.StatsCpuTotal | NativeMethods.StatsVcpu;
        }

        if (resources.Contains(ResourceKind.Memory))
        {
            mask |= NativeMethods.StatsBalloon;
        }

        if (resources.Contains(ResourceKind.DiskRead) || resources.Contains(ResourceKind.DiskWrite))
        {
            mask |= NativeMethods.StatsBlock;
        }

        if (resources.Contains(ResourceKind.NetRx) || resources.Contains(ResourceKind.NetTx))
        {
            mask |= NativeMethods.StatsInterface;
        }

        return mask;
    }

    private static unsafe StatsResult GetAllDomainStats(ConnectionHandle conn, uint mask)
    {
        int n = NativeMethods.virConnectGetAllDomainStats(conn, mask, out DomainStatsRecord** records, NativeMethods.ListRunning);
        return n < 0 ? throw LibvirtApi.LastError("virConnectGetAllDomainStats") : new StatsResult(n, records);
    }

    private unsafe VmState FindOrAdd(ReadOnlySpan<byte> name, nint domain)
    {
        // The UUID tells a VM re-created under the same name from the one measured before (its counters start again).
        byte* raw = stackalloc byte[16];
        Guid uuid = NativeMethods.virDomainGetUUID(domain, raw) == 0 ? new Guid(new ReadOnlySpan<byte>(raw, 16), bigEndian: true) : Guid.Empty;
        for (int i = 0; i < _vms.Count; i++)
        {
            VmState vm = _vms[i];
            if (name.SequenceEqual(vm.NameUtf8))
            {
                if (vm.Id.Uuid == uuid)
                {
                    return vm;
                }

                vm.Dispose();
                _vms.RemoveAt(i);
                break;
            }
        }

        var added = new VmState(name.ToArray(), uuid);
        _vms.Add(added);
        LogVmAppeared(_logger, added.Id.Name);
        return added;
    }

    private void MaybeSetStatsPeriod(VmState vm, nint domain, in DomainStats stats, uint id)
    {
        if (_options.MemoryStatsPeriodSeconds <= 0 || stats.HasGuestMemoryStats || double.IsNaN(stats.BalloonCurrentKiB) || vm.StatsPeriodSetForId == id)
        {
            return;
        }

        vm.StatsPeriodSetForId = id;
        int seconds = _options.MemoryStatsPeriodSeconds;
        string name = vm.Id.Name;
        try
        {
            // On the call gate like every libvirt call (the error is read on the thread that made the call). The call
            // holds its own reference on the domain: the stats records may be freed while a given-up call still runs.
            _ = NativeMethods.virDomainRef(domain);
            _connection.Call("virDomainSetMemoryStatsPeriod(" + name + ")", () =>
            {
                try
                {
                    if (NativeMethods.virDomainSetMemoryStatsPeriod(domain, seconds, NativeMethods.AffectLive) < 0)
                    {
                        throw LibvirtApi.LastError($"virDomainSetMemoryStatsPeriod({name})");
                    }
                }
                finally
                {
                    _ = NativeMethods.virDomainFree(domain);
                }

                return true;
            });
            LogStatsPeriodSet(_logger, name, seconds);
        }
        catch (Exception ex) when (ex is LibvirtException or LibvirtTimeoutException)
        {
            LogStatsPeriodFailed(_logger, name, ex.Message);
        }
    }

    [LoggerMessage(EventId = 4, Level = LogLevel.Debug, Message = "VM {Vm}: no readable QEMU process from the pid file in {RunDirectory}; its CPU time comes from libvirtd")]
    private static partial void LogProcessCpuUnavailable(ILogger logger, string vm, string runDirectory);

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "VM {Vm} is running; monitoring it")]
    private static partial void LogVmAppeared(ILogger logger, string vm);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "VM {Vm}: set the balloon statistics period to {Seconds} s")]
    private static partial void LogStatsPeriodSet(ILogger logger, string vm, int seconds);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "VM {Vm}: cannot set the balloon statistics period (memory falls back to RSS): {Error}")]
    private static partial void LogStatsPeriodFailed(ILogger logger, string vm, string error);

    /// <summary>The counters of one VM from the previous period.</summary>
    internal sealed class VmState : IDisposable
    {
        public VmState(byte[] nameUtf8)
            : this(nameUtf8, Guid.Empty)
        {
        }

        public VmState(byte[] nameUtf8, Guid uuid)
        {
            NameUtf8 = nameUtf8;
            string name = System.Text.Encoding.UTF8.GetString(nameUtf8);
            Id = uuid == Guid.Empty ? new VmId(name) : new VmId(name, uuid);
        }

        public byte[] NameUtf8 { get; }

        public VmId Id { get; }

        public int Generation { get; set; }

        public uint StatsPeriodSetForId { get; set; } = uint.MaxValue;

        /// <summary>The VM's QEMU process when its CPU time is read from <c>/proc</c>; null otherwise.</summary>
        public QemuProcess? Process { get; private set; }

        /// <summary>The domain id <see cref="Process"/> was looked up for (<see cref="uint.MaxValue"/>: never).</summary>
        public uint ProcessForId { get; private set; } = uint.MaxValue;

        public void SetProcess(QemuProcess? process, uint domainId)
        {
            if (!ReferenceEquals(process, Process))
            {
                Process?.Dispose();
            }

            Process = process;
            ProcessForId = domainId;
        }

        public void Dispose() => SetProcess(null, uint.MaxValue);

        /// <summary>The CPU time read in a quiet period, between the check of every VM and the samples.</summary>
        public double QuietCpuNs { get; set; }

        private bool _hasPrevious;
        private bool _cpuFromProcess;
        private bool _vcpuFromProcess;
        private double _memoryUsed = double.NaN;
        private bool _hasDetail;
        private uint _domainId;
        private long _timestamp;
        private long _detailTimestamp;
        private double _cpuNs;
        private double _diskReadRate = double.NaN;
        private double _diskWriteRate = double.NaN;
        private double _netRxRate = double.NaN;
        private double _netTxRate = double.NaN;
        private double _pressure = double.NaN;
        private double _vcpus = double.PositiveInfinity;
        private double _vcpuDelayNs;
        private double _vcpuTimeNs;
        private int _blockCount;
        private double _blockRd;
        private double _blockWr;
        private int _netCount;
        private double _netRx;
        private double _netTx;

        /// <summary>The balloon's current size in KiB as last read (NaN when not known).</summary>
        public double BalloonCurrentKiB { get; private set; } = double.NaN;

        /// <summary>The VM's maximum memory in KiB as last read (NaN when not known).</summary>
        public double BalloonMaximumKiB { get; private set; } = double.NaN;

        /// <summary>The VM's vCPUs as last read (0 when not known yet).</summary>
        public double Vcpus => double.IsFinite(_vcpus) ? _vcpus : 0;

        /// <summary>Fills a sample from this period's stats and the previous period's counters (every group present).</summary>
        public void Update(ref VmSample sample, in DomainStats stats, uint domainId, long timestamp, double unixNowSeconds, TimeProvider time, double maxAgeSeconds)
            => Update(ref sample, stats, domainId, timestamp, unixNowSeconds, time, maxAgeSeconds, detailed: true);

        /// <summary>
        /// Fills a sample from this period's stats and the previous counters. Without <paramref name="detailed"/> the stats
        /// carry no vCPU, block or interface groups: the last pressure, vCPU count and disk/network rates are repeated, and
        /// the next detailed sample's rates cover the whole interval since the last one. <paramref name="cpuFromProcess"/> says
        /// where <c>CpuTimeNs</c> came from (the QEMU process or libvirtd): two different counters, so a change of source
        /// gives no CPU rate for that period.
        /// </summary>
        public void Update(ref VmSample sample, in DomainStats stats, uint domainId, long timestamp, double unixNowSeconds, TimeProvider time, double maxAgeSeconds, bool detailed, bool cpuFromProcess = false, bool balloonRead = true, bool vcpuFromProcess = false)
        {
            // A different domain id means the VM was restarted: its counters started again from 0.
            bool restarted = _hasPrevious && domainId != _domainId;
            if (restarted)
            {
                _hasDetail = false;
                _diskReadRate = _diskWriteRate = _netRxRate = _netTxRate = _pressure = double.NaN;
                _vcpus = double.PositiveInfinity;
                _memoryUsed = BalloonCurrentKiB = BalloonMaximumKiB = double.NaN;
            }

            double seconds = _hasPrevious && !restarted ? time.GetElapsedTime(_timestamp, timestamp).TotalSeconds : 0;
            bool haveInterval = seconds > 1e-3;
            sample.Usage.Cpu = haveInterval && cpuFromProcess == _cpuFromProcess ? Rate(stats.CpuTimeNs, _cpuNs, seconds) / 1e9 : double.NaN;

            if (balloonRead)
            {
                bool fresh = stats.BalloonLastUpdate > 0 && unixNowSeconds - stats.BalloonLastUpdate <= maxAgeSeconds;
                _memoryUsed = stats.GuestUsedBytes(fresh);
                BalloonCurrentKiB = stats.BalloonCurrentKiB;
                BalloonMaximumKiB = stats.BalloonMaximumKiB;
            }

            // Without the balloon group this period: the last figures (the guest refreshes them once per stats period).
            sample.Usage.Memory = _memoryUsed;

            if (detailed)
            {
                double detailSeconds = _hasDetail ? time.GetElapsedTime(_detailTimestamp, timestamp).TotalSeconds : 0;
                bool haveDetail = detailSeconds > 1e-3;
                _diskReadRate = haveDetail && stats.BlockCount == _blockCount ? Rate(stats.BlockReadBytes, _blockRd, detailSeconds) : double.NaN;
                _diskWriteRate = haveDetail && stats.BlockCount == _blockCount ? Rate(stats.BlockWriteBytes, _blockWr, detailSeconds) : double.NaN;
                _netRxRate = haveDetail && stats.NetCount == _netCount ? Rate(stats.NetRxBytes, _netRx, detailSeconds) : double.NaN;
                _netTxRate = haveDetail && stats.NetCount == _netCount ? Rate(stats.NetTxBytes, _netTx, detailSeconds) : double.NaN;

                // CPU pressure: the share of the vCPUs' demand that was not served, delay / (run + delay) over the interval,
                // where delay is the time they were runnable but waiting for a host CPU (vcpu.N.delay; throttling by a
                // quota included) and run the time they ran (vcpu.N.time). Demand ~ usage / (1 - pressure).
                // The vCPU times come from the threads' schedstat or from libvirtd (stat and sched files): across a change of
                // source the deltas mean nothing, so no pressure that period.
                _pressure = haveDetail && vcpuFromProcess == _vcpuFromProcess ? UnservedShare(stats.VcpuTimeNs - _vcpuTimeNs, stats.VcpuDelayNs - _vcpuDelayNs) : double.NaN;
                double vcpus = stats.VcpuCurrent > 0 ? stats.VcpuCurrent : stats.VcpuMaximum;
                _vcpus = vcpus > 0 ? vcpus : double.PositiveInfinity;

                _hasDetail = true;
                _detailTimestamp = timestamp;
                _vcpuDelayNs = stats.VcpuDelayNs;
                _vcpuTimeNs = stats.VcpuTimeNs;
                _vcpuFromProcess = vcpuFromProcess;
                _blockCount = stats.BlockCount;
                _blockRd = stats.BlockReadBytes;
                _blockWr = stats.BlockWriteBytes;
                _netCount = stats.NetCount;
                _netRx = stats.NetRxBytes;
                _netTx = stats.NetTxBytes;
            }

            sample.Usage.DiskRead = _diskReadRate;
            sample.Usage.DiskWrite = _diskWriteRate;
            sample.Usage.NetRx = _netRxRate;
            sample.Usage.NetTx = _netTxRate;
            sample.Pressure.Cpu = _pressure;
            sample.Limit = ResourceVector.Fill(double.PositiveInfinity);
            sample.Limit.Cpu = _vcpus;
            sample.Limit.Memory = BalloonMaximumKiB > 0 ? BalloonMaximumKiB * 1024 : double.PositiveInfinity;

            _hasPrevious = true;
            _domainId = domainId;
            _timestamp = timestamp;
            _cpuNs = stats.CpuTimeNs;
            _cpuFromProcess = cpuFromProcess;
        }

        /// <summary>
        /// The unserved share of CPU demand from the vCPUs' run and wait deltas: delay / (run + delay), in [0, 1];
        /// 0 when the vCPUs neither ran nor waited (no demand), NaN when a counter is missing or went backwards.
        /// </summary>
        internal static double UnservedShare(double runDeltaNs, double delayDeltaNs)
        {
            if (!(runDeltaNs >= 0) || !(delayDeltaNs >= 0))
            {
                return double.NaN;
            }

            double demand = runDeltaNs + delayDeltaNs;
            return demand > 0 ? Math.Clamp(delayDeltaNs / demand, 0, 1) : 0;
        }

        /// <summary>A counter's rate; NaN when either value is missing or the counter went backwards (reset).</summary>
        internal static double Rate(double current, double previous, double seconds)
        {
            if (double.IsNaN(current) || double.IsNaN(previous) || current < previous || seconds <= 0)
            {
                return double.NaN;
            }

            return (current - previous) / seconds;
        }
    }
}
