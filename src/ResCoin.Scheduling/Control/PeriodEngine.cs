using ResCoin.Scheduling.Allocation;

namespace ResCoin.Scheduling.Control;

/// <summary>
/// The pure part of one control period, without I/O: credit update, prediction, demand discovery and allocation over
/// VM slots. The controller owns one; benchmarks and tests call it directly. Allocation-free once its buffers have grown
/// to the slot count. Not thread-safe.
/// </summary>
/// <remarks>
/// <para>The engine is one class in four files, one concern each:</para>
/// <list type="bullet">
/// <item><c>PeriodEngine.cs</c> (this file): state, slots and the order of the stages in <see cref="Run(ResourceVector, ResourceSet, int, ReadOnlySpan{int}, ReadOnlySpan{VmId}, ReadOnlySpan{ResourceVector}, ReadOnlySpan{ResourceVector}, ReadOnlySpan{ResourceVector}, ReadOnlySpan{ResourceVector}, Span{ResourceVector}, Span{ResourceVector}, Span{ResourceVector}, Span{ResourceVector})"/>;</item>
/// <item><c>PeriodEngine.Inputs.cs</c>: the input checks and the transposes of rows into per-resource columns;</item>
/// <item><c>PeriodEngine.Demand.cs</c>: estimates, credits and demand discovery, fused into one vectorized pass per resource;</item>
/// <item><c>PeriodEngine.Allocation.cs</c>: the allocator (the column fast path, <see cref="IColumnAllocator"/>, or rows for
/// any other <see cref="IAllocator"/>), the check of its output and the transposes back to rows.</item>
/// </list>
/// <para>
/// Columns indexed by VM (the allocator's) and by slot (the ledger's and the predictor's) are the same arrays when VM i
/// has slot i; otherwise values are scattered to and gathered from slots. The credit stage is the
/// <see cref="ICreditStore"/> (<see cref="CreditBucket"/> or <see cref="CreditLedger"/>); the weighted/credit allocation
/// rule is <see cref="WeightedCreditColumn"/>.
/// </para>
/// </remarks>
internal sealed partial class PeriodEngine
{
    private readonly IPredictor _predictor;
    private readonly IAllocator _allocator;
    private readonly IColumnAllocator? _columnAllocator;
    private readonly ICreditStore _ledger;
    private readonly ResourceSet _weighted;
    private readonly double _throttledGrowth;

    // By slot (the ledger's and the predictor's order).
    private readonly double[][] _observed = new double[ResourceKinds.Count][];
    private readonly double[][] _predicted = new double[ResourceKinds.Count][];
    private readonly double[][] _slotTemplates = new double[ResourceKinds.Count][];
    private readonly double[][] _lastAllocation = new double[ResourceKinds.Count][]; // last caps
    private readonly bool[][] _measured = new bool[ResourceKinds.Count][];             // measured at least once

    // By VM (the allocator's order).
    private readonly double[][] _templates = new double[ResourceKinds.Count][];
    private readonly double[][] _estimates = new double[ResourceKinds.Count][];
    private readonly double[][] _credits = new double[ResourceKinds.Count][];
    private readonly double[][] _limits = new double[ResourceKinds.Count][];
    private readonly double[][] _pressure = new double[ResourceKinds.Count][];
    private readonly double[][] _previousCaps = new double[ResourceKinds.Count][];   // gathered when slots differ
    private readonly double[][] _usageByVm = new double[ResourceKinds.Count][];
    private readonly double[][] _allocations = new double[ResourceKinds.Count][];
    private readonly double[][] _weights = new double[ResourceKinds.Count][];
    private readonly double[][] _estimateSource = new double[ResourceKinds.Count][]; // _predicted (identity) or _estimates
    private ResourceVector[] _previousRows = [];
    private ResourceVector[] _spareWeights = [];
    private int _slotCapacity;
    private int _vmCapacity;

    /// <summary>The share of its last allocation a VM must use to count as throttled (its usage is then censored).</summary>
    public const double ThrottledUsageFraction = 0.98;

    public PeriodEngine(
        IPredictor predictor,
        IAllocator allocator,
        int window,
        int initialSlots = 16,
        double throttledGrowth = 0,
        double bucketCapPeriods = double.NaN,
        ResourceSet weighted = ResourceSet.None)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        ArgumentNullException.ThrowIfNull(allocator);
        ArgumentOutOfRangeException.ThrowIfNegative(throttledGrowth);
        _throttledGrowth = throttledGrowth;
        _predictor = predictor;
        _allocator = allocator;
        _columnAllocator = allocator as IColumnAllocator;
        _weighted = weighted;
        _ledger = double.IsNaN(bucketCapPeriods) ? new CreditLedger(window, initialSlots) : new CreditBucket(bucketCapPeriods, initialSlots);
        for (int r = 0; r < ResourceKinds.Count; r++)
        {
            _observed[r] = _predicted[r] = _lastAllocation[r] = _slotTemplates[r] = [];
            _measured[r] = [];
            _templates[r] = _estimates[r] = _credits[r] = _allocations[r] = _usageByVm[r] = [];
            _limits[r] = _pressure[r] = _previousCaps[r] = _weights[r] = [];
        }

