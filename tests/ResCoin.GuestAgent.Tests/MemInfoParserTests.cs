using FsCheck.Xunit;
using ResCoin.GuestAgent;

namespace ResCoin.GuestAgent.Tests;

public class MemInfoParserTests
{
    [Fact]
    public void TryParse_RealGuestFixture_ConvertsKilobytesToBytes()
    {
        Assert.True(MemInfoParser.TryParse(Fixtures.MemInfo2G, out MemInfoValues v, out string? error), error);
        Assert.Equal(new MemInfoValues(2014128UL * 1024, 1712344UL * 1024, 1402936UL * 1024, 23612UL * 1024, 381092UL * 1024, 998396UL * 1024, 998396UL * 1024, false), v);
    }

    [Fact]
    public void TryParse_NoMemAvailable_EstimatesFromFreeBuffersCachedCappedAtTotal()
    {
        const string old = "MemTotal: 1000 kB\nMemFree: 600 kB\nBuffers: 300 kB\nCached: 400 kB\n";
        Assert.True(MemInfoParser.TryParse(old, out MemInfoValues v, out _));
        Assert.True(v.MemAvailableEstimated);
        Assert.Equal(1000UL * 1024, v.MemAvailable);
        Assert.Equal(0UL, v.SwapTotal);
    }

    [Fact]
    public void TryParse_ValuePastFourTebibytes_IsExact()
    {
        // The prototype's 32-bit KiB counters overflowed here.
        Assert.True(MemInfoParser.TryParse("MemTotal: 8589934592 kB\nMemFree: 4294967296 kB\nMemAvailable: 4294967297 kB\n", out MemInfoValues v, out _));
        Assert.Equal(8UL << 40, v.MemTotal);
        Assert.Equal((4294967297UL) * 1024, v.MemAvailable);
    }

    [Theory]
    [InlineData("MemTotal: 18446744073709551615 kB\nMemFree: 1 kB\n", "line 1")]
    [InlineData("MemFree: 1 kB\nMemTotal: 18014398509481984 kB\n", "line 2")]
    [InlineData("MemTotal: 99999999999999999999999 kB\nMemFree: 1 kB\n", "line 1")]
    [InlineData("MemTotal: -5 kB\nMemFree: 1 kB\n", "MemTotal")]
    [InlineData("MemTotal: 12 MB\nMemFree: 1 kB\n", "MemTotal")]
    [InlineData("MemTotal: kB\nMemFree: 1 kB\n", "MemTotal")]
    [InlineData("MemFree: 1 kB\n", "no MemTotal")]
    [InlineData("MemTotal: 1 kB\n", "no MemFree")]
    [InlineData("", "no MemTotal")]
    public void TryParse_BadText_FailsWithReasonNamingTheLine(string text, string expected)
    {
        Assert.False(MemInfoParser.TryParse(text, out _, out string? error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Property(MaxTest = 2000)]
    public bool TryParse_AnyText_NeverThrows(string? text)
    {
        bool ok = MemInfoParser.TryParse(text ?? string.Empty, out MemInfoValues v, out string? error);
        return ok ? error is null && v.MemAvailable <= v.MemTotal || !v.MemAvailableEstimated : error is not null;
    }

    [SkippableFact]
    public void TryParse_ThisMachinesProcMeminfo_Parses()
    {
        Skip.IfNot(File.Exists("/proc/meminfo"), "no /proc/meminfo (not Linux)");
        Assert.True(MemInfoParser.TryParse(File.ReadAllText("/proc/meminfo"), out MemInfoValues v, out string? error), error);
        Assert.True(v.MemTotal > 0 && v.MemAvailable <= v.MemTotal && v.MemFree <= v.MemTotal);
    }
}
