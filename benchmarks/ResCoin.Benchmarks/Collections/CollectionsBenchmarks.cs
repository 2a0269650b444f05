// Measured 2026-11-26 on a 2-core VM: AMD EPYC 2.45GHz (/proc/cpuinfo "AMD EPYC"), Debian 12, .NET 10.0.12, BenchmarkDotNet 0.15.8,
// `--job short --inProcess` (the generated-project build timed out under load). CAUTION: the machine was shared with
// several parallel builds (load average ~27 on 2 cores), so absolute times are inflated and noisy (see Error/StdDev);
// the allocation column is exact: 0 B per call everywhere.
// dotnet run -c Release --project benchmarks/ResCoin.Benchmarks -- --filter '*CollectionsBenchmarks*' --job short --inProcess
//
// | Method                | Mean      | Error     | StdDev    | Ratio | RatioSD | Allocated | Alloc Ratio |
// |---------------------- |----------:|----------:|----------:|------:|--------:|----------:|------------:|
// | RingBufferPush        |  5.834 ns | 20.705 ns | 1.1349 ns |  1.03 |    0.26 |         - |          NA |
// | RingBufferPushEvicted |  4.075 ns |  9.702 ns | 0.5318 ns |  0.72 |    0.16 |         - |          NA |
// | SlidingWindowSumPush  | 19.761 ns | 31.712 ns | 1.7383 ns |  3.48 |    0.70 |         - |          NA |
using BenchmarkDotNet.Attributes;
using ResCoin.Collections;

namespace ResCoin.Benchmarks.Collections;

/// <summary>One push into a full <see cref="RingBuffer{T}"/> / <see cref="SlidingWindowSum"/> of the controller's window size.</summary>
[MemoryDiagnoser]
public class CollectionsBenchmarks
{
    private readonly RingBuffer<double> _ring = new(10);
    private readonly SlidingWindowSum _sum = new(10);
    private double _x;

    [GlobalSetup]
    public void Setup()
    {
        for (int i = 0; i < 20; i++)
        {
            _ring.Push(i);
            _sum.Push(i);
        }
    }

    [Benchmark(Baseline = true)]
    public double RingBufferPush()
    {
        _x += 1.5;
        _ring.Push(_x);
        return _ring[0];
    }

    [Benchmark]
    public double RingBufferPushEvicted()
    {
        _x += 1.5;
        _ring.Push(_x, out double evicted);
        return evicted;
    }

    [Benchmark]
    public double SlidingWindowSumPush()
    {
        _x += 1.5;
        _sum.Push(_x);
        return _sum.Sum;
    }
}
