using System.Globalization;
using System.Text;
using ResCoin.Scheduling;

namespace ResCoin.Host;

/// <summary>
/// Wraps the real actuator and prints one line per VM per period: usage, estimate, credit, cap ("-" = none) and, for the
/// weighted resources, weight of every scheduled resource (in dry-run mode this is the whole output of a decision; the
/// libvirt actuator also logs what it would set).
/// </summary>
internal sealed class ReportingActuator(IActuator inner, Func<ControllerPeriod> lastPeriod, TextWriter output) : IActuator
{
    private readonly StringBuilder _line = new();

    public async ValueTask ApplyAsync(AllocationPlan plan, CancellationToken cancellationToken)
    {
        Print(plan);
        await inner.ApplyAsync(plan, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask RestoreAsync(CancellationToken cancellationToken) => inner.RestoreAsync(cancellationToken);

    private void Print(AllocationPlan plan)
    {
        ControllerPeriod p = lastPeriod();
        ReadOnlySpan<VmId> vms = p.Vms;
        for (int i = 0; i < vms.Length; i++)
        {
            _line.Clear();
            _line.Append(CultureInfo.InvariantCulture, $"{(plan.DryRun ? "dry-run " : string.Empty)}period {p.Index} {vms[i].Name,-28}");
            foreach (ResourceKind k in ResourceKinds.All)
            {
                if (!p.Resources.Contains(k))
                {
                    continue;
                }

                _line.Append(CultureInfo.InvariantCulture, $" | {ResourceKinds.Name(k)} use {Format(k, p.Usage[i][k])} est {Format(k, p.Estimates[i][k])} credit {Format(k, p.Credits[i][k])} cap {Format(k, p.Caps[i][k])}");
                double w = p.Weights[i][k];
                if (!double.IsNaN(w))
                {
                    _line.Append(CultureInfo.InvariantCulture, $" weight {w:0.00}");
                }
            }

            output.WriteLine(_line.ToString());
        }

        if (vms.Length == 0)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(plan.DryRun ? "dry-run " : string.Empty)}period {p.Index}: no running VMs"));
        }
    }

    private static string Format(ResourceKind kind, double v)
    {
        if (double.IsNaN(v))
        {
            return "-";
        }

        if (double.IsPositiveInfinity(v))
        {
            return "inf";
        }

        return kind switch
        {
            ResourceKind.Cpu => v.ToString("0.00", CultureInfo.InvariantCulture),
            ResourceKind.Memory => (v / (1024 * 1024)).ToString("0.0", CultureInfo.InvariantCulture) + "MiB",
            _ => (v / 1024).ToString("0.0", CultureInfo.InvariantCulture) + "KiB/s",
        };
    }
}
