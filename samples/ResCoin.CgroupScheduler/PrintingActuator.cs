using System.Globalization;
using System.Text;

namespace ResCoin.CgroupScheduler;

/// <summary>Forwards to the real actuator, then prints one line per cgroup and period (measured usage and allocation).</summary>
internal sealed class PrintingActuator(IActuator inner, TextWriter output) : IActuator
{
    public async ValueTask ApplyAsync(AllocationPlan plan, CancellationToken cancellationToken)
    {
        await inner.ApplyAsync(plan, cancellationToken).ConfigureAwait(false);
        await output.WriteAsync(Format(plan).AsMemory(), cancellationToken).ConfigureAwait(false);
    }

    public ValueTask RestoreAsync(CancellationToken cancellationToken) => inner.RestoreAsync(cancellationToken);

    private static string Format(AllocationPlan plan)
    {
        var sb = new StringBuilder();
        ReadOnlySpan<VmId> vms = plan.Vms;
        ReadOnlySpan<ResourceVector> alloc = plan.Caps;
        ReadOnlySpan<ResourceVector> usage = plan.Usage;
        string time = plan.Timestamp.ToString("HH:mm:ss", CultureInfo.InvariantCulture);
        for (int i = 0; i < vms.Length; i++)
        {
            sb.Append(CultureInfo.InvariantCulture,
                $"{time}{(plan.DryRun ? " dry-run" : string.Empty)} {vms[i].Name}: cpu {usage[i].Cpu:F3} -> {alloc[i].Cpu:F3} cores, memory {usage[i].Memory / 1048576:F1} -> {alloc[i].Memory / 1048576:F1} MiB");
            if (plan.Resources.Contains(ResourceKind.DiskRead) || plan.Resources.Contains(ResourceKind.DiskWrite))
            {
                sb.Append(CultureInfo.InvariantCulture, $", disk r/w {alloc[i].DiskRead / 1048576:F1}/{alloc[i].DiskWrite / 1048576:F1} MiB/s");
            }

            sb.AppendLine();
        }

        return sb.ToString();
    }
}
