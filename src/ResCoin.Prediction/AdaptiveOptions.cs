using ResCoin.Prediction.Internal;

namespace ResCoin.Prediction;

/// <summary>Tunables of <see cref="AdaptivePredictor"/>.</summary>
public sealed class AdaptiveOptions
{
    /// <summary>Default <see cref="ErrorHalfLife"/>, in periods.</summary>
    public const double DefaultErrorHalfLife = 32;

    /// <summary>The candidate models; at least one. Default: <see cref="AdaptiveCandidates.Default"/>.</summary>
    public AdaptiveCandidates Candidates { get; set; } = AdaptiveCandidates.Default;

    /// <summary>
    /// Periods after which a candidate's past absolute error counts half: the "recent" in "lowest recent error".
    /// Greater than 0.
    /// </summary>
    public double ErrorHalfLife { get; set; } = DefaultErrorHalfLife;

    /// <summary>Factors of the EWMA candidate (defaults: the prototype's, CPU 0.7, others 0.8).</summary>
    public EwmaOptions Ewma { get; set; } = new();

    /// <summary>Factors of the Holt candidate.</summary>
    public HoltOptions Holt { get; set; } = new();

    /// <summary>Factors of the fast/slow candidate.</summary>
    public FastSlowOptions FastSlow { get; set; } = new();

    /// <summary>Throws when a value is out of range.</summary>
    /// <exception cref="ArgumentException">The message names the option and its bad value.</exception>
    public void Validate()
    {
        const AdaptiveCandidates all = AdaptiveCandidates.Last | AdaptiveCandidates.Ewma | AdaptiveCandidates.Holt | AdaptiveCandidates.FastSlow | AdaptiveCandidates.Transition;
        if (Candidates == AdaptiveCandidates.None || (Candidates & ~all) != 0)
        {
            throw new ArgumentException($"AdaptiveOptions.Candidates must name at least one of Last, Ewma, Holt, FastSlow, Transition and nothing else; got {Candidates}.", nameof(Candidates));
        }

        OptionCheck.GreaterThan(ErrorHalfLife, 0, "AdaptiveOptions.ErrorHalfLife");
        if (Ewma is null || Holt is null || FastSlow is null)
        {
            throw new ArgumentException("AdaptiveOptions.Ewma, Holt and FastSlow must not be null.", nameof(Ewma));
        }

        Ewma.Validate();
        Holt.Validate();
        FastSlow.Validate();
    }

    internal SlotModel CreateModel()
    {
        var models = new List<SlotModel>();
        if ((Candidates & AdaptiveCandidates.Last) != 0)
        {
            models.Add(new LastValueModel());
        }

        if ((Candidates & AdaptiveCandidates.Ewma) != 0)
        {
            models.Add(new EwmaModel(Ewma.ToVector()));
        }

        if ((Candidates & AdaptiveCandidates.Holt) != 0)
        {
            models.Add(Holt.CreateModel());
        }

        if ((Candidates & AdaptiveCandidates.FastSlow) != 0)
        {
            models.Add(FastSlow.CreateModel());
        }

        if ((Candidates & AdaptiveCandidates.Transition) != 0)
        {
            models.Add(new TransitionModel());
        }

        return new AdaptiveModel([.. models], ErrorHalfLife);
    }
}
