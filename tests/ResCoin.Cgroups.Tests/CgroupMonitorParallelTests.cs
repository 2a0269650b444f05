using System.Globalization;
using Microsoft.Extensions.Time.Testing;

namespace ResCoin.Cgroups.Tests;

/// <summary>
/// <see cref="CgroupOptions.ReadThreads"/> &gt; 1: the reader threads must return exactly what sequential reading returns,
/// in the same order, fail with the same error, and allocate nothing in steady state.
/// </summary>
public sealed class CgroupMonitorParallelTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 26, 0, 0, 0, TimeSpan.Zero));
    private readonly FixtureTree _tree = FixtureTree.Empty();

    public void Dispose() => _tree.Dispose();

    [Theory]
    [InlineData("v2", 3)]
    [InlineData("v1", 2)]
    [InlineData("v1", 4)]
    public void Sample_ReaderThreads_SameSnapshotsAsSequential(string layout, int threads)
    {
        const int count = 150; // several blocks per thread, and a last partial block
        Generate(layout, count, period: 0);
        using var sequential = new CgroupMonitor(Options(layout, 1), _tree.FileSystem, _time, null);
        using var parallel = new CgroupMonitor(Options(layout, threads), _tree.FileSystem, _time, null);
        Assert.Equal(1, sequential.ReadThreadCount);
        Assert.Equal(threads, parallel.ReadThreadCount);

        for (int period = 0; period < 3; period++)
        {
            if (period > 0)
            {
                Generate(layout, count, period);
                _time.Advance(TimeSpan.FromSeconds(2));
            }

            var a = new HostSnapshot();
            var b = new HostSnapshot();
            sequential.Sample(a);
            parallel.Sample(b);

            Assert.Equal(count, a.Count);
            Assert.Equal(a.Count, b.Count);
            for (int i = 0; i < a.Count; i++)
            {
                Assert.Equal(a.Vms[i].Id, b.Vms[i].Id);
                Assert.Equal(a.Vms[i].Usage, b.Vms[i].Usage);
                Assert.Equal(a.Vms[i].Pressure, b.Vms[i].Pressure);
                Assert.Equal(a.Vms[i].Limit, b.Vms[i].Limit);
            }

            // The values are the ones written (not merely equal): memory of cgroup i, and from period 1 its CPU rate.
            VmSample last = b.Vms[count - 1];
            Assert.Equal(Name(layout, count - 1), last.Id.Name);
            Assert.Equal(MemoryUsage(count - 1, period) - InactiveFile(count - 1), last.Usage.Memory);
            if (period > 0)
            {
                Assert.Equal(CpuStepSeconds(count - 1) / 2.0, last.Usage.Cpu, 9);
                Assert.Equal(0.05, last.Pressure.Cpu, 9); // 0.1 s stalled in 2 s
            }
        }
    }

    [Fact]
    public void Sample_ReaderThreads_GarbageInTwoCgroups_ThrowsTheFirstInOrderNamingFileAndLine()
    {
        const int count = 120;
        Generate("v2", count, period: 0);
        using var monitor = new CgroupMonitor(Options("v2", 3), _tree.FileSystem, _time, null);
        monitor.Sample(new HostSnapshot());

        // Cgroup 100 (a later block, likely read first by another thread) and cgroup 37 both go bad.
        _tree.Write(Dir("v2", 100) + "/memory.pressure", "some avg10=0.00 avg60=0.00 avg300=0.00 total=1\nfull avg10=x avg60=0.00 avg300=0.00 total=1\n");
        _tree.Write(Dir("v2", 37) + "/io.stat", "8:0 rbytes=1 wbytes=2\n8:16 rbytes=oops wbytes=0\n");
        for (int attempt = 0; attempt < 5; attempt++)
        {
            var ex = Assert.Throws<CgroupFormatException>(() => monitor.Sample(new HostSnapshot()));
            Assert.Equal($"{Dir("v2", 37)}/io.stat line 2: '8:16 rbytes=oops wbytes=0' has a byte count that is not a number", ex.Message);
            Assert.Equal(2, ex.LineNumber);
        }

        // Repaired: the next period works again, on every thread.
        Generate("v2", count, period: 1);
        var snapshot = new HostSnapshot();
        monitor.Sample(snapshot);
        Assert.Equal(count, snapshot.Count);
        Assert.Equal(MemoryUsage(37, 1) - InactiveFile(37), snapshot.Vms[37].Usage.Memory);
    }

    [Fact]
    public void Sample_ReaderThreads_SteadyState_AllocatesNothingOnAnyThread()
    {
        const int count = 64;
        Generate("v1", count, period: 0);
        CgroupOptions options = Options("v1", 2);
        options.RescanInterval = TimeSpan.FromHours(1);
        using var monitor = new CgroupMonitor(options, _tree.FileSystem, _time, null);
        var snapshot = new HostSnapshot(count);
        for (int i = 0; i < 3; i++)
        {
            snapshot.Clear();
            _time.Advance(TimeSpan.FromSeconds(1));
            monitor.Sample(snapshot);
        }

        // Three windows of ten periods: a per-period allocation shows in every window, while a one-time allocation of
        // the runtime's (seen once in about seven loaded runs: 24 B when the caller first had to block on a worker)
        // shows in one at most. The steady state must reach zero on both sides in some window.
        var windows = new List<(long Caller, long Workers)>();
        for (int w = 0; w < 3; w++)
        {
            long caller = GC.GetAllocatedBytesForCurrentThread();
            long workers = monitor.ReaderThreadsAllocatedBytes;
            for (int i = 0; i < 10; i++)
            {
                snapshot.Clear();
                _time.Advance(TimeSpan.FromSeconds(1));
                monitor.Sample(snapshot);
            }

            long callerAllocated = GC.GetAllocatedBytesForCurrentThread() - caller;
            long workersAllocated = monitor.ReaderThreadsAllocatedBytes - workers;
            windows.Add((callerAllocated, workersAllocated));
            if (callerAllocated == 0 && workersAllocated == 0)
            {
                break;
            }
        }

        Assert.Equal(count, snapshot.Count);
        Assert.True(windows[^1] == (0, 0), "bytes allocated per window of 10 periods (caller, reader threads): " + string.Join(", ", windows));
    }

    [Fact]
    public void Sample_ReaderThreads_CgroupsComeAndGo()
    {
        Generate("v2", 40, period: 0);
        using var monitor = new CgroupMonitor(Options("v2", 2), _tree.FileSystem, _time, null);
        var snapshot = new HostSnapshot();
        monitor.Sample(snapshot);
        Assert.Equal(40, snapshot.Count);

        Directory.Delete(_tree.Physical(Dir("v2", 5)), recursive: true);
        Generate("v2", 45, period: 1);
        Directory.Delete(_tree.Physical(Dir("v2", 5)), recursive: true);
        _time.Advance(TimeSpan.FromSeconds(1));
        snapshot.Clear();
        monitor.Sample(snapshot);

        Assert.Equal(44, snapshot.Count);
        Assert.DoesNotContain(snapshot.Vms.ToArray(), v => v.Id.Name == Name("v2", 5));
        Assert.Equal(Name("v2", 44), snapshot.Vms[43].Id.Name);
        Assert.Equal(MemoryUsage(44, 1) - InactiveFile(44), snapshot.Vms[43].Usage.Memory);
    }

    [Fact]
    public void Constructor_ReadThreadsOutOfRange_FailsWithKeyName()
    {
        CgroupOptions options = Options("v2", 0);
        var ex = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => new CgroupMonitor(Microsoft.Extensions.Options.Options.Create(options)));
        Assert.Contains("ReadThreads", ex.Message, StringComparison.Ordinal);
    }

    private static string Name(string layout, int i) => layout == "v2" ? $"bench.slice/vm-{i:D4}.scope" : $"docker/{i:D4}";

    private static string Dir(string layout, int i) => layout == "v2" ? "/sys/fs/cgroup/" + Name(layout, i) : "/sys/fs/cgroup/memory/" + Name(layout, i);

    private static long MemoryUsage(int i, int period) => 536870912L + (4096L * i) + (65536L * period);

    private static long InactiveFile(int i) => 1048576L + (4096L * (i % 7));

    private static long CpuStepSeconds(int i) => 1 + (i % 3);

    private static string S(long v) => v.ToString(CultureInfo.InvariantCulture);

    private CgroupOptions Options(string layout, int threads)
    {
        CgroupOptions o = CgroupMonitorTests.Options(layout == "v2" ? "bench.slice/*.scope" : "docker/*");
        o.HostRoot = _tree.Root;
        o.ReadThreads = threads;
        return o;
    }

    /// <summary>Writes (or rewrites in place) <paramref name="count"/> cgroups whose counters depend on the cgroup and the period.</summary>
    private void Generate(string layout, int count, int period)
    {
        if (period == 0)
        {
            _tree.Write("/proc/meminfo", "MemTotal:       24683656 kB\nMemAvailable:   24327992 kB\n");
            _tree.Write("/sys/devices/system/cpu/online", "0-1\n");
        }

        for (int i = 0; i < count; i++)
        {
            long cpuNs = (1_000_000_000L * i) + (1_000_000_000L * CpuStepSeconds(i) * period);
            string psi = $"some avg10=1.{i % 100:D2} avg60=0.50 avg300=0.20 total={S(1000L * i + (100_000L * period))}\nfull avg10=0.00 avg60=0.00 avg300=0.00 total={S(10L * i)}\n";
            string io = $"8:0 rbytes={S(4096L * i * (period + 1))} wbytes={S(8192L * period)} rios=1 wios=2 dbytes=0 dios=0\n";
            string usage = S(MemoryUsage(i, period)) + "\n";
            if (layout == "v2")
            {
                string dir = Dir(layout, i);
                if (period == 0 && i == 0)
                {
                    _tree.Write("/proc/self/mountinfo", "26 25 0:24 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n");
                    _tree.Write("/sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory pids\n");
                }

                _tree.Write(dir + "/cpu.stat", $"usage_usec {S(cpuNs / 1000)}\nuser_usec 1\nsystem_usec 2\n");
                _tree.Write(dir + "/memory.current", usage);
                _tree.Write(dir + "/memory.stat", $"anon 1\nfile 2\ninactive_file {S(InactiveFile(i))}\nactive_file 3\n");
                _tree.Write(dir + "/io.stat", io);
                _tree.Write(dir + "/memory.max", i % 2 == 0 ? "max\n" : "1073741824\n");
                foreach (string f in (string[])["cpu.pressure", "memory.pressure", "io.pressure"])
                {
                    _tree.Write(dir + "/" + f, psi);
                }
            }
            else
            {
                string rel = Name(layout, i);
                if (period == 0 && i == 0)
                {
                    _tree.Write("/proc/self/mountinfo",
                        "31 30 0:27 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw,nsdelegate\n" +
                        "35 30 0:31 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n" +
                        "36 30 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n" +
                        "37 30 0:33 / /sys/fs/cgroup/blkio rw - cgroup cgroup rw,blkio\n");
                    _tree.Write("/sys/fs/cgroup/unified/cgroup.controllers", string.Empty);
                }

                _tree.Write($"/sys/fs/cgroup/cpu,cpuacct/{rel}/cpuacct.usage", S(cpuNs) + "\n");
                _tree.Write($"/sys/fs/cgroup/memory/{rel}/memory.usage_in_bytes", usage);
                _tree.Write($"/sys/fs/cgroup/memory/{rel}/memory.stat", $"cache 1\nrss 2\ntotal_inactive_file {S(InactiveFile(i))}\ntotal_active_file 3\n");
                _tree.Write($"/sys/fs/cgroup/memory/{rel}/memory.limit_in_bytes", "9223372036854771712\n");
                _tree.Write($"/sys/fs/cgroup/blkio/{rel}/blkio.throttle.io_service_bytes", $"8:0 Read {S(4096L * i * (period + 1))}\n8:0 Write {S(8192L * period)}\nTotal 1\n");
                if (i % 5 != 3)
                {
                    // Most cgroups are mirrored in the v2 hierarchy (PSI), some not.
                    foreach (string f in (string[])["cpu.pressure", "memory.pressure", "io.pressure"])
                    {
                        _tree.Write($"/sys/fs/cgroup/unified/{rel}/{f}", psi);
                    }
                }
            }
        }
    }
}
