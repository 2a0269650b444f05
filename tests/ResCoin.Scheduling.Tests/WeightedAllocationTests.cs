using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using ResCoin.Prediction;
using ResCoin.Scheduling.Control;

namespace ResCoin.Scheduling.Tests;

/// <summary>One CPU (weight-arbitrated) allocation problem with everything the credit allocator reads.</summary>
public sealed record WeightedProblem(double Capacity, double[] Templates, double[] Credits, double[] Usage, double[] Limits, double[] Pressure, double[] PreviousCaps)
{
    public int Count => Templates.Length;

    public override string ToString()
        => $"C={Capacity} tc=[{string.Join(",", Templates)}] ac=[{string.Join(",", Credits)}] u=[{string.Join(",", Usage)}] lim=[{string.Join(",", Limits)}] p=[{string.Join(",", Pressure)}] prev=[{string.Join(",", PreviousCaps)}]";
}

/// <summary>Generators for <see cref="WeightedProblem"/>: NaN (unknown) signals, zero templates, empty and full buckets, ties.</summary>
public static class WeightedArbitraries
{
    public static Arbitrary<WeightedProblem> Problem() => Arb.From(
        from n in Gen.Frequency((2, Gen.Constant(1)), (6, Gen.Choose(2, 12)), (2, Gen.Choose(13, 200)))
        from capacity in Gen.Elements(1.0, 2.0, 8.0, 32.0, 1e3)
        from templates in Gen.ArrayOf(Gen.Frequency((1, Gen.Constant(0.0)), (6, Gen.Choose(1, 64).Select(k => k * capacity / (8.0 * n)))), n)
        from credits in Gen.ArrayOf(Gen.Frequency((3, Gen.Constant(0.0)), (4, Gen.Choose(1, 900).Select(k => k * capacity / n)), (1, Gen.Choose(1, 90).Select(k => -k * capacity / n))), n)
        from usage in Gen.ArrayOf(Gen.Frequency((1, Gen.Constant(double.NaN)), (6, Gen.Choose(0, 80).Select(k => k * capacity / (10.0 * n)))), n)
        from limits in Gen.ArrayOf(Gen.Frequency((2, Gen.Constant(double.NaN)), (1, Gen.Constant(double.PositiveInfinity)), (4, Gen.Choose(1, 80).Select(k => k * capacity / (10.0 * n)))), n)
        from pressure in Gen.ArrayOf(Gen.Frequency((2, Gen.Constant(double.NaN)), (2, Gen.Constant(0.0)), (3, Gen.Choose(0, 100).Select(k => k / 100.0))), n)
        from previous in Gen.ArrayOf(Gen.Frequency((3, Gen.Constant(double.NaN)), (4, Gen.Choose(1, 80).Select(k => k * capacity / (10.0 * n)))), n)
        select new WeightedProblem(capacity, templates, credits, usage, limits, pressure, previous));
}

/// <summary>
/// The rules of weights and caps for weight-arbitrated resources (docs/design.md, "Weights and caps") and of the credit
/// bucket, as FsCheck properties and known answers.
/// </summary>
public sealed class WeightedAllocationTests
{
    private static (ResourceVector[] Caps, ResourceVector[] Weights) Run(IAllocator allocator, WeightedProblem p, ResourceSet weighted = ResourceSet.Cpu)
    {
        static ResourceVector[] Cpu(double[] values) => values.Select(v => { var r = ResourceVector.Fill(double.NaN); r.Cpu = v; return r; }).ToArray();
        var caps = new ResourceVector[p.Count];
        var weights = new ResourceVector[p.Count];
        var input = new AllocationInput(new ResourceVector(p.Capacity, double.NaN), ResourceSet.Cpu, [], Cpu(p.Templates), Cpu(p.Templates), Cpu(p.Credits))
        {
            Limits = Cpu(p.Limits),
            Usage = Cpu(p.Usage),
            Pressure = Cpu(p.Pressure),
            PreviousCaps = Cpu(p.PreviousCaps),
            WeightedResources = weighted,
        };
        allocator.Allocate(input, new AllocationOutput(caps, weights));
        return (caps, weights);
    }

