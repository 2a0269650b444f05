using ResCoin.Scheduling;

namespace ResCoin.Simulation;

/// <summary>Options of one policy run.</summary>
public sealed class SimulationRunOptions
{
    /// <summary>The credit window, in periods (<see cref="ResCoinOptions.Window"/>).</summary>
    public int Window { get; set; } = ResCoinOptions.DefaultWindow;

    /// <summary>Where the credit allocator puts idle capacity.</summary>
    public HeadroomPolicy Headroom { get; set; } = HeadroomPolicy.ProportionalToTemplate;

    /// <summary>Scenario indices of the VMs whose CPU demand, served amount, cap, weight and credit are recorded per period (for charts).</summary>
    public IReadOnlyList<int> RecordVms { get; set; } = [];

    /// <summary>The look-back of the <c>burstSatisfaction</c> metric, in periods (<see cref="SimulatedHost.DefaultBurstLookback"/>).</summary>
    public int BurstLookback { get; set; } = SimulatedHost.DefaultBurstLookback;

    /// <summary>
    /// Changes the controller's options after the simulator has filled them in (period, capacity, templates, window…);
    /// null for none. The simulated host divides the controller's <see cref="ResCoinOptions.WeightedResources"/> by
    /// weight, and the <c>rescoin</c> allocator uses its <see cref="ResCoinOptions.Weighting"/>.
    /// </summary>
    public Action<ResCoinOptions>? Configure { get; set; }

    /// <summary>Called every so many periods with the number of periods done since the last call.</summary>
    public Action<int>? Progress { get; set; }
}

/// <summary>What one policy run produced: its metrics and the recorded series.</summary>
public sealed class PolicyRun
{
    private readonly double[][] _demand;
    private readonly double[][] _served;
    private readonly double[][] _cap;
    private readonly double[][] _weight;
    private readonly double[][] _credit;
    private readonly double[][] _jain;

    internal PolicyRun(string policy, string predictor, PolicyMetrics metrics, TimeSpan elapsed, int[] recordVms, double[][] demand, double[][] served, double[][] cap, double[][] weight, double[][] credit, double[][] jain)
    {
        Policy = policy;
        Predictor = predictor;
        Metrics = metrics;
        Elapsed = elapsed;
        RecordedVms = recordVms;
        _demand = demand;
        _served = served;
        _cap = cap;
        _weight = weight;
        _credit = credit;
        _jain = jain;
    }

    /// <summary>The policy's name.</summary>
    public string Policy { get; }

    /// <summary>The predictor the controller used.</summary>
    public string Predictor { get; }

    /// <summary>The evaluation metrics.</summary>
    public PolicyMetrics Metrics { get; }

    /// <summary>The wall time the run took.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>The scenario indices of the recorded VMs.</summary>
    public IReadOnlyList<int> RecordedVms { get; }

    /// <summary>A recorded VM's CPU demand per period.</summary>
    /// <param name="recorded">The position in <see cref="RecordedVms"/>.</param>
    /// <returns>Cores per period.</returns>
    public ReadOnlySpan<double> GetCpuDemand(int recorded) => _demand[recorded];

    /// <summary>What a recorded VM was served of CPU in each period.</summary>
    /// <param name="recorded">The position in <see cref="RecordedVms"/>.</param>
    /// <returns>Cores per period.</returns>
    public ReadOnlySpan<double> GetCpuServed(int recorded) => _served[recorded];

    /// <summary>A recorded VM's CPU cap in force during each period (NaN: no cap).</summary>
    /// <param name="recorded">The position in <see cref="RecordedVms"/>.</param>
    /// <returns>Cores per period.</returns>
    public ReadOnlySpan<double> GetCpuCap(int recorded) => _cap[recorded];

    /// <summary>A recorded VM's CPU weight in force during each period (1 = the kernel's default).</summary>
    /// <param name="recorded">The position in <see cref="RecordedVms"/>.</param>
    /// <returns>The weight per period.</returns>
    public ReadOnlySpan<double> GetCpuWeight(int recorded) => _weight[recorded];

    /// <summary>A recorded VM's CPU credit at the end of each period.</summary>
    /// <param name="recorded">The position in <see cref="RecordedVms"/>.</param>
    /// <returns>Core-periods per period.</returns>
    public ReadOnlySpan<double> GetCpuCredit(int recorded) => _credit[recorded];

