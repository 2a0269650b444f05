using Microsoft.Extensions.Logging;

namespace ResCoin.Scheduling.Control;

/// <summary>
/// The controller's VM slots: each VM present gets a dense, stable slot (its row in the engine's ledger and predictor
/// state) and its configured template; a VM that vanishes gives its slot back and the engine forgets that slot's
/// credit and history (docs/design.md, "Data flow").
/// </summary>
internal sealed class VmSlotTable
{
    private readonly PeriodEngine _engine;
    private readonly IReadOnlyDictionary<string, ResourceVector> _templates;
    private readonly ILogger _logger;
    private readonly Dictionary<VmId, int> _slotOf = [];
    private VmId[] _vm = new VmId[16];
    private long[] _seen = new long[16];
    private ResourceVector[] _template = new ResourceVector[16];
    private int _lowestFree;
    private long _mark;

    public VmSlotTable(PeriodEngine engine, IReadOnlyDictionary<string, ResourceVector> templates, ILogger logger)
    {
        _engine = engine;
        _templates = templates;
        _logger = logger;
    }

    /// <summary>One past the highest slot in use.</summary>
    public int Count { get; private set; }

    /// <summary>
    /// Starts a new sweep over the VMs of one sample. Each sweep has a mark of its own, so a computation that failed
    /// half-way (its VMs marked) does not make the next one take those VMs for duplicates.
    /// </summary>
    public void BeginSweep() => _mark++;

    /// <summary>Finds or assigns the VM's slot and marks it seen in this sweep; false when it was already seen (a duplicate).</summary>
    public bool TrySee(VmId id, out int slot)
    {
        if (!_slotOf.TryGetValue(id, out slot))
        {
            slot = Assign(id);
        }
        else if (_seen[slot] == _mark)
        {
            Log.DuplicateVm(_logger, id.Name);
            return false;
        }

        _seen[slot] = _mark;
        return true;
    }

    /// <summary>The configured template of the VM in <paramref name="slot"/> (NaN per resource where none is configured).</summary>
    public ref readonly ResourceVector Template(int slot) => ref _template[slot];

    /// <summary>Frees the slots of the VMs not seen in this sweep.</summary>
    public void EndSweep()
    {
        for (int slot = 0; slot < Count; slot++)
        {
            if (_seen[slot] != _mark && !_vm[slot].IsEmpty)
            {
                Free(slot);
            }
        }

        while (Count > 0 && _vm[Count - 1].IsEmpty)
        {
            Count--;
        }
    }

    private int Assign(VmId id)
    {
        int slot = _lowestFree;
        while (slot < Count && !_vm[slot].IsEmpty)
        {
            slot++;
        }

        if (slot >= _vm.Length)
        {
            int size = Math.Max(slot + 1, _vm.Length * 2);
            Array.Resize(ref _vm, size);
            Array.Resize(ref _seen, size);
            Array.Resize(ref _template, size);
        }

        if (slot >= Count)
        {
            Count = slot + 1;
        }

        _lowestFree = slot + 1;
        _vm[slot] = id;
        _seen[slot] = 0;
        _template[slot] = _templates.TryGetValue(id.Name, out ResourceVector t) ? t : ResourceVector.Fill(double.NaN);
        _slotOf[id] = slot;
        _engine.EnsureSlots(Count);
        _engine.ResetSlot(slot);
        Log.VmAppeared(_logger, id.Name, slot);
        return slot;
    }

    private void Free(int slot)
    {
        VmId id = _vm[slot];
        _slotOf.Remove(id);
        _vm[slot] = default;
        _engine.ResetSlot(slot);
        _lowestFree = Math.Min(_lowestFree, slot);
        Log.VmVanished(_logger, id.Name, slot);
    }
}
