using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using ResCoin.Scheduling.Allocation;

namespace ResCoin.Scheduling.Control;

/// <summary>
/// The pure part of one control period, without I/O: credit update, prediction and allocation over VM slots.
/// The controller owns one; benchmarks and tests call it directly. Allocation-free once its buffers have grown to
/// the slot count. Not thread-safe.
/// </summary>
/// <remarks>
/// The hot path works on per-resource columns: the inputs are checked and transposed once (AVX, four VMs at a time),
/// the ledger, the predictor and a column allocator (<see cref="IColumnAllocator"/>) run over contiguous arrays, and the
/// results are transposed back once. Columns indexed by VM (the allocator's) and by slot (the ledger's and the
/// predictor's) are the same arrays when VM i has slot i; otherwise values are scattered to and gathered from slots.
/// Any other <see cref="IAllocator"/> gets the estimates and credits as vectors, as before.
/// </remarks>
internal sealed class PeriodEngine
{
    private readonly IPredictor _predictor;
    private readonly IAllocator _allocator;
    private readonly ICreditStore _ledger;
    private readonly double[][] _observed = new double[ResourceKinds.Count][];
    private readonly double[][] _predicted = new double[ResourceKinds.Count][];
    private readonly double[][] _templates = new double[ResourceKinds.Count][];
    private readonly double[][] _estimates = new double[ResourceKinds.Count][];
    private readonly double[][] _credits = new double[ResourceKinds.Count][];
    private readonly double[][] _lastAllocation = new double[ResourceKinds.Count][]; // last caps, by slot
    private readonly bool[][] _measured = new bool[ResourceKinds.Count][];             // by slot: measured at least once
    private readonly double[][] _limits = new double[ResourceKinds.Count][];           // by VM
    private readonly double[][] _pressure = new double[ResourceKinds.Count][];         // by VM
    private readonly double[][] _previousCaps = new double[ResourceKinds.Count][];     // by VM (gathered when slots differ)
    private readonly double[][] _weights = new double[ResourceKinds.Count][];          // by VM
    private ResourceVector[] _previousRows = [];
    private readonly ResourceSet _weighted;
    private readonly double[][] _slotTemplates = new double[ResourceKinds.Count][];
    private readonly double[][] _allocations = new double[ResourceKinds.Count][];
    private readonly double[][] _estimateSource = new double[ResourceKinds.Count][];
    private readonly double[][] _usageByVm = new double[ResourceKinds.Count][];
    private readonly IColumnAllocator? _columnAllocator;
    private readonly double _throttledGrowth;
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
            _observed[r] = [];
            _predicted[r] = [];
            _lastAllocation[r] = [];
            _measured[r] = [];
            _slotTemplates[r] = [];
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
            double[] observed = new double[size];
            double[] predicted = new double[size];
            double[] lastAllocation = new double[size];
            double[] slotTemplates = new double[size];
            bool[] measured = new bool[size];
            _measured[r].CopyTo(measured, 0);
            _measured[r] = measured;
            _slotTemplates[r].CopyTo(slotTemplates, 0);
            _observed[r].CopyTo(observed, 0);
            _predicted[r].CopyTo(predicted, 0);
            _lastAllocation[r].CopyTo(lastAllocation, 0);
            observed.AsSpan(_slotCapacity).Fill(double.NaN);
            lastAllocation.AsSpan(_slotCapacity).Fill(double.NaN);
            _observed[r] = observed;
            _predicted[r] = predicted;
            _lastAllocation[r] = lastAllocation;
            _slotTemplates[r] = slotTemplates;
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

        // Check everything before changing any credit or predictor state, and transpose usage and templates into
        // contiguous per-resource arrays (by slot for the ledger and the predictor, by VM for the allocator). When VM i
        // has slot i (a steady VM list) the two orders are the same: nothing is scattered or gathered.
        bool identity = slotCount == n && IsIdentity(slots);
        if (set == (int)ResourceSet.All)
        {
            TransposeAll(identity, slotCount, slots, vms, templates, usage);
        }
        else
        {
            TransposeSome(set, slotCount, slots, vms, templates, usage);
        }

        Signals(limits, _limits, n, vms, "limit");
        Signals(pressure, _pressure, n, vms, "pressure");

