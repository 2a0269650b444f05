using ResCoin.Actuation;
using ResCoin.Cgroups.Parsing;

namespace ResCoin.Cgroups;

/// <summary>
/// CPU: the cap (v2 <c>cpu.max</c>; v1 <c>cpu.cfs_quota_us</c> over <c>cpu.cfs_period_us</c>), not written when
/// <see cref="CgroupOptions.WorkConserving"/>, and the weight (v2 <c>cpu.weight</c>, v1 <c>cpu.shares</c>, mapped by <see cref="KernelWeights"/>).
/// </summary>
public sealed partial class CgroupActuator
{
    private void ApplyCpu(Paths p, double cores, double weight, bool dryRun)
    {
        Span<byte> text = stackalloc byte[64];
        if (!_options.WorkConserving)
        {
            if (double.IsFinite(cores))
            {
                ApplyCpuCap(p, cores, dryRun, text);
            }
            else if (_layout.UsesV2)
            {
                PutBack(p.Vm, "cpu.max", p.CpuMax, dryRun);
            }
            else
            {
                PutBack(p.Vm, "cpu.cfs_quota_us", p.CfsQuota, dryRun);
                PutBack(p.Vm, "cpu.cfs_period_us", p.CfsPeriod, dryRun);
            }
        }

        // Weight: the plan's dimensionless weight (1 = the kernel's default) mapped by KernelWeights; NaN puts the original back.
        string setting = _layout.UsesV2 ? "cpu.weight" : "cpu.shares";
        string weightPath = _layout.UsesV2 ? p.CpuWeight : p.CpuShares;
        if (!(weight > 0 && double.IsFinite(weight)))
        {
            PutBack(p.Vm, setting, weightPath, dryRun);
            return;
        }

        if (!TryRead(weightPath, out ReadOnlySpan<byte> w))
        {
            return;
        }

        long currentWeight = CgroupParsers.ParseInteger(w, weightPath);
        long target = _layout.UsesV2 ? KernelWeights.ToCgroup2Weight(weight) : KernelWeights.ToCpuShares(weight);
        if (target != currentWeight && Math.Abs(target - currentWeight) >= _options.DeadBandFraction * currentWeight)
        {
            int n = CgroupParsers.FormatInteger(target, text);
            Change(p.Vm, setting, weightPath, text[..n], Invariant(currentWeight), dryRun);
        }
    }

    private void ApplyCpuCap(Paths p, double cores, bool dryRun, Span<byte> text)
    {
        long period = _options.CpuPeriodMicroseconds;
        long quota, currentPeriod;
        if (_layout.UsesV2)
        {
            if (!TryRead(p.CpuMax, out ReadOnlySpan<byte> content))
            {
                return;
            }

            CgroupParsers.ParseCpuMax(content, p.CpuMax, out quota, out currentPeriod);
        }
        else
        {
            if (!TryRead(p.CfsQuota, out ReadOnlySpan<byte> q))
            {
                return;
            }

            quota = CgroupParsers.ParseInteger(q, p.CfsQuota);
            if (!TryRead(p.CfsPeriod, out ReadOnlySpan<byte> per))
            {
                return;
            }

            currentPeriod = CgroupParsers.ParseInteger(per, p.CfsPeriod);
        }

        double current = quota < 0 || currentPeriod <= 0 ? double.NaN : (double)quota / currentPeriod;
        StepDecision d = SafeStep.Compute(current, cores, new StepLimits(_options.MinCpuCores, double.PositiveInfinity, _options.CpuMaxDecreaseFraction, _options.DeadBandFraction));
        if (!d.Apply)
        {
            return;
        }

        // The kernel refuses quotas under 1 ms.
        long newQuota = Math.Max(1000, (long)Math.Round(d.Value * period));
        if (_layout.UsesV2)
        {
            int n = CgroupParsers.FormatCpuMax(newQuota, period, text);
            Change(p.Vm, "cpu.max", p.CpuMax, text[..n], quota < 0 ? "max " + Invariant(currentPeriod) : Invariant(quota) + " " + Invariant(currentPeriod), dryRun);
        }
        else
        {
            if (currentPeriod != period)
            {
                int m = CgroupParsers.FormatInteger(period, text);
                Change(p.Vm, "cpu.cfs_period_us", p.CfsPeriod, text[..m], Invariant(currentPeriod), dryRun);
            }

            int n = CgroupParsers.FormatInteger(newQuota, text);
            Change(p.Vm, "cpu.cfs_quota_us", p.CfsQuota, text[..n], Invariant(quota), dryRun);
        }
    }
}
