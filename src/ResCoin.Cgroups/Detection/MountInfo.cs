using System.Text;

namespace ResCoin.Cgroups.Detection;

/// <summary>One line of <c>/proc/self/mountinfo</c> (the fields ResCoin needs).</summary>
/// <param name="Root">The root of the mount within its file system (field 4), unescaped.</param>
/// <param name="MountPoint">The mount point (field 5), unescaped.</param>
/// <param name="FileSystemType">The file system type after the <c> - </c> separator (<c>cgroup</c>, <c>cgroup2</c>, ...).</param>
/// <param name="SuperOptions">The per-super-block options (for cgroup v1: the controllers, e.g. <c>rw,cpu,cpuacct</c>).</param>
internal sealed record MountEntry(string Root, string MountPoint, string FileSystemType, string SuperOptions)
{
    /// <summary>The v1 controllers of a <c>cgroup</c> mount (super options other than rw/ro/name=/none/...).</summary>
    public IEnumerable<string> Controllers
    {
        get
        {
            foreach (string option in SuperOptions.Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                if (option is "rw" or "ro" or "noprefix" or "xattr" or "clone_children" or "cpuset_v2_mode" or "favordynmods" ||
                    option.Contains('=', StringComparison.Ordinal))
                {
                    continue;
                }

                yield return option;
            }
        }
    }
}

/// <summary>
/// Parses <c>/proc/self/mountinfo</c>: <c>id parent major:minor root mountpoint options [optional fields...] - fstype source superoptions</c>,
/// with spaces, tabs, newlines and backslashes in paths escaped as octal (<c>\040</c>, <c>\011</c>, <c>\012</c>, <c>\134</c>).
/// </summary>
internal static class MountInfo
{
    public static List<MountEntry> Parse(string text, string path)
    {
        ArgumentNullException.ThrowIfNull(text);
        var entries = new List<MountEntry>();
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd('\r');
            if (line.Trim().Length == 0)
            {
                continue;
            }

            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            int separator = fields.Length > 6 ? Array.IndexOf(fields, "-", 6) : -1;
            if (fields.Length < 10 || separator < 0 || fields.Length < separator + 3)
            {
                throw new CgroupFormatException(path, i + 1, line, "is not a mountinfo line (id parent dev root mountpoint options ... - fstype source superoptions)");
            }

            if (!int.TryParse(fields[0], System.Globalization.CultureInfo.InvariantCulture, out _) || !fields[2].Contains(':', StringComparison.Ordinal))
            {
                throw new CgroupFormatException(path, i + 1, line, "does not start with a mount id and a MAJ:MIN device");
            }

            entries.Add(new MountEntry(Unescape(fields[3]), Unescape(fields[4]), fields[separator + 1], fields[separator + 3]));
        }

        return entries;
    }

    /// <summary>Decodes the kernel's octal escapes (<c>\040</c> is a space).</summary>
    public static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }

        var sb = new StringBuilder(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length && IsOctal(field[i + 1]) && IsOctal(field[i + 2]) && IsOctal(field[i + 3]))
            {
                sb.Append((char)(((field[i + 1] - '0') * 64) + ((field[i + 2] - '0') * 8) + (field[i + 3] - '0')));
                i += 3;
            }
            else
            {
                sb.Append(field[i]);
            }
        }

        return sb.ToString();
    }

    /// <summary>Encodes a path the way the kernel writes it in mountinfo.</summary>
    public static string Escape(string path)
    {
        var sb = new StringBuilder(path.Length);
        foreach (char c in path)
        {
            if (c is ' ' or '\t' or '\n' or '\\')
            {
                sb.Append('\\').Append(Convert.ToString(c, 8).PadLeft(3, '0'));
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }

    private static bool IsOctal(char c) => c is >= '0' and <= '7';
}
