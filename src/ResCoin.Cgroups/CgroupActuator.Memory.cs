using ResCoin.Actuation;
using ResCoin.Cgroups.Parsing;

namespace ResCoin.Cgroups;

/// <summary>
/// Memory: the cap (v2 <c>memory.high</c>, v1 <c>memory.soft_limit_in_bytes</c>; the hard limits <c>memory.max</c> /
/// <c>memory.limit_in_bytes</c> with <see cref="CgroupOptions.UseHardMemoryLimit"/>), never below measured usage plus a
/// margin, and the guarantee (v2 <c>memory.low</c>; v1 has none). Values are whole pages.
/// </summary>
public sealed partial class CgroupActuator
{
    private readonly long _pageSize = Environment.SystemPageSize;

    private void ApplyMemory(Paths p, double bytes, double guarantee, double usedBytes, bool dryRun)
    {
        if (!double.IsFinite(bytes))
        {
            PutBack(p.Vm, p.MemorySetting, p.Memory, dryRun);
        }
        else if (double.IsFinite(usedBytes))
        {
            // (No measured usage, no safe floor: the limit is left alone this period.)
            ApplyMemoryLimit(p, bytes, usedBytes, dryRun);
        }

        if (_layout.UsesV2)
        {
            // v1 has no memory.low; the guarantee is not expressible there.
            ApplyMemoryGuarantee(p, guarantee, dryRun);
        }
    }

    private void ApplyMemoryGuarantee(Paths p, double guarantee, bool dryRun)
    {
        if (!(guarantee >= 0 && double.IsFinite(guarantee)))
        {
            PutBack(p.Vm, "memory.low", p.MemoryLow, dryRun);
            return;
        }

        if (!TryRead(p.MemoryLow, out ReadOnlySpan<byte> content))
        {
            return;
        }

        long raw = CgroupParsers.ParseIntegerOrMax(content, p.MemoryLow);
        long value = checked((long)Math.Ceiling(guarantee / _pageSize) * _pageSize);
        if (value == raw || (raw > 0 && Math.Abs(value - raw) < _options.DeadBandFraction * raw))
        {
            return;
        }

        Span<byte> text = stackalloc byte[32];
        int n = CgroupParsers.FormatInteger(value, text);
        Change(p.Vm, "memory.low", p.MemoryLow, text[..n], raw < 0 ? "max" : Invariant(raw), dryRun);
    }

    private void ApplyMemoryLimit(Paths p, double bytes, double usedBytes, bool dryRun)
    {
        string path = p.Memory;
        if (!TryRead(path, out ReadOnlySpan<byte> content))
        {
            return;
        }

        long raw = CgroupParsers.ParseMemoryLimit(content, path, _layout.UsesV2);
        double current = CgroupParsers.IsNoMemoryLimit(raw) ? double.NaN : raw;
        double floor = Math.Max(_options.MinMemoryBytes, usedBytes * (1 + _options.MemoryFloorMargin));
        StepDecision d = SafeStep.Compute(current, bytes, new StepLimits(floor, double.PositiveInfinity, _options.MemoryMaxDecreaseFraction, _options.DeadBandFraction));
        if (!d.Apply)
        {
            return;
        }

        // Whole pages: the kernel keeps pages, so the file then reads back exactly what was written.
        long value = checked((long)Math.Ceiling(d.Value / _pageSize) * _pageSize);
        if (value == raw)
        {
            return;
        }

        Span<byte> text = stackalloc byte[32];
        int n = CgroupParsers.FormatInteger(value, text);
        string original = raw < 0 ? "max" : raw >= CgroupParsers.V1NoMemoryLimit ? "-1" : Invariant(raw);
        Change(p.Vm, p.MemorySetting, path, text[..n], original, dryRun);
    }
}
