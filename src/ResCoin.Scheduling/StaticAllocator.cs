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
    public void Allocate(scoped in AllocationInput input, scoped in AllocationOutput output)
    {
        AllocatorGuard.CheckShape(input, output.Count);
        Span<ResourceVector> allocations = output.Caps;
        Span<ResourceVector> weights = output.Weights;
        ReadOnlySpan<ResourceVector> limits = input.Limits;
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
                double cap = templates[i][r] * scale;
                double limit = limits.IsEmpty ? double.NaN : limits[i][r];
                allocations[i][r] = limit < cap ? limit : cap;
                weights[i][r] = double.NaN;
            }
        }
    }
}
