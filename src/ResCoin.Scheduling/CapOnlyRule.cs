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
    /// Reactive caps, no weights (<c>LooseCapColumn</c>): nothing is capped while every VM is served. When a VM went
    /// without, what it missed up to its template (an entitlement) and, with credit, beyond it (a burst) is taken from the
    /// VMs without credit above their template, and what entitlements still miss from VMs with credit above theirs;
    /// never below a template. Bursts are served in the period they start; a template is restored one period after it
    /// was missed, so on slowly moving, overcommitted memory <see cref="Predicted"/> keeps templates better.
    /// </summary>
    Loose = 1,
}
