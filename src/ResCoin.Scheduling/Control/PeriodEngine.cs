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
    private readonly double[][] _templates = new double[ResourceKinds.Count][];
    private readonly double[][] _estimates = new double[ResourceKinds.Count][];
    private readonly double[][] _credits = new double[ResourceKinds.Count][];
    private readonly double[][] _lastAllocation = new double[ResourceKinds.Count][];
    private readonly double _throttledGrowth;
    private int _slotCapacity;
    private int _vmCapacity;

    /// <summary>The share of its last allocation a VM must use to count as throttled (its usage is then censored).</summary>
    public const double ThrottledUsageFraction = 0.98;

    public PeriodEngine(IPredictor predictor, IAllocator allocator, int window, int initialSlots = 16, double throttledGrowth = 0)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        ArgumentNullException.ThrowIfNull(allocator);
        ArgumentOutOfRangeException.ThrowIfNegative(throttledGrowth);
        _throttledGrowth = throttledGrowth;
        _predictor = predictor;
        _allocator = allocator;
        _ledger = new CreditLedger(window, initialSlots);
        for (int r = 0; r < ResourceKinds.Count; r++)
        {
            _observed[r] = [];
            _predicted[r] = [];
            _lastAllocation[r] = [];
            _templates[r] = _estimates[r] = _credits[r] = [];
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
            double[] lastAllocation = new double[size];
            _observed[r].CopyTo(observed, 0);
            _predicted[r].CopyTo(predicted, 0);
            _lastAllocation[r].CopyTo(lastAllocation, 0);
            observed.AsSpan(_slotCapacity).Fill(double.NaN);
            lastAllocation.AsSpan(_slotCapacity).Fill(double.NaN);
            _observed[r] = observed;
            _predicted[r] = predicted;
            _lastAllocation[r] = lastAllocation;
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
            _lastAllocation[r][slot] = double.NaN;
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

        EnsureVms(n);

        // One sequential pass over the VMs: check everything before changing any credit or predictor state, and
        // transpose usage (scattered by slot) and templates into contiguous per-resource arrays.
        int set = (int)resources & (int)ResourceSet.All;
        for (int i = 0; i < n; i++)
        {
            int slot = slots[i];
            if ((uint)slot >= (uint)slotCount)
            {
                throw new ArgumentOutOfRangeException(nameof(slots), slot, "A slot is outside 0 to slotCount - 1.");
            }

            ref readonly ResourceVector tv = ref templates[i];
            ref readonly ResourceVector uv = ref usage[i];
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                if ((set & (1 << r)) == 0)
                {
                    continue;
                }

                double t = tv[r];
                double u = uv[r];
                if (!(t >= 0 && t <= double.MaxValue) || !(double.IsNaN(u) || (u >= 0 && u <= double.MaxValue)))
                {
                    ThrowBadInput(vms, i, (ResourceKind)r, t, u);
                }

                _templates[r][i] = t;
                _observed[r][slot] = u;
            }
        }

        for (int r = 0; r < ResourceKinds.Count; r++)
        {
            if ((set & (1 << r)) == 0)
            {
                continue;
            }

            ResourceKind kind = (ResourceKind)r;
            double[] observed = _observed[r];
            double[] tc = _templates[r];
            for (int i = 0; i < n; i++)
            {
                int slot = slots[i];
                double u = observed[slot];
                if (!double.IsNaN(u))
                {
                    _ledger.Push(kind, slot, tc[i] - u);
                }
            }

            Span<double> predicted = _predicted[r].AsSpan(0, slotCount);
            _predictor.Update(kind, observed.AsSpan(0, slotCount), predicted);
            double[] est = _estimates[r];
            double[] credit = _credits[r];
            double[] lastAllocation = _lastAllocation[r];
            double growth = 1 + _throttledGrowth;
            for (int i = 0; i < n; i++)
            {
                int slot = slots[i];
                double e = predicted[slot];
                e = e >= 0 ? e : 0; // a NaN or negative estimate from a faulty predictor counts as 0

                // Censored usage: a VM that used (nearly) all it was allocated may want more than it could show.
                double last = lastAllocation[slot];
                double u = observed[slot];
                if (_throttledGrowth > 0 && last > 0 && u >= last * ThrottledUsageFraction)
                {
                    e = Math.Max(e, last * growth);
                }

                est[i] = e;
                credit[i] = _ledger.Credit(kind, slot);
            }
        }

        for (int i = 0; i < n; i++)
        {
            ref ResourceVector ev = ref estimates[i];
            ref ResourceVector cv = ref credits[i];
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                if ((set & (1 << r)) != 0)
                {
                    ev[r] = _estimates[r][i];
                    cv[r] = _credits[r][i];
                }
                else
                {
                    ev[r] = double.NaN;
                    cv[r] = double.NaN;
                    allocations[i][r] = double.NaN;
                }
            }
        }

        _allocator.Allocate(new AllocationInput(capacity, resources, vms, templates, estimates, credits), allocations);

        if (_throttledGrowth > 0)
        {
            for (int i = 0; i < n; i++)
            {
                int slot = slots[i];
                ref readonly ResourceVector av = ref allocations[i];
                for (int r = 0; r < ResourceKinds.Count; r++)
                {
                    if ((set & (1 << r)) != 0)
                    {
                        _lastAllocation[r][slot] = av[r];
                    }
                }
            }
        }
    }

    private void EnsureVms(int n)
    {
        if (n <= _vmCapacity)
        {
            return;
        }

        int size = Math.Max(n, _vmCapacity * 2);
        for (int r = 0; r < ResourceKinds.Count; r++)
        {
            _templates[r] = new double[size];
            _estimates[r] = new double[size];
            _credits[r] = new double[size];
        }

        _vmCapacity = size;
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
