namespace ResCoin.Scheduling.Tests;

/// <summary>Hand-computed answers for every allocator, and the 2014 prototype's bugs as regression tests.</summary>
public sealed class KnownAnswerTests
{
    private static double[] Cpu(IAllocator allocator, double capacity, double[] tc, double[] est, double[] ac)
        => Fixtures.Run(allocator, new Problem(ResourceKind.Cpu, capacity, tc, est, ac, 1, 0));

    private static void Near(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-12 * Math.Max(1, Math.Abs(expected[i])), $"VM {i}: expected {expected[i]}, got {actual[i]}");
        }
    }

    [Fact]
    public void Credit_ContentionWithPositiveCredit_WaterFillsSpareByCredit()
    {
        // g = [4, 4], S = 2, d = [4, 4], w = [3, 1]: 3λ + λ = 2 → λ = 0.5 → extra [1.5, 0.5].
        Near([5.5, 4.5], Cpu(new CreditAllocator(), 10, [4, 4], [8, 8], [3, 1]));
    }

    [Fact]
    public void Credit_CappedClaimant_ItsShareFlowsToTheOthers()
    {
        // g = [2, 2, 2], S = 4, d = [0.5, 6, 6], w = [10, 1, 1]: VM 0 capped at 0.5, the other two split 3.5.
        Near([2.5, 3.75, 3.75], Cpu(new CreditAllocator(), 10, [2, 2, 2], [2.5, 8, 8], [10, 1, 1]));
    }

    [Fact]
    public void Credit_NoPositiveCredit_FallsBackToTemplateWeights()
    {
        // g = [1, 3], S = 4, d = [5, 5], weights tc = [1, 3]: λ = 1 → extra [1, 3].
        Near([2, 6], Cpu(new CreditAllocator(), 8, [1, 3], [6, 8], [-4, 0]));
    }

    [Fact]
    public void Credit_PositiveCreditClaimsFit_RestGoesToTheOthersByTemplate()
    {
        // g = [2, 2, 2], S = 4; VM 0 (credit) claims 3 → met; 1 left for VMs 1 and 2 by template 2:2.
        Near([5, 2.5, 2.5], Cpu(new CreditAllocator(), 10, [2, 2, 2], [5, 6, 6], [5, -1, 0]));
    }

    [Fact]
    public void Credit_ZeroTemplatesAndNoCredit_EqualSplit()
    {
        Near([2.5, 2.5, 1], Cpu(new CreditAllocator(), 6, [0, 0, 0], [10, 10, 1], [0, -3, 0]));
    }

    [Fact]
    public void Credit_OvercommittedTemplates_GuaranteesScaledDown()
    {
        Near([4, 4, 2], Cpu(new CreditAllocator(), 10, [6, 6, 3], [8, 6, 3], [100, 0, 0]));
    }

    [Theory]
    [InlineData(HeadroomPolicy.None, 1, 1)]
    [InlineData(HeadroomPolicy.ProportionalToTemplate, 3, 7)]
    [InlineData(HeadroomPolicy.ProportionalToCredit, 7, 3)]
    public void Credit_NoContention_HeadroomPerPolicy(HeadroomPolicy policy, double a0, double a1)
        => Near([a0, a1], Cpu(new CreditAllocator(policy), 10, [2, 6], [1, 1], [3, 1]));

    [Fact]
    public void Credit_HeadroomByCreditWithoutPositiveCredit_ByTemplate()
        => Near([3, 7], Cpu(new CreditAllocator(HeadroomPolicy.ProportionalToCredit), 10, [2, 6], [1, 1], [-3, 0]));

    [Fact]
    public void Prototype_ContentionOnlyCheckedVm0_NowAnyVmCanCauseContention()
    {
        // The prototype tested contention on VM 0 only; here VM 0 wants little and VM 1 a lot.
        double[] a = Cpu(new CreditAllocator(), 4, [2, 2], [0.5, 10], [0, 0]);
        Near([0.5, 3.5], a);
    }

    [Fact]
    public void Prototype_NonPositiveCreditSum_NoDivisionByZeroOrNaN()
    {
        // Credits sum to 0; the prototype divided by it. Here the spare 2 goes to the VM with positive credit.
        double[] a = Cpu(new CreditAllocator(), 6, [2, 2], [5, 5], [-3, 3]);
        Assert.All(a, x => Assert.True(double.IsFinite(x)));
        Near([2, 4], a);
    }

    [Fact]
    public void Prototype_SpareWentToVmsThatDidNotWantIt_NowOnlyClaimantsGetIt()
    {
        // VM 0 has the most credit but wants nothing beyond its template: under contention it gets no extra.
        double[] a = Cpu(new CreditAllocator(), 6, [2, 2, 2], [1, 4, 4], [50, 1, 1]);
        Near([1, 2.5, 2.5], a);
    }

    [Fact]
    public void Prototype_ReadmeFormulaOverAllocated_NowNeverAboveCapacity()
    {
        // tc_i + wr_i * C_e with C_e the spare: the prototype's README formula gives 4 + 4 + 2 = 10 > 8 here.
        double[] a = Cpu(new CreditAllocator(), 8, [4, 4], [8, 8], [1, 1]);
        Assert.True(a.Sum() <= 8 + 1e-12);
    }

    [Fact]
    public void Static_TemplatesFit_GivesTemplates()
        => Near([1, 2, 3], Cpu(new StaticAllocator(), 10, [1, 2, 3], [9, 0, 1], [0, 0, 0]));

    [Fact]
    public void Static_TemplatesOvercommit_ScaledToCapacity()
        => Near([0.5, 1, 1.5], Cpu(new StaticAllocator(), 3, [1, 2, 3], [9, 0, 1], [0, 0, 0]));

    [Fact]
    public void Share_Contention_WeightedByTemplate()
        => Near([2.5, 7.5], Cpu(new ProportionalShareAllocator(), 10, [1, 3], [10, 10], [9, 0]));

    [Fact]
    public void Share_CappedVm_RestFlowsToOthers()
        => Near([1, 9], Cpu(new ProportionalShareAllocator(), 10, [1, 3], [1, 10], [0, 0]));

    [Fact]
    public void Share_NoContention_LeftoverByTemplate()
        => Near([3, 7], Cpu(new ProportionalShareAllocator(), 10, [1, 3], [1, 1], [0, 0]));

    [Fact]
    public void Drf_ClassicExample_ThreeTasksForAAndTwoForB()
    {
        // Ghodsi et al.: capacity <9 CPU, 18 GB>, A needs <1 CPU, 4 GB> per task, B <3 CPU, 1 GB>; both want plenty of tasks.
        const double Gb = 1 << 30;
        var capacity = new ResourceVector(9, 18 * Gb);
        ResourceVector[] demand = [new(10, 40 * Gb), new(30, 10 * Gb)];
        var allocations = new ResourceVector[2];
        new DrfAllocator().Allocate(
            new AllocationInput(capacity, ResourceSet.Cpu | ResourceSet.Memory, [new VmId("A"), new VmId("B")], [new(4.5, 9 * Gb), new(4.5, 9 * Gb)], demand, new ResourceVector[2]),
            allocations);
        Assert.Equal(3, allocations[0].Cpu, 9);
        Assert.Equal(12, allocations[0].Memory / Gb, 9);
        Assert.Equal(6, allocations[1].Cpu, 9);
        Assert.Equal(2, allocations[1].Memory / Gb, 9);

        // As tasks: A runs 3 tasks of <1, 4>, B 2 tasks of <3, 1>.
        Assert.Equal(3, allocations[0].Cpu / 1, 9);
        Assert.Equal(2, allocations[1].Cpu / 3, 9);
    }

    [Fact]
    public void Drf_SmallDemandMet_OthersContinueFilling()
    {
        // A wants <1, 1> only: met in full; B gets what is left of CPU.
        var allocations = new ResourceVector[2];
        new DrfAllocator().Allocate(
            new AllocationInput(new ResourceVector(10, 10), ResourceSet.Cpu | ResourceSet.Memory, [], new ResourceVector[2], [new(1, 1), new(20, 2)], new ResourceVector[2]),
            allocations);
        Assert.Equal(1, allocations[0].Cpu, 12);
        Assert.Equal(1, allocations[0].Memory, 12);
        Assert.Equal(9, allocations[1].Cpu, 12);
        Assert.Equal(0.9, allocations[1].Memory, 12);
    }

    [Fact]
    public void Allocators_Create_KnownNamesAndHeadroom()
    {
        Assert.Equal(["rescoin", "none", "static", "share", "drf"], Allocators.Names);
        foreach (string name in Allocators.Names)
        {
            Assert.Equal(name, Allocators.Create(name.ToUpperInvariant()).Name);
        }

        Assert.Equal(HeadroomPolicy.None, ((CreditAllocator)Allocators.Create("rescoin", HeadroomPolicy.None)).Headroom);
    }

    [Fact]
    public void Allocators_CreateUnknown_MessageListsValidNames()
    {
        var ex = Assert.Throws<ArgumentException>(() => Allocators.Create("fair"));
        Assert.Contains("'fair'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("rescoin, none, static, share, drf", ex.Message, StringComparison.Ordinal);
    }
}
