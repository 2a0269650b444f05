using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace ResCoin.Scheduling.Control;

/// <summary>
/// The pure part of one control period, without I/O: credit update, prediction and allocation over VM slots.
/// The controller owns one; benchmarks and tests call it directly. Allocation-free once its buffers have grown to
/// the slot count. Not thread-safe.
/// </summary>
internal sealed class PeriodEngine
{
    private readonly IPredictor _predictor;
    private readonly IAllocator _allocator;
    private readonly CreditLedger _ledger;
    private readonly double[][] _observed = new double[ResourceKinds.Count][];
    private readonly double[][] _predicted = new double[ResourceKinds.Count][];
    private int _slotCapacity;

    public PeriodEngine(IPredictor predictor, IAllocator allocator, int window, int initialSlots = 16)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        ArgumentNullException.ThrowIfNull(allocator);
        _predictor = predictor;
        _allocator = allocator;
        _ledger = new CreditLedger(window, initialSlots);
        for (int r = 0; r < ResourceKinds.Count; r++)
        {
            _observed[r] = [];
            _predicted[r] = [];
        }

        EnsureSlots(initialSlots);
    }

    public IPredictor Predictor => _predictor;

    public IAllocator Allocator => _allocator;

    public CreditLedger Ledger => _ledger;

    /// <summary>Makes room for slots 0 to <paramref name="slots"/> - 1.</summary>
    public void EnsureSlots(int slots)
    {
        _ledger.EnsureSlots(slots);
        if (slots <= _slotCapacity)
        {
            return;
        }

        int size = Math.Max(slots, _slotCapacity * 2);
        for (int r = 0; r < ResourceKinds.Count; r++)
        {
            double[] observed = new double[size];
            double[] predicted = new double[size];
            _observed[r].CopyTo(observed, 0);
            _predicted[r].CopyTo(predicted, 0);
            observed.AsSpan(_slotCapacity).Fill(double.NaN);
            _observed[r] = observed;
            _predicted[r] = predicted;
        }

        _slotCapacity = size;
    }

    /// <summary>Forgets a slot: credit back to zero, predictor state reset, no observation.</summary>
    public void ResetSlot(int slot)
    {
        _ledger.Reset(slot);
        _predictor.Reset(slot);
        for (int r = 0; r < ResourceKinds.Count; r++)
        {
            _observed[r][slot] = double.NaN;
            _predicted[r][slot] = 0;
        }
    }

    /// <summary>
    /// Runs one period for the live VMs. <paramref name="slots"/>[i] is VM i's slot (all below <paramref name="slotCount"/>);
    /// slots not listed are free and were reset. Usage NaN means not measured: the credit is not updated and the
    /// predictor repeats itself. Resources outside <paramref name="resources"/> get NaN estimates, credits and allocations.
    /// </summary>
    /// <exception cref="ArgumentException">A template is negative or not finite, or a usage is negative or infinite; the message names the VM and resource.</exception>
    public void Run(
        ResourceVector capacity,
        ResourceSet resources,
        int slotCount,
        ReadOnlySpan<int> slots,
        ReadOnlySpan<VmId> vms,
        ReadOnlySpan<ResourceVector> templates,
        ReadOnlySpan<ResourceVector> usage,
        Span<ResourceVector> estimates,
        Span<ResourceVector> credits,
        Span<ResourceVector> allocations)
    {
        int n = slots.Length;
        if (templates.Length != n || usage.Length != n || estimates.Length != n || credits.Length != n || allocations.Length != n
            || (vms.Length != 0 && vms.Length != n) || slotCount > _slotCapacity)
        {
            throw new ArgumentException("The period spans differ in length or the slot count exceeds the engine's slots.", nameof(slots));
        }

        // Check everything before changing any state.
        for (int i = 0; i < n; i++)
        {
            if ((uint)slots[i] >= (uint)slotCount)
            {
                throw new ArgumentOutOfRangeException(nameof(slots), slots[i], "A slot is outside 0 to slotCount - 1.");
            }

            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                if (!resources.Contains((ResourceKind)r))
                {
                    continue;
                }

                double t = templates[i][r];
                double u = usage[i][r];
                if (!(t >= 0 && t <= double.MaxValue) || !(double.IsNaN(u) || (u >= 0 && u <= double.MaxValue)))
                {
                    ThrowBadInput(vms, i, (ResourceKind)r, t, u);
                }
            }
        }

        for (int r = 0; r < ResourceKinds.Count; r++)
        {
            ResourceKind kind = (ResourceKind)r;
            if (!resources.Contains(kind))
            {
                for (int i = 0; i < n; i++)
                {
                    estimates[i][r] = double.NaN;
                    credits[i][r] = double.NaN;
                    allocations[i][r] = double.NaN;
                }

                continue;
            }

            double[] observed = _observed[r];
            for (int i = 0; i < n; i++)
            {
                int slot = slots[i];
                double u = usage[i][r];
                observed[slot] = u;
                if (!double.IsNaN(u))
                {
                    _ledger.Push(kind, slot, templates[i][r] - u);
                }
            }

            Span<double> predicted = _predicted[r].AsSpan(0, slotCount);
            _predictor.Update(kind, observed.AsSpan(0, slotCount), predicted);
            for (int i = 0; i < n; i++)
            {
                int slot = slots[i];
                double e = predicted[slot];
                estimates[i][r] = e >= 0 ? e : 0; // a NaN or negative estimate from a faulty predictor counts as 0
                credits[i][r] = _ledger.Credit(kind, slot);
            }
        }

        _allocator.Allocate(new AllocationInput(capacity, resources, vms, templates, estimates, credits), allocations);
    }

    [DoesNotReturn]
    private static void ThrowBadInput(ReadOnlySpan<VmId> vms, int i, ResourceKind r, double template, double usage)
    {
        string vm = i < vms.Length ? vms[i].Name : string.Create(CultureInfo.InvariantCulture, $"#{i}");
        bool badTemplate = !(template >= 0 && template <= double.MaxValue);
        throw new ArgumentException(
            string.Create(
                CultureInfo.InvariantCulture,
                $"The {(badTemplate ? "template" : "usage")} of VM '{vm}' for {ResourceKinds.Name(r)} is {(badTemplate ? template : usage).ToString("R", CultureInfo.InvariantCulture)}; it must be {(badTemplate ? "finite and >= 0" : "NaN (not measured) or finite and >= 0")}."),
            nameof(vms));
    }
}
