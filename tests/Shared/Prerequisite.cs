namespace ResCoin.Testing;

/// <summary>
/// Guards tests that need a real component (libvirtd and QEMU guests, writable cgroups, vsock).
/// Outside CI a missing prerequisite skips the test with the reason; under CI=true it fails the test.
/// Use with <c>[SkippableFact]</c> / <c>[SkippableTheory]</c>.
/// </summary>
internal static class Prerequisite
{
    /// <summary>Whether the tests run under CI (the CI environment variable is "true").</summary>
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Skips (locally) or fails (under CI) when <paramref name="available"/> is false.</summary>
    public static void Require(bool available, string reason)
    {
        if (available)
        {
            return;
        }

        if (IsCi)
        {
            throw new InvalidOperationException($"Prerequisite missing under CI=true: {reason}");
        }

        Skip.If(true, reason);
    }
}
