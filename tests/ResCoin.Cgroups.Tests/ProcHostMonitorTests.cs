using Microsoft.Extensions.Time.Testing;

namespace ResCoin.Cgroups.Tests;

public sealed class ProcHostMonitorTests : IDisposable
{
    private readonly FixtureTree _tree = FixtureTree.Copy("v2");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 26, 0, 0, 0, TimeSpan.Zero));

    public void Dispose() => _tree.Dispose();

    [Fact]
    public void Sample_Fixture_CountersAndRates()
    {
        using var monitor = new ProcHostMonitor(_tree.FileSystem, ownsFileSystem: false, _time);
        ProcHostSample first = monitor.Sample();
        Assert.Equal(4, first.CpuCount);
        Assert.True(double.IsNaN(first.CpuBusyCores));
        Assert.Equal(16384000L * 1024, first.MemoryTotalBytes);
        Assert.Equal(12000000L * 1024, first.MemoryAvailableBytes);
        // Whole disks only: sda and nvme0n1 (not loop0, the partition sda1 or dm-0).
        Assert.Equal((2322394L + 20000) * 512, first.DiskReadBytes);
        Assert.Equal((5758840L + 40000) * 512, first.DiskWriteBytes);
        Assert.Equal(457167762L + 1000, first.NetReceivedBytes); // lo excluded
        Assert.Equal(new ResourceVector(4, 16384000.0 * 1024, double.NaN, double.NaN, double.NaN, double.NaN), first.Capacity);

        _time.Advance(TimeSpan.FromSeconds(2));
        // 400 more ticks, 100 of them idle: 75 % busy on 4 CPUs = 3 cores.
        _tree.Write("/proc/stat", "cpu  26453 0 10182 79893 1022 0 371 876 0 0\ncpu0 0 0 0 0 0 0 0 0 0 0\ncpu1 0 0 0 0 0 0 0 0 0 0\ncpu2 0 0 0 0 0 0 0 0 0 0\ncpu3 0 0 0 0 0 0 0 0 0 0\n");
        _tree.Write("/proc/net/dev", "Inter-| a | b\n face |bytes|bytes\n  eth0: 459264914 0 0 0 0 0 0 0 1593998 0 0 0 0 0 0 0\n");
        ProcHostSample second = monitor.Sample();
        Assert.Equal(TimeSpan.FromSeconds(2), second.Interval);
        Assert.Equal(3.0, second.CpuBusyCores, 9);
        Assert.Equal((459264914.0 - 457167762 - 1000) / 2, second.NetReceivedBytesPerSecond, 6);
        Assert.Equal((1593998.0 - 545422 - 2000) / 2, second.NetTransmittedBytesPerSecond, 6);
        Assert.Equal(0, second.DiskReadBytesPerSecond);
        Assert.Equal(second.MemoryTotalBytes - second.MemoryAvailableBytes, second.Usage.Memory);
    }

    [Fact]
    public void Sample_RealProc_IsPlausible()
    {
        using var monitor = new ProcHostMonitor();
        ProcHostSample a = monitor.Sample();
        Thread.Sleep(200);
        ProcHostSample b = monitor.Sample();
        Assert.Equal(Environment.ProcessorCount, b.CpuCount);
        Assert.True(b.MemoryTotalBytes > 0 && b.MemoryAvailableBytes <= b.MemoryTotalBytes);
        Assert.InRange(b.CpuBusyCores, 0, b.CpuCount);
        Assert.True(b.DiskReadBytes >= a.DiskReadBytes && b.NetReceivedBytesPerSecond >= 0);
    }
}
