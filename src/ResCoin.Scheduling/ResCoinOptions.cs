using System.ComponentModel.DataAnnotations;

namespace ResCoin.Scheduling;

/// <summary>
/// Configuration of the ResCoin control loop (configuration section <c>ResCoin</c>). Validated when the controller
/// is created and, under the generic host, on start; a bad value fails with a message naming its key.
/// </summary>
public sealed class ResCoinOptions
{
    /// <summary>The configuration section the options are usually bound from, and the prefix of validation messages.</summary>
    public const string SectionName = "ResCoin";

    /// <summary>The default period, in seconds (the prototype's 8 s).</summary>
    public const int DefaultPeriodSeconds = 8;

    /// <summary>The default <see cref="CapacityHold"/>, in seconds.</summary>
    public const int DefaultCapacityHoldSeconds = 30;

    /// <summary>The default credit window, in periods (the prototype's 10).</summary>
    public const int DefaultWindow = 10;

    /// <summary>The largest credit window accepted.</summary>
    public const int MaxWindow = 100_000;

    /// <summary>The default predictor name: <c>adaptive</c>, the best measured on the Bitbrains traces (Prediction README).</summary>
    public const string DefaultPredictor = "adaptive";

    /// <summary>The default <see cref="BucketCapPeriods"/>.</summary>
    public const double DefaultBucketCapPeriods = 450;

    /// <summary>The default allocation policy name.</summary>
    public const string DefaultPolicy = Allocators.ResCoin;

    /// <summary>The default <see cref="ThrottledGrowth"/>.</summary>
    public const double DefaultThrottledGrowth = 0.25;

    /// <summary>The control period: the time between two samples/allocations. Greater than zero. Default 8 s.</summary>
    public TimeSpan Period { get; set; } = TimeSpan.FromSeconds(DefaultPeriodSeconds);

    /// <summary>
    /// The longest one period may take (sampling, computing and applying together). A stage still running at the
    /// deadline is cancelled (its token; a stage that returned synchronously past the deadline makes the next stage
    /// start with its token cancelled), the period counts as failed in that stage (a <see cref="TimeoutException"/> in
    /// <see cref="PeriodResult.Error"/>) and the loop goes on with the next period. Unset (the default): the period.
    /// The first period, which also pays for start-up, gets at least 30 s.
    /// </summary>
    public TimeSpan? PeriodDeadline { get; set; }

    /// <summary>
    /// How long the last good capacity of a resource is kept when the monitor stops reporting it (a host capacity that
    /// reads as unknown or zero). Until then the resource is scheduled on that value; after it the controller restores
    /// every setting it changed (<see cref="IActuator.RestoreAsync"/>), so no cap stays frozen, and schedules the resource
    /// again once its capacity can be read. Default 30 s; zero releases at the first period without a capacity.
    /// </summary>
    public TimeSpan CapacityHold { get; set; } = TimeSpan.FromSeconds(DefaultCapacityHoldSeconds);

    /// <summary>
    /// The credit window <c>k</c> of <see cref="CreditMode.SlidingWindow"/>: the number of periods of unused entitlement
    /// a credit sums. Default 10 (the prototype's). Not used by the default <see cref="CreditMode.Bucket"/>.
    /// </summary>
    [Range(1, MaxWindow)]
    public int Window { get; set; } = DefaultWindow;

    /// <summary>How credit is kept: a <see cref="CreditMode.Bucket"/> (default) or the prototype's <see cref="CreditMode.SlidingWindow"/>.</summary>
    public CreditMode CreditMode { get; set; } = CreditMode.Bucket;

    /// <summary>
    /// The credit bucket's size, in periods of template: credit accrues at <c>template − usage</c> per period and stays
    /// within <c>[0, BucketCapPeriods × template]</c>. Default 450 (an hour at the 8 s period). 0 to 10 000 000.
    /// </summary>
    [Range(0.0, 10_000_000.0)]
    public double BucketCapPeriods { get; set; } = DefaultBucketCapPeriods;

