using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using ResCoin.Cgroups.Detection;
using ResCoin.Cgroups.Parsing;

namespace ResCoin.Cgroups.Tests;

/// <summary>Counters, devices and PSI lines, including the awkward values (0, huge counters, "max").</summary>
public static class CgroupArbitraries
{
    private static readonly Gen<long> Counter = Gen.OneOf(
        Gen.Elements(0L, 1L, 1000L, 4096L, 1L << 40, 1L << 50),
        Gen.Choose(0, int.MaxValue).Select(i => (long)i),
        Gen.Choose(0, int.MaxValue).Select(i => ((long)i << 19) + 7));

    public static Arbitrary<long> Counters() => Counter.ToArbitrary();

    public static Arbitrary<Device[]> Devices() =>
        Gen.Choose(0, 8).SelectMany(n => Gen.ArrayOf(
            from major in Gen.Elements(7, 8, 253, 254, 259, 65535)
            from minor in Gen.Choose(0, 1 << 20)
            from read in Counter
            from write in Counter
            select new Device(major, minor, read, write), n)).ToArbitrary();

    public static Arbitrary<Psi> Pressure() =>
        (from a10 in Gen.Choose(0, 10_000)
         from a60 in Gen.Choose(0, 10_000)
         from a300 in Gen.Choose(0, 10_000)
         from total in Counter
         select new Psi(a10 / 100.0, a60 / 100.0, a300 / 100.0, total)).ToArbitrary();

    public static Arbitrary<string> MountPaths() =>
        Gen.ArrayOf(Gen.Elements('a', 'Z', '0', ' ', '\t', '\\', '-', ',', '/', '.', 'é'))
            .Where(a => a.Length > 0)
            .Select(a => "/" + new string(a))
            .ToArbitrary();
}

public readonly record struct Device(int Major, int Minor, long Read, long Write);

public readonly record struct Psi(double Avg10, double Avg60, double Avg300, long Total);

[Properties(Arbitrary = [typeof(CgroupArbitraries)])]
public sealed class ParserPropertyTests
{
    private static ReadOnlySpan<byte> Bytes(string s) => Encoding.UTF8.GetBytes(s);

    [Property(MaxTest = 500)]
    public bool Integer_RoundTrips(long value, bool negative)
    {
        long v = negative ? -value : value;
        Span<byte> buffer = stackalloc byte[32];
        int n = CgroupParsers.FormatInteger(v, buffer);
        return CgroupParsers.ParseInteger(buffer[..n], "f") == v;
    }

    [Property(MaxTest = 500)]
    public bool IntegerOrMax_RoundTrips(long value, bool max)
    {
        long v = max ? Utf8Text.Max : value;
        Span<byte> buffer = stackalloc byte[32];
        int n = CgroupParsers.FormatInteger(v, buffer, negativeIsMax: true);
        return CgroupParsers.ParseIntegerOrMax(buffer[..n], "f") == v;
    }

    [Property(MaxTest = 300)]
    public bool FlatKeyed_RoundTrips_AmongOtherKeys(long usage, long other, bool keyFirst)
    {
        byte[] buffer = new byte[256];
        int n = 0;
        if (keyFirst)
        {
            n += CgroupParsers.FormatFlatKeyed("usage_usec"u8, usage, buffer.AsSpan(n));
        }

        n += CgroupParsers.FormatFlatKeyed("nr_periods"u8, other, buffer.AsSpan(n));
        n += CgroupParsers.FormatFlatKeyed("unknown_future_key"u8, other, buffer.AsSpan(n));
        if (!keyFirst)
        {
            n += CgroupParsers.FormatFlatKeyed("usage_usec"u8, usage, buffer.AsSpan(n));
        }

        return CgroupParsers.TryGetFlatKeyed(buffer.AsSpan(0, n), "cpu.stat", "usage_usec"u8, out long parsed) && parsed == usage;
    }

    [Property(MaxTest = 1000)]
    public bool Double_FastPath_EqualsUtf8Parser(NonNegativeInt whole, NonNegativeInt fraction, byte fractionDigits, bool point)
    {
        // Kernel-style decimals (PSI avg10=12.34) and longer ones, up to past the 15-digit fast-path limit.
        string digits = fraction.Get.ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft((fractionDigits % 12) + 1, '0');
        string text = whole.Get.ToString(System.Globalization.CultureInfo.InvariantCulture) + (point ? "." + digits + digits : string.Empty);
        byte[] bytes = Encoding.ASCII.GetBytes(text);
        bool parsed = System.Buffers.Text.Utf8Parser.TryParse(bytes, out double expected, out int used) && used == bytes.Length;
        bool fast = Utf8Text.TryParsePlainDecimal(bytes, out double quick);
        bool any = Utf8Text.TryParseDouble(bytes, out double value);
        return parsed && any && value.Equals(expected) && (!fast || quick.Equals(expected)) && (fast || text.Length - (point ? 1 : 0) > 15);
    }

