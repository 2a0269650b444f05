using System.Globalization;
using Microsoft.Extensions.Logging;
using ResCoin.Actuation;
using ResCoin.Libvirt.Native;

namespace ResCoin.Libvirt;

/// <summary>
/// The CPU half of the apply path: the plan's cap as <c>global_quota</c> (or per-vCPU <c>vcpu_quota</c>) and its
/// weight as <c>cpu_shares</c> (<see cref="KernelWeights.ToCpuShares"/>), both live through
/// <c>virDomainSetSchedulerParametersFlags</c>. A NaN cap or weight (or a cap at or above the VM's vCPUs) puts back the
/// journaled original. The values in force are cached per VM, so a period whose values do not change issues no libvirt
/// call at all.
/// </summary>
public sealed partial class LibvirtActuator
{
    private readonly Dictionary<VmId, CpuState> _cpu = [];

    private void ApplyCpu(DomainHandle dom, VmId vm, uint domainId, double cores, double weight, int vcpus, bool dryRun)
    {
        CpuState s = GetCpuState(dom, vm, domainId);
        ApplyCpuCap(dom, vm, s, cores, vcpus, dryRun);
        ApplyCpuWeight(dom, vm, s, weight, dryRun);
    }

    /// <summary>
    /// The cached scheduler settings of a VM, read from libvirt when the VM is new, was restarted (new domain id), or
    /// the journal no longer matches what the cache says this actuator changed (a restore ran).
    /// </summary>
    private CpuState GetCpuState(DomainHandle dom, VmId vm, uint id)
    {
        if (_cpu.TryGetValue(vm, out CpuState? s) && s.DomainId == id
            && s.QuotaChanged == _journal.TryGetOriginal(vm, s.QuotaSetting, out _)
            && s.SharesChanged == _journal.TryGetOriginal(vm, CpuShares, out _))
        {
            return s;
        }

        string name = vm.Name;
        s = new CpuState { DomainId = id };
        using (TypedParameterBuffer p = Lv("virDomainGetSchedulerParameters(" + name + ")", () => LibvirtApi.GetSchedulerParameters(dom, name)))
        {
            s.Global = p.TryGet("global_quota"u8, out TypedParameter q);
            if (!s.Global && !p.TryGet("vcpu_quota"u8, out q))
            {
                throw new LibvirtException($"VM {name}: the scheduler has neither global_quota nor vcpu_quota; cannot cap CPU");
            }

            s.Quota = q.AsInt64();
            s.Period = p.TryGet(s.Global ? "global_period"u8 : "vcpu_period"u8, out TypedParameter per) ? per.AsInt64() : 100_000;
            s.Shares = p.TryGet("cpu_shares"u8, out TypedParameter sh) ? sh.AsInt64() : -1;
        }

        if (s.Period <= 0)
        {
            s.Period = 100_000;
        }

        s.QuotaSetting = s.Global ? CpuGlobalQuota : CpuVcpuQuota;
        s.QuotaChanged = _journal.TryGetOriginal(vm, s.QuotaSetting, out _);
        s.SharesChanged = _journal.TryGetOriginal(vm, CpuShares, out _);
        _cpu[vm] = s;
        return s;
    }

    private void ApplyCpuCap(DomainHandle dom, VmId vm, CpuState s, double cores, int vcpus, bool dryRun)
    {
        string name = vm.Name;
        string field = s.Global ? "global_quota" : "vcpu_quota";

        // global_quota caps the whole VM; vcpu_quota caps each vCPU, so the per-vCPU share is cores / vcpus.
        int divisor = s.Global ? 1 : Math.Max(vcpus, 1);
        double ceiling = (s.Global ? Math.Max(vcpus, 1) : 1) * (double)s.Period;
        double target = cores / divisor * s.Period;
        if (double.IsNaN(cores) || target >= ceiling)
        {
            // No cap from the plan (or one the VM's vCPUs cannot reach): the original setting applies again.
            RestoreCpuSetting(dom, vm, s, s.QuotaSetting, field, TypedParameterType.LLong, s.Quota, dryRun);
            return;
        }

        if (!double.IsFinite(cores))
        {
            return;
        }

        bool unlimited = s.Quota <= 0 || s.Quota >= ceiling;
        double current = unlimited ? ceiling : s.Quota;
        var limits = new StepLimits(
            Floor: Math.Max(_options.MinCpuCores / divisor * s.Period, 1000),
            Ceiling: ceiling,
            MaxDecreaseFraction: _options.CpuMaxDecreaseFraction,
            DeadBandFraction: _options.DeadBandFraction);
        StepDecision d = SafeStep.Compute(current, target, limits);
        if (!d.Apply || (unlimited && d.Value >= ceiling))
        {
            return;
        }

        long next = Math.Max((long)Math.Round(d.Value), 1000);
        if (next == s.Quota)
        {
            return;
        }

        if (dryRun)
        {
            LogDryRun(_logger, name, field, s.Quota, next);
            return;
        }

        _journal.TryRecordOriginal(vm, s.QuotaSetting, Format(s.Quota));
        s.QuotaChanged = true;
        SetSchedulerParameter(dom, name, field, TypedParameterType.LLong, next);
        LogApplied(_logger, name, field, s.Quota, next);
        s.Quota = next;
    }

