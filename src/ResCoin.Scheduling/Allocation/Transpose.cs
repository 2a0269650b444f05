using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ResCoin.Scheduling.Allocation;

/// <summary>
/// Converts between rows of <see cref="ResourceVector"/> (six doubles per VM) and six per-resource columns. With AVX,
/// four VMs at a time: six 256-bit loads, twelve in-register shuffles, six 256-bit stores. Otherwise element by element.
/// </summary>
internal static class Transpose
{
    /// <summary>The six columns held in <paramref name="arrays"/> (one per resource).</summary>
    public static Columns Of(double[][] arrays)
    {
        Columns columns = default;
        for (int r = 0; r < ResourceKinds.Count; r++)
        {
            columns[r] = arrays[r];
        }

        return columns;
    }

    /// <summary>What every value must be.</summary>
    public enum Check
    {
        /// <summary>Finite and at least 0 (templates, estimates, capacities).</summary>
        NonNegative,

        /// <summary>NaN ("not measured"), or finite and at least 0 (usage).</summary>
        NonNegativeOrNaN,

        /// <summary>Finite, of any sign (credits).</summary>
        Finite,
    }

    /// <summary>The six columns, one per resource, each at least as long as the rows.</summary>
    [InlineArray(ResourceKinds.Count)]
    public struct Columns
    {
        private double[] _column;
    }

    /// <summary>
    /// Copies <paramref name="rows"/> into <paramref name="columns"/> (column r, index i = row i, resource r) and returns
    /// whether every value passed <paramref name="check"/>. On failure the columns may be partly written.
    /// </summary>
    public static bool ToColumns(ReadOnlySpan<ResourceVector> rows, scoped in Columns columns, Check check)
    {
        int n = rows.Length;
        CheckLengths(columns, n);

        ReadOnlySpan<double> flat = MemoryMarshal.Cast<ResourceVector, double>(rows);
        int i = 0;
        bool ok = true;
        if (Avx.IsSupported)
        {
            ref double src = ref MemoryMarshal.GetReference(flat);
            ref double c0 = ref MemoryMarshal.GetArrayDataReference(columns[0]);
            ref double c1 = ref MemoryMarshal.GetArrayDataReference(columns[1]);
            ref double c2 = ref MemoryMarshal.GetArrayDataReference(columns[2]);
            ref double c3 = ref MemoryMarshal.GetArrayDataReference(columns[3]);
            ref double c4 = ref MemoryMarshal.GetArrayDataReference(columns[4]);
            ref double c5 = ref MemoryMarshal.GetArrayDataReference(columns[5]);
            Vector256<double> bad = Vector256<double>.Zero;
            for (; i <= n - 4; i += 4)
            {
                // Rows a, b, c, d: l0 = a0 a1 a2 a3, l1 = a4 a5 b0 b1, l2 = b2 b3 b4 b5, l3 = c0 c1 c2 c3, ...
                ref double p = ref Unsafe.Add(ref src, i * ResourceKinds.Count);
                Vector256<double> l0 = Vector256.LoadUnsafe(ref p);
                Vector256<double> l1 = Vector256.LoadUnsafe(ref p, 4);
                Vector256<double> l2 = Vector256.LoadUnsafe(ref p, 8);
                Vector256<double> l3 = Vector256.LoadUnsafe(ref p, 12);
                Vector256<double> l4 = Vector256.LoadUnsafe(ref p, 16);
                Vector256<double> l5 = Vector256.LoadUnsafe(ref p, 20);
                Vector256<double> ac01 = Avx.Permute2x128(l0, l3, 0x20); // a0 a1 c0 c1
                Vector256<double> bd01 = Avx.Permute2x128(l1, l4, 0x31); // b0 b1 d0 d1
                Vector256<double> ac23 = Avx.Permute2x128(l0, l3, 0x31); // a2 a3 c2 c3
                Vector256<double> bd23 = Avx.Permute2x128(l2, l5, 0x20); // b2 b3 d2 d3
                Vector256<double> ac45 = Avx.Permute2x128(l1, l4, 0x20); // a4 a5 c4 c5
                Vector256<double> bd45 = Avx.Permute2x128(l2, l5, 0x31); // b4 b5 d4 d5
                Vector256<double> r0 = Avx.UnpackLow(ac01, bd01);
                Vector256<double> r1 = Avx.UnpackHigh(ac01, bd01);
                Vector256<double> r2 = Avx.UnpackLow(ac23, bd23);
                Vector256<double> r3 = Avx.UnpackHigh(ac23, bd23);
                Vector256<double> r4 = Avx.UnpackLow(ac45, bd45);
                Vector256<double> r5 = Avx.UnpackHigh(ac45, bd45);
                bad |= Invalid(r0, check) | Invalid(r1, check) | Invalid(r2, check) | Invalid(r3, check) | Invalid(r4, check) | Invalid(r5, check);
                r0.StoreUnsafe(ref c0, (nuint)i);
                r1.StoreUnsafe(ref c1, (nuint)i);
                r2.StoreUnsafe(ref c2, (nuint)i);
                r3.StoreUnsafe(ref c3, (nuint)i);
                r4.StoreUnsafe(ref c4, (nuint)i);
                r5.StoreUnsafe(ref c5, (nuint)i);
            }

            ok = Vector256.EqualsAll(bad, Vector256<double>.Zero);
        }

        for (; i < n; i++)
        {
            ReadOnlySpan<double> row = flat.Slice(i * ResourceKinds.Count, ResourceKinds.Count);
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                double x = row[r];
                ok &= check switch
                {
                    Check.Finite => double.IsFinite(x),
                    Check.NonNegativeOrNaN => double.IsNaN(x) || (x >= 0 && x <= double.MaxValue),
                    _ => x >= 0 && x <= double.MaxValue,
                };
                columns[r][i] = x;
            }
        }