    private static IEnumerable<IAllocator> WeightingAllocators() => [new CreditAllocator(), new ProportionalShareAllocator(), new StaticAllocator(), new DrfAllocator(), new NoControllerAllocator()];

    [Property(MaxTest = 1500, Arbitrary = [typeof(WeightedArbitraries)])]
    public void Allocate_AnyPolicy_CapsNeverAboveLimitOrCapacity_WeightsPositive(WeightedProblem p)
    {
        foreach (IAllocator allocator in WeightingAllocators())
        {
            (ResourceVector[] caps, ResourceVector[] weights) = Run(allocator, p);
            for (int i = 0; i < p.Count; i++)
            {
                double c = caps[i].Cpu;
                double w = weights[i].Cpu;
                Assert.True(double.IsNaN(c) || (c >= 0 && c <= p.Capacity * (1 + 1e-12)), $"{allocator.Name}: cap {c} of VM {i} outside [0, C] in {p}");
                Assert.False(c > p.Limits[i], $"{allocator.Name}: cap {c} of VM {i} above its limit {p.Limits[i]} in {p}");
                Assert.True(double.IsNaN(w) || (w > 0 && double.IsFinite(w)), $"{allocator.Name}: weight {w} of VM {i} in {p}");
            }
        }
    }

    [Property(MaxTest = 1500, Arbitrary = [typeof(WeightedArbitraries)])]
    public void Allocate_CapOnlyLoose_NoWeights_CapsOnlyAboveTemplate_NeverBelowIt_NeverAboveLimitOrCapacity(WeightedProblem p)
    {
        // CPU not weighted here: CapOnlyRule.Loose sets no weights, and caps only VMs that used more than their template,
        // never below the template, never above the VM's limit or the host.
        (ResourceVector[] caps, ResourceVector[] weights) = Run(new CreditAllocator(weighting: new CreditWeighting { CapOnly = CapOnlyRule.Loose }), p, ResourceSet.None);
        for (int i = 0; i < p.Count; i++)
        {
            Assert.True(double.IsNaN(weights[i].Cpu));
            double cap = caps[i].Cpu;
            if (double.IsNaN(cap))
            {
                continue;
            }

            Assert.True(p.Usage[i] > p.Templates[i], $"VM {i} capped at {cap} though it used {p.Usage[i]} of template {p.Templates[i]}");
            Assert.True(cap <= p.Capacity + 1e-9 && !(cap > p.Limits[i]), $"VM {i}: cap {cap}, limit {p.Limits[i]}, capacity {p.Capacity}");
            Assert.True(cap >= Math.Min(p.Templates[i], Math.Min(p.Capacity, p.Limits[i] >= 0 ? p.Limits[i] : double.PositiveInfinity)) - 1e-9, $"VM {i}: cap {cap} below template {p.Templates[i]}");
        }
    }

    [Fact]
    public void Allocate_CapOnlyLoose_AVmBelowTemplateUnserved_CapsThoseAboveTemplate_CreditOrNot()
    {
        // Capacity 4, templates 1 each. VM 0 used 0.5 of its template and went half unserved (pressure 0.5): it is owed 0.5.
        // VM 1 (no credit) and VM 2 (credit) used 1.5 and 1.5: the entitlement comes from VM 1 first (0.5 of its 0.5).
        var p = new WeightedProblem(4, [1, 1, 1, 1], [5, 0, 5, 5], [0.5, 1.5, 1.5, 0.5], [4, 4, 4, 4], [0.5, 0, 0, 0], [double.NaN, double.NaN, double.NaN, double.NaN]);
        (ResourceVector[] caps, _) = Run(new CreditAllocator(weighting: new CreditWeighting { CapOnly = CapOnlyRule.Loose }), p, ResourceSet.None);
        Assert.True(double.IsNaN(caps[0].Cpu));
        Assert.Equal(1.0, caps[1].Cpu, 9);
        Assert.True(double.IsNaN(caps[2].Cpu));

        // More pressure, but the entitlement is at most the template: still owed 0.5, still all from VM 1.
        p = p with { Pressure = [0.75, 0, 0, 0] };
        (caps, _) = Run(new CreditAllocator(weighting: new CreditWeighting { CapOnly = CapOnlyRule.Loose }), p, ResourceSet.None);
        Assert.Equal(1.0, caps[1].Cpu, 9);
        Assert.True(double.IsNaN(caps[2].Cpu)); // owed min(0.5 * 0.75 / 0.25, 1 - 0.5) = 0.5, all from VM 1: VM 2 untouched
        // Owed more than VM 1 has above template: VM 2, with credit, gives the rest (an entitlement beats a burst).
        p = p with { Usage = [0.25, 1.25, 1.5, 0.5], Pressure = [0.75, 0, 0, 0] };
        (caps, _) = Run(new CreditAllocator(weighting: new CreditWeighting { CapOnly = CapOnlyRule.Loose }), p, ResourceSet.None);
        Assert.Equal(1.0, caps[1].Cpu, 9); // owed 0.75: 0.25 from VM 1 ...
        Assert.Equal(1.0, caps[2].Cpu, 9); // ... and 0.5 from VM 2
    }