        double growth = 1 + _throttledGrowth;
        bool throttle = _throttledGrowth > 0;
        for (int r = 0; r < ResourceKinds.Count; r++)
        {
            if ((set & (1 << r)) == 0)
            {
                continue;
            }

            ResourceKind kind = (ResourceKind)r;
            double[] observed = _observed[r];
            _ledger.PushAll(kind, slotCount, identity ? _templates[r] : _slotTemplates[r], observed);

            double[] predicted = _predicted[r];
            _predictor.Update(kind, observed.AsSpan(0, slotCount), predicted.AsSpan(0, slotCount));

            // Per VM: the estimate (a NaN or negative one from a faulty predictor counts as 0; censored usage of a
            // VM that used nearly all it was allocated raises it) and the credit.
            double[] est;
            double[] previous;
            double[] usageByVm;
            if (identity)
            {
                EstimateInPlace(kind, n, vms, observed, predicted, _lastAllocation[r], growth, _credits[r]);
                est = predicted;
                previous = _lastAllocation[r];
                usageByVm = observed;
            }
            else
            {
                Estimate(kind, n, slots, vms, observed, predicted, _lastAllocation[r], growth, _estimates[r], _credits[r]);
                est = _estimates[r];
                previous = _previousCaps[r];
                usageByVm = _usageByVm[r];
                for (int i = 0; i < n; i++)
                {
                    previous[i] = _lastAllocation[r][slots[i]];
                }
            }

            Discover(n, identity, slots, _measured[r], _templates[r], usageByVm, _limits[r], _pressure[r], previous, _credits[r], est);
            _estimateSource[r] = est;
            if (_columnAllocator is null)
            {
                continue;
            }

            double[] allocation = _allocations[r];
            var column = new ColumnInput
            {
                Resource = kind,
                Capacity = capacity[r],
                Weighted = _weighted.Contains(kind),
                Templates = _templates[r].AsSpan(0, n),
                Estimates = est.AsSpan(0, n),
                Credits = _credits[r].AsSpan(0, n),
                Limits = _limits[r].AsSpan(0, n),
                Usage = usageByVm.AsSpan(0, n),
                Pressure = _pressure[r].AsSpan(0, n),
                PreviousCaps = previous.AsSpan(0, n),
            };
            _columnAllocator.AllocateColumn(column, allocation.AsSpan(0, n), _weights[r].AsSpan(0, n));
            if (identity)
            {
                allocation.AsSpan(0, n).CopyTo(_lastAllocation[r]);
            }
            else
            {
                for (int i = 0; i < n; i++)
                {
                    _lastAllocation[r][slots[i]] = allocation[i];
                }
            }
        }

        WriteBack(set, n, estimates, credits, caps, weights);
        if (_columnAllocator is not null)
        {
            return;
        }

