using System.Text;
using ResCoin.Cgroups.Parsing;

namespace ResCoin.Cgroups.Tests;

public sealed class CgroupParsersTests : IDisposable
{
    private const string Vm1 = "/sys/fs/cgroup/machine.slice/machine-qemu-1-vm1.scope";
    private const string Vm2 = "/sys/fs/cgroup/machine.slice/machine-qemu-2-vm2.scope";
    private static string Docker(string controller) => $"/sys/fs/cgroup/{controller}/docker/3f2a9c";
    private readonly FixtureTree _v2 = FixtureTree.Copy("v2");
    private readonly FixtureTree _v1 = FixtureTree.Copy("v1");

    public void Dispose()
    {
        _v2.Dispose();
        _v1.Dispose();
    }

    [Fact]
    public void TryGetFlatKeyed_V2CpuStat_FindsUsageAmongExtraKeys()
    {
        string path = Vm1 + "/cpu.stat";
        Assert.True(CgroupParsers.TryGetFlatKeyed(_v2.ReadBytes(path), path, "usage_usec"u8, out long usec));
        Assert.Equal(123456789, usec);
        Assert.True(CgroupParsers.TryGetFlatKeyed(_v2.ReadBytes(path), path, "throttled_usec"u8, out long throttled));
        Assert.Equal(1500000, throttled);
    }

    [Theory]
    [InlineData("max\n", true, -1, true)]
    [InlineData("268435456\n", true, 268435456, false)]
    [InlineData("9223372036854771712\n", false, 9223372036854771712, true)]
    [InlineData("1152921504606846975\n", false, 1152921504606846975, false)]
    [InlineData("268435456\n", false, 268435456, false)]
    public void ParseMemoryLimit_V2MaxAndV1Huge_AreNoLimit(string content, bool v2, long expected, bool none)
    {
        long value = CgroupParsers.ParseMemoryLimit(Encoding.UTF8.GetBytes(content), "memory.limit", v2);
        Assert.Equal(expected, value);
        Assert.Equal(none, CgroupParsers.IsNoMemoryLimit(value));
    }

    [Fact]
    public void ParseMemoryLimit_V1Max_Throws()
    {
        // v1 files never hold "max": garbage there is reported, not read as "no limit".
        Assert.Throws<CgroupFormatException>(() => CgroupParsers.ParseMemoryLimit("max\n"u8, "memory.limit_in_bytes", v2: false));
    }

    [Fact]
    public void TryGetFlatKeyed_MissingKey_ReturnsFalse()
    {
        string path = Vm1 + "/cpu.stat";
        Assert.False(CgroupParsers.TryGetFlatKeyed(_v2.ReadBytes(path), path, "no_such_key"u8, out _));
    }

    [Fact]
    public void TryGetFlatKeyed_V1MemoryStat_ReadsTotalInactiveFile()
    {
        string path = Docker("memory") + "/memory.stat";
        Assert.True(CgroupParsers.TryGetFlatKeyed(_v1.ReadBytes(path), path, "total_inactive_file"u8, out long v));
        Assert.Equal(147877888, v);
        Assert.True(CgroupParsers.TryGetFlatKeyed(_v1.ReadBytes(path), path, "hierarchical_memory_limit"u8, out long limit));
        Assert.Equal(9223372036854771712, limit);
    }

    [Fact]
    public void TryGetFlatKeyed_GarbageValue_ThrowsNamingFileAndLine()
    {
        var ex = Assert.Throws<CgroupFormatException>(() =>
            CgroupParsers.TryGetFlatKeyed("user_usec 5\nusage_usec abc\n"u8, "/sys/fs/cgroup/x/cpu.stat", "usage_usec"u8, out _));
        Assert.Equal("/sys/fs/cgroup/x/cpu.stat line 2: 'usage_usec abc' is not a number", ex.Message);
        Assert.Equal(2, ex.LineNumber);
        Assert.Equal("/sys/fs/cgroup/x/cpu.stat", ex.FilePath);
    }

