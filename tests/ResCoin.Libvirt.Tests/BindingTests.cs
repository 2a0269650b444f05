using System.Runtime.CompilerServices;
using Microsoft.Extensions.Time.Testing;
using ResCoin.Libvirt.Native;
using ResCoin.Testing;

namespace ResCoin.Libvirt.Tests;

/// <summary>Marshalling, parsing and options: no VM needed.</summary>
public sealed class BindingTests
{
    [Fact]
    public unsafe void TypedParameter_Layout_MatchesLibvirtHeaders()
    {
        // sizeof(virTypedParameter) = 96, type at 80, value union at 88 (checked against libvirt 9 headers with gcc).
        Assert.Equal(96, sizeof(TypedParameter));
        TypedParameter p = default;
        byte* b = (byte*)&p;
        Assert.Equal(80, (int)((byte*)&p.Type - b));
        Assert.Equal(88, (int)((byte*)&p.LongValue - b));
        Assert.Equal(24, sizeof(DomainStatsRecord));
        Assert.Equal(64, sizeof(NodeInfo));
        Assert.Equal(40, sizeof(DomainInfo));
    }

    [Theory]
    [InlineData(1, -5L, -5.0)]
    [InlineData(2, 4_000_000_000L, 4_000_000_000.0)]
    [InlineData(3, -1L, -1.0)]
    [InlineData(4, 18_000_000_000_000L, 18_000_000_000_000.0)]
    [InlineData(6, 1L, 1.0)]
    public void TypedParameter_SetThenRead_RoundTrips(int typeCode, long value, double expected)
    {
        var type = (TypedParameterType)typeCode;
        TypedParameter p = default;
        p.Set("global_quota", type, value);
        Assert.True(p.Is("global_quota"u8));
        Assert.Equal(type, p.Type);
        Assert.Equal(expected, p.AsDouble());
    }

    [Fact]
    public void TypedParameter_LongName_TruncatedAndTerminated()
    {
        TypedParameter p = default;
        p.Set(new string('x', 200), TypedParameterType.Int, 1);
        Assert.Equal(79, p.Name.Length);
    }

    [Fact]
    public void Parser_SumsDevices_ReadsBalloonAndVcpus()
    {
        using var b = new TypedParameterBuffer(32);
        b.Add("state.state", TypedParameterType.Int, 1);
        b.Add("cpu.time", TypedParameterType.ULLong, 12_708_046_000);
        b.Add("balloon.current", TypedParameterType.ULLong, 196_608);
        b.Add("balloon.maximum", TypedParameterType.ULLong, 196_608);
        b.Add("balloon.rss", TypedParameterType.ULLong, 208_364);
        b.Add("balloon.unused", TypedParameterType.ULLong, 118_416);
        b.Add("balloon.available", TypedParameterType.ULLong, 145_324);
        b.Add("balloon.usable", TypedParameterType.ULLong, 122_660);
        b.Add("balloon.last-update", TypedParameterType.ULLong, 1_795_659_938);
        b.Add("vcpu.current", TypedParameterType.UInt, 2);
        b.Add("vcpu.maximum", TypedParameterType.UInt, 4);
        b.Add("vcpu.0.time", TypedParameterType.ULLong, 5);
        b.Add("vcpu.0.delay", TypedParameterType.ULLong, 300);
        b.Add("vcpu.1.delay", TypedParameterType.ULLong, 200);
        b.Add("block.count", TypedParameterType.UInt, 2);
        b.Add("block.0.rd.bytes", TypedParameterType.ULLong, 100);
        b.Add("block.0.wr.bytes", TypedParameterType.ULLong, 10);
        b.Add("block.1.rd.bytes", TypedParameterType.ULLong, 200);
        b.Add("block.1.wr.bytes", TypedParameterType.ULLong, 20);
        b.Add("block.1.rd.reqs", TypedParameterType.ULLong, 99_999);
        b.Add("net.count", TypedParameterType.UInt, 1);
        b.Add("net.0.rx.bytes", TypedParameterType.ULLong, 7);
        b.Add("net.0.tx.bytes", TypedParameterType.ULLong, 9);

        DomainStats s = DomainStatsParser.Parse(b.Items);

        Assert.Equal(1, s.State);
        Assert.Equal(12_708_046_000, s.CpuTimeNs);
        Assert.Equal(2, s.VcpuCurrent);
        Assert.Equal(500, s.VcpuDelayNs);
        Assert.Equal(5, s.VcpuTimeNs);
        Assert.Equal(2, s.BlockCount);
        Assert.Equal(300, s.BlockReadBytes);
        Assert.Equal(30, s.BlockWriteBytes);
        Assert.Equal(7, s.NetRxBytes);
        Assert.Equal(9, s.NetTxBytes);
        Assert.True(s.HasGuestMemoryStats);
        // available - usable first.
        Assert.Equal((145_324 - 122_660) * 1024.0, s.GuestUsedBytes(fresh: true));
        // Stale guest stats: RSS.
        Assert.Equal(208_364 * 1024.0, s.GuestUsedBytes(fresh: false));
    }