    /// <summary>
    /// The resources the host arbitrates by weight within a period, for which the allocator's weights act and caps stay
    /// loose unless needed. Default <see cref="ResourceSet.Cpu"/> (CFS); the others are capped.
    /// </summary>
    public ResourceSet WeightedResources { get; set; } = ResourceSet.Cpu;

    /// <summary>How credit turns into weights and caps for <see cref="WeightedResources"/> (the <c>rescoin</c> policy).</summary>
    public CreditWeighting Weighting { get; set; } = new();

    /// <summary>
    /// The host capacity per resource. Unset (NaN, the default) takes what the monitor reports
    /// (<see cref="HostSnapshot.HostCapacity"/>); a resource whose capacity is known from neither is not scheduled.
    /// </summary>
    public ResourceAmounts Capacity { get; set; } = new();

    /// <summary>What to keep back for the host itself, per resource; subtracted from the capacity. Unset = 0.</summary>
    public ResourceAmounts Reserve { get; set; } = new();

    /// <summary>The resources to schedule. Default: all.</summary>
    public ResourceSet Resources { get; set; } = ResourceSet.All;

    /// <summary>
    /// Per-VM templates (entitlements) by VM name. A VM without one, or a resource left unset in one, gets the
    /// default: the capacity split equally among the VMs present.
    /// </summary>
    public IDictionary<string, ResourceAmounts> Templates { get; } = new Dictionary<string, ResourceAmounts>(StringComparer.Ordinal);

    /// <summary>What the credit allocator does with unclaimed capacity. Default: <see cref="HeadroomPolicy.ProportionalToTemplate"/>.</summary>
    public HeadroomPolicy Headroom { get; set; } = HeadroomPolicy.ProportionalToTemplate;

    /// <summary>The predictor, by name (<c>last</c>, <c>ewma</c>, <c>holt</c>, <c>fastslow</c>, <c>percentile</c>, <c>adaptive</c>). Default <c>adaptive</c>.</summary>
    [Required]
    public string Predictor { get; set; } = DefaultPredictor;

    /// <summary>The allocation policy, by name (<c>rescoin</c>, <c>none</c>, <c>static</c>, <c>share</c>, <c>drf</c>). Default <c>rescoin</c>.</summary>
    [Required]
    public string Policy { get; set; } = DefaultPolicy;

    /// <summary>
    /// How far the estimate of a throttled VM may grow beyond its last allocation, as a fraction (0 to 10; default
    /// 0.25; 0 turns the rule off, as in the 2014 prototype). A VM that used at least 98 % of what it was allocated
    /// may have wanted more: its measured usage is censored by the cap, so a predictor fed only that usage can never
    /// ask for more than the cap and the VM stays pinned there for as long as the host is contended. With this rule
    /// its estimate is raised to at least <c>allocation × (1 + ThrottledGrowth)</c>, so it claims spare capacity and
    /// its credit decides how much it gets.
    /// </summary>
    [Range(0.0, 10.0)]
    public double ThrottledGrowth { get; set; } = DefaultThrottledGrowth;

    /// <summary>When set, the plan is marked dry-run: actuators log what they would do and change nothing.</summary>
    public bool DryRun { get; set; }

    /// <summary>When set, one JSON line per period is appended to this file (usage, estimate, allocation, credit, template per VM).</summary>
    public string? DecisionLogPath { get; set; }
}

/// <summary>How the controller keeps each VM's credit (see <c>docs/design.md</c>, "Credit").</summary>
public enum CreditMode
{
    /// <summary>
    /// A bucket (the default): credit accrues at <c>template − usage</c> per period, capped at
    /// <see cref="ResCoinOptions.BucketCapPeriods"/> periods of template, never below zero.
    /// </summary>
    Bucket = 0,

    /// <summary>The 2014 prototype's rule: the sum of <c>template − usage</c> over the last <see cref="ResCoinOptions.Window"/> periods.</summary>
    SlidingWindow = 1,
}
