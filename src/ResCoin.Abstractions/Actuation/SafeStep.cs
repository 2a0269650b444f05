namespace ResCoin.Actuation;

/// <summary>The limits one actuated setting moves within (see <see cref="SafeStep.Compute"/>).</summary>
/// <param name="Floor">The lowest value ever applied (e.g. guest-used memory + margin); must be &gt; 0 where 0 would mean "unlimited".</param>
/// <param name="Ceiling">The highest value ever applied (e.g. the VM's maximum memory); <see cref="double.PositiveInfinity"/> for none.</param>
/// <param name="MaxDecreaseFraction">The most a value may shrink in one step, as a fraction of the current value (1 = no limit).</param>
/// <param name="DeadBandFraction">Changes smaller than this fraction of the current value are skipped (0 = apply every change).</param>
public readonly record struct StepLimits(double Floor, double Ceiling, double MaxDecreaseFraction, double DeadBandFraction);

/// <summary>The decision for one setting: whether to write it and the value to write.</summary>
/// <param name="Apply">Whether the setting should be written.</param>
/// <param name="Value">The value to write when <paramref name="Apply"/> is true.</param>
public readonly record struct StepDecision(bool Apply, double Value);

/// <summary>
/// The safety rules every actuator shares: clamp to [floor, ceiling], shrink at most a fraction per step,
/// skip changes inside the dead-band, never produce 0 or a non-finite value.
/// </summary>
public static class SafeStep
{
    /// <summary>The smallest value ever produced: a computed 0 must never reach a backend where 0 means unlimited.</summary>
    public const double MinimumPositive = 1e-9;

    /// <summary>Decides the next value of a setting.</summary>
    /// <param name="current">The value in force now; NaN when unknown (then no step limit or dead-band applies).</param>
    /// <param name="target">The allocation; NaN means "leave alone".</param>
    /// <param name="limits">The limits.</param>
    /// <returns>What to do.</returns>
    public static StepDecision Compute(double current, double target, in StepLimits limits)
    {
        if (!double.IsFinite(target))
        {
            return new StepDecision(false, current);
        }

        double floor = Math.Max(limits.Floor, MinimumPositive);
        double ceiling = double.IsNaN(limits.Ceiling) ? double.PositiveInfinity : Math.Max(limits.Ceiling, floor);
        double next = Math.Clamp(target, floor, ceiling);

        bool knownCurrent = double.IsFinite(current) && current > 0;
        if (knownCurrent && next < current)
        {
            double fraction = Math.Clamp(limits.MaxDecreaseFraction, 0, 1);
            // The ceiling is a hard bound (e.g. maximum memory); the step limit only slows shrinking below it.
            next = Math.Min(Math.Max(next, current * (1 - fraction)), ceiling);
        }

        if (knownCurrent && Math.Abs(next - current) <= Math.Max(limits.DeadBandFraction, 0) * current)
        {
            return new StepDecision(false, current);
        }

        return new StepDecision(true, Math.Max(next, MinimumPositive));
    }
}