    [Property(MaxTest = 300)]
    public bool Double_NotPlainDecimal_LeftToUtf8Parser(NonNegativeInt whole, byte shape)
    {
        string w = whole.Get.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string text = (shape % 6) switch
        {
            0 => "-" + w,
            1 => w + ".",
            2 => "." + w,
            3 => w + "e3",
            4 => w + ".5.5",
            _ => w + "x",
        };
        byte[] bytes = Encoding.ASCII.GetBytes(text);
        bool parsed = System.Buffers.Text.Utf8Parser.TryParse(bytes, out double expected, out int used) && used == bytes.Length && double.IsFinite(expected);
        bool any = Utf8Text.TryParseDouble(bytes, out double value);
        return !Utf8Text.TryParsePlainDecimal(bytes, out _) && any == parsed && (!any || value.Equals(expected));
    }

    [Property(MaxTest = 500)]
    public bool CpuMax_RoundTrips(long quota, bool max, PositiveInt period)
    {
        long q = max ? Utf8Text.Max : quota;
        Span<byte> buffer = stackalloc byte[64];
        int n = CgroupParsers.FormatCpuMax(q, period.Get, buffer);
        CgroupParsers.ParseCpuMax(buffer[..n], "cpu.max", out long pq, out long pp);
        return pq == q && pp == period.Get;
    }

    [Property(MaxTest = 500)]
    public bool Pressure_RoundTrips(Psi someGenerated, Psi fullGenerated, bool withFull)
    {
        var some = new PressureLine(true, someGenerated.Avg10, someGenerated.Avg60, someGenerated.Avg300, someGenerated.Total);
        var full = new PressureLine(true, fullGenerated.Avg10, fullGenerated.Avg60, fullGenerated.Avg300, fullGenerated.Total);
        byte[] buffer = new byte[256];
        int n = CgroupParsers.FormatPressureLine("some"u8, some, buffer);
        if (withFull)
        {
            n += CgroupParsers.FormatPressureLine("full"u8, full, buffer.AsSpan(n));
        }

        CgroupParsers.ParsePressure(buffer.AsSpan(0, n), "cpu.pressure", out PressureLine s, out PressureLine f);
        return s == some && (withFull ? f == full : !f.Present);
    }

    [Property(MaxTest = 300)]
    public bool IoStat_RoundTrips_AsSums(Device[] devices)
    {
        byte[] buffer = new byte[128 * (devices.Length + 1)];
        int n = 0;
        foreach (Device d in devices)
        {
            n += CgroupParsers.FormatIoStatLine(d.Major, d.Minor, d.Read, d.Write, 1, 2, buffer.AsSpan(n));
        }

        CgroupParsers.ParseIoStat(buffer.AsSpan(0, n), "io.stat", out long read, out long write);
        return read == devices.Sum(d => d.Read) && write == devices.Sum(d => d.Write);
    }

    [Property(MaxTest = 300)]
    public bool IoMax_RoundTrips_PerDevice(Device[] generated, bool readMax, bool writeMax)
    {
        Device[] devices = generated.DistinctBy(d => (d.Major, d.Minor)).ToArray();
        byte[] buffer = new byte[96 * (devices.Length + 1)];
        int n = 0;
        foreach (Device d in devices)
        {
            n += CgroupParsers.FormatIoMax(d.Major, d.Minor, readMax ? Utf8Text.Max : d.Read, writeMax ? Utf8Text.Max : d.Write, buffer.AsSpan(n));
        }

        return devices.All(d =>
            CgroupParsers.TryGetIoMax(buffer.AsSpan(0, n), "io.max", d.Major, d.Minor, out long r, out long w) &&
            r == (readMax ? Utf8Text.Max : d.Read) && w == (writeMax ? Utf8Text.Max : d.Write));
    }

    [Property(MaxTest = 300)]
    public bool BlkioServiceBytes_RoundTrips_AsSums(Device[] devices)
    {
        byte[] buffer = new byte[300 * (devices.Length + 1)];
        int n = 0;
        foreach (Device d in devices)
        {
            n += CgroupParsers.FormatBlkioServiceBytes(d.Major, d.Minor, d.Read, d.Write, buffer.AsSpan(n));
        }

        n += Encoding.UTF8.GetBytes($"Total {devices.Sum(d => d.Read + d.Write)}\n", buffer.AsSpan(n));
        CgroupParsers.ParseBlkioServiceBytes(buffer.AsSpan(0, n), "io_service_bytes", out long read, out long write);
        return read == devices.Sum(d => d.Read) && write == devices.Sum(d => d.Write);
    }

