namespace ResCoin.Scheduling.Tests;

/// <summary>Builds allocator inputs from problems and checks them.</summary>
internal static class Fixtures
{
    public const double Untouched = -7.25;

    public static IAllocator[] AllAllocators() =>
    [
        new CreditAllocator(HeadroomPolicy.None),
        new CreditAllocator(HeadroomPolicy.ProportionalToTemplate),
        new CreditAllocator(HeadroomPolicy.ProportionalToCredit),
        new StaticAllocator(),
        new ProportionalShareAllocator(),
        new DrfAllocator(),
    ];

    public static ResourceVector[] Vectors(ResourceKind r, double[] values)
    {
        var result = new ResourceVector[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = ResourceVector.Fill(double.NaN);
            result[i][r] = values[i];
        }

        return result;
    }

    /// <summary>Runs an allocator on a single-resource problem and returns that resource's allocations.</summary>
    public static double[] Run(IAllocator allocator, Problem p)
    {
        ResourceVector capacity = ResourceVector.Fill(double.NaN);
        capacity[p.Resource] = p.Capacity;
        ResourceSet set = ResourceSet.None.With(p.Resource);
        var allocations = new ResourceVector[p.Count];
        allocations.AsSpan().Fill(ResourceVector.Fill(Untouched));
        allocator.Allocate(
            new AllocationInput(capacity, set, p.Vms, Vectors(p.Resource, p.Templates), Vectors(p.Resource, p.Estimates), Vectors(p.Resource, p.Credits)),
            allocations);
        var result = new double[p.Count];
        for (int i = 0; i < p.Count; i++)
        {
            foreach (ResourceKind k in ResourceKinds.All)
            {
                if (k != p.Resource && allocations[i][k] != Untouched)
                {
                    throw new InvalidOperationException($"{allocator.Name} wrote the unscheduled resource {k} of VM {i}.");
                }
            }

            result[i] = allocations[i][p.Resource];
        }

        return result;
    }

    public static void Check(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }
}

/// <summary>The tests' short form of <see cref="IAllocator.Allocate"/>: caps only (weights go to a scratch array).</summary>
internal static class AllocatorTestExtensions
{
    public static void Allocate(this IAllocator allocator, scoped in AllocationInput input, Span<ResourceVector> caps)
        => allocator.Allocate(input, new AllocationOutput(caps, new ResourceVector[caps.Length]));
}
