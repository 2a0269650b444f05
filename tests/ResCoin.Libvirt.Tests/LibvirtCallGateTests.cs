using System.Diagnostics;
using ResCoin.Libvirt.Native;
using ResCoin.Testing;

namespace ResCoin.Libvirt.Tests;

public sealed class LibvirtCallGateTests
{
    [Fact]
    public void Call_ReturnsResult_AndRethrowsTheCallsException()
    {
        using var gate = new LibvirtCallGate("test");
        Assert.Equal(42, gate.Call("answer", TimeSpan.FromSeconds(5), () => 42));
        var ex = Assert.Throws<LibvirtException>(() => gate.Call<int>("fails", TimeSpan.FromSeconds(5), () => throw new LibvirtException("boom")));
        Assert.Equal("boom", ex.Message);
    }

    [Fact]
    public void Call_Hung_GivesUpAtTheDeadline_FailsFastUntilItReturns_DisposesTheLateResult()
    {
        using var gate = new LibvirtCallGate("test");
        using var release = new ManualResetEventSlim(false);
        var late = new Late();
        var sw = Stopwatch.StartNew();
        var ex = Assert.Throws<LibvirtTimeoutException>(() => gate.Call("virDomainGetInfo(vm1)", TimeSpan.FromMilliseconds(200), () =>
        {
            release.Wait();
            return late;
        }, static l => l.Dispose()));
        Assert.InRange(sw.Elapsed.TotalSeconds, 0.15, 2);
        Assert.Contains("virDomainGetInfo(vm1)", ex.Message, StringComparison.Ordinal);
        Assert.True(gate.IsStuck);

        // While the hung call has not returned, every call fails at once instead of piling up.
        sw.Restart();
        var fast = Assert.Throws<LibvirtTimeoutException>(() => gate.Call("virDomainGetInfo(vm2)", TimeSpan.FromSeconds(10), () => 1));
        Assert.InRange(sw.Elapsed.TotalSeconds, 0, 0.5);
        Assert.Contains("has not answered virDomainGetInfo(vm1)", fast.Message, StringComparison.Ordinal);

        // libvirtd answers: the late result is disposed, and the gate works again.
        release.Set();
        SpinWait.SpinUntil(() => !gate.IsStuck, TimeSpan.FromSeconds(5));
        Assert.False(gate.IsStuck);
        Assert.True(SpinWait.SpinUntil(() => late.Disposed, TimeSpan.FromSeconds(5)));
        Assert.Equal(7, gate.Call("again", TimeSpan.FromSeconds(5), () => 7));
    }

    [SkippableFact]
    public void Monitor_FillsTheVmUuid_FromLibvirt()
    {
        Prerequisite.Require(BindingTestsNative.Present(), "libvirt.so.0 is not installed (run scripts/setup-host.sh)");
        using var monitor = new LibvirtMonitor(new LibvirtOptions { ConnectionUri = "test:///default" });
        var s = new HostSnapshot();
        monitor.SampleAsync(s, default).AsTask().GetAwaiter().GetResult();
        VmId id = s.Vms[0].Id;
        using ConnectionHandle c = LibvirtApi.Open("test:///default");
        using DomainHandle d = LibvirtApi.Lookup(c, id.Name);
        Assert.NotEqual(Guid.Empty, id.Uuid);
        Assert.Equal(LibvirtApi.GetUuid(d.DangerousGetHandle(), id.Name), id.Uuid);
        using DomainHandle byUuid = LibvirtApi.LookupByUuid(c, id.Uuid, id.Name);
        Assert.False(byUuid.IsInvalid);
    }

    private sealed class Late : IDisposable
    {
        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }
}

internal static class BindingTestsNative
{
    public static bool Present()
    {
        try
        {
            return System.Runtime.InteropServices.NativeLibrary.TryLoad(NativeMethods.Library, out _);
        }
        catch (DllNotFoundException)
        {
            return false;
        }
    }
}
