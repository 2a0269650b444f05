using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ResCoin.GuestAgent;

/// <summary>
/// Queries many guests' agents concurrently, each with a timeout and all of them together within one
/// <see cref="GuestAgentMonitorOptions.SampleDeadline"/>, and treats every answer as untrusted: a report is accepted
/// only when it is well-formed, echoes the query's nonce, fits within the VM's maximum memory (or, where that is
/// unknown, the host's memory), is internally consistent and carries a sequence number newer than the last one
/// accepted from the same agent instance. A refused answer yields no number.
/// </summary>
public sealed partial class GuestAgentMonitor : IDisposable
{
    private readonly Dictionary<string, GuestAgentClient> _clients;
    private readonly ConcurrentDictionary<string, SequenceState> _sequences = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _concurrency;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _sampleDeadline;

    /// <summary>Creates a monitor.</summary>
    /// <param name="options">The endpoint map and bounds (copied; later changes are not seen).</param>
    /// <param name="timeProvider">The clock for timeouts (default <see cref="TimeProvider.System"/>).</param>
    /// <param name="logger">The logger.</param>
    public GuestAgentMonitor(GuestAgentMonitorOptions options, TimeProvider? timeProvider = null, ILogger<GuestAgentMonitor>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _sampleDeadline = options.SampleDeadline;
        HostMemoryBytes = options.HostMemoryBytes ?? ReadHostMemoryBytes();
        _concurrency = new SemaphoreSlim(options.MaxConcurrency, options.MaxConcurrency);
        _clients = new Dictionary<string, GuestAgentClient>(options.Agents.Count, StringComparer.Ordinal);
        foreach (KeyValuePair<string, GuestAgentEndpoint> pair in options.Agents)
        {
            _clients[pair.Key] = new GuestAgentClient(pair.Value, options.RequestTimeout, timeProvider);
        }
    }

    /// <summary>The host's memory in bytes: the bound of a report's <c>MemTotal</c> when the VM's maximum is unknown.</summary>
    public double HostMemoryBytes { get; }

    /// <summary>Whether an agent endpoint is configured for the VM.</summary>
    /// <param name="vm">The VM.</param>
    /// <returns>Whether it will be queried.</returns>
    public bool HasAgent(VmId vm) => _clients.ContainsKey(vm.Name);

    /// <summary>Queries one VM's agent and validates the answer.</summary>
    /// <param name="vm">The VM.</param>
    /// <param name="maxMemoryBytes">The VM's maximum memory in bytes; NaN, infinite or non-positive when unknown (then the host's memory bounds it).</param>
    /// <param name="cancellationToken">The caller's cancellation.</param>
    /// <returns>The outcome; a report only when every check passed.</returns>
    public Task<GuestAgentQueryResult> QueryAsync(VmId vm, double maxMemoryBytes, CancellationToken cancellationToken) =>
        QueryAsync(vm, maxMemoryBytes, cancellationToken, cancellationToken);

