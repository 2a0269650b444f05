using ResCoin.Scheduling.Control;

namespace ResCoin.Scheduling;

/// <content>The compute stage: this period's capacity, the VMs' slots and templates, the pure period, the plan.</content>
public sealed partial class ResCoinController
{
    /// <summary>Computes one period from <see cref="_snapshot"/> into <see cref="_last"/> and <see cref="_plan"/>.</summary>
    /// <returns>The resources whose capacity hold expired in this period (their settings must be restored).</returns>
    private ResourceSet Compute()
    {
        long index = _last.Index + 1;
        HostSnapshot snapshot = _snapshot;
        ResourceSet scheduled = _capacity.Resolve(snapshot.HostCapacity, out ResourceVector capacity, out ResourceSet release);

        // VMs: find or assign slots, copy and check usage.
        ControllerPeriod last = _last;
        last.EnsureCapacity(snapshot.Count);
        Span<VmSample> samples = snapshot.Vms;
        int n = 0;
        _slots.BeginSweep();
        for (int s = 0; s < samples.Length; s++)
        {
            ref VmSample sample = ref samples[s];
            VmId id = sample.Id;
            if (id.IsEmpty || !_slots.TrySee(id, out int slot))
            {
                continue;
            }

            last.VmBuffer[n] = id;
            last.SlotBuffer[n] = slot;
            ResourceVector usage = sample.Usage;
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                double u = usage[r];
                if (!double.IsNaN(u) && !(u >= 0 && u <= double.MaxValue))
                {
                    Log.BadUsage(_logger, id.Name, ResourceKinds.Name((ResourceKind)r), u);
                    usage[r] = double.NaN;
                }
            }

            last.UsageBuffer[n] = usage;
            last.LimitBuffer[n] = sample.Limit;
            last.PressureBuffer[n] = sample.Pressure;
            n++;
        }

        // VMs that vanished give back their slot.
        _slots.EndSweep();

        // Templates: configured per VM name, else the capacity split equally.
        for (int i = 0; i < n; i++)
        {
            ref readonly ResourceVector configured = ref _slots.Template(last.SlotBuffer[i]);
            ResourceVector t = default;
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                double e = configured[r];
                t[r] = double.IsNaN(e) ? capacity[r] / n : e;
            }

            last.TemplateBuffer[i] = t;
        }

        _engine.EnsureSlots(_slots.Count);
        _engine.Run(
            capacity,
            scheduled,
            _slots.Count,
            last.SlotBuffer.AsSpan(0, n),
            last.VmBuffer.AsSpan(0, n),
            last.TemplateBuffer.AsSpan(0, n),
            last.UsageBuffer.AsSpan(0, n),
            last.LimitBuffer.AsSpan(0, n),
            last.PressureBuffer.AsSpan(0, n),
            last.EstimateBuffer.AsSpan(0, n),
            last.CreditBuffer.AsSpan(0, n),
            last.CapBuffer.AsSpan(0, n),
            last.WeightBuffer.AsSpan(0, n));

        DateTimeOffset timestamp = snapshot.Timestamp == default ? _time.GetUtcNow() : snapshot.Timestamp;
        last.Index = index;
        last.Timestamp = timestamp;
        last.Capacity = capacity;
        last.Resources = scheduled;
        last.Count = n;
        PlanWriter.Write(_plan, last, _period, _dryRun);
        return release;
    }
}
