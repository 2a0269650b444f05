using ResCoin.Actuation;
using ResCoin.Libvirt.Native;

namespace ResCoin.Libvirt;

/// <content>The balloon: memory caps within the safety rules, the original journaled only at rest.</content>
public sealed partial class LibvirtActuator
{
    private void ApplyMemory(DomainHandle dom, VmId vm, double bytes, double guestUsed, in DomainInfo info, bool dryRun)
    {
        if (!double.IsFinite(bytes))
        {
            return;
        }

        double currentBytes = info.MemoryKiB.Value * 1024.0;
        double maxBytes = info.MaxMemKiB.Value * 1024.0;
        // Unknown guest usage: never shrink (the floor is the current balloon).
        double floor = double.IsFinite(guestUsed) && guestUsed >= 0
            ? Math.Max(_options.MemoryFloorBytes, guestUsed + _options.MemoryMarginBytes)
            : Math.Max(_options.MemoryFloorBytes, currentBytes);
        var limits = new StepLimits(floor, maxBytes > 0 ? maxBytes : double.PositiveInfinity, _options.MemoryMaxDecreaseFraction, _options.DeadBandFraction);
        StepDecision d = SafeStep.Compute(currentBytes, bytes, limits);
        if (!d.Apply)
        {
            return;
        }

        ulong kib = Math.Max((ulong)Math.Ceiling(d.Value / 1024), 1);
        if (maxBytes > 0)
        {
            kib = Math.Min(kib, info.MaxMemKiB.Value);
        }

        ulong currentKib = info.MemoryKiB.Value;
        if (kib == currentKib)
        {
            return;
        }

        if (dryRun)
        {
            LogDryRun(_logger, vm.Name, "balloon KiB", (long)currentKib, (long)kib);
            return;
        }

        if (!_journal.TryGetOriginal(vm, MemoryBalloon, out _) && !TryReadBalloonOriginal(dom, vm, currentKib))
        {
            return; // the balloon is moving: its original is read once it is at rest
        }

        _journal.TryRecordOriginal(vm, MemoryBalloon, Format((long)currentKib));
        string name = vm.Name;
        Lv("virDomainSetMemory(" + name + ")", () => LibvirtApi.SetMemory(dom, name, kib));
        _facts?.MarkMemoryChanged();
        LogApplied(_logger, vm.Name, "balloon KiB", (long)currentKib, (long)kib);
    }
}
