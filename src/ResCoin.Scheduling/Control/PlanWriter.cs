namespace ResCoin.Scheduling.Control;

/// <summary>Turns a computed period into the plan the actuator applies (docs/design.md, "Actuation").</summary>
internal static class PlanWriter
{
    /// <summary>Fills <paramref name="plan"/> with each VM's cap, weight and guarantee from <paramref name="period"/>.</summary>
    public static void Write(AllocationPlan plan, ControllerPeriod period, TimeSpan length, bool dryRun)
    {
        ResourceSet scheduled = period.Resources;
        plan.Clear();
        plan.Timestamp = period.Timestamp;
        plan.Period = length;
        plan.Resources = scheduled;
        plan.DryRun = dryRun;
        for (int i = 0; i < period.Count; i++)
        {
            // The guarantee: the template, within the cap (NaN where the resource is not scheduled).
            ref readonly ResourceVector cap = ref period.CapBuffer[i];
            ref readonly ResourceVector template = ref period.TemplateBuffer[i];
            ResourceVector guarantee = default;
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                double c = cap[r];
                guarantee[r] = scheduled.Contains((ResourceKind)r) ? (c < template[r] ? c : template[r]) : double.NaN;
            }

            plan.Add(period.VmBuffer[i], cap, period.WeightBuffer[i], guarantee, period.UsageBuffer[i]);
        }
    }
}