    [Fact]
    public void CreditWeighting_UnknownCapOnlyRule_FailsNamingIt()
    {
        var ex = Assert.Throws<ArgumentException>(() => new CreditAllocator(weighting: new CreditWeighting { CapOnly = (CapOnlyRule)7 }));
        Assert.StartsWith("CreditWeighting.CapOnly is 7", ex.Message, StringComparison.Ordinal);
    }

    [Property(MaxTest = 1500, Arbitrary = [typeof(WeightedArbitraries)])]
    public void Allocate_Rescoin_MoreCreditNeverLessWeightOrCap(WeightedProblem p)
    {
        if (p.Count < 1)
        {
            return;
        }

        // Append a twin of VM 0 that differs only in credit: the one with more credit never gets less.
        double extra = p.Credits[0] + (p.Capacity / p.Count * 50);
        var twin = new WeightedProblem(
            p.Capacity,
            [.. p.Templates, p.Templates[0]],
            [.. p.Credits, extra],
            [.. p.Usage, p.Usage[0]],
            [.. p.Limits, p.Limits[0]],
            [.. p.Pressure, p.Pressure[0]],
            [.. p.PreviousCaps, p.PreviousCaps[0]]);
        (ResourceVector[] caps, ResourceVector[] weights) = Run(new CreditAllocator(), twin);
        int a = 0;
        int b = twin.Count - 1;
        Assert.True(weights[b].Cpu >= weights[a].Cpu, $"weight {weights[b].Cpu} < {weights[a].Cpu} in {twin}");
        double capA = double.IsNaN(caps[a].Cpu) ? double.PositiveInfinity : caps[a].Cpu;
        double capB = double.IsNaN(caps[b].Cpu) ? double.PositiveInfinity : caps[b].Cpu;
        Assert.True(capB >= capA, $"cap {capB} < {capA} in {twin}");
    }

    [Property(MaxTest = 1500, Arbitrary = [typeof(WeightedArbitraries)])]
    public void Allocate_EqualCredit_WeightsProportionalToTemplates(WeightedProblem p)
    {
        double equal = p.Capacity / p.Count;
        var same = p with { Credits = Enumerable.Repeat(p.Credits[0] > 0 ? 0.0 : p.Credits[0], p.Count).ToArray(), Templates = p.Templates.Select(t => Math.Max(t, equal * 0.02)).ToArray() };
        same = same with { Credits = new double[p.Count] };
        foreach (IAllocator allocator in new IAllocator[] { new CreditAllocator(), new ProportionalShareAllocator() })
        {
            (_, ResourceVector[] weights) = Run(allocator, same);
            for (int i = 1; i < p.Count; i++)
            {
                double expected = same.Templates[i] / same.Templates[0];
                Assert.Equal(expected, weights[i].Cpu / weights[0].Cpu, 9);
            }

            Assert.Equal(same.Templates[0] / equal, weights[0].Cpu, 9);
        }
    }

