using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace ResCoin.Scheduling.Allocation;

/// <summary>Input checks shared by the allocators; the messages name the VM and the resource.</summary>
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
