using Microsoft.Extensions.Logging;

namespace ResCoin.Scheduling.Control;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "ResCoin controller started: period {Period}, window {Window}, predictor {Predictor}, policy {Policy}, resources {Resources}, dry run {DryRun}.")]
    public static partial void Started(ILogger logger, TimeSpan period, int window, string predictor, string policy, ResourceSet resources, bool dryRun);

    [LoggerMessage(2, LogLevel.Information, "ResCoin controller stopped after {Periods} periods; settings restored.")]
    public static partial void Stopped(ILogger logger, long periods);

    [LoggerMessage(3, LogLevel.Error, "Period {Index}: the monitor failed; skipping this period.")]
    public static partial void MonitorFailed(ILogger logger, long index, Exception exception);

    [LoggerMessage(4, LogLevel.Error, "Period {Index}: computing the allocation failed; skipping this period.")]
    public static partial void ComputeFailed(ILogger logger, long index, Exception exception);

    [LoggerMessage(5, LogLevel.Error, "Period {Index}: the actuator failed.")]
    public static partial void ActuatorFailed(ILogger logger, long index, Exception exception);

    [LoggerMessage(6, LogLevel.Error, "Restoring the original settings failed.")]
    public static partial void RestoreFailed(ILogger logger, Exception exception);

    [LoggerMessage(7, LogLevel.Information, "VM {Vm} appeared (slot {Slot}).")]
    public static partial void VmAppeared(ILogger logger, string vm, int slot);

    [LoggerMessage(8, LogLevel.Information, "VM {Vm} vanished (slot {Slot} freed, its credit and history dropped).")]
    public static partial void VmVanished(ILogger logger, string vm, int slot);

    [LoggerMessage(9, LogLevel.Warning, "VM {Vm} reported twice in one sample; the second report is ignored.")]
    public static partial void DuplicateVm(ILogger logger, string vm);

    [LoggerMessage(10, LogLevel.Warning, "VM {Vm} reported an invalid {Resource} usage {Value}; treated as not measured.")]
    public static partial void BadUsage(ILogger logger, string vm, string resource, double value);

    [LoggerMessage(11, LogLevel.Warning, "Resources scheduled changed to {Resources} (configured {Configured}): a resource is scheduled only when its capacity (configured, or reported by the monitor) minus its reserve is above zero.")]
    public static partial void ResourcesChanged(ILogger logger, ResourceSet resources, ResourceSet configured);

    [LoggerMessage(12, LogLevel.Error, "Period observer {Observer} failed (the decision log: writing it failed).")]
    public static partial void ObserverFailed(ILogger logger, string observer, Exception exception);

    [LoggerMessage(13, LogLevel.Debug, "Period {Index}: {Count} VMs, resources {Resources}, computed in {Milliseconds} ms.")]
    public static partial void PeriodDone(ILogger logger, long index, int count, ResourceSet resources, double milliseconds);

    [LoggerMessage(14, LogLevel.Warning, "The monitor reported no usable {Resource} capacity ({Reported}); keeping the last good value {Capacity} for at most {Hold}.")]
    public static partial void CapacityHeld(ILogger logger, string resource, double reported, double capacity, TimeSpan hold);

    [LoggerMessage(15, LogLevel.Error, "The {Resource} capacity has been unreadable for {Hold}: restoring every setting the controller changed, so no cap stays frozen; the resource is scheduled again once its capacity can be read.")]
    public static partial void CapacityReleased(ILogger logger, string resource, TimeSpan hold);

    [LoggerMessage(16, LogLevel.Information, "The {Resource} capacity can be read again ({Capacity}); scheduling it.")]
    public static partial void CapacityBack(ILogger logger, string resource, double capacity);

    [LoggerMessage(17, LogLevel.Error, "Period {Index}: the {Stage} stage did not finish within the period deadline of {Deadline}; the period is abandoned.")]
    public static partial void DeadlineMissed(ILogger logger, long index, PeriodStage stage, TimeSpan deadline);
}