    [Fact]
    public void Parser_Fallbacks_CurrentMinusUnused_ThenRss_ThenNaN()
    {
        DomainStats s = DomainStats.Empty;
        s.BalloonCurrentKiB = 1000;
        s.BalloonUnusedKiB = 400;
        s.BalloonRssKiB = 900;
        Assert.Equal(600 * 1024.0, s.GuestUsedBytes(true));
        s.BalloonUnusedKiB = double.NaN;
        Assert.Equal(900 * 1024.0, s.GuestUsedBytes(true));
        Assert.False(s.HasGuestMemoryStats);
        s.BalloonRssKiB = double.NaN;
        Assert.True(double.IsNaN(s.GuestUsedBytes(true)));
    }

    [Fact]
    public void Parser_NoDevices_NaNRates()
    {
        DomainStats s = DomainStatsParser.Parse([]);
        Assert.True(double.IsNaN(s.BlockReadBytes));
        Assert.True(double.IsNaN(s.NetTxBytes));
        Assert.True(double.IsNaN(s.CpuTimeNs));
    }

    [Fact]
    public void VmState_RatesFromDeltas_ResetsOnRestartAndCounterDrop()
    {
        var time = new FakeTimeProvider();
        var vm = new LibvirtMonitor.VmState("vm1"u8.ToArray());
        DomainStats s = DomainStats.Empty;
        s.CpuTimeNs = 10e9;
        s.BlockCount = 1;
        s.BlockReadBytes = 1000;
        s.BlockWriteBytes = 0;
        s.BalloonRssKiB = 1024;
        s.VcpuCurrent = 2;
        s.VcpuDelayNs = 0;
        s.VcpuTimeNs = 0;
        s.BalloonMaximumKiB = 2048;
        VmSample sample = VmSample.Unmeasured(new VmId("vm1"));

        vm.Update(ref sample, s, domainId: 5, time.GetTimestamp(), 0, time, 30);
        Assert.True(double.IsNaN(sample.Usage.Cpu)); // first sample: no interval yet
        Assert.Equal(1024 * 1024.0, sample.Usage.Memory);
        Assert.Equal(2, sample.Limit.Cpu);
        Assert.Equal(2048 * 1024.0, sample.Limit.Memory);

        time.Advance(TimeSpan.FromSeconds(2));
        s.CpuTimeNs = 13e9;
        s.VcpuDelayNs = 1e9;
        s.VcpuTimeNs = 3e9;
        s.BlockReadBytes = 5000;
        vm.Update(ref sample, s, 5, time.GetTimestamp(), 0, time, 30);
        Assert.Equal(1.5, sample.Usage.Cpu, 9);
        Assert.Equal(0.25, sample.Pressure.Cpu, 9); // 1 s of run-queue wait beside 3 s run: a quarter of the demand unserved
        Assert.Equal(2000, sample.Usage.DiskRead, 9);
        Assert.Equal(0, sample.Usage.DiskWrite);
        Assert.True(double.IsNaN(sample.Usage.NetRx));

        // Counter went backwards (VM restarted under the same id): NaN, not negative.
        time.Advance(TimeSpan.FromSeconds(2));
        s.CpuTimeNs = 1e9;
        vm.Update(ref sample, s, 5, time.GetTimestamp(), 0, time, 30);
        Assert.True(double.IsNaN(sample.Usage.Cpu));

        // New domain id: restarted; no rate for one period even if counters look larger.
        time.Advance(TimeSpan.FromSeconds(2));
        s.CpuTimeNs = 50e9;
        vm.Update(ref sample, s, 6, time.GetTimestamp(), 0, time, 30);
        Assert.True(double.IsNaN(sample.Usage.Cpu));
        time.Advance(TimeSpan.FromSeconds(1));
        s.CpuTimeNs = 50.5e9;
        vm.Update(ref sample, s, 6, time.GetTimestamp(), 0, time, 30);
        Assert.Equal(0.5, sample.Usage.Cpu, 9);
    }

    [Fact]
    public void VmState_StaleBalloonStats_FallBackToRss()
    {
        var time = new FakeTimeProvider();
        var vm = new LibvirtMonitor.VmState("vm"u8.ToArray());
        DomainStats s = DomainStats.Empty;
        s.BalloonAvailableKiB = 1000;
        s.BalloonUsableKiB = 600;
        s.BalloonRssKiB = 900;
        s.BalloonLastUpdate = 1000;
        VmSample sample = VmSample.Unmeasured(new VmId("vm"));
        vm.Update(ref sample, s, 1, time.GetTimestamp(), unixNowSeconds: 1010, time, maxAgeSeconds: 30);
        Assert.Equal(400 * 1024.0, sample.Usage.Memory);
        vm.Update(ref sample, s, 1, time.GetTimestamp(), unixNowSeconds: 1100, time, maxAgeSeconds: 30);
        Assert.Equal(900 * 1024.0, sample.Usage.Memory);
    }

