using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using ResCoin.Scheduling;

namespace ResCoin.CgroupScheduler;

/// <summary>
/// Prints what the controller decided each period, from the <see cref="PeriodResult"/> and <see cref="ControllerPeriod"/>
/// it publishes to observers: one line per cgroup with, per scheduled resource, the measured usage, the cap and (for
/// weight-arbitrated resources) the weight, then the PSI pressure the monitor read; and one line naming the stage that
/// failed, when one did.
/// </summary>
/// <remarks>
/// <c>-</c> stands for NaN: nothing measured, or nothing planned (the cgroup's original setting applies). CPU in cores,
/// memory in MiB, disk in MiB/s. Pressure is the share of the period in which some task of the cgroup stalled.
/// </remarks>
internal sealed class ConsolePeriodObserver : IPeriodObserver
{
    private const double MiB = 1024 * 1024;
    private readonly TextWriter _output = Console.Out;
    private readonly TimeProvider _time;
    private readonly bool _dryRun;
    private readonly ResourceSet _weighted;
    private readonly StringBuilder _line = new();

    /// <summary>Creates the observer (resolved by <c>AddObserver&lt;ConsolePeriodObserver&gt;()</c>).</summary>
    /// <param name="options">The controller's options: whether this is a dry run and which resources are weighted.</param>
    /// <param name="timeProvider">The clock, for periods that failed before they had a sample's timestamp.</param>
    public ConsolePeriodObserver(IOptions<ResCoinOptions> options, TimeProvider timeProvider)
    {
        _time = timeProvider;
        _dryRun = options.Value.DryRun;
        _weighted = options.Value.WeightedResources;
    }

    /// <inheritdoc/>
    public void OnPeriodCompleted(in PeriodResult result, ControllerPeriod period)
    {
        _line.Clear();
        DateTimeOffset time = _time.GetUtcNow();
        if (result.Computed)
        {
            time = period.Timestamp;
            AppendDecisions(period);
        }

        if (!result.Succeeded)
        {
            string stage = result.FailedStage switch
            {
                PeriodStage.Monitor => "monitor",
                PeriodStage.Compute => "compute",
                _ => "actuate",
            };
            _line.Append(CultureInfo.InvariantCulture, $"{Time(time)} period {result.Index}: {stage} failed: {result.Error?.Message}");
            if (result.FailedStage == PeriodStage.Actuate)
            {
                _line.Append(" (the decisions above may be applied only in part)");
            }

            _line.AppendLine();
        }

        _output.Write(_line);
        _output.Flush();
    }

    private void AppendDecisions(ControllerPeriod period)
    {
        ResourceSet resources = period.Resources;
        ReadOnlySpan<VmId> vms = period.Vms;
        string prefix = Time(period.Timestamp) + (_dryRun ? " dry-run" : string.Empty);
        for (int i = 0; i < vms.Length; i++)
        {
            _line.Append(prefix).Append(' ').Append(vms[i].Name).Append(':');
            string separator = " ";
            foreach (ResourceKind r in ResourceKinds.All)
            {
                if (!resources.Contains(r))
                {
                    continue;
                }

                double scale = r == ResourceKind.Cpu ? 1 : MiB;
                string format = r == ResourceKind.Cpu ? "F3" : "F1";
                string unit = r switch
                {
                    ResourceKind.Cpu => string.Empty,
                    ResourceKind.Memory => " MiB",
                    _ => " MiB/s",
                };
                _line.Append(separator).Append(ResourceKinds.Name(r))
                    .Append(' ').Append(N(period.Usage[i][r] / scale, format))
                    .Append(" cap ").Append(N(period.Caps[i][r] / scale, format)).Append(unit);
                if (_weighted.Contains(r))
                {
                    _line.Append(" weight ").Append(N(period.Weights[i][r], "F2"));
                }

                separator = ", ";
            }

            ResourceVector psi = period.Pressure[i];
            _line.Append(CultureInfo.InvariantCulture, $", psi cpu {N(psi.Cpu, "F3")} memory {N(psi.Memory, "F3")} io {N(psi.DiskRead, "F3")}");
            _line.AppendLine();
        }
    }

    private static string Time(DateTimeOffset time) => time.ToString("HH:mm:ss", CultureInfo.InvariantCulture);

    private static string N(double value, string format) => double.IsNaN(value) ? "-" : value.ToString(format, CultureInfo.InvariantCulture);
}
