// Measured 2026-11-26 05:49-05:51 UTC on the 2-vCPU development VM (AMD EPYC, 2.45 GHz, 512 KB L2 per core, 32 MB L3
// shared with other tenants; .NET 10.0.12, x86-64-v3 AVX2), Release, BenchmarkDotNet 0.15.8
// `dotnet benchmarks/ResCoin.Benchmarks/bin/Release/net10.0/ResCoin.Benchmarks.dll --filter '*PeriodBenchmarks*' --job short --inProcess`,
// load average 2.9-3.2 (another engineer's builds on the same 2 cores), after the columnar, vectorized period engine:
// | Method                      | Vms   | Mean         | Error        | StdDev      | Ratio | RatioSD | Allocated |
// |---------------------------- |------ |-------------:|-------------:|------------:|------:|--------:|----------:|
// | WholePeriodResCoin          | 10    |     1.886 us |     6.762 us |   0.3707 us |  1.02 |    0.24 |         - |
// | WholePeriodShare            | 10    |     1.807 us |     2.376 us |   0.1302 us |  0.98 |    0.17 |         - |
// | WholePeriodResCoinColdInput | 10    |     2.478 us |     1.150 us |   0.0630 us |  1.35 |    0.21 |         - |
// | WholePeriodResCoin          | 100   |     8.134 us |    24.654 us |   1.3514 us |  1.02 |    0.22 |         - |
// | WholePeriodShare            | 100   |    11.065 us |    13.616 us |   0.7464 us |  1.39 |    0.24 |         - |
// | WholePeriodResCoinColdInput | 100   |    10.909 us |     3.368 us |   0.1846 us |  1.37 |    0.22 |         - |
// | WholePeriodResCoin          | 1000  |    66.845 us |    63.867 us |   3.5008 us |  1.00 |    0.06 |         - |
// | WholePeriodShare            | 1000  |   102.215 us |   124.555 us |   6.8273 us |  1.53 |    0.11 |         - |
// | WholePeriodResCoinColdInput | 1000  |    67.318 us |    85.781 us |   4.7020 us |  1.01 |    0.08 |         - |
// | WholePeriodResCoin          | 10000 |   727.350 us |   843.303 us |  46.2243 us |  1.00 |    0.08 |         - |
// | WholePeriodShare            | 10000 | 1,018.309 us | 3,506.268 us | 192.1904 us |  1.40 |    0.24 |         - |
// | WholePeriodResCoinColdInput | 10000 |   778.262 us |   508.409 us |  27.8676 us |  1.07 |    0.07 |         - |
// TARGET (10 000 VMs × 6 resources ≤ 1 ms and 0 B per period): MET, 0.73 ms (0.78 ms with cold input), nothing allocated.
// A second run at 06:46-06:48 UTC, while a QEMU/TCG test guest used ~35 % of a core (load average 1.9-3.7), gave
// 10 000 VMs: rescoin 982 us ± 38, share 1,280 us, rescoin cold input 1,020 us (1 000 VMs: 89 us): the VM's speed
// drifts by ~30 % with its neighbours, and the margin under the 1 ms goal is that large only on a quiet machine.
//
// Before (the same day, quiet machine, load average 2-3, the scalar engine; usage then rotated through 16 periods,
// i.e. the ColdInput case): 10 VMs 3.4 us, 100 57.6 us, 1 000 528 us, 10 000 5,678 us (share 6,585 us). What changed:
// - credit ledger laid out ring-position-major and updated four slots per AVX operation (was one cache line per push);
// - the period engine calls the allocator per resource column (no AoS round trip), and the credit allocator water-fills
//   by vectorized Newton passes started from the previous period's level (2-3 passes) instead of a branchy quickselect
//   (kept as the exact fallback);
// - the predictor engine scores errors and runs EWMA four slots at a time, block by block;
// - AVX 4x6 transposes between ResourceVector rows and per-resource columns; VM i = slot i skips every gather.
//
// Cache matters at 10 000 VMs (the engine's state is ~7 MB): a thread-CPU harness on this machine measured the warm
// input at median 0.60 ms and the 16-period cold input at median 0.90 ms per period in the same minute.
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using ResCoin.Prediction;
using ResCoin.Scheduling;
using ResCoin.Scheduling.Control;

