using System.Globalization;

namespace ResCoin.GuestAgent;

/// <summary>Where the agent reads the text of <c>/proc/meminfo</c> (a seam so tests can feed fixtures).</summary>
internal interface IMemInfoSource
{
    /// <summary>Returns the whole text; throws an I/O exception when it cannot be read.</summary>
    string ReadAll();
}

/// <summary>Reads a file (by default <c>/proc/meminfo</c>) on every call.</summary>
internal sealed class FileMemInfoSource(string path) : IMemInfoSource
{
    public string Path { get; } = path;

    public string ReadAll() => File.ReadAllText(Path);
}

/// <summary>The figures of <c>/proc/meminfo</c> the protocol carries, in bytes.</summary>
internal readonly record struct MemInfoValues(
    ulong MemTotal, ulong MemAvailable, ulong MemFree, ulong Buffers, ulong Cached, ulong SwapTotal, ulong SwapFree, bool MemAvailableEstimated);

/// <summary>Parses <c>/proc/meminfo</c> text: "Key:   12345 kB" lines; kB values converted to bytes with overflow checks.</summary>
internal static class MemInfoParser
{
    private const int MaxLines = 4096;

    /// <summary>Parses the text; on failure returns false and a one-line reason naming the line.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out MemInfoValues values, out string? error)
    {
        values = default;
        error = null;
        ulong? total = null, available = null, free = null, buffers = null, cached = null, swapTotal = null, swapFree = null;
        int lineNumber = 0;
        foreach (Range range in text.Split('\n'))
        {
            ReadOnlySpan<char> line = text[range].TrimEnd('\r');
            lineNumber++;
            if (lineNumber > MaxLines)
            {
                error = $"meminfo has more than {MaxLines} lines";
                return false;
            }

            int colon = line.IndexOf(':');
            if (colon <= 0)
            {
                continue;
            }

            ReadOnlySpan<char> key = line[..colon];
            int slot = key switch
            {
                "MemTotal" => 0,
                "MemAvailable" => 1,
                "MemFree" => 2,
                "Buffers" => 3,
                "Cached" => 4,
                "SwapTotal" => 5,
                "SwapFree" => 6,
                _ => -1,
            };
            if (slot < 0)
            {
                continue;
            }

            if (!TryParseKilobytes(line[(colon + 1)..], out ulong bytes))
            {
                error = $"meminfo line {lineNumber}: '{key}' value is not a kB count that fits in 64 bits of bytes";
                return false;
            }

            switch (slot)
            {
                case 0: total = bytes; break;
                case 1: available = bytes; break;
                case 2: free = bytes; break;
                case 3: buffers = bytes; break;
                case 4: cached = bytes; break;
                case 5: swapTotal = bytes; break;
                default: swapFree = bytes; break;
            }
        }

        if (total is null || free is null)
        {
            error = total is null ? "meminfo has no MemTotal line" : "meminfo has no MemFree line";
            return false;
        }

        bool estimated = available is null;
        if (estimated)
        {
            // Kernels before 3.14 have no MemAvailable: the prototype's free + buffers + cached, capped at the total.
            ulong sum = SaturatingAdd(SaturatingAdd(free.Value, buffers ?? 0), cached ?? 0);
            available = Math.Min(sum, total.Value);
        }

        values = new MemInfoValues(total.Value, available!.Value, free.Value, buffers ?? 0, cached ?? 0, swapTotal ?? 0, swapFree ?? 0, estimated);
        return true;
    }

    private static bool TryParseKilobytes(ReadOnlySpan<char> rest, out ulong bytes)
    {
        bytes = 0;
        rest = rest.Trim();
        if (!rest.EndsWith(" kB", StringComparison.Ordinal))
        {
            return false;
        }

        ReadOnlySpan<char> digits = rest[..^3].TrimEnd();
        if (digits.IsEmpty || digits.Length > 20 || !ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out ulong kilobytes))
        {
            return false;
        }

        if (kilobytes > ulong.MaxValue / 1024)
        {
            return false;
        }

        bytes = kilobytes * 1024;
        return true;
    }

    private static ulong SaturatingAdd(ulong a, ulong b) => a > ulong.MaxValue - b ? ulong.MaxValue : a + b;
}
