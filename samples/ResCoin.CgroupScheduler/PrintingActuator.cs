using System.Globalization;
using System.Text;
using ResCoin.Scheduling;

namespace ResCoin.CgroupScheduler;

/// <summary>Forwards to the real actuator, then prints one line per cgroup and period (measured usage, cap, weight, guarantee).</summary>
/// <remarks>The measured pressure (PSI "some" share of the period: the part of demand not served) comes from the controller's current period.</remarks>
internal sealed class PrintingActuator(IActuator inner, TextWriter output, Func<ControllerPeriod?> period) : IActuator
{
    public async ValueTask ApplyAsync(AllocationPlan plan, CancellationToken cancellationToken)
    {
        await inner.ApplyAsync(plan, cancellationToken).ConfigureAwait(false);
        await output.WriteAsync(Format(plan, period()).AsMemory(), cancellationToken).ConfigureAwait(false);
    }

    public ValueTask RestoreAsync(CancellationToken cancellationToken) => inner.RestoreAsync(cancellationToken);

    private static string Format(AllocationPlan plan, ControllerPeriod? last)
    {
        var sb = new StringBuilder();
        ReadOnlySpan<VmId> vms = plan.Vms;
        ReadOnlySpan<ResourceVector> caps = plan.Caps;
        ReadOnlySpan<ResourceVector> weights = plan.Weights;
        ReadOnlySpan<ResourceVector> guarantees = plan.Guarantees;
        ReadOnlySpan<ResourceVector> usage = plan.Usage;
        string time = plan.Timestamp.ToString("HH:mm:ss", CultureInfo.InvariantCulture);
        for (int i = 0; i < vms.Length; i++)
        {
            // "-" where the plan sets nothing (NaN: the cgroup's original setting applies).
            sb.Append(CultureInfo.InvariantCulture,
                $"{time}{(plan.DryRun ? " dry-run" : string.Empty)} {vms[i].Name}: cpu {N(usage[i].Cpu, 3)} cap {N(caps[i].Cpu, 3)} weight {N(weights[i].Cpu, 2)}, memory {N(usage[i].Memory / 1048576, 1)} MiB high {N(caps[i].Memory / 1048576, 1)} low {N(guarantees[i].Memory / 1048576, 1)} MiB");
            if (plan.Resources.Contains(ResourceKind.DiskRead) || plan.Resources.Contains(ResourceKind.DiskWrite))
            {
                sb.Append(CultureInfo.InvariantCulture, $", disk r/w {N(usage[i].DiskRead / 1048576, 1)}/{N(usage[i].DiskWrite / 1048576, 1)} cap {N(caps[i].DiskRead / 1048576, 1)}/{N(caps[i].DiskWrite / 1048576, 1)} MiB/s");
            }

            int j = last is null ? -1 : last.IndexOf(vms[i]);
            if (j >= 0)
            {
                ResourceVector psi = last!.Pressure[j];
                sb.Append(CultureInfo.InvariantCulture, $", psi cpu {N(psi.Cpu, 3)} memory {N(psi.Memory, 3)} io {N(psi.DiskRead, 3)}");
            }

            sb.AppendLine();
        }

        return sb.ToString();
    }

    private static string N(double value, int decimals)
        => double.IsNaN(value) ? "-" : value.ToString(decimals == 1 ? "F1" : decimals == 2 ? "F2" : "F3", CultureInfo.InvariantCulture);
}
