namespace ResCoin;

/// <summary>
/// Predicts each VM's usage in the next period from what it used so far. Batch-oriented and stateful:
/// VMs live in dense <em>slots</em> (0 to n-1) assigned by the caller; a slot keeps its state from one
/// period to the next until <see cref="Reset"/> says a different VM took it.
/// </summary>
public interface IPredictor
{
    /// <summary>The predictor's name (<c>last</c>, <c>ewma</c>, <c>holt</c>, <c>fastslow</c>, <c>percentile</c>, <c>adaptive</c>, …).</summary>
    string Name { get; }

    /// <summary>Forgets everything about <paramref name="slot"/> (a VM left, or a new one took the slot).</summary>
    /// <param name="slot">The slot.</param>
    void Reset(int slot);

    /// <summary>
    /// Feeds one period's observed usage of one resource for slots 0 to <c>observed.Length - 1</c> and writes
    /// the estimate for the next period into <paramref name="estimates"/> (same length). A NaN observation
    /// means "not measured": the slot's state is kept and its previous estimate repeated.
    /// Also scores the previous estimate of each slot against the new observation (see <see cref="GetError"/>).
    /// </summary>
    /// <param name="resource">The resource the values are of.</param>
    /// <param name="observed">Usage per slot this period.</param>
    /// <param name="estimates">Receives the estimate per slot for the next period (never negative, never NaN).</param>
    void Update(ResourceKind resource, ReadOnlySpan<double> observed, Span<double> estimates);

    /// <summary>The accumulated one-step-ahead error of this predictor for one resource, over all slots.</summary>
    /// <param name="resource">The resource.</param>
    /// <returns>The error statistics.</returns>
    PredictionError GetError(ResourceKind resource);
}