    /// <summary>Jain's index of served/demanded over the VMs in each period (NaN when nobody wanted the resource).</summary>
    /// <param name="kind">The resource.</param>
    /// <returns>One value per period.</returns>
    public ReadOnlySpan<double> GetJain(ResourceKind kind) => _jain[(int)kind];
}

/// <summary>Runs the real <see cref="ResCoinController"/> against a <see cref="SimulatedHost"/>, one period at a time, on simulated time.</summary>
public static class SimulationRunner
{
    private const int ProgressEvery = 64;

    /// <summary>
    /// Runs one policy over the whole scenario on a fresh <see cref="SimulatedHost"/>: each period the host serves
    /// the VMs' true demand under the caps and weights in force, then the real <see cref="ResCoinController"/> samples
    /// it, updates credits, predicts, allocates and applies the plan, which governs the next period. The first period
    /// runs without caps at default weights (as does every period under <see cref="Allocators.None"/>).
    /// </summary>
    /// <param name="scenario">The scenario (the same for every policy).</param>
    /// <param name="policy">The policy name (<see cref="Allocators.Names"/>).</param>
    /// <param name="predictor">A fresh predictor for the controller (<c>Predictors.Create(name)</c> or an <see cref="OraclePredictor"/>).</param>
    /// <param name="options">Run options; defaults when null.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The metrics and recordings.</returns>
    /// <exception cref="ArgumentException">Unknown policy.</exception>
    /// <exception cref="InvalidOperationException">A controller period failed (the message carries the controller's error).</exception>
    public static async Task<PolicyRun> RunPolicyAsync(SimulationScenario scenario, string policy, IPredictor predictor, SimulationRunOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(predictor);
        ArgumentNullException.ThrowIfNull(policy);
        options ??= new SimulationRunOptions();
        var controllerOptions = new ResCoinOptions
        {
            Period = scenario.Period,
            Window = options.Window,
            Capacity = ResourceAmounts.FromVector(scenario.Capacity),
            Resources = scenario.Resources,
            Headroom = options.Headroom,
            // The controller runs the predictor instance it is given (names are checked only when resolved by name).
            Predictor = predictor.Name,
            Policy = policy,
        };
        VmId[] ids = scenario.VmIds.ToArray();
        for (int i = 0; i < ids.Length; i++)
        {
            controllerOptions.Templates[ids[i].Name] = ResourceAmounts.FromVector(scenario.Templates[i]);
        }

        options.Configure?.Invoke(controllerOptions);
        IAllocator allocator = Allocators.Create(policy, controllerOptions.Headroom, controllerOptions.Weighting);
        controllerOptions.Policy = allocator.Name;
        var clock = new SimulationClock(scenario.Start);
        var host = new SimulatedHost(scenario, clock, controllerOptions.WeightedResources, options.BurstLookback);
        int[] record = [.. options.RecordVms];
        int periods = scenario.Periods;
        var recorder = new PeriodRecorder(scenario, host, ids, record);
        long started = TimeProvider.System.GetTimestamp();
        var controller = new ResCoinController(host, predictor, allocator, host, controllerOptions, clock, observers: [recorder]);
        await using (controller.ConfigureAwait(false))
        {
            int pending = 0;
            for (int t = 0; t < periods; t++)
            {
                PeriodResult result = await controller.RunPeriodAsync(cancellationToken).ConfigureAwait(false);
                if (!result.Succeeded)
                {
                    throw new InvalidOperationException($"Policy '{policy}', period {t}: the controller's {result.FailedStage.ToString().ToLowerInvariant()} stage failed: {result.Error?.Message ?? "no detail"}", result.Error);
                }

                clock.Advance(scenario.Period);
                if (++pending == ProgressEvery)
                {
                    options.Progress?.Invoke(pending);
                    pending = 0;
                }
            }

            if (pending > 0)
            {
                options.Progress?.Invoke(pending);
            }
        }

        TimeSpan elapsed = TimeProvider.System.GetElapsedTime(started);
        return new PolicyRun(allocator.Name, predictor.Name, host.GetMetrics(), elapsed, record, recorder.Demand, recorder.Served, recorder.Cap, recorder.Weight, recorder.Credit, recorder.Jain);
    }
}
