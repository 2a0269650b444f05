namespace ResCoin.Prediction.Tests;

internal static class Helpers
{
    /// <summary>Feeds a one-slot series and returns the estimate after each observation.</summary>
    public static double[] Run(IPredictor predictor, double[] series, ResourceKind resource = ResourceKind.Cpu)
    {
        var result = new double[series.Length];
        var estimate = new double[1];
        for (int t = 0; t < series.Length; t++)
        {
            predictor.Update(resource, [series[t]], estimate);
            result[t] = estimate[0];
        }

        return result;
    }

    /// <summary>One-step-ahead mean absolute error of a one-slot run, from period <paramref name="from"/> on.</summary>
    public static double Mae(IPredictor predictor, double[] series, int from = 1)
    {
        double[] estimates = Run(predictor, series);
        double sum = 0;
        for (int t = from; t < series.Length; t++)
        {
            sum += Math.Abs(series[t] - estimates[t - 1]);
        }

        return sum / (series.Length - from);
    }

    public static void Near(double expected, double actual, double relative = 1e-12)
        => Assert.True(
            Math.Abs(expected - actual) <= relative * Math.Max(1, Math.Abs(expected)),
            $"expected {expected:R}, got {actual:R}");
}
