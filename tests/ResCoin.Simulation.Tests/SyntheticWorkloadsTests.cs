namespace ResCoin.Simulation.Tests;

public sealed class SyntheticWorkloadsTests
{
    [Fact]
    public void CreateDefaultScenario_SameSeed_SameSeries()
    {
        IReadOnlyList<VmWorkload> a = SyntheticWorkloads.CreateDefaultScenario(300, 7);
        IReadOnlyList<VmWorkload> b = SyntheticWorkloads.CreateDefaultScenario(300, 7);

        Assert.Equal(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].Name, b[i].Name);
            foreach (ResourceKind k in ResourceKinds.All)
            {
                Assert.Equal(a[i].GetDemand(k).ToArray(), b[i].GetDemand(k).ToArray());
            }
        }
    }

    [Fact]
    public void CreateDefaultScenario_OtherSeed_OtherSeries()
    {
        IReadOnlyList<VmWorkload> a = SyntheticWorkloads.CreateDefaultScenario(300, 7);
        IReadOnlyList<VmWorkload> b = SyntheticWorkloads.CreateDefaultScenario(300, 8);
        Assert.NotEqual(a[0].GetDemand(ResourceKind.Cpu).ToArray(), b[0].GetDemand(ResourceKind.Cpu).ToArray());
    }

    [Fact]
    public void CreateDefaultScenario_TwelveDistinctVmsOfEveryKind_NonNegativeEverywhere()
    {
        IReadOnlyList<VmWorkload> vms = SyntheticWorkloads.CreateDefaultScenario(500, 42);

        Assert.Equal(SyntheticWorkloads.DefaultVmCount, vms.Count);
        Assert.Equal(vms.Count, vms.Select(v => v.Name).Distinct().Count());
        foreach (string kind in new[] { "steady", "bursty", "diurnal", "ramp", "spike", "walk" })
        {
            Assert.Equal(2, vms.Count(v => v.Name.StartsWith(kind + "-", StringComparison.Ordinal)));
        }

        foreach (VmWorkload vm in vms)
        {
            Assert.Equal(500, vm.Length);
            foreach (ResourceKind k in ResourceKinds.All)
            {
                Assert.All(vm.GetDemand(k).ToArray(), x => Assert.True(double.IsFinite(x) && x >= 0));
                Assert.True(vm.GetDemand(k).ToArray().Max() > 0, $"{vm.Name} has no {k} demand");
            }
        }
    }

    [Fact]
    public void CreateDefaultScenario_MoreVms_RepeatsKindsWithNewNames()
    {
        IReadOnlyList<VmWorkload> vms = SyntheticWorkloads.CreateDefaultScenario(50, 1, vmCount: 20);
        Assert.Equal(20, vms.Count);
        Assert.Equal(20, vms.Select(v => v.Name).Distinct().Count());
    }

    [Fact]
    public void Generators_AreDeterministicAndShaped()
    {
        Assert.Equal(SyntheticWorkloads.RandomWalk(100, 1, 0.1, 0, 2, 3), SyntheticWorkloads.RandomWalk(100, 1, 0.1, 0, 2, 3));
        Assert.All(SyntheticWorkloads.RandomWalk(1000, 1, 0.5, 0.2, 2, 3), x => Assert.InRange(x, 0.2, 2));

        double[] ramp = SyntheticWorkloads.Ramp(100, 0, 10, 0, 1);
        Assert.Equal(0, ramp[0], 12);
        Assert.Equal(10, ramp[^1], 12);

        double[] spike = SyntheticWorkloads.IdleThenSpike(100, 0.1, 5, idleFirst: 50, spikeLength: 5, every: 1000, seed: 1);
        Assert.True(spike[..50].Max() < 1);
        Assert.True(spike[50..55].Min() > 4);
        Assert.True(spike[55..].Max() < 1);

        double[] onOff = SyntheticWorkloads.OnOff(2000, 0, 1, 10, 10, 5);
        Assert.Contains(onOff, x => x > 0.8);
        Assert.Contains(onOff, x => x < 0.2);

        double[] sine = SyntheticWorkloads.Diurnal(400, 1, 0.5, 100, 0, 0, 1);
        Assert.Equal(1.5, sine[25], 9);
        Assert.Equal(0.5, sine[75], 9);
    }
}
