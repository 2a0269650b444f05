using FsCheck.Xunit;
using static ResCoin.Scheduling.Tests.Fixtures;

namespace ResCoin.Scheduling.Tests;

/// <summary>The allocation properties of docs/design.md ("Caps"), over at least 10 000 generated problems each (tolerance 1e-9 relative).</summary>
public sealed class AllocatorPropertyTests
{
    private static readonly HeadroomPolicy[] s_policies = [HeadroomPolicy.None, HeadroomPolicy.ProportionalToTemplate, HeadroomPolicy.ProportionalToCredit];

    [Property(MaxTest = 10000, Arbitrary = [typeof(Arbitraries)])]
    public void Allocate_AnyAllocator_NeverOverCapacityNorNegative(Problem p)
    {
        foreach (IAllocator allocator in AllAllocators())
        {
            double[] a = Run(allocator, p);
            double sum = 0;
            foreach (double x in a)
            {
                Check(x >= 0 && double.IsFinite(x), $"{allocator.Name}: allocation {x} is negative or not finite");
                sum += x;
            }

            Check(sum <= p.Capacity + p.Tolerance, $"{allocator.Name}: sum {sum:R} > capacity {p.Capacity:R}");
        }
    }

    [Property(MaxTest = 10000, Arbitrary = [typeof(Arbitraries)])]
    public void Allocate_TemplatesFit_EveryVmGetsAtLeastMinOfEstimateAndTemplate(Problem p)
    {
        if (p.Templates.Sum() > p.Capacity)
        {
            return;
        }

        foreach (HeadroomPolicy policy in s_policies)
        {
            double[] a = Run(new CreditAllocator(policy), p);
            for (int i = 0; i < p.Count; i++)
            {
                double g = Math.Min(p.Estimates[i], p.Templates[i]);
                Check(a[i] >= g - p.Tolerance, $"{policy}: VM {i} got {a[i]:R} < min(est, tc) = {g:R}");
            }
        }
    }

    [Property(MaxTest = 10000, Arbitrary = [typeof(Arbitraries)])]
    public void Allocate_Contention_NoVmAboveEstimateAndCapacityFullyUsed(Problem p)
    {
        if (!(p.Estimates.Sum() > p.Capacity))
        {
            return;
        }

        foreach (HeadroomPolicy policy in s_policies)
        {
            double[] a = Run(new CreditAllocator(policy), p);
            for (int i = 0; i < p.Count; i++)
            {
                Check(a[i] <= p.Estimates[i] + p.Tolerance, $"{policy}: VM {i} got {a[i]:R} > estimate {p.Estimates[i]:R} under contention");
            }

            Check(Math.Abs(a.Sum() - p.Capacity) <= p.Tolerance, $"{policy}: sum {a.Sum():R} != capacity {p.Capacity:R} under contention");
        }

        // The proportional-share baseline is work-conserving too.
        double[] s = Run(new ProportionalShareAllocator(), p);
        Check(Math.Abs(s.Sum() - p.Capacity) <= p.Tolerance, $"share: sum {s.Sum():R} != capacity {p.Capacity:R} under contention");
        for (int i = 0; i < p.Count; i++)
        {
            Check(s[i] <= p.Estimates[i] + p.Tolerance, $"share: VM {i} above its estimate under contention");
        }
    }

    [Property(MaxTest = 10000, Arbitrary = [typeof(Arbitraries)])]
    public void Allocate_NoContention_EveryVmGetsAtLeastItsEstimate(Problem p)
    {
        if (p.Estimates.Sum() > p.Capacity)
        {
            return;
        }

        foreach (HeadroomPolicy policy in s_policies)
        {
            double[] a = Run(new CreditAllocator(policy), p);
            for (int i = 0; i < p.Count; i++)
            {
                Check(a[i] >= p.Estimates[i] - p.Tolerance, $"{policy}: VM {i} got {a[i]:R} < estimate {p.Estimates[i]:R} without contention");
            }

            if (policy == HeadroomPolicy.None)
            {
                for (int i = 0; i < p.Count; i++)
                {
                    Check(Math.Abs(a[i] - p.Estimates[i]) <= p.Tolerance, $"None: VM {i} got {a[i]:R}, estimate {p.Estimates[i]:R}");
                }
            }
            else if (p.Count > 0)
            {
                Check(Math.Abs(a.Sum() - p.Capacity) <= p.Tolerance, $"{policy}: headroom left capacity idle ({a.Sum():R} of {p.Capacity:R})");
            }
        }
    }

    [Property(MaxTest = 10000, Arbitrary = [typeof(Arbitraries)])]
    public void Allocate_SameTemplateAndDemandMoreCredit_NoLessAllocation(Problem p)
    {
        if (p.Count < 2)
        {
            return;
        }

        // VM 0 and VM 1 get the same template and estimate; VM 0 strictly more credit.
        double[] tc = (double[])p.Templates.Clone();
        double[] est = (double[])p.Estimates.Clone();
        double[] ac = (double[])p.Credits.Clone();
        tc[1] = tc[0];
        est[1] = est[0];
        double hi = Math.Max(ac[0], ac[1]);
        double lo = Math.Min(ac[0], ac[1]);
        if (hi == lo)
        {
            hi = lo + Math.Max(1, Math.Abs(lo));
        }

        (ac[0], ac[1]) = (hi, lo);
        Problem q = p with { Templates = tc, Estimates = est, Credits = ac };
        foreach (HeadroomPolicy policy in s_policies)
        {
            double[] a = Run(new CreditAllocator(policy), q);
            Check(a[0] >= a[1] - q.Tolerance, $"{policy}: more credit got less ({a[0]:R} < {a[1]:R})");
        }
    }