        return ok;
    }

    /// <summary>Copies the first <paramref name="rows"/>.Length elements of the six columns into the rows.</summary>
    public static void ToRows(scoped in Columns columns, Span<ResourceVector> rows)
    {
        int n = rows.Length;
        CheckLengths(columns, n);

        Span<double> flat = MemoryMarshal.Cast<ResourceVector, double>(rows);
        int i = 0;
        if (Avx.IsSupported)
        {
            ref double dst = ref MemoryMarshal.GetReference(flat);
            ref double c0 = ref MemoryMarshal.GetArrayDataReference(columns[0]);
            ref double c1 = ref MemoryMarshal.GetArrayDataReference(columns[1]);
            ref double c2 = ref MemoryMarshal.GetArrayDataReference(columns[2]);
            ref double c3 = ref MemoryMarshal.GetArrayDataReference(columns[3]);
            ref double c4 = ref MemoryMarshal.GetArrayDataReference(columns[4]);
            ref double c5 = ref MemoryMarshal.GetArrayDataReference(columns[5]);
            for (; i <= n - 4; i += 4)
            {
                Vector256<double> r0 = Vector256.LoadUnsafe(ref c0, (nuint)i); // a0 b0 c0 d0
                Vector256<double> r1 = Vector256.LoadUnsafe(ref c1, (nuint)i);
                Vector256<double> r2 = Vector256.LoadUnsafe(ref c2, (nuint)i);
                Vector256<double> r3 = Vector256.LoadUnsafe(ref c3, (nuint)i);
                Vector256<double> r4 = Vector256.LoadUnsafe(ref c4, (nuint)i);
                Vector256<double> r5 = Vector256.LoadUnsafe(ref c5, (nuint)i);
                Vector256<double> ac01 = Avx.UnpackLow(r0, r1);  // a0 a1 c0 c1
                Vector256<double> bd01 = Avx.UnpackHigh(r0, r1); // b0 b1 d0 d1
                Vector256<double> ac23 = Avx.UnpackLow(r2, r3);
                Vector256<double> bd23 = Avx.UnpackHigh(r2, r3);
                Vector256<double> ac45 = Avx.UnpackLow(r4, r5);
                Vector256<double> bd45 = Avx.UnpackHigh(r4, r5);
                ref double p = ref Unsafe.Add(ref dst, i * ResourceKinds.Count);
                Avx.Permute2x128(ac01, ac23, 0x20).StoreUnsafe(ref p);     // a0 a1 a2 a3
                Avx.Permute2x128(ac45, bd01, 0x20).StoreUnsafe(ref p, 4);  // a4 a5 b0 b1
                Avx.Permute2x128(bd23, bd45, 0x20).StoreUnsafe(ref p, 8);  // b2 b3 b4 b5
                Avx.Permute2x128(ac01, ac23, 0x31).StoreUnsafe(ref p, 12); // c0 c1 c2 c3
                Avx.Permute2x128(ac45, bd01, 0x31).StoreUnsafe(ref p, 16); // c4 c5 d0 d1
                Avx.Permute2x128(bd23, bd45, 0x31).StoreUnsafe(ref p, 20); // d2 d3 d4 d5
            }
        }

        for (; i < n; i++)
        {
            Span<double> row = flat.Slice(i * ResourceKinds.Count, ResourceKinds.Count);
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                row[r] = columns[r][i];
            }
        }
    }

    private static void CheckLengths(scoped in Columns columns, int n)
    {
        for (int r = 0; r < ResourceKinds.Count; r++)
        {
            if (columns[r].Length < n)
            {
                throw new ArgumentException("A column is shorter than the rows.", nameof(columns));
            }
        }
    }

    /// <summary>All-ones lanes where the value fails the check.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> Invalid(Vector256<double> x, Check check)
    {
        if (check == Check.Finite)
        {
            return ~Vector256.Equals(x - x, Vector256<double>.Zero); // inf - inf and NaN - NaN are NaN
        }

        Vector256<double> valid = Vector256.GreaterThanOrEqual(x, Vector256<double>.Zero) & Vector256.LessThanOrEqual(x, Vector256.Create(double.MaxValue));
        if (check == Check.NonNegativeOrNaN)
        {
            valid |= ~Vector256.Equals(x, x);
        }

        return ~valid;
    }
}
