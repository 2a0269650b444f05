using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace ResCoin.Cgroups.Parsing;

/// <summary>Enumerates the non-blank lines of a UTF-8 text with their 1-based line numbers. No allocation.</summary>
internal ref struct LineReader
{
    private ReadOnlySpan<byte> _rest;
    private int _number;

    public LineReader(ReadOnlySpan<byte> content)
    {
        _rest = content;
        _number = 0;
        Current = default;
    }

    /// <summary>The current line, without its newline.</summary>
    public ReadOnlySpan<byte> Current { get; private set; }

    /// <summary>The 1-based number of the current line.</summary>
    public readonly int LineNumber => _number;

    public bool MoveNext()
    {
        while (!_rest.IsEmpty)
        {
            int nl = _rest.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line;
            if (nl < 0)
            {
                line = _rest;
                _rest = default;
            }
            else
            {
                line = _rest[..nl];
                _rest = _rest[(nl + 1)..];
            }

            _number++;
            line = Utf8Text.Trim(line);
            if (!line.IsEmpty)
            {
                Current = line;
                return true;
            }
        }

        return false;
    }
}

/// <summary>Span helpers shared by the parsers: fields, numbers, errors.</summary>
internal static class Utf8Text
{
    /// <summary>The value used for "max" / unlimited in parsed results.</summary>
    public const long Max = -1;

    /// <summary>The bytes <see cref="IsSpace"/> accepts.</summary>
    public static readonly SearchValues<byte> Spaces = SearchValues.Create(" \t\r\n"u8);

    private static readonly double[] PowersOfTen = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

    public static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> s)
    {
        int start = 0;
        while (start < s.Length && IsSpace(s[start]))
        {
            start++;
        }

        int end = s.Length;
        while (end > start && IsSpace(s[end - 1]))
        {
            end--;
        }

        return s[start..end];
    }

    /// <summary>Takes the next whitespace-separated field from <paramref name="rest"/>; empty when none is left.</summary>
    public static ReadOnlySpan<byte> NextField(scoped ref ReadOnlySpan<byte> rest)
    {
        // Scalar on purpose: fields are a few bytes long, shorter than a vector search pays off for.
        int i = 0;
        while (i < rest.Length && IsSpace(rest[i]))
        {
            i++;
        }

        int start = i;
        while (i < rest.Length && !IsSpace(rest[i]))
        {
            i++;
        }

        ReadOnlySpan<byte> field = rest[start..i];
        rest = rest[i..];
        return field;
    }

    public static int CountFields(ReadOnlySpan<byte> line)
    {
        int n = 0;
        while (!NextField(ref line).IsEmpty)
        {
            n++;
        }

        return n;
    }

    public static bool TryParseLong(ReadOnlySpan<byte> s, out long value)
        => Utf8Parser.TryParse(s, out value, out int used) && used == s.Length && s.Length > 0;

    public static bool TryParseDouble(ReadOnlySpan<byte> s, out double value)
        => TryParsePlainDecimal(s, out value) ||
            (Utf8Parser.TryParse(s, out value, out int used) && used == s.Length && s.Length > 0 && double.IsFinite(value));

    /// <summary>
    /// The fast path of <see cref="TryParseDouble"/> for what the kernel writes (<c>12.34</c>: digits, optionally a point and
    /// digits, at most 15 digits in all): the digits as an integer divided by a power of ten. Both are exact doubles, so the
    /// quotient is the correctly rounded value, the same one <see cref="Utf8Parser"/> returns. False for anything else.
    /// </summary>
    public static bool TryParsePlainDecimal(ReadOnlySpan<byte> s, out double value)
    {
        value = 0;
        if (s.IsEmpty || s.Length > 16)
        {
            return false;
        }

        long mantissa = 0;
        int point = -1;
        for (int i = 0; i < s.Length; i++)
        {
            uint d = (uint)(s[i] - '0');
            if (d <= 9)
            {
                mantissa = (mantissa * 10) + d;
            }
            else if (s[i] == (byte)'.' && point < 0 && i > 0 && i < s.Length - 1)
            {
                point = i;
            }
            else
            {
                return false;
            }
        }

        int fraction = point < 0 ? 0 : s.Length - point - 1;
        if (s.Length - (point < 0 ? 0 : 1) > 15)
        {
            return false;
        }

        value = mantissa / PowersOfTen[fraction];
        return true;
    }

    /// <summary>Parses an integer or <c>max</c> (returned as <see cref="Max"/>).</summary>
    public static bool TryParseLongOrMax(ReadOnlySpan<byte> s, out long value)
    {
        if (s.SequenceEqual("max"u8))
        {
            value = Max;
            return true;
        }

        return TryParseLong(s, out value) && value >= 0;
    }

    /// <summary>Parses <c>MAJ:MIN</c>.</summary>
    public static bool TryParseDevice(ReadOnlySpan<byte> s, out int major, out int minor)
    {
        major = minor = 0;
        int colon = s.IndexOf((byte)':');
        return colon > 0 &&
            Utf8Parser.TryParse(s[..colon], out major, out int a) && a == colon && major >= 0 &&
            Utf8Parser.TryParse(s[(colon + 1)..], out minor, out int b) && b == s.Length - colon - 1 && b > 0 && minor >= 0;
    }

    public static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n';

    public static int Format(long value, Span<byte> destination)
        => value.TryFormat(destination, out int written, default, CultureInfo.InvariantCulture)
            ? written
            : throw new ArgumentException("The destination is too small.", nameof(destination));

    public static int FormatOrMax(long value, Span<byte> destination)
    {
        if (value < 0)
        {
            "max"u8.CopyTo(destination);
            return 3;
        }

        return Format(value, destination);
    }

    public static int Append(ReadOnlySpan<byte> text, Span<byte> destination)
    {
        text.CopyTo(destination);
        return text.Length;
    }

    /// <summary>Throws a <see cref="CgroupFormatException"/> naming the file, the line and the problem.</summary>
    public static CgroupFormatException Error(string path, int lineNumber, ReadOnlySpan<byte> line, string problem)
        => new(path, lineNumber, Printable(line), problem);

    private static string Printable(ReadOnlySpan<byte> line)
    {
        if (line.Length > 160)
        {
            line = line[..160];
        }

        var sb = new StringBuilder(Encoding.UTF8.GetString(line));
        for (int i = 0; i < sb.Length; i++)
        {
            if (char.IsControl(sb[i]))
            {
                sb[i] = '?';
            }
        }

        return sb.ToString();
    }
}