        EnsureSlots(initialSlots);
    }

    public IPredictor Predictor => _predictor;

    public IAllocator Allocator => _allocator;

    public ICreditStore Ledger => _ledger;

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
            _measured[r] = Grow(_measured[r], size, false);
            _slotTemplates[r] = Grow(_slotTemplates[r], size, 0);
            _observed[r] = Grow(_observed[r], size, double.NaN);
            _predicted[r] = Grow(_predicted[r], size, 0);
            _lastAllocation[r] = Grow(_lastAllocation[r], size, double.NaN);
        }

        _slotCapacity = size;

        static T[] Grow<T>(T[] old, int size, T fill)
        {
            var grown = new T[size];
            old.CopyTo(grown, 0);
            grown.AsSpan(old.Length).Fill(fill);
            return grown;
        }
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
            _slotTemplates[r][slot] = 0;
            _lastAllocation[r][slot] = double.NaN;
            _measured[r][slot] = false;
        }
    }

    /// <summary>
    /// Runs one period for the live VMs. <paramref name="slots"/>[i] is VM i's slot (all below <paramref name="slotCount"/>);
    /// slots not listed are free and were reset. Usage NaN means not measured: the credit is not updated and the
    /// predictor repeats itself. Resources outside <paramref name="resources"/> get NaN estimates, credits and allocations.
    /// </summary>
    /// <exception cref="ArgumentException">A template is negative or not finite, or a usage is negative or infinite; the message names the VM and resource.</exception>
    /// <exception cref="InvalidOperationException">The allocator returned an invalid cap or weight; the message names the allocator, the VM and the resource.</exception>
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
        Span<ResourceVector> caps)
        => Run(capacity, resources, slotCount, slots, vms, templates, usage, default, default, estimates, credits, caps, default);

    /// <summary>
    /// Runs one period for the live VMs, with each VM's limits and pressure (empty: unknown) and receiving weights as
    /// well as caps (weights empty: not wanted). See the other overload.
    /// </summary>
    public void Run(
        ResourceVector capacity,
        ResourceSet resources,
        int slotCount,
        ReadOnlySpan<int> slots,
        ReadOnlySpan<VmId> vms,
        ReadOnlySpan<ResourceVector> templates,
        ReadOnlySpan<ResourceVector> usage,
        ReadOnlySpan<ResourceVector> limits,
        ReadOnlySpan<ResourceVector> pressure,
        Span<ResourceVector> estimates,
        Span<ResourceVector> credits,
        Span<ResourceVector> caps,
        Span<ResourceVector> weights)
    {
        int n = slots.Length;
        if (templates.Length != n || usage.Length != n || estimates.Length != n || credits.Length != n || caps.Length != n
            || (vms.Length != 0 && vms.Length != n) || slotCount > _slotCapacity
            || (!limits.IsEmpty && limits.Length != n) || (!pressure.IsEmpty && pressure.Length != n) || (!weights.IsEmpty && weights.Length != n))
        {
            throw new ArgumentException("The period spans differ in length or the slot count exceeds the engine's slots.", nameof(slots));
        }

        EnsureVms(n);
        int set = (int)resources & (int)ResourceSet.All;
        for (int r = 0; r < ResourceKinds.Count; r++)
        {
            if ((set & (1 << r)) != 0)
            {
                AllocatorGuard.CheckCapacity(capacity[r], (ResourceKind)r);
            }
        }

        // 1. Inputs: check everything before changing any credit or predictor state, and transpose into contiguous
        // per-resource columns (by slot for the ledger and the predictor, by VM for the allocator). When VM i has slot i
        // (a steady VM list) the two orders are the same: nothing is scattered or gathered.
        bool identity = slotCount == n && IsIdentity(slots);
        ReadInputs(set, identity, slotCount, slots, vms, templates, usage);
        Signals(limits, _limits, n, vms, "limit");
        Signals(pressure, _pressure, n, vms, "pressure");

        for (int r = 0; r < ResourceKinds.Count; r++)
        {
            if ((set & (1 << r)) == 0)
            {
                continue;
            }

            // 2. Credit, then prediction, by slot.
            ResourceKind kind = (ResourceKind)r;
            double[] observed = _observed[r];
            _ledger.PushAll(kind, slotCount, identity ? _templates[r] : _slotTemplates[r], observed);
            _predictor.Update(kind, observed.AsSpan(0, slotCount), _predicted[r].AsSpan(0, slotCount));

            // 3. Estimates, credits and demand discovery, by VM.
            double[] previous = identity ? _lastAllocation[r] : _previousCaps[r];
            double[] usageByVm = identity ? observed : _usageByVm[r];
            if (identity)
            {
                DemandInPlace(kind, n, vms);
                _estimateSource[r] = _predicted[r];
            }
            else
            {
                DemandGathered(kind, n, slots, vms);
                _estimateSource[r] = _estimates[r];
            }

            // 4. The column allocator, checked; its caps become next period's previous caps.
            if (_columnAllocator is not null)
            {
                AllocateColumn(kind, capacity[r], n, identity, slots, vms, previous, usageByVm);
            }
        }

        // 5. Rows out, and the row allocator for any other IAllocator.
        WriteBack(set, n, estimates, credits, caps, weights);
        if (_columnAllocator is null)
        {
            AllocateRows(capacity, resources, set, slots, vms, templates, usage, limits, pressure, estimates, credits, caps, weights);
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
            _allocations[r] = new double[size];
            _usageByVm[r] = new double[size];
            _limits[r] = new double[size];
            _pressure[r] = new double[size];
            _previousCaps[r] = new double[size];
            _weights[r] = new double[size];
        }

        _previousRows = new ResourceVector[size];
        _vmCapacity = size;
    }
}
