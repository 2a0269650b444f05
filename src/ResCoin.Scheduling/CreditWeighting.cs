using System.Globalization;

namespace ResCoin.Scheduling;

/// <summary>
/// How the credit allocator turns credit into kernel weights and caps for the resources the host arbitrates by weight
/// (CPU). See <c>docs/design.md</c>, "Weights and caps".
/// </summary>
/// <remarks>
/// <para>
/// Weight: <c>w = max(template ÷ (C ÷ n), 0.01) × 2^clamp(credit ÷ (CreditPeriods × template), −log2 MaxBoost, log2 MaxBoost)</c>:
/// template-proportional at zero credit (1 = the kernel's default for an equal split), up to <see cref="MaxBoost"/>
/// times more with credit, down to 1 ÷ <see cref="MaxBoost"/> with negative credit (sliding-window mode only).
/// </para>
/// <para>
/// Caps: none (loose), except while a VM with credit went unserved in the last period (its pressure was above
/// <see cref="UnservedPressure"/>, or it used at least <see cref="CappedFraction"/> of a cap below its limit): then each
/// VM without credit that used more than its template is capped at its use minus its share (by excess over template)
/// of the unserved demand, never below its template. The caps hold while a VM with credit still uses more than its
/// template (capacity the host left idle meanwhile is handed back to the capped VMs), and are released when none does.
/// </para>
/// </remarks>
public sealed class CreditWeighting
{
    /// <summary>The default <see cref="CreditPeriods"/>.</summary>
    public const double DefaultCreditPeriods = 30;

    /// <summary>The default <see cref="MaxBoost"/> (2^0.9).</summary>
    public const double DefaultMaxBoost = 1.866;

    /// <summary>The default <see cref="UnservedPressure"/>.</summary>
    public const double DefaultUnservedPressure = 0.02;

    /// <summary>The default <see cref="CappedFraction"/>.</summary>
    public const double DefaultCappedFraction = 0.98;

    /// <summary>Credit worth this many periods of template doubles a VM's weight (before <see cref="MaxBoost"/>). Default 30.</summary>
    public double CreditPeriods { get; set; } = DefaultCreditPeriods;

    /// <summary>The most credit can raise a weight, as a factor (at least 1; 1 turns credit weighting off). Default 1.866.</summary>
    public double MaxBoost { get; set; } = DefaultMaxBoost;

    /// <summary>Pressure (share of demand not served, 0 to 1) above which a VM counts as unserved. Default 0.02.</summary>
    public double UnservedPressure { get; set; } = DefaultUnservedPressure;

    /// <summary>A VM that used at least this fraction of its cap counts as capped and wanting more. Default 0.98.</summary>
    public double CappedFraction { get; set; } = DefaultCappedFraction;

    /// <summary>
    /// How resources outside the weighted ones are capped: <see cref="CapOnlyRule.Predicted"/> (the default; caps at the
    /// predicted demand every period, water-filled by credit under contention) or <see cref="CapOnlyRule.Loose"/> (reactive
    /// caps that serve entitlements and then bursts, no weights).
    /// </summary>
    public CapOnlyRule CapOnly { get; set; } = CapOnlyRule.Predicted;

    internal CreditWeighting Clone() => (CreditWeighting)MemberwiseClone();

    internal void Validate()
    {
        Check(CreditPeriods > 0 && CreditPeriods <= 1e9, nameof(CreditPeriods), CreditPeriods, "> 0 and <= 1e9");
        Check(MaxBoost >= 1 && MaxBoost <= 1000, nameof(MaxBoost), MaxBoost, "between 1 and 1000");
        Check(UnservedPressure >= 0 && UnservedPressure < 1, nameof(UnservedPressure), UnservedPressure, ">= 0 and < 1");
        Check(CappedFraction > 0 && CappedFraction <= 1, nameof(CappedFraction), CappedFraction, "> 0 and <= 1");
        if (CapOnly is not (CapOnlyRule.Loose or CapOnlyRule.Predicted))
        {
            throw new ArgumentException($"CreditWeighting.CapOnly is {(int)CapOnly}; it must be Loose or Predicted.", nameof(CapOnly));
        }
    }

    private static void Check(bool ok, string name, double value, string rule)
    {
        if (!ok)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"CreditWeighting.{name} is {value.ToString("R", CultureInfo.InvariantCulture)}; it must be {rule}."),
                name);
        }
    }
}
