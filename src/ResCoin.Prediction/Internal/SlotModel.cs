namespace ResCoin.Prediction.Internal;

/// <summary>
/// The math of one predictor, with none of the bookkeeping: <see cref="PredictorEngine"/> owns slot storage
/// (grown amortized), NaN handling, input validation, clamping and error tracking, and calls
/// <see cref="Update"/> once per resource and period.
/// </summary>
internal abstract class SlotModel
{
    /// <summary>Number of doubles of state per slot for <paramref name="resource"/> (slot-major, zeroed on reset).</summary>
    public abstract int StateWidth(ResourceKind resource);

    /// <summary>
    /// Advances every measured slot. On entry <paramref name="estimates"/> holds each slot's previous estimate
    /// (0 for a slot never measured); for a slot whose observation is NaN the model must leave the estimate and its
    /// state alone. <paramref name="counts"/> is the number of measured observations before this one (0 = first).
    /// </summary>
    public abstract void Update(
        ResourceKind resource,
        ReadOnlySpan<double> observed,
        Span<double> estimates,
        Span<double> state,
        ReadOnlySpan<int> counts);

    /// <summary>
    /// Whether each slot's update reads and writes only that slot's elements of the spans (true for every model that
    /// holds no storage of its own): the engine may then update a range of slots at a time.
    /// </summary>
    public virtual bool SlotLocal => true;

    /// <summary>Called when a slot is reset (its state is already zeroed). For models that hold extra storage.</summary>
    public virtual void Reset(int slot)
    {
    }
}
