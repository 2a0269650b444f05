namespace ResCoin.Scheduling;

/// <summary>
/// How the <c>rescoin</c> policy caps the resources the host cannot arbitrate by weight (memory, disk and network by
/// default: everything outside <c>ResCoinOptions.WeightedResources</c>). See <c>docs/design.md</c>, "Caps (cap-only
/// resources)".
/// </summary>
public enum CapOnlyRule
{
    /// <summary>
    /// The default: every VM is capped every period at its predicted demand (at least its share of the templates, plus
    /// headroom without contention), and under contention the spare capacity is water-filled by credit. It protects
    /// templates, but a burst beyond the prediction waits for the predictor to see it.
    /// </summary>
    Predicted = 0,

    /// <summary>
    /// The weighted resources' cap rule without the weights: no caps while every VM with credit is served; while one goes
    /// unserved, each VM without credit above its template is capped at its use minus its share of the unserved demand,
    /// never below its template. Bursts are served in the period they start and nothing is set on a VM while there is no
    /// contention, but nothing protects a VM below its template from one with credit above it: on a contended resource
    /// its entitlement violations are close to having no controller (measured in the simulator; see the design).
    /// </summary>
    Loose = 1,
}
