using System.Runtime.CompilerServices;

namespace ResCoin.GuestAgent.Tests;

/// <summary>Process-wide settings of this test assembly.</summary>
internal static class TestAssemblySetup
{
    /// <summary>
    /// Test classes run in parallel, and the FsCheck properties block thread-pool threads (a property is synchronous, so
    /// it waits on its loopback exchange with GetAwaiter().GetResult()). On a 2-core machine the pool starts with two
    /// workers and adds about one per second, so a busy moment stalled the continuations of unrelated loopback tests for
    /// seconds (the server fuzzer once saw a 400 ms read timeout fire after more than 10 s). Enough workers from the start
    /// keep every test's timing about the code under test, not about the pool's warm-up.
    /// </summary>
#pragma warning disable CA2255 // A module initializer is the one place that runs before any test class.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialize()
    {
        ThreadPool.GetMinThreads(out int workers, out int io);
        ThreadPool.SetMinThreads(Math.Max(workers, 64), Math.Max(io, 64));
    }
}
