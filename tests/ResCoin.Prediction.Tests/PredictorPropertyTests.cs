using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace ResCoin.Prediction.Tests;

public sealed class PredictorPropertyTests
{
    [Property(MaxTest = 500, Arbitrary = [typeof(Arbitraries)])]
    public void Estimates_AreFiniteAndNonNegative(History history)
    {
        IPredictor p = Predictors.Create(history.Predictor);
        var estimates = new double[history.Slots];
        foreach (double[] row in history.Values)
        {
            p.Update(history.Resource, row, estimates);
            foreach (double e in estimates)
            {
                Assert.True(double.IsFinite(e) && e >= 0, $"estimate {e}");
            }
        }

        PredictionError error = p.GetError(history.Resource);
        Assert.True(double.IsFinite(error.Mae) && double.IsFinite(error.Rmse) && double.IsFinite(error.Smape));
        Assert.InRange(error.Smape, 0, 2);
        Assert.InRange(error.UnderPredictionRate, 0, 1);
    }

    [Property(MaxTest = 300)]
    public Property ConstantInput_ConvergesToTheConstant() => Prop.ForAll(
        (from h in Arbitraries.HistoryGen(allowNaN: true)
         from c in Gen.Frequency((1, Gen.Constant(0.0)), (5, Arbitraries.Value()))
         select (h, c)).ToArbitrary(),
        input =>
        {
            (History h, double c) = input;
            IPredictor p = Predictors.Create(h.Predictor);
            var estimates = new double[h.Slots];
            foreach (double[] row in h.Values)
            {
                p.Update(h.Resource, row, estimates);
            }

            var constant = new double[h.Slots];
            constant.AsSpan().Fill(c);
            for (int t = 0; t < 800; t++)
            {
                p.Update(h.Resource, constant, estimates);
            }

            foreach (double e in estimates)
            {
                if (p is PercentilePredictor)
                {
                    // The upper edge of c's bucket (c ≤ edge < 1.08 c) times the 1.15 margin.
                    Assert.InRange(e, c * 1.15, c * 1.15 * 1.08 * (1 + 1e-12));
                }
                else
                {
                    // Geometric convergence: what is left of the history after 800 periods is far below 1e-15 of it.
                    double historyMax = h.Values.SelectMany(r => r).Where(double.IsFinite).DefaultIfEmpty(0).Max();
                    Assert.True(Math.Abs(e - c) <= (1e-6 * c) + (1e-15 * historyMax), $"{h.Predictor}: estimate {e} for constant {c}");
                }
            }
        });

    [Property(MaxTest = 300, Arbitrary = [typeof(Arbitraries)])]
    public void ScaledInput_ScalesTheEstimates(History history, bool up)
    {
        double factor = up ? 1024 : 1.0 / 65536; // powers of two: scaling is exact in binary floating point
        IPredictor a = Predictors.Create(history.Predictor);
        IPredictor b = Predictors.Create(history.Predictor);
        var ea = new double[history.Slots];
        var eb = new double[history.Slots];
        var scaled = new double[history.Slots];
        bool percentile = history.Predictor == PercentilePredictor.PredictorName;
        foreach (double[] original in history.Values)
        {
            // The percentile histogram covers 1.08^64 ≈ 137× below each slot's recent peak at full resolution and lumps
            // what is smaller, so covariance holds within a bucket only while a slot's values span less than that:
            // map them into [1, ~100] (zeros and NaN stay).
            double[] row = percentile ? [.. original.Select(x => x > 0 ? Math.Max(1, 1 + ((Math.Log10(x) + 9) * 5)) : x)] : original;
            for (int i = 0; i < row.Length; i++)
            {
                scaled[i] = row[i] * factor;
            }

            a.Update(history.Resource, row, ea);
            b.Update(history.Resource, scaled, eb);
            for (int i = 0; i < ea.Length; i++)
            {
                double expected = ea[i] * factor;
                if (percentile)
                {
                    // Bucket edges are powers of 1.08, not of 2: scaled within one bucket.
                    Assert.InRange(eb[i], expected / 1.08 * (1 - 1e-12), expected * 1.08 * (1 + 1e-12));
                }
                else
                {
                    Assert.True(Math.Abs(eb[i] - expected) <= 1e-9 * expected, $"{history.Predictor}: {eb[i]} vs {expected}");
                }
            }
        }
    }

