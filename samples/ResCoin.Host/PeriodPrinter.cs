using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using ResCoin.Scheduling;

namespace ResCoin.Host;

/// <summary>
/// Prints one line per VM per period (<c>--report vms</c>, the default with <c>--dry-run</c>, where it is the whole output
/// of a decision): usage, estimate, credit, cap (<c>-</c> = none) and, for the weighted resources, the weight of every
/// scheduled resource. A period observer, so the loop's parts are not wrapped; registered only when asked for, since
/// formatting and writing lines every period is most of what a quiet daemon would otherwise spend.
/// </summary>
internal sealed class PeriodPrinter(IOptions<ResCoinOptions> options) : IPeriodObserver
{
    private readonly StringBuilder _line = new();
    private readonly string _prefix = options.Value.DryRun ? "dry-run " : string.Empty;
    private readonly TextWriter _output = Console.Out;

    public void OnPeriodCompleted(in PeriodResult result, ControllerPeriod period)
    {
        if (!result.Computed)
        {
            _output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{_prefix}period {result.Index}: {result.FailedStage} failed: {result.Error?.Message}"));
            return;
        }

        ReadOnlySpan<VmId> vms = period.Vms;
        for (int i = 0; i < vms.Length; i++)
        {
            _line.Clear();
            _line.Append(CultureInfo.InvariantCulture, $"{_prefix}period {period.Index} {vms[i].Name,-28}");
            foreach (ResourceKind k in ResourceKinds.All)
            {
                if (!period.Resources.Contains(k))
                {
                    continue;
                }

                _line.Append(CultureInfo.InvariantCulture, $" | {ResourceKinds.Name(k)} use {Format(k, period.Usage[i][k])} est {Format(k, period.Estimates[i][k])} credit {Format(k, period.Credits[i][k])} cap {Format(k, period.Caps[i][k])}");
                double w = period.Weights[i][k];
                if (!double.IsNaN(w))
                {
                    _line.Append(CultureInfo.InvariantCulture, $" weight {w:0.00}");
                }
            }

            _output.WriteLine(_line.ToString());
        }

        if (vms.Length == 0)
        {
            _output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{_prefix}period {period.Index}: no running VMs"));
        }

        if (result.FailedStage == PeriodStage.Actuate)
        {
            _output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{_prefix}period {period.Index}: applying failed: {result.Error?.Message}"));
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
