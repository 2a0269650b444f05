using Microsoft.Extensions.Logging;

namespace ResCoin.Scheduling.Tests;

/// <summary>A scripted monitor: reports the VMs in <see cref="Vms"/> with their usage, or throws when asked to.</summary>
internal sealed class FakeMonitor(TimeProvider time) : IMonitor
{
    public Dictionary<string, ResourceVector> Vms { get; } = new(StringComparer.Ordinal);

    public ResourceVector HostCapacity { get; set; } = new(8, 16e9, 1e8, 1e8, 1e8, 1e8);

    public Exception? Throw { get; set; }

    /// <summary>When set, the next sample hangs until its token is cancelled (a hung libvirtd).</summary>
    public bool Hang { get; set; }

    public int Calls => _calls;

    /// <summary>Runs synchronously inside every sample (e.g. advances a fake clock: a sample that takes that long).</summary>
    public Action? During { get; set; }

    /// <summary>The name of the thread the last sample was taken on.</summary>
    public string? ThreadName { get; private set; }

    private int _calls;

    public async ValueTask SampleAsync(HostSnapshot snapshot, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        ThreadName = Thread.CurrentThread.Name;
        During?.Invoke();
        if (Hang)
        {
            Hang = false;
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        if (Throw is { } ex)
        {
            Throw = null;
            throw ex;
        }

        snapshot.Timestamp = time.GetUtcNow();
        snapshot.HostCapacity = HostCapacity;
        foreach (KeyValuePair<string, ResourceVector> vm in Vms)
        {
            ref VmSample s = ref snapshot.Add(new VmId(vm.Key));
            s.Usage = vm.Value;
        }
    }
}

/// <summary>Records every plan it is given (copied) and every restore.</summary>
internal sealed class FakeActuator : IActuator
{
    public List<(VmId Vm, ResourceVector Allocation)[]> Plans { get; } = [];

    public List<bool> DryRuns { get; } = [];

    public List<ResourceSet> Resources { get; } = [];

    /// <summary>Plans and restores in the order they came: 'A' for an apply, 'R' for a restore.</summary>
    public List<char> Calls { get; } = [];

    public int Restores => _restores;

    public Exception? Throw { get; set; }

    private int _restores;

    public ValueTask ApplyAsync(AllocationPlan plan, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (Throw is { } ex)
        {
            Throw = null;
            throw ex;
        }

        var copy = new (VmId, ResourceVector)[plan.Count];
        for (int i = 0; i < plan.Count; i++)
        {
            copy[i] = (plan.Vms[i], plan.Caps[i]);
        }

        lock (Plans)
        {
            Plans.Add(copy);
            DryRuns.Add(plan.DryRun);
            Resources.Add(plan.Resources);
            Calls.Add('A');
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask RestoreAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _restores);
        lock (Plans)
        {
            Calls.Add('R');
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>A predictor that predicts the last value (NaN repeats), so tests can compute expected values by hand.</summary>
internal sealed class EchoPredictor : IPredictor
{
    private readonly double[][] _last = Enumerable.Range(0, ResourceKinds.Count).Select(_ => new double[1024]).ToArray();

    public string Name => "echo";

    public List<int> Resets { get; } = [];

    public Exception? Throw { get; set; }

    public void Reset(int slot)
    {
        Resets.Add(slot);
        foreach (double[] a in _last)
        {
            a[slot] = 0;
        }
    }

    public void Update(ResourceKind resource, ReadOnlySpan<double> observed, Span<double> estimates)
    {
        if (Throw is { } ex)
        {
            Throw = null;
            throw ex;
        }

        double[] last = _last[(int)resource];
        for (int i = 0; i < observed.Length; i++)
        {
            if (!double.IsNaN(observed[i]))
            {
                last[i] = observed[i];
            }

            estimates[i] = last[i];
        }
    }

    public PredictionError GetError(ResourceKind resource) => default;
}

/// <summary>Collects log entries.</summary>
internal sealed class ListLogger<T> : ILogger<T>
{
    public List<(LogLevel Level, string Message, Exception? Exception)> Entries { get; } = [];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (Entries)
        {
            Entries.Add((logLevel, formatter(state, exception), exception));
        }
    }
}