    private void ApplyCpuWeight(DomainHandle dom, VmId vm, CpuState s, double weight, bool dryRun)
    {
        if (s.Shares <= 0)
        {
            // No cpu_shares on this host's scheduler: weights cannot be applied.
            return;
        }

        if (double.IsNaN(weight))
        {
            RestoreCpuSetting(dom, vm, s, CpuShares, "cpu_shares", TypedParameterType.ULLong, s.Shares, dryRun);
            return;
        }

        if (!(weight > 0 && double.IsFinite(weight)))
        {
            return;
        }

        long next = KernelWeights.ToCpuShares(weight);
        double deadBand = double.IsNaN(_options.WeightDeadBandFraction) ? _options.DeadBandFraction : _options.WeightDeadBandFraction;
        if (next == s.Shares || Math.Abs(next - s.Shares) <= deadBand * s.Shares)
        {
            return;
        }

        if (dryRun)
        {
            LogDryRun(_logger, vm.Name, "cpu_shares", s.Shares, next);
            return;
        }

        _journal.TryRecordOriginal(vm, CpuShares, Format(s.Shares));
        s.SharesChanged = true;
        SetSchedulerParameter(dom, vm.Name, "cpu_shares", TypedParameterType.ULLong, next);
        LogApplied(_logger, vm.Name, "cpu_shares", s.Shares, next);
        s.Shares = next;
    }

    /// <summary>Puts a journaled CPU setting back to its original value and forgets it; nothing when this actuator never changed it.</summary>
    private void RestoreCpuSetting(DomainHandle dom, VmId vm, CpuState s, string setting, string field, TypedParameterType type, long current, bool dryRun)
    {
        if (!_journal.TryGetOriginal(vm, setting, out string? text)
            || !long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long original))
        {
            return;
        }

        if (dryRun)
        {
            LogDryRun(_logger, vm.Name, field, current, original);
            return;
        }

        if (original != current)
        {
            SetSchedulerParameter(dom, vm.Name, field, type, original);
            LogApplied(_logger, vm.Name, field, current, original);
        }

        _journal.Remove(vm, setting);
        if (setting == CpuShares)
        {
            s.Shares = original;
            s.SharesChanged = false;
        }
        else
        {
            s.Quota = original;
            s.QuotaChanged = false;
        }
    }

    /// <summary>Drops the cached CPU state of VMs no longer in the plan (only when some vanished: no work otherwise).</summary>
    private void ForgetVanishedCpuStates(ReadOnlySpan<VmId> vms)
    {
        if (_cpu.Count <= vms.Length)
        {
            return;
        }

        var present = new HashSet<VmId>(vms.Length);
        foreach (VmId vm in vms)
        {
            present.Add(vm);
        }

        foreach (VmId vm in _cpu.Keys.ToArray())
        {
            if (!present.Contains(vm))
            {
                _cpu.Remove(vm);
            }
        }
    }

    private void SetSchedulerParameter(DomainHandle dom, string vm, string field, TypedParameterType type, long value)
    {
        using var set = new TypedParameterBuffer(1);
        set.Add(field, type, value);
        Lv("virDomainSetSchedulerParameters(" + vm + ")", () => LibvirtApi.SetSchedulerParameters(dom, vm, set));
    }

    /// <summary>What this actuator knows to be in force for one VM's CPU (what it read or last set).</summary>
    private sealed class CpuState
    {
        public uint DomainId { get; init; }

        public bool Global { get; set; }

        public long Period { get; set; }

        public long Quota { get; set; }

        public long Shares { get; set; }

        public string QuotaSetting { get; set; } = CpuGlobalQuota;

        public bool QuotaChanged { get; set; }

        public bool SharesChanged { get; set; }
    }
}
