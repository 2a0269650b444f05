namespace ResCoin.Simulation.Tests;

public sealed class SimulatedHostTests
{
    // Two VMs of equal size, CPU only (other resources have zero demand); capacity 4 cores, templates 2 + 2.
    private static SimulationScenario TwoVms(double[] a, double[] b)
    {
        static VmWorkload Vm(string name, double[] cpu)
        {
            var series = new double[ResourceKinds.Count][];
            for (int r = 0; r < series.Length; r++)
            {
                series[r] = r == 0 ? cpu : new double[cpu.Length];
            }

            return new VmWorkload(name, new ResourceVector(1, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN), series);
        }

        VmWorkload[] vms = [Vm("a", a), Vm("b", b)];
        double sumP95 = SimulationScenario.Create(vms, 1, TimeSpan.FromSeconds(8)).Capacity.Cpu;
        return SimulationScenario.Create(vms, 4 / sumP95, TimeSpan.FromSeconds(8));
    }

    [Fact]
    public void Create_CapacityIsFractionOfSumP95_TemplatesSplitBySize()
    {
        SimulationScenario s = TwoVms([4, 4, 4], [2, 2, 2]);
        Assert.Equal(4, s.Capacity.Cpu, 12);
        Assert.Equal(3, SimulationScenario.Create(s.Vms, 0.5, s.Period).Capacity.Cpu, 12); // 0.5 × (4 + 2)
        Assert.Equal(ResourceSet.Cpu, s.Resources);
        Assert.Equal(2, s.Templates[0].Cpu, 12);
        Assert.Equal(2, s.Templates[1].Cpu, 12);
    }

    [Fact]
    public async Task SampleAsync_FirstPeriodRunsAtTemplates_UsageIsCensored()
    {
        SimulationScenario s = TwoVms([3, 1, 0], [1, 4, 4]);
        var host = new SimulatedHost(s);
        var snap = new HostSnapshot();

        await host.SampleAsync(snap, default);

        Assert.Equal(2, snap.Count);
        Assert.Equal(2, snap.Vms[0].Usage.Cpu); // wants 3, template 2
        Assert.Equal(1, snap.Vms[1].Usage.Cpu);
        Assert.Equal(s.Capacity, snap.HostCapacity);
        Assert.Equal(TimeSpan.FromSeconds(8), snap.Interval);
        Assert.Equal(1, host.GetUnserved(0).Cpu);
        Assert.Equal(0, host.GetUnserved(1).Cpu);
    }

    [Fact]
    public async Task ApplyAsync_GovernsTheNextPeriod()
    {
        SimulationScenario s = TwoVms([3, 1, 0], [1, 4, 4]);
        var host = new SimulatedHost(s);
        var snap = new HostSnapshot();
        await host.SampleAsync(snap, default);

        var plan = new AllocationPlan { Resources = ResourceSet.Cpu };
        plan.Add(new VmId("b"), new ResourceVector(3.5, 0), default); // out of order on purpose
        plan.Add(new VmId("a"), new ResourceVector(0.5, 0), default);
        await host.ApplyAsync(plan, default);
        snap.Clear();
        await host.SampleAsync(snap, default);

        Assert.Equal(0.5, snap.Vms[0].Usage.Cpu);
        Assert.Equal(3.5, snap.Vms[1].Usage.Cpu);
        Assert.Equal(1 + 0.5, host.GetUnserved(0).Cpu);
        Assert.Equal(0.5, host.GetUnserved(1).Cpu);
    }

    [Fact]
    public async Task ApplyAsync_DryRun_ChangesNothing()
    {
        var host = new SimulatedHost(TwoVms([3, 1, 0], [1, 4, 4]));
        var plan = new AllocationPlan { Resources = ResourceSet.Cpu, DryRun = true };
        plan.Add(new VmId("a"), new ResourceVector(0.1, 0), default);
        await host.ApplyAsync(plan, default);
        Assert.Equal(2, host.Allocations[0].Cpu);
    }