    [Property(MaxTest = 200, Arbitrary = [typeof(Arbitraries)])]
    public void LastValue_EstimateIsTheLastMeasuredValue(History history)
    {
        var p = new LastValuePredictor();
        var estimates = new double[history.Slots];
        var last = new double[history.Slots];
        foreach (double[] row in history.Values)
        {
            for (int i = 0; i < row.Length; i++)
            {
                if (!double.IsNaN(row[i]))
                {
                    last[i] = row[i];
                }
            }

            p.Update(history.Resource, row, estimates);
            Assert.Equal(last, estimates);
        }
    }

    [Property(MaxTest = 200, Arbitrary = [typeof(Arbitraries)])]
    public void ErrorTracking_EqualsNaiveRecomputation(History history)
    {
        IPredictor p = Predictors.Create(history.Predictor);
        var tracker = new PredictionErrorTracker();
        var estimates = new double[history.Slots];
        var previous = new double[history.Slots];
        var measured = new bool[history.Slots];
        foreach (double[] row in history.Values)
        {
            for (int i = 0; i < row.Length; i++)
            {
                if (measured[i])
                {
                    tracker.Record(history.Resource, row[i], previous[i]);
                }

                measured[i] |= !double.IsNaN(row[i]);
            }

            p.Update(history.Resource, row, estimates);
            estimates.CopyTo(previous, 0);
        }

        PredictionError expected = tracker.Get(history.Resource);
        PredictionError actual = p.GetError(history.Resource);
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(expected.Mae, actual.Mae, 1e-9 * Math.Max(1, expected.Mae));
        Assert.Equal(expected.Rmse, actual.Rmse, 1e-9 * Math.Max(1, expected.Rmse));
        Assert.Equal(expected.Smape, actual.Smape, 1e-9);
        Assert.Equal(expected.UnderPredictionRate, actual.UnderPredictionRate);
    }

    [Property(MaxTest = 300, Arbitrary = [typeof(Arbitraries)])]
    public void Ewma_EqualsTheRecurrenceSlotBySlot(History history)
    {
        // The batch update is vectorized four slots at a time; each slot must still follow s <- s + a (x - s) exactly.
        IPredictor p = Predictors.Create("ewma");
        double alpha = history.Resource == ResourceKind.Cpu ? 0.7 : 0.8;
        var estimates = new double[history.Slots];
        var expected = new double[history.Slots];
        var seen = new bool[history.Slots];
        foreach (double[] row in history.Values)
        {
            p.Update(history.Resource, row, estimates);
            for (int i = 0; i < row.Length; i++)
            {
                double x = row[i];
                if (!double.IsNaN(x))
                {
                    expected[i] = seen[i] ? expected[i] + (alpha * (x - expected[i])) : x;
                    seen[i] = true;
                }

                Assert.Equal(expected[i], estimates[i]);
            }
        }
    }

    [Fact]
    public void ManySlots_EachSlotEvolvesAsIfAlone()
    {
        // 1 100 slots span several of the engine's blocks; every slot must match a one-slot predictor fed the same values.
        const int slots = 1100;
        int[] probes = [0, 3, 511, 512, 513, 1023, 1024, 1099];
        var rng = new Random(5);
        foreach (string name in Predictors.Names)
        {
            IPredictor many = Predictors.Create(name);
            IPredictor[] alone = [.. probes.Select(_ => Predictors.Create(name))];
            var estimates = new double[slots];
            var one = new double[1];
            for (int t = 0; t < 40; t++)
            {
                double[] row = [.. Enumerable.Range(0, slots).Select(i => rng.Next(12) == 0 ? double.NaN : Math.Round(rng.NextDouble() * (1 + (i % 9)), 4))];
                many.Update(ResourceKind.Memory, row, estimates);
                for (int k = 0; k < probes.Length; k++)
                {
                    alone[k].Update(ResourceKind.Memory, [row[probes[k]]], one);
                    Assert.True(one[0] == estimates[probes[k]], $"{name}: slot {probes[k]} period {t}: {estimates[probes[k]]:R} vs alone {one[0]:R}");
                }
            }
        }
    }
}
