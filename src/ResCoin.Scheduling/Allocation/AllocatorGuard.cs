using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ResCoin.Scheduling.Allocation;

/// <summary>
/// Input and output checks shared by the allocators and the period engine; the messages name the VM and the resource.
/// The same output check applies to every allocator, built in or the user's, on the column path and the row path.
/// </summary>
internal static class AllocatorGuard
{
    /// <summary>Checks that every span has the same length (and <see cref="AllocationInput.Vms"/> is empty or that length).</summary>
    public static void CheckShape(scoped in AllocationInput input, int allocationsLength)
    {
        int n = input.Templates.Length;
        if (input.Estimates.Length != n || input.Credits.Length != n || allocationsLength != n
            || (input.Vms.Length != 0 && input.Vms.Length != n))
        {
            throw new ArgumentException(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"The allocation spans differ in length: {input.Vms.Length} VMs, {n} templates, {input.Estimates.Length} estimates, {input.Credits.Length} credits, {allocationsLength} allocations (VMs may be empty; the others must be equal)."),
                nameof(input));
        }
    }

    /// <summary>Checks a scheduled resource's capacity (finite, at least 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CheckCapacity(double capacity, ResourceKind resource)
    {
        if (!(capacity >= 0 && capacity <= double.MaxValue))
        {
            ThrowCapacity(capacity, resource);
        }
    }

    /// <summary>Whether a template or estimate is valid: finite and at least 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsNonNegativeFinite(double value) => value >= 0 && value <= double.MaxValue;

    /// <summary>Throws for the first invalid template, estimate or credit of VM <paramref name="index"/>.</summary>
    [DoesNotReturn]
    public static void ThrowInvalid(scoped in AllocationInput input, int index, ResourceKind resource)
    {
        double t = input.Templates[index][resource];
        double e = input.Estimates[index][resource];
        double c = input.Credits[index][resource];
        string what;
        double value;
        if (!IsNonNegativeFinite(t))
        {
            (what, value) = ("template", t);
        }
        else if (!IsNonNegativeFinite(e))
        {
            (what, value) = ("estimate", e);
        }
        else
        {
            (what, value) = ("credit", c);
        }

        string rule = what == "credit" ? "finite" : "finite and >= 0";
        throw new ArgumentException(
            string.Create(
                CultureInfo.InvariantCulture,
                $"The {what} of VM '{input.NameOf(index)}' for {ResourceKinds.Name(resource)} is {Describe(value)}; it must be {rule}."),
            nameof(input));
    }

    /// <summary>
    /// Checks one resource's decision: every cap NaN (none) or finite and at least 0, every weight NaN (the default) or
    /// finite and above 0. Vectorized; the message names the allocator, the first bad VM and the resource.
    /// </summary>
    /// <exception cref="InvalidOperationException">A cap or weight is invalid.</exception>
    public static void CheckOutput(IAllocator allocator, ResourceKind resource, ReadOnlySpan<VmId> vms, ReadOnlySpan<double> caps, ReadOnlySpan<double> weights)
    {
        int n = caps.Length;
        weights = weights[..n];
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref double c0 = ref MemoryMarshal.GetReference(caps);
            ref double w0 = ref MemoryMarshal.GetReference(weights);
            Vector256<double> zero = Vector256<double>.Zero;
            Vector256<double> max = Vector256.Create(double.MaxValue);
            Vector256<double> bad = zero;
            for (; i <= n - 4; i += 4)
            {
                Vector256<double> c = Vector256.LoadUnsafe(ref c0, (nuint)i);
                Vector256<double> w = Vector256.LoadUnsafe(ref w0, (nuint)i);
                Vector256<double> capOk = (Vector256.GreaterThanOrEqual(c, zero) & Vector256.LessThanOrEqual(c, max)) | ~Vector256.Equals(c, c);
                Vector256<double> weightOk = (Vector256.GreaterThan(w, zero) & Vector256.LessThanOrEqual(w, max)) | ~Vector256.Equals(w, w);
                bad |= ~(capOk & weightOk);
            }

            if (!Vector256.EqualsAll(bad, zero))
            {
                i = 0; // find the first bad VM below
            }
        }

        for (; i < n; i++)
        {
            if (!IsCap(caps[i]) || !IsWeight(weights[i]))
            {
                ThrowBadOutput(allocator, resource, vms, i, caps[i], weights[i]);
            }
        }
    }

    /// <summary>The row form of <see cref="CheckOutput(IAllocator, ResourceKind, ReadOnlySpan{VmId}, ReadOnlySpan{double}, ReadOnlySpan{double})"/>, for the scheduled resources.</summary>
    /// <exception cref="InvalidOperationException">A cap or weight is invalid.</exception>
    public static void CheckOutput(IAllocator allocator, ResourceSet resources, ReadOnlySpan<VmId> vms, ReadOnlySpan<ResourceVector> caps, ReadOnlySpan<ResourceVector> weights)
    {
        for (int i = 0; i < caps.Length; i++)
        {
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                if (((int)resources & (1 << r)) != 0 && (!IsCap(caps[i][r]) || !IsWeight(weights[i][r])))
                {
                    ThrowBadOutput(allocator, (ResourceKind)r, vms, i, caps[i][r], weights[i][r]);
                }
            }
        }
    }

    private static bool IsCap(double cap) => double.IsNaN(cap) || IsNonNegativeFinite(cap);

    private static bool IsWeight(double weight) => double.IsNaN(weight) || (weight > 0 && weight <= double.MaxValue);

    [DoesNotReturn]
    private static void ThrowBadOutput(IAllocator allocator, ResourceKind resource, ReadOnlySpan<VmId> vms, int index, double cap, double weight)
    {
        bool badCap = !IsCap(cap);
        string vm = index < vms.Length ? vms[index].Name : string.Create(CultureInfo.InvariantCulture, $"#{index}");
        throw new InvalidOperationException(
            string.Create(
                CultureInfo.InvariantCulture,
                $"The allocator '{allocator.Name}' gave VM '{vm}' a {(badCap ? "cap" : "weight")} of {Describe(badCap ? cap : weight)} for {ResourceKinds.Name(resource)}; a {(badCap ? "cap must be NaN (none) or finite and >= 0" : "weight must be NaN (the default) or finite and > 0")}."));
    }

    [DoesNotReturn]
    private static void ThrowCapacity(double capacity, ResourceKind resource)
        => throw new ArgumentException(
            string.Create(
                CultureInfo.InvariantCulture,
                $"The capacity for {ResourceKinds.Name(resource)} is {Describe(capacity)}; it must be finite and >= 0."),
            nameof(capacity));

    private static string Describe(double value) => double.IsNaN(value)
        ? "NaN"
        : value.ToString("R", CultureInfo.InvariantCulture);
}
