using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.Intrinsics;
using ResCoin.Scheduling.Allocation;

namespace ResCoin.Scheduling.Control;

/// <summary>The period engine's inputs: checks (messages name the VM and resource) and transposes of rows into columns.</summary>
internal sealed partial class PeriodEngine
{
    /// <summary>Checks and transposes templates and usage: by VM for the allocator, by slot for the ledger and the predictor.</summary>
    private void ReadInputs(int set, bool identity, int slotCount, ReadOnlySpan<int> slots, ReadOnlySpan<VmId> vms, ReadOnlySpan<ResourceVector> templates, ReadOnlySpan<ResourceVector> usage)
    {
        if (set == (int)ResourceSet.All)
        {
            TransposeAll(identity, slotCount, slots, vms, templates, usage);
        }
        else
        {
            TransposeSome(set, slotCount, slots, vms, templates, usage);
        }
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
                    throw new ArgumentException(
                        string.Create(CultureInfo.InvariantCulture, $"The {what} of VM '{NameOf(vms, i)}' for {ResourceKinds.Name((ResourceKind)r)} is {v.ToString("R", CultureInfo.InvariantCulture)}; it must be NaN (unknown) or >= 0."),
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

    private static string NameOf(ReadOnlySpan<VmId> vms, int i)
        => i < vms.Length ? vms[i].Name : string.Create(CultureInfo.InvariantCulture, $"#{i}");

    [DoesNotReturn]
    private static void ThrowBadSlot(int slot, string paramName = "slots")
        => throw new ArgumentOutOfRangeException(paramName, slot, "A slot is outside 0 to slotCount - 1.");

    [DoesNotReturn]
    private static void ThrowBadInput(ReadOnlySpan<VmId> vms, int i, ResourceKind r, double template, double usage)
    {
        bool badTemplate = !(template >= 0 && template <= double.MaxValue);
        throw new ArgumentException(
            string.Create(
                CultureInfo.InvariantCulture,
                $"The {(badTemplate ? "template" : "usage")} of VM '{NameOf(vms, i)}' for {ResourceKinds.Name(r)} is {(badTemplate ? template : usage).ToString("R", CultureInfo.InvariantCulture)}; it must be {(badTemplate ? "finite and >= 0" : "NaN (not measured) or finite and >= 0")}."),
            nameof(vms));
    }
}
