namespace ResCoin;

/// <summary>Applies allocations to the VMs (libvirt, cgroups, a simulator) and undoes its changes on stop.</summary>
public interface IActuator
{
    /// <summary>
    /// Applies one period's plan. Implementations journal each VM's original settings before the first change,
    /// enforce their safety rules (floors, step limits, dead-band) and, when <see cref="AllocationPlan.DryRun"/>
    /// is set, change nothing. A failure for one VM is reported and does not stop the others.
    /// </summary>
    /// <param name="plan">The plan; read it during the call only.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the plan is applied.</returns>
    ValueTask ApplyAsync(AllocationPlan plan, CancellationToken cancellationToken);

    /// <summary>Restores every setting this actuator (or a previous, crashed run sharing its journal) changed.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when everything is restored.</returns>
    ValueTask RestoreAsync(CancellationToken cancellationToken);
}
