using ResCoin.Scheduling.Allocation;

namespace ResCoin.Scheduling;

/// <summary>
/// The static baseline (policy name <c>static</c>): every VM gets its template, the fixed VM size, whatever it uses.
/// When the templates add up to more than the capacity they are scaled down by <c>C / sum template</c>, since the
/// host cannot give more than it has.
/// </summary>
public sealed class StaticAllocator : IAllocator
{
    /// <summary>The policy name, <c>static</c>.</summary>
    public string Name => Allocators.Static;

    /// <inheritdoc/>
    public void Allocate(scoped in AllocationInput input, Span<ResourceVector> allocations)
    {
        AllocatorGuard.CheckShape(input, allocations.Length);
        ReadOnlySpan<ResourceVector> templates = input.Templates;
        int n = templates.Length;
        foreach (ResourceKind r in ResourceKinds.All)
        {
            if (!input.Resources.Contains(r))
            {
                continue;
            }

            double capacity = input.Capacity[r];
            AllocatorGuard.CheckCapacity(capacity, r);
            double sum = 0;
            for (int i = 0; i < n; i++)
            {
                double tc = templates[i][r];
                if (!(AllocatorGuard.IsNonNegativeFinite(tc) && AllocatorGuard.IsNonNegativeFinite(input.Estimates[i][r]) && double.IsFinite(input.Credits[i][r])))
                {
                    AllocatorGuard.ThrowInvalid(input, i, r);
                }

                sum += tc;
            }

            double scale = sum > capacity ? capacity / sum : 1;
            for (int i = 0; i < n; i++)
            {
                allocations[i][r] = templates[i][r] * scale;
            }
        }
    }
}
