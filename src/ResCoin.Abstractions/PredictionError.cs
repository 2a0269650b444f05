namespace ResCoin;

/// <summary>Summary of one-step-ahead prediction error over a number of (slot, period) samples.</summary>
/// <param name="Count">The number of scored predictions.</param>
/// <param name="Mae">Mean absolute error, in the resource's unit.</param>
/// <param name="Rmse">Root mean squared error, in the resource's unit.</param>
/// <param name="Smape">Symmetric mean absolute percentage error, 0 to 2 (|e| / ((|actual| + |estimate|)/2 + epsilon)).</param>
/// <param name="UnderPredictionRate">Share of predictions below the actual value, 0 to 1.</param>
public readonly record struct PredictionError(long Count, double Mae, double Rmse, double Smape, double UnderPredictionRate);