    private async Task<GuestAgentQueryResult> QueryAsync(VmId vm, double maxMemoryBytes, CancellationToken deadline, CancellationToken cancellationToken)
    {
        if (!_clients.TryGetValue(vm.Name, out GuestAgentClient? client))
        {
            return GuestAgentQueryResult.Failure(GuestAgentQueryStatus.NotConfigured, $"VM '{vm.Name}': no guest agent endpoint configured");
        }

        GuestAgentQueryResult result;
        bool started = false;
        try
        {
            await _concurrency.WaitAsync(deadline).ConfigureAwait(false);
            started = true;
            try
            {
                result = await client.QueryAsync(deadline).ConfigureAwait(false);
            }
            finally
            {
                _concurrency.Release();
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The sample's deadline passed (the caller did not cancel).
            result = GuestAgentQueryResult.Failure(
                GuestAgentQueryStatus.Timeout,
                $"{client.Endpoint}: {(started ? "no complete answer" : "no turn to ask")} within the sample deadline of {_sampleDeadline.TotalMilliseconds:0} ms");
        }

        if (result.IsSuccess)
        {
            result = Accept(vm.Name, result.Report, maxMemoryBytes);
        }

        if (!result.IsSuccess)
        {
            LogRefused(_logger, vm.Name, result.Status, result.Detail);
        }

        return result;
    }

    /// <summary>
    /// Queries several VMs' agents concurrently (bounded by <see cref="GuestAgentMonitorOptions.MaxConcurrency"/>), all
    /// together within <see cref="GuestAgentMonitorOptions.SampleDeadline"/>: it returns by then whatever the agents do,
    /// with <see cref="GuestAgentQueryStatus.Timeout"/> for every query not answered in time.
    /// </summary>
    /// <param name="vms">The VMs.</param>
    /// <param name="maxMemoryBytes">Per VM (same order), its maximum memory in bytes or NaN when unknown.</param>
    /// <param name="results">Per VM (same order), filled with the outcome.</param>
    /// <param name="cancellationToken">The caller's cancellation.</param>
    /// <returns>A task that completes when every query has an outcome.</returns>
    public async Task QueryManyAsync(ReadOnlyMemory<VmId> vms, ReadOnlyMemory<double> maxMemoryBytes, Memory<GuestAgentQueryResult> results, CancellationToken cancellationToken)
    {
        if (maxMemoryBytes.Length != vms.Length || results.Length != vms.Length)
        {
            throw new ArgumentException("vms, maxMemoryBytes and results must have the same length.", nameof(results));
        }

        var tasks = new Task<GuestAgentQueryResult>[vms.Length];
        using var deadline = new CancellationTokenSource(_sampleDeadline, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        for (int i = 0; i < tasks.Length; i++)
        {
            tasks[i] = QueryAsync(vms.Span[i], maxMemoryBytes.Span[i], linked.Token, cancellationToken);
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
        for (int i = 0; i < tasks.Length; i++)
        {
            results.Span[i] = tasks[i].Result;
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _concurrency.Dispose();

    /// <summary>Checks a report's plausibility (no state).</summary>
    /// <param name="report">The report.</param>
    /// <param name="maxMemoryBytes">The VM's maximum memory, or NaN/non-positive when unknown.</param>
    /// <param name="hostMemoryBytes">The host's memory: the bound when the VM's maximum is unknown.</param>
    internal static (GuestAgentQueryStatus Status, string? Detail) Check(in GuestMemoryReport report, double maxMemoryBytes, double hostMemoryBytes)
    {
        if (report.MemTotal == 0)
        {
            return (GuestAgentQueryStatus.Inconsistent, "MemTotal is 0");
        }

        if (double.IsFinite(maxMemoryBytes) && maxMemoryBytes > 0)
        {
            if (report.MemTotal > maxMemoryBytes)
            {
                return (GuestAgentQueryStatus.ExceedsMaximumMemory, $"MemTotal {report.MemTotal} bytes is more than the VM's maximum {maxMemoryBytes:0} bytes");
            }
        }
        else if (report.MemTotal > hostMemoryBytes)
        {
            return (GuestAgentQueryStatus.ExceedsMaximumMemory, $"MemTotal {report.MemTotal} bytes is more than the host's memory {hostMemoryBytes:0} bytes (the VM's maximum is unknown)");
        }

        if (report.MemFree > report.MemTotal)
        {
            return (GuestAgentQueryStatus.Inconsistent, $"MemFree {report.MemFree} > MemTotal {report.MemTotal}");
        }

        if (report.MemAvailable > report.MemTotal)
        {
            return (GuestAgentQueryStatus.Inconsistent, $"MemAvailable {report.MemAvailable} > MemTotal {report.MemTotal}");
        }

        if (report.Buffers > report.MemTotal || report.Cached > report.MemTotal)
        {
            return (GuestAgentQueryStatus.Inconsistent, $"Buffers {report.Buffers} or Cached {report.Cached} > MemTotal {report.MemTotal}");
        }

        if (report.SwapFree > report.SwapTotal)
        {
            return (GuestAgentQueryStatus.Inconsistent, $"SwapFree {report.SwapFree} > SwapTotal {report.SwapTotal}");
        }

        if (report.Sequence == 0)
        {
            return (GuestAgentQueryStatus.Inconsistent, "sequence number 0 (agents start at 1)");
        }

        return (GuestAgentQueryStatus.Ok, null);
    }

    private GuestAgentQueryResult Accept(string vm, GuestMemoryReport report, double maxMemoryBytes)
    {
        (GuestAgentQueryStatus status, string? detail) = Check(report, maxMemoryBytes, HostMemoryBytes);
        if (status != GuestAgentQueryStatus.Ok)
        {
            return GuestAgentQueryResult.Failure(status, $"VM '{vm}': {detail}");
        }

        SequenceState state = _sequences.GetOrAdd(vm, static _ => new SequenceState());
        lock (state)
        {
            if (state.HasValue && state.InstanceId == report.InstanceId && report.Sequence <= state.Sequence)
            {
                return GuestAgentQueryResult.Failure(
                    GuestAgentQueryStatus.StaleSequence,
                    $"VM '{vm}': sequence {report.Sequence} is not newer than {state.Sequence} already accepted from this agent");
            }

            state.HasValue = true;
            state.InstanceId = report.InstanceId;
            state.Sequence = report.Sequence;
        }

        return new GuestAgentQueryResult { Status = GuestAgentQueryStatus.Ok, Report = report };
    }

    /// <summary>MemTotal of the host's /proc/meminfo in bytes; where unreadable, the memory the runtime sees.</summary>
    internal static double ReadHostMemoryBytes()
    {
        try
        {
            if (MemInfoParser.TryParse(File.ReadAllText("/proc/meminfo"), out MemInfoValues values, out _) && values.MemTotal > 0)
            {
                return values.MemTotal;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Fall through to the runtime's figure.
        }

        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return available > 0 ? available : 1L << 40;
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Debug, Message = "Guest agent of VM {Vm} gave no usable answer: {Status}: {Detail}")]
    private static partial void LogRefused(ILogger logger, string vm, GuestAgentQueryStatus status, string? detail);

    private sealed class SequenceState
    {
        public bool HasValue;
        public ulong InstanceId;
        public ulong Sequence;
    }
}