    [Property(MaxTest = 1000)]
    public void Bucket_NeverBelowZeroNorAboveItsCap(PositiveInt seed, NonNegativeInt capPeriods)
    {
        var rng = new Random(seed.Get);
        int slots = 1 + rng.Next(40);
        double k = capPeriods.Get % 500;
        var bucket = new CreditBucket(k, slots);
        double[] templates = Enumerable.Range(0, slots).Select(_ => rng.Next(4) == 0 ? 0 : rng.NextDouble() * 8).ToArray();
        for (int t = 0; t < 200; t++)
        {
            double[] usage = templates.Select(tc => rng.Next(6) == 0 ? double.NaN : rng.NextDouble() * 3 * (tc + 0.1)).ToArray();
            bucket.PushAll(ResourceKind.Cpu, slots, templates, usage);
            ReadOnlySpan<double> credit = bucket.Sums(ResourceKind.Cpu);
            for (int i = 0; i < slots; i++)
            {
                Assert.InRange(credit[i], 0, (templates[i] * k) + 1e-9);
            }
        }
    }

    [Fact]
    public void Bucket_AccruesUnusedTemplate_SpendsAboveIt_SkipsUnmeasured()
    {
        var bucket = new CreditBucket(capPeriods: 5, initialSlots: 1);
        double[] t = [2];
        bucket.PushAll(ResourceKind.Cpu, 1, t, [0.5]);
        Assert.Equal(1.5, bucket.Credit(ResourceKind.Cpu, 0), 12);
        bucket.PushAll(ResourceKind.Cpu, 1, t, [double.NaN]);
        Assert.Equal(1.5, bucket.Credit(ResourceKind.Cpu, 0), 12);
        bucket.PushAll(ResourceKind.Cpu, 1, t, [3]);
        Assert.Equal(0.5, bucket.Credit(ResourceKind.Cpu, 0), 12);
        bucket.PushAll(ResourceKind.Cpu, 1, t, [5]);
        Assert.Equal(0, bucket.Credit(ResourceKind.Cpu, 0));
        for (int i = 0; i < 20; i++)
        {
            bucket.PushAll(ResourceKind.Cpu, 1, t, [0]);
        }

        Assert.Equal(10, bucket.Credit(ResourceKind.Cpu, 0), 12); // 5 periods of a template of 2
    }

    [Fact]
    public void Allocate_CreditHolderUnserved_HogsWithoutCreditCappedTowardTemplate()
    {
        // 8 cores: two hogs (template 2, no credit) use 3.5 each; a burster with credit (template 2) used 1 under
        // pressure 0.75 (it wanted 4), so it lacks 3: the hogs give up 1.5 each, down to 2 — never below template.
        var p = new WeightedProblem(8, [2, 2, 2], [0, 0, 100], [3.5, 3.5, 1], [8, 8, 8], [0, 0, 0.75], [double.NaN, double.NaN, double.NaN]);
        (ResourceVector[] caps, ResourceVector[] weights) = Run(new CreditAllocator(), p);
        Assert.Equal(2, caps[0].Cpu, 12);
        Assert.Equal(2, caps[1].Cpu, 12);
        Assert.True(double.IsNaN(caps[2].Cpu), "a VM with credit is not capped");
        Assert.True(weights[2].Cpu > weights[0].Cpu * 1.8, "credit raises the weight");

        // A smaller deficit takes less, in proportion to the excess over template.
        p = p with { Usage = [4, 3, 3], Pressure = [0, 0, 0.25] }; // lacks 1; excess 2 and 1
        (caps, _) = Run(new CreditAllocator(), p);
        Assert.Equal(4 - (2.0 / 3), caps[0].Cpu, 12);
        Assert.Equal(3 - (1.0 / 3), caps[1].Cpu, 12);
    }

    [Fact]
    public void Allocate_BurstServed_CapsHeldWhileItLasts_ReleasedAfter()
    {
        var held = new WeightedProblem(8, [2, 2, 2], [0, 0, 90], [2, 2, 4], [8, 8, 8], [0, 0, 0], [2, 2, double.NaN]);
        (ResourceVector[] caps, _) = Run(new CreditAllocator(), held);
        Assert.Equal(2, caps[0].Cpu, 12);
        Assert.Equal(2, caps[1].Cpu, 12);

        // Capacity left idle while the burst lasts goes back to the capped VMs: 1 core spare, 0.5 each.
        var idle = held with { Usage = [2, 2, 3] };
        (caps, _) = Run(new CreditAllocator(), idle);
        Assert.Equal(2.5, caps[0].Cpu, 12);
        Assert.Equal(2.5, caps[1].Cpu, 12);

        var over = held with { Usage = [3, 3, 1] }; // the burst is over: nobody with credit is above its template
        (caps, _) = Run(new CreditAllocator(), over);
        Assert.All(caps, c => Assert.True(double.IsNaN(c.Cpu)));
    }