namespace ResCoin.Benchmarks.Scheduling;

/// <summary>
/// The whole pure period (credit bucket + EWMA prediction + demand discovery + caps and weights) for every resource, as
/// the controller runs it (limits and pressure in, CPU weighted, the other resources capped),
/// without I/O: <see cref="PeriodEngine.Run"/> over n VMs × 6 resources, under contention (the host has 70 % of what
/// the VMs use on average), so the predictor and the credits move.
/// <list type="bullet">
/// <item><see cref="WholePeriodResCoin"/> and <see cref="WholePeriodShare"/>: usage alternates between two buffers,
/// as in the controller, where the monitor fills the same snapshot every period and the controller copies it into
/// the same usage buffer (so the input is as warm as the controller's own).</item>
/// <item><see cref="WholePeriodResCoinColdInput"/>: usage rotates through 16 precomputed periods (7.7 MB at 10 000
/// VMs), so every period reads its input from memory and evicts part of the engine's state from the cache: the
/// worst case, kept to show what cold input costs.</item>
/// </list>
/// </summary>
[MemoryDiagnoser]
public class PeriodBenchmarks
{
    private const int Periods = 16;
    private PeriodEngine _credit = null!;
    private PeriodEngine _creditCold = null!;
    private PeriodEngine _adaptive = null!;
    private PeriodEngine _prototype = null!;
    private PeriodEngine _share = null!;
    private int[] _slots = null!;
    private VmId[] _vms = null!;
    private ResourceVector[] _templates = null!;
    private ResourceVector[][] _usage = null!;
    private ResourceVector[] _estimates = null!;
    private ResourceVector[] _credits = null!;
    private ResourceVector[] _allocations = null!;
    private ResourceVector[] _weights = null!;
    private ResourceVector[] _limits = null!;
    private ResourceVector[][] _pressure = null!;
    private ResourceVector _capacity;
    private int _t;

    /// <summary>The VM counts: 10, 100, 1 000 and 10 000, or those in <c>RESCOIN_BENCH_VMS</c> (comma-separated).</summary>
    public static IEnumerable<int> VmCounts()
        => Environment.GetEnvironmentVariable("RESCOIN_BENCH_VMS") is { Length: > 0 } list
            ? list.Split(',').Select(v => int.Parse(v, System.Globalization.CultureInfo.InvariantCulture))
            : [10, 100, 1_000, 10_000];

    [ParamsSource(nameof(VmCounts))]
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
        _weights = new ResourceVector[n];
        _limits = new ResourceVector[n];
        ResourceVector mean = new(2, 4e9, 50e6, 30e6, 100e6, 80e6);
        _capacity = mean * (0.7 * n);
        for (int i = 0; i < n; i++)
        {
            _templates[i] = _capacity * (1.0 / n);
            _limits[i] = i % 3 == 0 ? ResourceVector.Fill(double.NaN) : mean * 6; // some VMs report their own limits
        }