    [Fact]
    public async Task GetMetrics_MatchesAHandComputation()
    {
        // Period 0 at templates (2, 2); period 1 at (1, 3); period 2 at (1, 3).
        SimulationScenario s = TwoVms([3, 1, 2], [1, 4, 4]);
        var host = new SimulatedHost(s);
        var snap = new HostSnapshot();
        var plan = new AllocationPlan { Resources = ResourceSet.Cpu };
        plan.Add(new VmId("a"), new ResourceVector(1, 0), default);
        plan.Add(new VmId("b"), new ResourceVector(3, 0), default);
        for (int t = 0; t < 3; t++)
        {
            snap.Clear();
            await host.SampleAsync(snap, default);
            await host.ApplyAsync(plan, default);
        }

        ResourceMetrics m = host.GetMetrics()[ResourceKind.Cpu];

        // demand a: 3 1 2, b: 1 4 4 → total 15. alloc a: 2 1 1, b: 2 3 3.
        // served a: 2 1 1, b: 1 3 3 → 11; unmet 4.
        Assert.Equal(4.0 / 15, m.UnmetDemand, 12);
        // min(d, tc=2): a: 2 1 2, b: 1 2 2. Violations: a@2 (1 < 2). 1 of 6 pairs.
        Assert.Equal(1.0 / 6, m.EntitlementViolations, 12);
        Assert.Equal(11.0 / (4 * 3), m.Utilization, 12);
        // |Δalloc| / C for t = 1, 2: a: 1, 0; b: 1, 0 → (1 + 0 + 1 + 0) / 4 / 4 pairs.
        Assert.Equal(2.0 / 4 / 4, m.Churn, 12);
        // Per-period Jain of served/demanded: t0 (2/3, 1), t1 (1, 3/4), t2 (1/2, 3/4).
        static double Jain(double x, double y) => (x + y) * (x + y) / (2 * ((x * x) + (y * y)));
        Assert.Equal((Jain(2.0 / 3, 1) + Jain(1, 0.75) + Jain(0.5, 0.75)) / 3, m.JainSatisfaction, 12);
        Assert.Equal(Jain(4.0 / 6, 7.0 / 9), m.JainSatisfactionRun, 12);
    }

    [Fact]
    public async Task SampleAsync_PastTheEnd_Throws()
    {
        var host = new SimulatedHost(TwoVms([1, 1], [1, 1]));
        var snap = new HostSnapshot();
        await host.SampleAsync(snap, default);
        snap.Clear();
        await host.SampleAsync(snap, default);
        snap.Clear();
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await host.SampleAsync(snap, default));
    }

    [Fact]
    public async Task OraclePredictor_ReturnsTheNextPeriodsDemand()
    {
        SimulationScenario s = TwoVms([3, 1, 2], [1, 4, 4]);
        var oracle = new OraclePredictor(s.Vms);
        var est = new double[2];
        oracle.Update(ResourceKind.Cpu, [3, 1], est);
        Assert.Equal([1, 4], est);
        oracle.Update(ResourceKind.Cpu, [1, 4], est);
        Assert.Equal([2, 4], est);
        Assert.Equal(0, oracle.GetError(ResourceKind.Cpu).Mae);
        oracle.Update(ResourceKind.Cpu, [2, 4], est);
        Assert.Equal([2, 4], est); // past the end: the last period's demand
        await Task.CompletedTask;
    }

    [Fact]
    public async Task RunPolicyAsync_RealController_OracleRescoinNeverViolatesEntitlements()
    {
        SimulationScenario s = SimulationScenario.Create(SyntheticWorkloads.CreateDefaultScenario(200, 3), 0.6, TimeSpan.FromSeconds(8));

        PolicyRun run = await SimulationRunner.RunPolicyAsync(s, "rescoin", new OraclePredictor(s.Vms), new SimulationRunOptions { RecordVms = [0, 1] });

        Assert.Equal(200, run.Metrics.Periods);
        foreach (ResourceKind k in ResourceKinds.All)
        {
            Assert.Equal(0, run.Metrics[k].EntitlementViolations);
        }

        Assert.Equal(200, run.GetCpuCredit(1).Length);
        Assert.Equal(s.Templates[0].Cpu, run.GetCpuAllocation(0)[0]); // the first period runs at the template
    }

    [Fact]
    public async Task RunPolicyAsync_Static_HasZeroChurnAndRunsAtTemplates()
    {
        SimulationScenario s = SimulationScenario.Create(SyntheticWorkloads.CreateDefaultScenario(100, 3), 0.6, TimeSpan.FromSeconds(8));

        PolicyRun run = await SimulationRunner.RunPolicyAsync(s, "static", Prediction.Predictors.Create("ewma"), new SimulationRunOptions { RecordVms = [2] });

        foreach (ResourceKind k in ResourceKinds.All)
        {
            Assert.Equal(0, run.Metrics[k].Churn);
            Assert.Equal(0, run.Metrics[k].EntitlementViolations);
        }

        Assert.All(run.GetCpuAllocation(0).ToArray(), a => Assert.Equal(s.Templates[2].Cpu, a, 9));
    }
}