    [Property(MaxTest = 300)]
    public bool DeviceValue_RoundTrips(Device[] generated)
    {
        Device[] devices = generated.DistinctBy(d => (d.Major, d.Minor)).ToArray();
        byte[] buffer = new byte[48 * (devices.Length + 1)];
        int n = 0;
        foreach (Device d in devices)
        {
            n += CgroupParsers.FormatDeviceValue(d.Major, d.Minor, d.Read, buffer.AsSpan(n));
        }

        return devices.All(d =>
            CgroupParsers.TryGetDeviceValue(buffer.AsSpan(0, n), "read_bps_device", d.Major, d.Minor, out long v) &&
            v == d.Read);
    }

    [Property(MaxTest = 300)]
    public bool CpuList_RoundTrips_Count(bool[] online)
    {
        // Format the set bits as ranges the way the kernel does (0-3,5,7-8).
        var parts = new List<string>();
        for (int i = 0; i < online.Length; i++)
        {
            if (!online[i])
            {
                continue;
            }

            int j = i;
            while (j + 1 < online.Length && online[j + 1])
            {
                j++;
            }

            parts.Add(i == j ? $"{i}" : $"{i}-{j}");
            i = j;
        }

        return CgroupParsers.ParseCpuListCount(Bytes(string.Join(',', parts) + "\n"), "online") == online.Count(b => b);
    }

    [Property(MaxTest = 300)]
    public bool ProcStat_RoundTrips(long user, long system, long idle, long iowait, PositiveInt cpus)
    {
        int count = Math.Min(cpus.Get, 256);
        var t = new ProcCpuTimes(user, 0, system, idle, iowait, 3, 4, 5);
        byte[] buffer = new byte[200 * (count + 2)];
        int n = ProcParsers.FormatStat(t, count, buffer);
        ProcParsers.ParseStat(buffer.AsSpan(0, n), "/proc/stat", out ProcCpuTimes parsed, out int parsedCount);
        return parsed == t && parsedCount == count;
    }

    [Property(MaxTest = 300)]
    public bool MemInfo_RoundTrips(long total, long available)
    {
        byte[] buffer = new byte[512];
        int n = ProcParsers.FormatMemInfo(total, available / 2, available, buffer);
        ProcParsers.ParseMemInfo(buffer.AsSpan(0, n), "/proc/meminfo", out long t, out long a);
        return t == total / 1024 * 1024 && a == available / 1024 * 1024;
    }

    [Property(MaxTest = 300)]
    public bool DiskStats_RoundTrips(Device[] devices)
    {
        byte[] buffer = new byte[300 * (devices.Length + 1)];
        int n = 0;
        for (int i = 0; i < devices.Length; i++)
        {
            n += DiskStatsReader.FormatLine(devices[i].Major, devices[i].Minor, Bytes($"sd{i}"), devices[i].Read, devices[i].Write, buffer.AsSpan(n));
        }

        var reader = new DiskStatsReader(buffer.AsSpan(0, n), "/proc/diskstats");
        for (int i = 0; i < devices.Length; i++)
        {
            if (!reader.MoveNext() || reader.Major != devices[i].Major || reader.Minor != devices[i].Minor ||
                reader.SectorsRead != devices[i].Read || reader.SectorsWritten != devices[i].Write || !reader.Name.SequenceEqual(Bytes($"sd{i}")))
            {
                return false;
            }
        }

        return !reader.MoveNext();
    }

    [Property(MaxTest = 300)]
    public bool NetDev_RoundTrips(Device[] devices)
    {
        byte[] buffer = new byte[300 * (devices.Length + 2)];
        int n = NetDevReader.FormatHeader(buffer);
        for (int i = 0; i < devices.Length; i++)
        {
            n += NetDevReader.FormatLine(Bytes($"eth{i}"), devices[i].Read, devices[i].Write, buffer.AsSpan(n));
        }

        var reader = new NetDevReader(buffer.AsSpan(0, n), "/proc/net/dev");
        for (int i = 0; i < devices.Length; i++)
        {
            if (!reader.MoveNext() || reader.ReceivedBytes != devices[i].Read || reader.TransmittedBytes != devices[i].Write || !reader.Name.SequenceEqual(Bytes($"eth{i}")))
            {
                return false;
            }
        }

        return !reader.MoveNext();
    }

    [Property(MaxTest = 500)]
    public bool MountInfoEscape_RoundTrips(string path) => MountInfo.Unescape(MountInfo.Escape(path)) == path;

    [Property(MaxTest = 300)]
    public bool MountInfoLine_RoundTrips(string mountPoint, bool v2)
    {
        string fs = v2 ? "cgroup2" : "cgroup";
        string line = $"35 30 0:31 / {MountInfo.Escape(mountPoint)} rw,nosuid shared:15 master:2 - {fs} {fs} rw,cpu,cpuacct\n";
        MountEntry e = Assert.Single(MountInfo.Parse(line, "mountinfo"));
        return e.MountPoint == mountPoint && e.FileSystemType == fs && e.Root == "/";
    }
}
