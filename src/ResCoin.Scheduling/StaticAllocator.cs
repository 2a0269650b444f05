using ResCoin.Scheduling.Allocation;

namespace ResCoin.Scheduling;

/// <summary>
/// The static baseline (policy name <c>static</c>): every VM gets its template, the fixed VM size, whatever it uses.
/// When the templates add up to more than the capacity they are scaled down by <c>C / sum template</c>, since the
/// host cannot give more than it has.
/// </summary>
public sealed class StaticAllocator : ColumnAllocator
{
    /// <summary>The policy name, <c>static</c>.</summary>
    public override string Name => Allocators.Static;

    /// <summary>One resource: each VM's template (scaled down when the templates overcommit the host), never above its limit; no weights.</summary>
    /// <param name="input">The resource's columns.</param>
    /// <param name="caps">Receives the caps.</param>
    /// <param name="weights">Receives NaN.</param>
    public override void AllocateColumn(scoped in ColumnAllocationInput input, Span<double> caps, Span<double> weights)
    {
        ReadOnlySpan<double> templates = input.Templates;
        ReadOnlySpan<double> limits = input.Limits;
        int n = templates.Length;
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            sum += templates[i];
        }

        double scale = sum > input.Capacity ? input.Capacity / sum : 1;
        for (int i = 0; i < n; i++)
        {
            double cap = templates[i] * scale;
            double limit = limits[i];
            caps[i] = limit < cap ? limit : cap;
        }

        weights[..n].Fill(double.NaN);
    }
}