        // Any other allocator: rows in, rows out, with the same inputs.
        Span<ResourceVector> previousRows = _previousRows.AsSpan(0, n);
        for (int i = 0; i < n; i++)
        {
            int slot = slots[i];
            ref ResourceVector p = ref previousRows[i];
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                p[r] = _lastAllocation[r][slot];
            }
        }

        Span<ResourceVector> weightRows = weights.IsEmpty ? SpareWeights(n) : weights;
        var input = new AllocationInput(capacity, resources, vms, templates, estimates, credits)
        {
            Limits = limits,
            Usage = usage,
            Pressure = pressure,
            PreviousCaps = previousRows,
            WeightedResources = _weighted,
        };
        _allocator.Allocate(input, new AllocationOutput(caps, weightRows));
        for (int i = 0; i < n; i++)
        {
            int slot = slots[i];
            ref readonly ResourceVector av = ref caps[i];
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                if ((set & (1 << r)) != 0)
                {
                    _lastAllocation[r][slot] = av[r];
                }
            }
        }
    }

    private Span<ResourceVector> SpareWeights(int n)
    {
        if (_spareWeights.Length < n)
        {
            _spareWeights = new ResourceVector[Math.Max(n, _spareWeights.Length * 2)];
        }

        return _spareWeights.AsSpan(0, n);
    }

    private ResourceVector[] _spareWeights = [];

    /// <summary>
    /// Demand discovery (see <c>docs/design.md</c>): a VM never measured is estimated at its template; a VM under
    /// pressure p wanted about usage ÷ (1 − p); a VM with credit that used nearly all its cap claims up to its limit;
    /// no estimate exceeds the VM's limit.
    /// </summary>
    private static void Discover(int n, bool identity, ReadOnlySpan<int> slots, bool[] measured, double[] templates, double[] usage, double[] limits, double[] pressure, double[] previous, double[] credits, double[] est)
    {
        for (int i = 0; i < n; i++)
        {
            double u = usage[i];
            int slot = identity ? i : slots[i];
            double e = est[i];
            if (u >= 0)
            {
                measured[slot] = true;
                double p = pressure[i];
                if (p > 0)
                {
                    // p = 1: served nothing; what it wanted is unknown beyond "more": its limit where known.
                    double wanted = p < 1 ? u / (1 - p) : limits[i];
                    if (wanted > e)
                    {
                        e = Math.Min(wanted, double.MaxValue);
                    }
                }

                double prev = previous[i];
                if (credits[i] > 0 && prev > 0 && u >= prev * ThrottledUsageFraction && limits[i] > e)
                {
                    e = limits[i];
                }
            }
            else if (!measured[slot])
            {
                e = templates[i];
            }

            double l = limits[i];
            est[i] = l < e ? l : e;
        }
    }

    /// <summary>Transposes an optional per-VM signal (empty: NaN). +∞ becomes NaN (unbounded); a negative value is an error naming the VM.</summary>
    private static void Signals(ReadOnlySpan<ResourceVector> rows, double[][] columns, int n, ReadOnlySpan<VmId> vms, string what)
    {
        if (rows.IsEmpty)
        {
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                columns[r].AsSpan(0, n).Fill(double.NaN);
            }

            return;
        }

        // Pressure above 1 needs no clamp here: every use reads p >= 1 as "nothing served".
        if (Transpose.ToColumns(rows, Transpose.Of(columns), Transpose.Check.NonNegativeOrNaN))
        {
            return;
        }

        for (int i = 0; i < n; i++)
        {
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                double v = rows[i][r];
                if (double.IsPositiveInfinity(v))
                {
                    v = double.NaN;
                }
                else if (v < 0 || double.IsNegativeInfinity(v))
                {
                    string vm = i < vms.Length ? vms[i].Name : string.Create(CultureInfo.InvariantCulture, $"#{i}");
                    throw new ArgumentException(
                        string.Create(CultureInfo.InvariantCulture, $"The {what} of VM '{vm}' for {ResourceKinds.Name((ResourceKind)r)} is {v.ToString("R", CultureInfo.InvariantCulture)}; it must be NaN (unknown) or >= 0."),
                        nameof(rows));
                }
                columns[r][i] = v;
            }
        }
    }

    private static bool IsIdentity(ReadOnlySpan<int> slots)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<int> expected = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
            Vector256<int> step = Vector256.Create(8);
            for (; i <= slots.Length - 8; i += 8, expected += step)
            {
                if (!Vector256.EqualsAll(Vector256.Create(slots.Slice(i, 8)), expected))
                {
                    return false;
                }
            }
        }

        for (; i < slots.Length; i++)
        {
            if (slots[i] != i)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary><see cref="Estimate"/> when VM i has slot i: the estimates replace the predictions in place.</summary>
    private void EstimateInPlace(ResourceKind kind, int n, ReadOnlySpan<VmId> vms, double[] observed, double[] predicted, double[] lastAllocation, double growth, double[] credits)
    {
        ReadOnlySpan<double> sum = _ledger.Sums(kind)[..n];
        ReadOnlySpan<double> comp = _ledger.Compensations(kind)[..n];
        Span<double> est = predicted.AsSpan(0, n);
        Span<double> credit = credits.AsSpan(0, n);
        ReadOnlySpan<double> obs = observed.AsSpan(0, n);
        ReadOnlySpan<double> last = lastAllocation.AsSpan(0, n);
        bool throttle = _throttledGrowth > 0;
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<double> zero = Vector256<double>.Zero;
            Vector256<double> max = Vector256.Create(double.MaxValue);
            Vector256<double> fraction = Vector256.Create(ThrottledUsageFraction);
            Vector256<double> g = Vector256.Create(growth);
            for (; i <= n - 4; i += 4)
            {
                Vector256<double> e = Vector256.Create(est.Slice(i, 4));
                e &= Vector256.GreaterThanOrEqual(e, zero);
                if (throttle)
                {
                    Vector256<double> l = Vector256.Create(last.Slice(i, 4));
                    Vector256<double> capped = Vector256.GreaterThan(l, zero) & Vector256.GreaterThanOrEqual(Vector256.Create(obs.Slice(i, 4)), l * fraction);
                    e = Vector256.ConditionalSelect(capped, Vector256.MaxNative(e, l * g), e);
                }

                Vector256.MinNative(e, max).CopyTo(est.Slice(i, 4));
                Vector256<double> c = Vector256.Create(sum.Slice(i, 4)) + Vector256.Create(comp.Slice(i, 4));
                if (!Vector256.EqualsAll(c - c, zero))
                {
                    break; // an infinite credit: the scalar loop below finds it and throws
                }

                c.CopyTo(credit.Slice(i, 4));
            }
        }

        for (; i < n; i++)
        {
            est[i] = EstimateOf(est[i], throttle ? last[i] : double.NaN, obs[i], growth);
            credit[i] = CreditOf(sum[i] + comp[i], vms, i, kind);
        }
    }

    private void Estimate(ResourceKind kind, int n, ReadOnlySpan<int> slots, ReadOnlySpan<VmId> vms, double[] observed, double[] predicted, double[] lastAllocation, double growth, double[] estimates, double[] credits)
    {
        ReadOnlySpan<double> sum = _ledger.Sums(kind);
        ReadOnlySpan<double> comp = _ledger.Compensations(kind);
        Span<double> est = estimates.AsSpan(0, n);
        Span<double> credit = credits.AsSpan(0, n);
        slots = slots[..n];
        bool throttle = _throttledGrowth > 0;
        for (int i = 0; i < slots.Length; i++)
        {
            int slot = slots[i];
            est[i] = EstimateOf(predicted[slot], throttle ? lastAllocation[slot] : double.NaN, observed[slot], growth);
            credit[i] = CreditOf(sum[slot] + comp[slot], vms, i, kind);
        }
    }

    /// <summary>
    /// A VM's estimate: the prediction (NaN or negative from a faulty predictor counts as 0, capped to the largest
    /// finite value), raised to <paramref name="last"/> × <paramref name="growth"/> when the VM used nearly all of its
    /// last allocation (censored usage; <paramref name="last"/> NaN: no such rule).
    /// </summary>
    private static double EstimateOf(double predicted, double last, double observed, double growth)
    {
        double e = predicted >= 0 ? predicted : 0;
        if (last > 0 && observed >= last * ThrottledUsageFraction)
        {
            e = Math.Max(e, last * growth);
        }

        return Math.Min(e, double.MaxValue);
    }

    private static double CreditOf(double credit, ReadOnlySpan<VmId> vms, int i, ResourceKind kind)
    {
        if (!double.IsFinite(credit))
        {
            ThrowBadCredit(vms, i, kind, credit);
        }

        return credit;
    }

    /// <summary>The transpose for every resource (vectorized; see <see cref="Transpose"/>).</summary>
    private void TransposeAll(bool identity, int slotCount, ReadOnlySpan<int> slots, ReadOnlySpan<VmId> vms, ReadOnlySpan<ResourceVector> templates, ReadOnlySpan<ResourceVector> usage)
    {
        int n = slots.Length;
        Transpose.Columns byVm = Transpose.Of(_templates);
        Transpose.Columns usageColumns = Transpose.Of(identity ? _observed : _usageByVm);
        if (!Transpose.ToColumns(templates, byVm, Transpose.Check.NonNegative) | !Transpose.ToColumns(usage, usageColumns, Transpose.Check.NonNegativeOrNaN))
        {
            for (int i = 0; i < n; i++)
            {
                CheckVm(ResourceSet.All, vms, i, templates[i], usage[i]);
            }
        }

        if (identity)
        {
            return;
        }

        for (int i = 0; i < n; i++)
        {
            if ((uint)slots[i] >= (uint)slotCount)
            {
                ThrowBadSlot(slots[i]);
            }
        }

        for (int r = 0; r < ResourceKinds.Count; r++)
        {
            ReadOnlySpan<double> t = _templates[r].AsSpan(0, n);
            ReadOnlySpan<double> u = _usageByVm[r].AsSpan(0, n);
            Span<double> bySlot = _slotTemplates[r].AsSpan(0, slotCount);
            Span<double> observed = _observed[r].AsSpan(0, slotCount);
            for (int i = 0; i < t.Length; i++)
            {
                int slot = slots[i];
                bySlot[slot] = t[i];
                observed[slot] = u[i];
            }
        }
    }

    private void TransposeSome(int set, int slotCount, ReadOnlySpan<int> slots, ReadOnlySpan<VmId> vms, ReadOnlySpan<ResourceVector> templates, ReadOnlySpan<ResourceVector> usage)
    {
        for (int i = 0; i < slots.Length; i++)
        {
            int slot = slots[i];
            if ((uint)slot >= (uint)slotCount)
            {
                ThrowBadSlot(slot);
            }

            ref readonly ResourceVector tv = ref templates[i];
            ref readonly ResourceVector uv = ref usage[i];
            CheckVm((ResourceSet)set, vms, i, tv, uv);
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                if ((set & (1 << r)) != 0)
                {
                    double t = tv[r];
                    _templates[r][i] = t;
                    _slotTemplates[r][slot] = t;
                    _observed[r][slot] = uv[r];
                    _usageByVm[r][i] = uv[r];
                }
            }
        }
    }

    /// <summary>Copies the per-resource estimates, credits and (column allocator) allocations into the caller's vectors; NaN for resources not scheduled.</summary>
    private void WriteBack(int set, int n, Span<ResourceVector> estimates, Span<ResourceVector> credits, Span<ResourceVector> caps, Span<ResourceVector> weights)
    {
        bool columns = _columnAllocator is not null;
        if (set == (int)ResourceSet.All && columns)
        {
            Transpose.ToRows(Transpose.Of(_estimateSource), estimates[..n]);
            Transpose.ToRows(Transpose.Of(_credits), credits[..n]);
            Transpose.ToRows(Transpose.Of(_allocations), caps[..n]);
            if (!weights.IsEmpty)
            {
                Transpose.ToRows(Transpose.Of(_weights), weights[..n]);
            }

            return;
        }

        for (int i = 0; i < n; i++)
        {
            ref ResourceVector ev = ref estimates[i];
            ref ResourceVector cv = ref credits[i];
            ref ResourceVector av = ref caps[i];
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                if ((set & (1 << r)) != 0)
                {
                    ev[r] = _estimateSource[r][i];
                    cv[r] = _credits[r][i];
                    if (columns)
                    {
                        av[r] = _allocations[r][i];
                        if (!weights.IsEmpty)
                        {
                            weights[i][r] = _weights[r][i];
                        }
                    }
                }
                else
                {
                    ev[r] = double.NaN;
                    cv[r] = double.NaN;
                    av[r] = double.NaN;
                    if (!weights.IsEmpty)
                    {
                        weights[i][r] = double.NaN;
                    }
                }
            }
        }
    }

    private static bool IsTemplate(double t) => t >= 0 && t <= double.MaxValue;

    private static bool IsUsage(double u) => double.IsNaN(u) || (u >= 0 && u <= double.MaxValue);

    private static void CheckVm(ResourceSet set, ReadOnlySpan<VmId> vms, int i, in ResourceVector tv, in ResourceVector uv)
    {
        for (int r = 0; r < ResourceKinds.Count; r++)
        {
            if (((int)set & (1 << r)) != 0 && !(IsTemplate(tv[r]) && IsUsage(uv[r])))
            {
                ThrowBadInput(vms, i, (ResourceKind)r, tv[r], uv[r]);
            }
        }
    }

    [DoesNotReturn]
    private static void ThrowBadSlot(int slot, string paramName = "slots")
        => throw new ArgumentOutOfRangeException(paramName, slot, "A slot is outside 0 to slotCount - 1.");

    [DoesNotReturn]
    private static void ThrowBadCredit(ReadOnlySpan<VmId> vms, int i, ResourceKind r, double credit)
    {
        string vm = i < vms.Length ? vms[i].Name : string.Create(CultureInfo.InvariantCulture, $"#{i}");
        throw new ArgumentException(
            string.Create(CultureInfo.InvariantCulture, $"The credit of VM '{vm}' for {ResourceKinds.Name(r)} is {credit.ToString("R", CultureInfo.InvariantCulture)}: its template and usage are too large to sum over the window."),
            nameof(vms));
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
