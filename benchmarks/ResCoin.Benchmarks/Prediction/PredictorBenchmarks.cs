// Measured 2026-11-26 05:58-06:03 UTC on the 2-vCPU development VM (AMD EPYC 2.45 GHz, .NET 10.0.12, AVX2), Release,
// BenchmarkDotNet 0.15.8 `--filter '*PredictorBenchmarks*' --job short --inProcess`, load average 1.2-4.6:
// | Method     | Slots | Mean           | Error           | StdDev        | Ratio | Allocated |
// |----------- |------ |---------------:|----------------:|--------------:|------:|----------:|
// | Last       | 10    |       131.8 ns |        92.37 ns |       5.06 ns |  1.00 |         - |
// | Ewma       | 10    |       102.7 ns |        21.99 ns |       1.21 ns |  0.78 |         - |
// | Holt       | 10    |       161.8 ns |       101.24 ns |       5.55 ns |  1.23 |         - |
// | FastSlow   | 10    |       110.9 ns |       312.32 ns |      17.12 ns |  0.84 |         - |
// | Percentile | 10    |       712.5 ns |       630.05 ns |      34.54 ns |  5.41 |         - |
// | Adaptive   | 10    |       702.1 ns |     1,182.05 ns |      64.79 ns |  5.33 |         - |
// | Last       | 100   |       346.5 ns |     1,178.58 ns |      64.60 ns |  1.02 |         - |
// | Ewma       | 100   |       315.3 ns |       565.36 ns |      30.99 ns |  0.93 |         - |
// | Holt       | 100   |       958.4 ns |        93.94 ns |       5.15 ns |  2.83 |         - |
// | FastSlow   | 100   |       856.6 ns |       379.30 ns |      20.79 ns |  2.53 |         - |
// | Percentile | 100   |     8,086.7 ns |     2,741.72 ns |     150.28 ns | 23.84 |         - |
// | Adaptive   | 100   |     5,860.2 ns |    20,018.53 ns |   1,097.28 ns | 17.27 |         - |
// | Last       | 1000  |     3,401.1 ns |     4,402.50 ns |     241.32 ns |  1.00 |         - |
// | Ewma       | 1000  |     3,850.0 ns |     9,166.66 ns |     502.46 ns |  1.14 |         - |
// | Holt       | 1000  |     8,367.2 ns |    14,431.07 ns |     791.02 ns |  2.47 |         - |
// | FastSlow   | 1000  |     7,466.1 ns |    10,117.56 ns |     554.58 ns |  2.20 |         - |
// | Percentile | 1000  |    93,002.6 ns |    68,674.37 ns |   3,764.27 ns | 27.44 |         - |
// | Adaptive   | 1000  |    79,369.6 ns |    53,967.02 ns |   2,958.11 ns | 23.41 |         - |
// | Last       | 10000 |    34,416.5 ns |    35,565.11 ns |   1,949.44 ns |  1.00 |         - |
// | Ewma       | 10000 |    39,936.8 ns |    42,110.70 ns |   2,308.23 ns |  1.16 |         - |
// | Holt       | 10000 |    89,062.6 ns |   190,574.61 ns |  10,446.04 ns |  2.59 |         - |
// | FastSlow   | 10000 |    83,396.3 ns |    25,411.05 ns |   1,392.87 ns |  2.43 |         - |
// | Percentile | 10000 | 1,178,139.2 ns | 2,634,914.62 ns | 144,428.56 ns | 34.30 |         - |
// | Adaptive   | 10000 |   872,468.6 ns |   267,880.71 ns |  14,683.45 ns | 25.40 |       2 B |
// Every predictor's error scoring (MAE, RMSE, sMAPE, under-prediction) and the clamp run four slots at a time; EWMA's
// update too; slot-local models run block by block (512 slots). Before (same day, load average ~27): Ewma 276 us and
// Last 326 us at 10 000 slots; a quiet re-measure then gave 161 us for both.

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
