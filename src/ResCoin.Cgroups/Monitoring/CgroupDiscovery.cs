using System.IO.Enumeration;
using ResCoin.Cgroups.IO;

namespace ResCoin.Cgroups.Monitoring;

/// <summary>Expands cgroup paths and glob patterns (<c>*</c>, <c>?</c> per segment) against a hierarchy.</summary>
internal static class CgroupDiscovery
{
    /// <summary>Adds to <paramref name="results"/> the relative path of every existing cgroup directory the patterns match.</summary>
    public static void Expand(ICgroupFileSystem fileSystem, string hierarchyRoot, IEnumerable<string> patterns, SortedSet<string> results)
    {
        foreach (string pattern in patterns)
        {
            string[] segments = pattern.Trim().Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
            if (segments.Length > 0)
            {
                Walk(fileSystem, hierarchyRoot, string.Empty, segments, 0, results);
            }
        }
    }

    /// <summary>Whether a pattern segment has wildcards.</summary>
    public static bool IsGlob(string segment) => segment.AsSpan().IndexOfAny('*', '?') >= 0;

    private static void Walk(ICgroupFileSystem fs, string root, string relative, string[] segments, int index, SortedSet<string> results)
    {
        if (index == segments.Length)
        {
            results.Add(relative);
            return;
        }

        string segment = segments[index];
        if (!IsGlob(segment))
        {
            string next = relative.Length == 0 ? segment : relative + "/" + segment;
            if (fs.DirectoryExists(root + "/" + next))
            {
                Walk(fs, root, next, segments, index + 1, results);
            }

            return;
        }

        foreach (string name in fs.EnumerateDirectoryNames(relative.Length == 0 ? root : root + "/" + relative))
        {
            if (FileSystemName.MatchesSimpleExpression(segment, name, ignoreCase: false))
            {
                Walk(fs, root, relative.Length == 0 ? name : relative + "/" + name, segments, index + 1, results);
            }
        }
    }
}