    [Fact]
    public void TryGetFlatKeyed_LineWithoutValue_Throws()
    {
        var ex = Assert.Throws<CgroupFormatException>(() =>
            CgroupParsers.TryGetFlatKeyed("usage_usec 5\njunk\n"u8, "f", "usage_usec"u8, out _));
        Assert.Contains("f line 2: 'junk'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryGetFlatKeyed_TabsAndRunsOfSpaces_Accepted_ThirdFieldThrows()
    {
        Assert.True(CgroupParsers.TryGetFlatKeyed("a 1\n  usage_usec \t  77  \r\n\n b\t2\n"u8, "f", "usage_usec"u8, out long v));
        Assert.Equal(77, v);
        var ex = Assert.Throws<CgroupFormatException>(() =>
            CgroupParsers.TryGetFlatKeyed("usage_usec 5\nnr_periods 1 2\n"u8, "/x/cpu.stat", "usage_usec"u8, out _));
        Assert.Equal("/x/cpu.stat line 2: 'nr_periods 1 2' is not 'key value'", ex.Message);
        ex = Assert.Throws<CgroupFormatException>(() =>
            CgroupParsers.TryGetFlatKeyed("usage_usec\t5\tjunk\n"u8, "/x/cpu.stat", "usage_usec"u8, out _));
        Assert.Equal(1, ex.LineNumber);
    }

    [Fact]
    public void ParseCpuMax_MaxQuota_IsUnlimited()
    {
        CgroupParsers.ParseCpuMax(_v2.ReadBytes(Vm2 + "/cpu.max"), Vm2 + "/cpu.max", out long quota, out long period);
        Assert.Equal(Utf8Text.Max, quota);
        Assert.Equal(100000, period);
        CgroupParsers.ParseCpuMax(_v2.ReadBytes(Vm1 + "/cpu.max"), Vm1 + "/cpu.max", out quota, out period);
        Assert.Equal(50000, quota);
        Assert.Equal(100000, period);
    }

    [Theory]
    [InlineData("abc 100000\n", "quota")]
    [InlineData("max -5\n", "period")]
    [InlineData("max 100000 7\n", "$MAX $PERIOD")]
    [InlineData("", "empty")]
    public void ParseCpuMax_Garbage_Throws(string text, string expected)
    {
        var ex = Assert.Throws<CgroupFormatException>(() => CgroupParsers.ParseCpuMax(Encoding.UTF8.GetBytes(text), "cpu.max", out _, out _));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.StartsWith("cpu.max line 1:", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseIntegerOrMax_MemoryHighMaxAndNumber()
    {
        Assert.Equal(Utf8Text.Max, CgroupParsers.ParseIntegerOrMax(_v2.ReadBytes(Vm1 + "/memory.high"), "memory.high"));
        Assert.Equal(1073741824, CgroupParsers.ParseIntegerOrMax(_v2.ReadBytes(Vm1 + "/memory.max"), "memory.max"));
        Assert.Throws<CgroupFormatException>(() => CgroupParsers.ParseIntegerOrMax("12 34\n"u8, "memory.max"));
    }

    [Fact]
    public void ParseInteger_V1NegativeQuotaAndHugeSoftLimit()
    {
        string cpu = Docker("cpu,cpuacct");
        string mem = Docker("memory");
        Assert.Equal(-1, CgroupParsers.ParseInteger(_v1.ReadBytes(cpu + "/cpu.cfs_quota_us"), "q"));
        Assert.Equal(368142591276, CgroupParsers.ParseInteger(_v1.ReadBytes(cpu + "/cpuacct.usage"), "u"));
        Assert.Equal(9223372036854771712, CgroupParsers.ParseInteger(_v1.ReadBytes(mem + "/memory.soft_limit_in_bytes"), "s"));
        var ex = Assert.Throws<CgroupFormatException>(() => CgroupParsers.ParseInteger("1\n2\n"u8, "cpuacct.usage"));
        Assert.Contains("line 2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParsePressure_SomeAndFullLines()
    {
        CgroupParsers.ParsePressure(_v2.ReadBytes(Vm1 + "/io.pressure"), "io.pressure", out PressureLine some, out PressureLine full);
        Assert.Equal(new PressureLine(true, 12.25, 3.0, 1.0, 7999211), some);
        Assert.Equal(new PressureLine(true, 10.0, 2.0, 0.5, 7258868), full);
    }

    [Fact]
    public void ParsePressure_OnlySomeLine_FullAbsent()
    {
        CgroupParsers.ParsePressure(_v2.ReadBytes(Vm2 + "/cpu.pressure"), "cpu.pressure", out PressureLine some, out PressureLine full);
        Assert.True(some.Present);
        Assert.False(full.Present);
    }

    [Fact]
    public void ParsePressure_UnknownLinesAndKeys_Ignored_GarbageThrows()
    {
        CgroupParsers.ParsePressure("some avg10=1.00 avg60=0.00 avg300=0.00 total=10 future=7\nnew-kind x=1\n"u8, "p", out PressureLine some, out _);
        Assert.Equal(10, some.Total);
        var ex = Assert.Throws<CgroupFormatException>(() => CgroupParsers.ParsePressure("some avg10=x avg60=0 avg300=0 total=1\n"u8, "cpu.pressure", out _, out _));
        Assert.StartsWith("cpu.pressure line 1:", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseIoStat_SumsDevices_IgnoresIocostDecimals()
    {
        CgroupParsers.ParseIoStat(_v2.ReadBytes(Vm1 + "/io.stat"), "io.stat", out long read, out long write);
        Assert.Equal(1048576 + 4096, read);
        Assert.Equal(2097152, write);
    }

    [Fact]
    public void ParseIoStat_EmptyFile_IsZero_GarbageThrows()
    {
        CgroupParsers.ParseIoStat(_v2.ReadBytes(Vm2 + "/io.stat"), "io.stat", out long read, out long write);
        Assert.Equal(0, read);
        Assert.Equal(0, write);
        var ex = Assert.Throws<CgroupFormatException>(() => CgroupParsers.ParseIoStat("8:0 rbytes=1\nsda rbytes=2\n"u8, "io.stat", out _, out _));
        Assert.Contains("io.stat line 2: 'sda rbytes=2' does not start with a device", ex.Message, StringComparison.Ordinal);
        Assert.Throws<CgroupFormatException>(() => CgroupParsers.ParseIoStat("8:0 rbytes=1x\n"u8, "io.stat", out _, out _));
    }

    [Fact]
    public void TryGetIoMax_EmptyFileMeansUnlimited()
    {
        Assert.False(CgroupParsers.TryGetIoMax(_v2.ReadBytes(Vm2 + "/io.max"), "io.max", 8, 0, out long r, out long w));
        Assert.Equal(Utf8Text.Max, r);
        Assert.Equal(Utf8Text.Max, w);
        Assert.True(CgroupParsers.TryGetIoMax(_v2.ReadBytes(Vm1 + "/io.max"), "io.max", 8, 0, out r, out w));
        Assert.Equal(10485760, r);
        Assert.Equal(Utf8Text.Max, w);
        Assert.False(CgroupParsers.TryGetIoMax(_v2.ReadBytes(Vm1 + "/io.max"), "io.max", 8, 16, out _, out _));
    }

    [Fact]
    public void ParseBlkioServiceBytes_V1_SumsReadWrite_AcceptsTotalLine()
    {
        string path = Docker("blkio") + "/blkio.throttle.io_service_bytes";
        CgroupParsers.ParseBlkioServiceBytes(_v1.ReadBytes(path), path, out long read, out long write);
        Assert.Equal(1048576 + 4096, read);
        Assert.Equal(4194304, write);
        CgroupParsers.ParseBlkioServiceBytes("Total 0\n"u8, "x", out read, out write);
        Assert.Equal(0, read + write);
        Assert.Throws<CgroupFormatException>(() => CgroupParsers.ParseBlkioServiceBytes("8:0 Read\n"u8, "x", out _, out _));
        Assert.Throws<CgroupFormatException>(() => CgroupParsers.ParseBlkioServiceBytes("Total many\n"u8, "x", out _, out _));
    }

    [Fact]
    public void TryGetDeviceValue_V1ThrottleFiles()
    {
        string blk = Docker("blkio");
        Assert.True(CgroupParsers.TryGetDeviceValue(_v1.ReadBytes(blk + "/blkio.throttle.write_bps_device"), "w", 8, 0, out long v));
        Assert.Equal(1048576, v);
        Assert.False(CgroupParsers.TryGetDeviceValue(_v1.ReadBytes(blk + "/blkio.throttle.read_bps_device"), "r", 8, 0, out _));
        Assert.Throws<CgroupFormatException>(() => CgroupParsers.TryGetDeviceValue("8:0 fast\n"u8, "w", 8, 0, out _));
    }

    [Theory]
    [InlineData("0-3\n", 4)]
    [InlineData("0-1,4,6-7\n", 5)]
    [InlineData("5\n", 1)]
    [InlineData("\n", 0)]
    public void ParseCpuListCount_Counts(string text, int expected)
        => Assert.Equal(expected, CgroupParsers.ParseCpuListCount(Encoding.UTF8.GetBytes(text), "online"));

    [Theory]
    [InlineData("3-1\n")]
    [InlineData("a-b\n")]
    [InlineData("0-3\n4\n")]
    public void ParseCpuListCount_Garbage_Throws(string text)
        => Assert.Throws<CgroupFormatException>(() => CgroupParsers.ParseCpuListCount(Encoding.UTF8.GetBytes(text), "online"));

    [Fact]
    public void Parsers_CrLfAndBlankLines_Tolerated()
    {
        Assert.True(CgroupParsers.TryGetFlatKeyed("a 1\r\n\r\nusage_usec 7\r\n"u8, "f", "usage_usec"u8, out long v));
        Assert.Equal(7, v);
    }
}
