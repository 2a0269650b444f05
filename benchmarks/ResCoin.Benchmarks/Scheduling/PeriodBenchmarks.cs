// Results: (filled in after the run)
using BenchmarkDotNet.Attributes;
using ResCoin.Prediction;
using ResCoin.Scheduling;
using ResCoin.Scheduling.Control;

namespace ResCoin.Benchmarks.Scheduling;

/// <summary>
/// The whole pure period (credit update + EWMA prediction + allocation) for every resource, as the controller runs it,
/// without I/O: <see cref="PeriodEngine.Run"/> over n VMs × 6 resources, under contention (the host has 70 % of what
/// the VMs use on average). Usage rotates through 16 precomputed periods so the predictor and the credits move.
/// </summary>
[MemoryDiagnoser]
public class PeriodBenchmarks
{
    private const int Periods = 16;
    private PeriodEngine _credit = null!;
    private PeriodEngine _share = null!;
    private int[] _slots = null!;
    private VmId[] _vms = null!;
    private ResourceVector[] _templates = null!;
    private ResourceVector[][] _usage = null!;
    private ResourceVector[] _estimates = null!;
    private ResourceVector[] _credits = null!;
    private ResourceVector[] _allocations = null!;
    private ResourceVector _capacity;
    private int _t;

    [Params(10, 100, 1_000, 10_000)]
    public int Vms { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(42);
        int n = Vms;
        _slots = Enumerable.Range(0, n).ToArray();
        _vms = Enumerable.Range(0, n).Select(i => new VmId("vm" + i)).ToArray();
        _templates = new ResourceVector[n];
        _estimates = new ResourceVector[n];
        _credits = new ResourceVector[n];
        _allocations = new ResourceVector[n];
        ResourceVector mean = new(2, 4e9, 50e6, 30e6, 100e6, 80e6);
        _capacity = mean * (0.7 * n);
        for (int i = 0; i < n; i++)
        {
            _templates[i] = _capacity * (1.0 / n);
        }

        _usage = new ResourceVector[Periods][];
        for (int t = 0; t < Periods; t++)
        {
            _usage[t] = new ResourceVector[n];
            for (int i = 0; i < n; i++)
            {
                ResourceVector u = default;
                for (int r = 0; r < ResourceKinds.Count; r++)
                {
                    // Skewed demand: most VMs light, some heavy, so there are claimants and credit holders.
                    double x = rng.NextDouble();
                    u[r] = mean[r] * 2 * x * x * (i % 7 == 0 ? 3 : 1);
                }

                _usage[t][i] = u;
            }
        }

        _credit = new PeriodEngine(Predictors.Create("ewma"), new CreditAllocator(), window: 10, initialSlots: n);
        _share = new PeriodEngine(Predictors.Create("ewma"), new ProportionalShareAllocator(), window: 10, initialSlots: n);

        // Warm up: fill the windows and grow every scratch buffer.
        for (int t = 0; t < 2 * Periods; t++)
        {
            WholePeriodResCoin();
            WholePeriodShare();
        }
    }

    [Benchmark(Baseline = true)]
    public void WholePeriodResCoin() => Run(_credit);

    [Benchmark]
    public void WholePeriodShare() => Run(_share);

    private void Run(PeriodEngine engine)
    {
        _t = (_t + 1) % Periods;
        engine.Run(_capacity, ResourceSet.All, _slots.Length, _slots, _vms, _templates, _usage[_t], _estimates, _credits, _allocations);
    }
}