        _usage = new ResourceVector[Periods][];
        _pressure = new ResourceVector[Periods][];
        for (int t = 0; t < Periods; t++)
        {
            _usage[t] = new ResourceVector[n];
            _pressure[t] = new ResourceVector[n];
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
                _pressure[t][i] = new ResourceVector(i % 5 == 0 ? 0.2 * rng.NextDouble() : 0, double.NaN, 0, 0, double.NaN, double.NaN);
            }
        }

        // As the controller runs them by default: credit bucket, CPU weighted (weights and loose caps), the rest capped.
        double bucket = ResCoinOptions.DefaultBucketCapPeriods;
        _credit = new PeriodEngine(Predictors.Create("ewma"), new CreditAllocator(), window: 10, initialSlots: n, bucketCapPeriods: bucket, weighted: ResourceSet.Cpu);
        _creditCold = new PeriodEngine(Predictors.Create("ewma"), new CreditAllocator(), window: 10, initialSlots: n, bucketCapPeriods: bucket, weighted: ResourceSet.Cpu);
        _adaptive = new PeriodEngine(Predictors.Create("adaptive"), new CreditAllocator(), window: 10, initialSlots: n, bucketCapPeriods: bucket, weighted: ResourceSet.Cpu);
        _prototype = new PeriodEngine(Predictors.Create("ewma"), new CreditAllocator(), window: 10, initialSlots: n);
        _share = new PeriodEngine(Predictors.Create("ewma"), new ProportionalShareAllocator(), window: 10, initialSlots: n, bucketCapPeriods: bucket, weighted: ResourceSet.Cpu);

        // Warm up: fill the windows and grow every scratch buffer.
        for (int t = 0; t < 2 * Periods; t++)
        {
            WholePeriodResCoin();
            WholePeriodShare();
            WholePeriodResCoinColdInput();
            WholePeriodResCoinAdaptive();
            WholePeriodPrototypeRules();
        }
    }

    /// <summary>
    /// The floor: one bare pass that reads the period's inputs (templates, usage, limits, pressure: n × 6 doubles each)
    /// and sums them, in the same process and run, so that the period's cost can be read as a ratio on a noisy machine.
    /// </summary>
    [Benchmark(Baseline = true)]
    public double Floor()
    {
        _t = (_t + 1) % Periods;
        int t = _t % 2;
        return Sum(_templates) + Sum(_usage[t]) + Sum(_limits) + Sum(_pressure[t]);

        static double Sum(ResourceVector[] rows)
        {
            ReadOnlySpan<double> flat = MemoryMarshal.Cast<ResourceVector, double>(rows);
            Vector256<double> sum = Vector256<double>.Zero;
            int i = 0;
            for (; i <= flat.Length - 4; i += 4)
            {
                sum += Vector256.Create(flat.Slice(i, 4));
            }

            double total = Vector256.Sum(sum);
            for (; i < flat.Length; i++)
            {
                total += flat[i];
            }

            return total;
        }
    }

    /// <summary>The default configuration with EWMA: credit bucket, CPU weighted, the rest capped.</summary>
    [Benchmark]
    public void WholePeriodResCoin() => Run(_credit, 2);

    [Benchmark]
    public void WholePeriodShare() => Run(_share, 2);

    [Benchmark]
    public void WholePeriodResCoinColdInput() => Run(_creditCold, Periods);

    /// <summary>The controller's default configuration: predictor <c>adaptive</c> (four models per slot), credit bucket, CPU weighted.</summary>
    [Benchmark]
    public void WholePeriodResCoinAdaptive() => Run(_adaptive, 2);

    /// <summary>
    /// The same engine with the 2014 rules (sliding-window credit, every resource capped, no limits or pressure in, no
    /// weights out): what the caps-and-weights seam costs, measured in the same run.
    /// </summary>
    [Benchmark]
    public void WholePeriodPrototypeRules()
    {
        _t = (_t + 1) % Periods;
        _prototype.Run(_capacity, ResourceSet.All, _slots.Length, _slots, _vms, _templates, _usage[_t % 2], _estimates, _credits, _allocations);
    }

    private void Run(PeriodEngine engine, int periods)
    {
        _t = (_t + 1) % Periods;
        int t = _t % periods;
        engine.Run(_capacity, ResourceSet.All, _slots.Length, _slots, _vms, _templates, _usage[t], _limits, _pressure[t], _estimates, _credits, _allocations, _weights);
    }
}