    [Property(MaxTest = 10000, Arbitrary = [typeof(Arbitraries)])]
    public void Allocate_PermutedVms_PermutedAllocations(Problem p)
    {
        var rng = new Random(p.Seed);
        int[] perm = Enumerable.Range(0, p.Count).ToArray();
        rng.Shuffle(perm);
        Problem q = p with
        {
            Templates = perm.Select(i => p.Templates[i]).ToArray(),
            Estimates = perm.Select(i => p.Estimates[i]).ToArray(),
            Credits = perm.Select(i => p.Credits[i]).ToArray(),
        };
        foreach (IAllocator allocator in AllAllocators())
        {
            double[] a = Run(allocator, p);
            double[] b = Run(allocator, q);
            for (int k = 0; k < perm.Length; k++)
            {
                Check(Math.Abs(b[k] - a[perm[k]]) <= p.Tolerance, $"{allocator.Name}: VM {perm[k]} got {a[perm[k]]:R}, permuted {b[k]:R}");
            }
        }
    }

    [Property(MaxTest = 10000, Arbitrary = [typeof(Arbitraries)])]
    public void Allocate_EverythingScaled_AllocationsScaled(Problem p)
    {
        double c = p.Factor;

        // Credits are sums of (template - usage), so they scale with everything else.
        Problem q = p with
        {
            Capacity = p.Capacity * c,
            Templates = p.Templates.Select(x => x * c).ToArray(),
            Estimates = p.Estimates.Select(x => x * c).ToArray(),
            Credits = p.Credits.Select(x => x * c).ToArray(),
        };
        foreach (IAllocator allocator in AllAllocators())
        {
            double[] a = Run(allocator, p);
            double[] b = Run(allocator, q);
            for (int i = 0; i < p.Count; i++)
            {
                Check(Math.Abs(b[i] - (a[i] * c)) <= q.Tolerance * 4, $"{allocator.Name}: VM {i} got {a[i]:R}, scaled by {c} got {b[i]:R}");
            }
        }
    }

    [Property(MaxTest = 10000, Arbitrary = [typeof(Arbitraries)])]
    public void Allocate_BadValue_ArgumentExceptionNamingVmAndResource(Problem p)
    {
        var rng = new Random(p.Seed);
        int vm = rng.Next(p.Count);
        int field = rng.Next(3);
        double[] bad = field == 2 ? [double.NaN, double.PositiveInfinity, double.NegativeInfinity] : [double.NaN, double.PositiveInfinity, -1e-300, -5];
        double value = bad[rng.Next(bad.Length)];
        double[] tc = (double[])p.Templates.Clone();
        double[] est = (double[])p.Estimates.Clone();
        double[] ac = (double[])p.Credits.Clone();
        (field == 0 ? tc : field == 1 ? est : ac)[vm] = value;
        Problem q = p with { Templates = tc, Estimates = est, Credits = ac };
        string what = field == 0 ? "template" : field == 1 ? "estimate" : "credit";
        foreach (IAllocator allocator in AllAllocators())
        {
            try
            {
                Run(allocator, q);
            }
            catch (ArgumentException ex)
            {
                Check(ex.Message.Contains($"'vm{vm}'", StringComparison.Ordinal), $"{allocator.Name}: message does not name the VM: {ex.Message}");
                Check(ex.Message.Contains(ResourceKinds.Name(p.Resource), StringComparison.Ordinal), $"{allocator.Name}: message does not name the resource: {ex.Message}");
                Check(ex.Message.Contains(what, StringComparison.Ordinal), $"{allocator.Name}: message does not say {what}: {ex.Message}");
                continue;
            }

            throw new InvalidOperationException($"{allocator.Name} accepted {what} {value} for vm{vm}");
        }
    }

    [Property(MaxTest = 10000, Arbitrary = [typeof(Arbitraries)])]
    public void Allocate_BadCapacity_ArgumentExceptionNamingResource(Problem p)
    {
        double[] bad = [double.NaN, double.PositiveInfinity, -1];
        Problem q = p with { Capacity = bad[p.Seed % 3] };
        foreach (IAllocator allocator in AllAllocators())
        {
            ArgumentException ex = Assert.ThrowsAny<ArgumentException>(() => Run(allocator, q));
            Assert.Contains("capacity", ex.Message, StringComparison.Ordinal);
            Assert.Contains(ResourceKinds.Name(p.Resource), ex.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(3, 2, 3, 3, 3)]
    [InlineData(3, 3, 2, 3, 3)]
    [InlineData(3, 3, 3, 2, 3)]
    [InlineData(3, 3, 3, 3, 2)]
    [InlineData(2, 3, 3, 3, 3)]
    public void Allocate_MismatchedSpanLengths_ArgumentException(int vms, int templates, int estimates, int credits, int allocations)
    {
        foreach (IAllocator allocator in AllAllocators())
        {
            var ex = Assert.ThrowsAny<ArgumentException>(() => allocator.Allocate(
                new AllocationInput(
                    ResourceVector.Fill(10),
                    ResourceSet.All,
                    new VmId[vms].Select((_, i) => new VmId("v" + i)).ToArray(),
                    new ResourceVector[templates],
                    new ResourceVector[estimates],
                    new ResourceVector[credits]),
                new ResourceVector[allocations]));
            Assert.Contains("differ in length", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Allocate_EmptyVmList_IsAccepted()
    {
        var a = new ResourceVector[2];
        foreach (IAllocator allocator in AllAllocators())
        {
            allocator.Allocate(
                new AllocationInput(ResourceVector.Fill(10), ResourceSet.Cpu, [], [new(1, 0), new(1, 0)], [new(8, 0), new(8, 0)], [new(1, 0), new(1, 0)]),
                a);
            Assert.True(a[0].Cpu + a[1].Cpu <= 10 + 1e-12, allocator.Name);
        }
    }
}
