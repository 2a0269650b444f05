// Measured 2026-11-26 on a 2-core VM: AMD EPYC 2.45GHz (/proc/cpuinfo "AMD EPYC"), Debian 12, .NET 10.0.12, BenchmarkDotNet 0.15.8,
// `--job short --inProcess` (the generated-project build timed out under load). CAUTION: the machine was shared with
// several parallel builds (load average ~27 on 2 cores), so absolute times are inflated and noisy (see Error/StdDev);
// the allocation column is exact: 0 B per call everywhere.
// dotnet run -c Release --project benchmarks/ResCoin.Benchmarks -- --filter '*PredictorBenchmarks*' --job short --inProcess
//
// | Method     | Slots | Mean           | Error          | StdDev        | Median         | Ratio | RatioSD | Allocated | Alloc Ratio |
// |----------- |------ |---------------:|---------------:|--------------:|---------------:|------:|--------:|----------:|------------:|
// | Last       | 10    |       314.5 ns |     1,256.5 ns |      68.88 ns |       290.4 ns |  1.03 |    0.27 |         - |          NA |
// | Ewma       | 10    |       286.7 ns |       708.5 ns |      38.84 ns |       305.1 ns |  0.94 |    0.20 |         - |          NA |
// | Holt       | 10    |       479.7 ns |     3,504.2 ns |     192.08 ns |       580.6 ns |  1.57 |    0.62 |         - |          NA |
// | FastSlow   | 10    |       295.1 ns |       714.8 ns |      39.18 ns |       315.2 ns |  0.97 |    0.20 |         - |          NA |
// | Percentile | 10    |     1,360.0 ns |     1,722.8 ns |      94.43 ns |     1,354.4 ns |  4.45 |    0.82 |         - |          NA |
// | Adaptive   | 10    |     1,933.2 ns |     2,712.7 ns |     148.69 ns |     1,982.9 ns |  6.33 |    1.18 |         - |          NA |
// |            |       |                |                |               |                |       |         |           |             |
// | Last       | 100   |     1,931.0 ns |     5,971.9 ns |     327.34 ns |     2,014.8 ns |  1.02 |    0.22 |         - |          NA |
// | Ewma       | 100   |     2,188.1 ns |       474.2 ns |      25.99 ns |     2,201.9 ns |  1.16 |    0.18 |         - |          NA |
// | Holt       | 100   |     2,188.1 ns |     5,883.4 ns |     322.49 ns |     2,004.6 ns |  1.16 |    0.24 |         - |          NA |
// | FastSlow   | 100   |     2,375.3 ns |     7,085.7 ns |     388.39 ns |     2,278.2 ns |  1.26 |    0.27 |         - |          NA |
// | Percentile | 100   |    17,165.2 ns |     3,415.8 ns |     187.23 ns |    17,124.1 ns |  9.08 |    1.43 |         - |          NA |
// | Adaptive   | 100   |    20,198.0 ns |    20,615.2 ns |   1,129.99 ns |    20,443.6 ns | 10.68 |    1.76 |         - |          NA |
// |            |       |                |                |               |                |       |         |           |             |
// | Last       | 1000  |    26,307.6 ns |    33,933.8 ns |   1,860.02 ns |    26,313.6 ns |  1.00 |    0.09 |         - |          NA |
// | Ewma       | 1000  |    27,395.0 ns |    27,726.5 ns |   1,519.78 ns |    27,927.5 ns |  1.04 |    0.08 |         - |          NA |
// | Holt       | 1000  |    32,533.0 ns |    19,572.0 ns |   1,072.81 ns |    32,411.5 ns |  1.24 |    0.08 |         - |          NA |
// | FastSlow   | 1000  |    32,066.8 ns |     9,995.6 ns |     547.89 ns |    32,343.7 ns |  1.22 |    0.08 |         - |          NA |
// | Percentile | 1000  |   212,204.3 ns |   163,937.9 ns |   8,985.99 ns |   214,618.7 ns |  8.09 |    0.58 |         - |          NA |
// | Adaptive   | 1000  |   166,720.5 ns |   432,670.3 ns |  23,716.12 ns |   153,260.3 ns |  6.36 |    0.88 |         - |          NA |
// |            |       |                |                |               |                |       |         |           |             |
// | Last       | 10000 |   325,834.5 ns | 1,117,457.9 ns |  61,251.64 ns |   320,359.3 ns |  1.02 |    0.24 |         - |          NA |
// | Ewma       | 10000 |   275,979.6 ns |   377,756.9 ns |  20,706.13 ns |   282,316.3 ns |  0.87 |    0.15 |         - |          NA |
// | Holt       | 10000 |   436,917.0 ns |   453,011.5 ns |  24,831.09 ns |   447,959.5 ns |  1.37 |    0.23 |         - |          NA |
// | FastSlow   | 10000 |   305,221.9 ns |   185,188.3 ns |  10,150.80 ns |   307,623.9 ns |  0.96 |    0.16 |         - |          NA |
// | Percentile | 10000 | 6,222,694.5 ns | 9,204,947.4 ns | 504,554.23 ns | 6,069,337.8 ns | 19.55 |    3.45 |         - |          NA |
// | Adaptive   | 10000 | 4,746,035.2 ns | 5,452,032.2 ns | 298,844.28 ns | 4,667,218.4 ns | 14.91 |    2.55 |         - |          NA |
using BenchmarkDotNet.Attributes;
using ResCoin.Prediction;

namespace ResCoin.Benchmarks.Prediction;

/// <summary>One batch <see cref="IPredictor.Update"/> (one resource, every slot) per predictor, in steady state.</summary>
[MemoryDiagnoser]
public class PredictorBenchmarks
{
    private const int Rows = 64;

    private IPredictor[] _predictors = [];
    private double[][] _rows = [];
    private double[] _estimates = [];
    private int _t;

    [Params(10, 100, 1_000, 10_000)]
    public int Slots { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        // Batch-job-like usage in cores: idle, bursts to a plateau, ramps, some noise; a few unmeasured (NaN) slots.
        var random = new Random(7);
        _rows = new double[Rows][];
        var level = new double[Slots];
        for (int t = 0; t < Rows; t++)
        {
            var row = new double[Slots];
            for (int i = 0; i < Slots; i++)
            {
                if (random.Next(8) == 0)
                {
                    level[i] = random.Next(3) == 0 ? 0.05 : random.NextDouble() * 16;
                }

                row[i] = i % 97 == 0 && t % 5 == 0 ? double.NaN : level[i] * (0.95 + (0.1 * random.NextDouble()));
            }

            _rows[t] = row;
        }

        _estimates = new double[Slots];
        _predictors = new IPredictor[Predictors.Names.Count];
        for (int n = 0; n < _predictors.Length; n++)
        {
            IPredictor p = Predictors.Create(Predictors.Names[n]);
            for (int t = 0; t < 4 * Rows; t++)
            {
                p.Update(ResourceKind.Cpu, _rows[t % Rows], _estimates); // grow state, reach steady state
            }

            _predictors[n] = p;
        }
    }

    [Benchmark(Baseline = true)]
    public double Last() => Run(0);

    [Benchmark]
    public double Ewma() => Run(1);

    [Benchmark]
    public double Holt() => Run(2);

    [Benchmark]
    public double FastSlow() => Run(3);

    [Benchmark]
    public double Percentile() => Run(4);

    [Benchmark]
    public double Adaptive() => Run(5);

    private double Run(int predictor) // index into Predictors.Names
    {
        _t = (_t + 1) % Rows;
        _predictors[predictor].Update(ResourceKind.Cpu, _rows[_t], _estimates);
        return _estimates[0];
    }
}
