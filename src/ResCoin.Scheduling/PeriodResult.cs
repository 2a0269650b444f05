namespace ResCoin.Scheduling;

/// <summary>The stage of a control period, as named in <see cref="PeriodResult.FailedStage"/>.</summary>
public enum PeriodStage
{
    /// <summary>No stage failed.</summary>
    None = 0,

    /// <summary>Sampling the host (<see cref="IMonitor"/>).</summary>
    Monitor = 1,

    /// <summary>Credit, prediction and allocation (bad monitor data, a faulty predictor or allocator).</summary>
    Compute = 2,

    /// <summary>Applying the plan (<see cref="IActuator"/>).</summary>
    Actuate = 3,
}

/// <summary>
/// What happened in one control period: returned by <see cref="ResCoinController.RunPeriodAsync"/> and handed to every
/// <see cref="IPeriodObserver"/>. A value type: producing it allocates nothing.
/// </summary>
/// <param name="Index">The period's number (the attempt count: 1 for the first period run).</param>
/// <param name="VmCount">The VMs in the computed period (0 when sampling or computing failed).</param>
/// <param name="FailedStage">The stage that failed, or <see cref="PeriodStage.None"/>.</param>
/// <param name="Error">The failure, when a stage failed.</param>
/// <param name="MonitorTime">Time spent sampling.</param>
/// <param name="ComputeTime">Time spent in credit, prediction and allocation.</param>
/// <param name="ActuateTime">Time spent applying the plan.</param>
/// <param name="Elapsed">The whole period, observers excluded.</param>
public readonly record struct PeriodResult(
    long Index,
    int VmCount,
    PeriodStage FailedStage,
    Exception? Error,
    TimeSpan MonitorTime,
    TimeSpan ComputeTime,
    TimeSpan ActuateTime,
    TimeSpan Elapsed)
{
    /// <summary>Whether every stage succeeded.</summary>
    public bool Succeeded => FailedStage == PeriodStage.None;

    /// <summary>Whether <see cref="ResCoinController.LastPeriod"/> describes this period (sampling and computing succeeded).</summary>
    public bool Computed => FailedStage is PeriodStage.None or PeriodStage.Actuate;
}

/// <summary>
/// Sees every control period of a <see cref="ResCoinController"/> as it completes (register with
/// <c>services.AddSingleton&lt;IPeriodObserver, T&gt;()</c> or pass to the controller): the decision log, the samples'
/// console lines and the simulator's metrics are observers. Called on the loop's thread after the plan was applied;
/// keep it quick. An observer's exception is logged and does not stop the loop or the other observers.
/// </summary>
public interface IPeriodObserver
{
    /// <summary>Called once per period.</summary>
    /// <param name="result">What happened.</param>
    /// <param name="period">
    /// The period's data (valid only when <see cref="PeriodResult.Computed"/>, and only during the call: the controller
    /// reuses it).
    /// </param>
    void OnPeriodCompleted(in PeriodResult result, ControllerPeriod period);
}