    [Fact]
    public void Allocate_CappedCreditHolder_ClaimsUpToItsLimit()
    {
        // The burster used all of a cap of 1 (below its limit of 6): it claims 5 more at once.
        var p = new WeightedProblem(8, [2, 2, 2], [0, 0, 10], [3.5, 3.5, 1], [8, 8, 6], [0, 0, double.NaN], [double.NaN, double.NaN, 1]);
        (ResourceVector[] caps, _) = Run(new CreditAllocator(), p);
        Assert.Equal(2, caps[0].Cpu, 12);
        Assert.Equal(2, caps[1].Cpu, 12);
    }

    [Fact]
    public void Allocate_None_SetsNothing_Share_TemplateWeightsWithoutCaps()
    {
        var p = new WeightedProblem(8, [1, 3], [50, 0], [4, 4], [8, 8], [0.5, 0.5], [double.NaN, double.NaN]);
        (ResourceVector[] caps, ResourceVector[] weights) = Run(new NoControllerAllocator(), p);
        Assert.All(caps.Concat(weights), v => Assert.True(double.IsNaN(v.Cpu)));
        (caps, weights) = Run(new ProportionalShareAllocator(), p);
        Assert.All(caps, v => Assert.True(double.IsNaN(v.Cpu)));
        Assert.Equal(0.25, weights[0].Cpu, 12);
        Assert.Equal(0.75, weights[1].Cpu, 12);
    }

    [Fact]
    public void Engine_UnmeasuredVm_EstimateIsTemplate_EstimatesNeverAboveLimit()
    {
        var engine = new PeriodEngine(Predictors.Create("ewma"), new CreditAllocator(), window: 10, bucketCapPeriods: 450, weighted: ResourceSet.Cpu);
        engine.EnsureSlots(2);
        ResourceVector[] templates = [new(2, 4e9), new(2, 4e9)];
        ResourceVector[] limits = [new(1, 1e9), ResourceVector.Fill(double.NaN)];
        ResourceVector[] pressure = [ResourceVector.Fill(double.NaN), ResourceVector.Fill(double.NaN)];
        var estimates = new ResourceVector[2];
        var credits = new ResourceVector[2];
        var caps = new ResourceVector[2];
        var weights = new ResourceVector[2];
        ResourceVector[] usage = [ResourceVector.Fill(double.NaN), ResourceVector.Fill(double.NaN)];
        engine.Run(new ResourceVector(8, 16e9), ResourceSet.Cpu | ResourceSet.Memory, 2, [0, 1], [new VmId("small"), new VmId("new")], templates, usage, limits, pressure, estimates, credits, caps, weights);
        Assert.Equal(1, estimates[0].Cpu);      // template 2, but only 1 vCPU
        Assert.Equal(1e9, estimates[0].Memory); // template 4 GB, but 1 GB of maximum memory
        Assert.Equal(2, estimates[1].Cpu);      // not measured yet: its template, not 0
        Assert.Equal(4e9, estimates[1].Memory);
        Assert.False(caps[0].Memory > 1e9, "never allocate above the VM's own limit");
        Assert.True(weights[0].Cpu > 0 && double.IsNaN(weights[0].Memory), "CPU is weighted, memory is capped");

        // Pressure tells how much a VM wanted: usage 1 with 50 % unserved is a demand of about 2.
        usage = [new(0.5, 5e8), new(1, 1e9)];
        pressure = [ResourceVector.Fill(double.NaN), new(0.5, double.NaN)];
        engine.Run(new ResourceVector(8, 16e9), ResourceSet.Cpu | ResourceSet.Memory, 2, [0, 1], [new VmId("small"), new VmId("new")], templates, usage, limits, pressure, estimates, credits, caps, weights);
        Assert.True(estimates[1].Cpu >= 2 - 1e-12, $"estimate {estimates[1].Cpu}");
    }
}
