using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ResCoin.GuestAgent;

/// <summary>
/// An <see cref="IMonitor"/> that wraps another (e.g. the libvirt monitor) and, for every VM whose agent
/// answers validly, replaces <see cref="VmSample.Usage"/>.<see cref="ResourceVector.Memory"/> with the
/// guest-reported used memory (MemTotal − MemAvailable). Where the agent is not configured or its answer is
/// refused, the inner monitor's value stays.
/// </summary>
public sealed partial class GuestMemoryOverlayMonitor : IMonitor
{
    private readonly IMonitor _inner;
    private readonly GuestAgentMonitor _agents;
    private readonly ILogger _logger;
    private VmId[] _ids = [];
    private double[] _max = [];
    private int[] _index = [];
    private GuestAgentQueryResult[] _results = [];

    /// <summary>Creates the overlay.</summary>
    /// <param name="inner">The monitor whose samples are overlaid.</param>
    /// <param name="agents">The agents to ask.</param>
    /// <param name="logger">The logger.</param>
    public GuestMemoryOverlayMonitor(IMonitor inner, GuestAgentMonitor agents, ILogger<GuestMemoryOverlayMonitor>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(agents);
        _inner = inner;
        _agents = agents;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>How many VMs got the guest-reported figure in the last sample.</summary>
    public int LastOverlaidCount { get; private set; }

    /// <summary>How many VMs with a configured agent kept the inner figure in the last sample (no valid answer).</summary>
    public int LastFallbackCount { get; private set; }

    /// <inheritdoc/>
    public async ValueTask SampleAsync(HostSnapshot snapshot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        await _inner.SampleAsync(snapshot, cancellationToken).ConfigureAwait(false);
        int count = Collect(snapshot);
        if (count == 0)
        {
            LastOverlaidCount = 0;
            LastFallbackCount = 0;
            return;
        }

        await _agents.QueryManyAsync(_ids.AsMemory(0, count), _max.AsMemory(0, count), _results.AsMemory(0, count), cancellationToken).ConfigureAwait(false);
        int overlaid = 0;
        Span<VmSample> vms = snapshot.Vms;
        for (int i = 0; i < count; i++)
        {
            ref readonly GuestAgentQueryResult result = ref _results[i];
            int index = _index[i];
            if (result.IsSuccess && index < vms.Length && vms[index].Id == _ids[i])
            {
                vms[index].Usage.Memory = result.UsedMemoryBytes;
                overlaid++;
            }
        }

        Array.Clear(_results, 0, count);
        LastOverlaidCount = overlaid;
        LastFallbackCount = count - overlaid;
        if (overlaid < count)
        {
            LogFallback(_logger, count - overlaid, count);
        }
    }

    private int Collect(HostSnapshot snapshot)
    {
        Span<VmSample> vms = snapshot.Vms;
        int count = 0;
        for (int i = 0; i < vms.Length; i++)
        {
            if (_agents.HasAgent(vms[i].Id))
            {
                count++;
            }
        }

        if (_ids.Length < count)
        {
            _ids = new VmId[count];
            _max = new double[count];
            _index = new int[count];
            _results = new GuestAgentQueryResult[count];
        }

        int n = 0;
        for (int i = 0; i < vms.Length; i++)
        {
            if (_agents.HasAgent(vms[i].Id))
            {
                _ids[n] = vms[i].Id;
                _max[n] = vms[i].Limit.Memory;
                _index[n] = i;
                n++;
            }
        }

        return n;
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Debug, Message = "{Fallback} of {Count} guest agents gave no usable answer; their VMs keep the inner monitor's memory figure")]
    private static partial void LogFallback(ILogger logger, int fallback, int count);
}
