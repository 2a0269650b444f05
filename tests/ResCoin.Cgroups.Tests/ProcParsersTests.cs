using ResCoin.Cgroups.Parsing;

namespace ResCoin.Cgroups.Tests;

public sealed class ProcParsersTests : IDisposable
{
    private readonly FixtureTree _tree = FixtureTree.Copy("v2");

    public void Dispose() => _tree.Dispose();

    [Fact]
    public void ParseStat_AggregateLineAndCpuCount()
    {
        ProcParsers.ParseStat(_tree.ReadBytes("/proc/stat"), "/proc/stat", out ProcCpuTimes t, out int cpus);
        Assert.Equal(4, cpus);
        Assert.Equal(new ProcCpuTimes(26153, 0, 10182, 79793, 1022, 0, 371, 876), t);
        Assert.Equal(26153 + 10182 + 79793 + 1022 + 371 + 876, t.Total);
        Assert.Equal(t.Total - 79793 - 1022, t.Busy);
    }

    [Fact]
    public void ParseStat_Garbage_Throws()
    {
        var ex = Assert.Throws<CgroupFormatException>(() => ProcParsers.ParseStat("cpu  1 2 x 4\n"u8, "/proc/stat", out _, out _));
        Assert.StartsWith("/proc/stat line 1:", ex.Message, StringComparison.Ordinal);
        Assert.Throws<CgroupFormatException>(() => ProcParsers.ParseStat("intr 1 2\n"u8, "/proc/stat", out _, out _));
    }

    [Fact]
    public void ParseMemInfo_TotalAndAvailableInBytes()
    {
        ProcParsers.ParseMemInfo(_tree.ReadBytes("/proc/meminfo"), "/proc/meminfo", out long total, out long available);
        Assert.Equal(16384000L * 1024, total);
        Assert.Equal(12000000L * 1024, available);
        var ex = Assert.Throws<CgroupFormatException>(() => ProcParsers.ParseMemInfo("MemTotal: 12 kB\nMemFree 5 kB\n"u8, "/proc/meminfo", out _, out _));
        Assert.StartsWith("/proc/meminfo line 2:", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DiskStatsReader_ReadsAllLineLengths()
    {
        var reader = new DiskStatsReader(_tree.ReadBytes("/proc/diskstats"), "/proc/diskstats");
        var names = new List<string>();
        long sdaRead = 0, nvmeWritten = 0;
        while (reader.MoveNext())
        {
            string name = System.Text.Encoding.UTF8.GetString(reader.Name);
            names.Add(name);
            if (name == "sda")
            {
                sdaRead = reader.SectorsRead;
            }
            else if (name == "nvme0n1")
            {
                nvmeWritten = reader.SectorsWritten;
            }
        }

        Assert.Equal(["loop0", "sda", "sda1", "dm-0", "nvme0n1"], names);
        Assert.Equal(2322394, sdaRead);
        Assert.Equal(40000, nvmeWritten);
    }

    [Fact]
    public void NetDevReader_SkipsHeaders()
    {
        var reader = new NetDevReader(_tree.ReadBytes("/proc/net/dev"), "/proc/net/dev");
        Assert.True(reader.MoveNext());
        Assert.True(reader.Name.SequenceEqual("lo"u8));
        Assert.True(reader.MoveNext());
        Assert.True(reader.Name.SequenceEqual("eth0"u8));
        Assert.Equal(457167762, reader.ReceivedBytes);
        Assert.Equal(545422, reader.TransmittedBytes);
        Assert.True(reader.MoveNext());
        Assert.False(reader.MoveNext());
    }

    [Fact]
    public void NetDevReader_Garbage_Throws()
    {
        var ex = Assert.Throws<CgroupFormatException>(() =>
        {
            var r = new NetDevReader("  eth0: 1 2 3\n"u8, "/proc/net/dev");
            r.MoveNext();
        });
        Assert.Contains("fewer than 16", ex.Message, StringComparison.Ordinal);
    }
}
