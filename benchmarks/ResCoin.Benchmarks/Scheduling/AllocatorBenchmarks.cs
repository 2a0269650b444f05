// Results: (filled in after the run)
using BenchmarkDotNet.Attributes;
using ResCoin.Scheduling;

namespace ResCoin.Benchmarks.Scheduling;

/// <summary>
/// Each allocator alone on n VMs × 6 resources under contention (capacity 70 % of the summed estimates, mixed credit
/// signs, a tenth of the VMs with zero template).
/// </summary>
[MemoryDiagnoser]
public class AllocatorBenchmarks
{
    private readonly StaticAllocator _static = new();
    private readonly CreditAllocator _credit = new();
    private readonly ProportionalShareAllocator _share = new();
    private readonly DrfAllocator _drf = new();
    private VmId[] _vms = null!;
    private ResourceVector[] _templates = null!;
    private ResourceVector[] _estimates = null!;
    private ResourceVector[] _creditsIn = null!;
    private ResourceVector[] _allocations = null!;
    private ResourceVector _capacity;

    [Params(10, 100, 1_000, 10_000)]
    public int Vms { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(7);
        int n = Vms;
        _vms = Enumerable.Range(0, n).Select(i => new VmId("vm" + i)).ToArray();
        _templates = new ResourceVector[n];
        _estimates = new ResourceVector[n];
        _creditsIn = new ResourceVector[n];
        _allocations = new ResourceVector[n];
        ResourceVector sum = default;
        for (int i = 0; i < n; i++)
        {
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                _estimates[i][r] = Math.Pow(10, rng.NextDouble() * 3);
                _creditsIn[i][r] = (rng.NextDouble() - 0.4) * 100;
            }

            sum += _estimates[i];
        }

        _capacity = sum * 0.7;
        for (int i = 0; i < n; i++)
        {
            _templates[i] = i % 10 == 3 ? default : _capacity * (1.0 / (n - (n / 10)));
        }

        Static();
        ResCoin();
        Share();
        Drf();
    }

    [Benchmark(Baseline = true)]
    public void Static() => _static.Allocate(Input(), _allocations);

    [Benchmark]
    public void ResCoin() => _credit.Allocate(Input(), _allocations);

    [Benchmark]
    public void Share() => _share.Allocate(Input(), _allocations);

    [Benchmark]
    public void Drf() => _drf.Allocate(Input(), _allocations);

    private AllocationInput Input() => new(_capacity, ResourceSet.All, _vms, _templates, _estimates, _creditsIn);
}