    [Fact]
    public void ParseDevices_DisksAndInterfaces_SkipsCdrom()
    {
        const string xml = """
            <domain type='kvm'><name>x</name><devices>
              <disk type='file' device='disk'><target dev='vda' bus='virtio'/></disk>
              <disk type='file' device='cdrom'><target dev='hdc' bus='ide'/></disk>
              <disk type='block'><target dev='vdb' bus='virtio'/></disk>
              <interface type='bridge'><target dev='vnet3'/></interface>
              <interface type='network'/>
            </devices></domain>
            """;
        (string[] disks, string[] nics) = LibvirtApi.ParseDevices(xml);
        Assert.Equal(["vda", "vdb"], disks);
        Assert.Equal(["vnet3"], nics);
    }

    [Theory]
    [InlineData("ConnectionUri", "nonsense")]
    [InlineData("ReconnectMaxDelaySeconds", "0.5")]
    [InlineData("MemoryMaxDecreaseFraction", "2")]
    [InlineData("MinCpuCores", "0")]
    public void Options_Invalid_FailureNamesTheOption(string option, string value)
    {
        var o = new LibvirtOptions();
        typeof(LibvirtOptions).GetProperty(option)!.SetValue(o, option == "ConnectionUri" ? value : double.Parse(value, System.Globalization.CultureInfo.InvariantCulture));
        var r = new LibvirtOptionsValidator().Validate(null, o);
        Assert.True(r.Failed);
        Assert.Contains(option, r.FailureMessage, StringComparison.Ordinal);
        Assert.False(new LibvirtOptionsValidator().Validate(null, new LibvirtOptions()).Failed);
    }

    [SkippableFact]
    public void TestDriver_MissingDomain_TypedExceptionWithCodeAndMessage()
    {
        Prerequisite.Require(NativeLibraryPresent(), "libvirt.so.0 is not installed (run scripts/setup-host.sh)");
        using ConnectionHandle c = LibvirtApi.Open("test:///default");
        LibvirtException ex = Assert.Throws<LibvirtException>(() => LibvirtApi.Lookup(c, "no-such-domain"));
        Assert.Equal(LibvirtException.NoDomainCode, ex.Code);
        Assert.True(ex.IsDomainGone);
        Assert.True(ex.ErrorDomain > 0);
        Assert.Contains("no-such-domain", ex.Message, StringComparison.Ordinal);
        Assert.Contains("virDomainLookupByName", ex.Message, StringComparison.Ordinal);

        // The test driver's one running domain is found and listed.
        Assert.Contains("test", LibvirtApi.ListRunningDomainNames(c));
        NodeInfo node = LibvirtApi.GetNodeInfo(c);
        Assert.True(node.Cpus > 0);
    }

    [SkippableFact]
    public void Connection_Unreachable_BacksOffBetweenAttempts()
    {
        Prerequisite.Require(NativeLibraryPresent(), "libvirt.so.0 is not installed (run scripts/setup-host.sh)");
        var time = new FakeTimeProvider();
        using var conn = new LibvirtConnection("qemu+unix:///system?socket=/nonexistent/rescoin.sock", time,
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(4));
        LibvirtException first = Assert.Throws<LibvirtException>(() => conn.Acquire());
        Assert.NotEqual(0, first.Code);
        LibvirtException waiting = Assert.Throws<LibvirtException>(() => conn.Acquire());
        Assert.Contains("next attempt", waiting.Message, StringComparison.Ordinal);
        time.Advance(TimeSpan.FromSeconds(1.1));
        LibvirtException second = Assert.Throws<LibvirtException>(() => conn.Acquire());
        Assert.NotEqual(0, second.Code);
        // Now the delay doubled to 2 s.
        time.Advance(TimeSpan.FromSeconds(1.1));
        Assert.Contains("next attempt", Assert.Throws<LibvirtException>(() => conn.Acquire()).Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Monitor_TestDriver_OneBulkCall_FillsSnapshot()
    {
        Prerequisite.Require(NativeLibraryPresent(), "libvirt.so.0 is not installed (run scripts/setup-host.sh)");
        using var monitor = new LibvirtMonitor(new LibvirtOptions { ConnectionUri = "test:///default" });
        var s = new HostSnapshot();
        monitor.SampleAsync(s, default).AsTask().GetAwaiter().GetResult();
        Assert.Equal(1, s.Count);
        Assert.Equal("test", s.Vms[0].Id.Name);
        Assert.Equal(16, s.HostCapacity.Cpu); // the test driver's node has 16 CPUs: the raw capacity, no reserve taken
        Assert.True(double.IsNaN(s.HostCapacity.DiskRead));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool NativeLibraryPresent()
        => System.Runtime.InteropServices.NativeLibrary.TryLoad(NativeMethods.Library, out _);
}
