namespace ResCoin.Cgroups;

/// <summary>
/// A cgroup, /proc or /sys file held something that is not in its documented format. The message names the
/// file and the line, e.g. <c>/sys/fs/cgroup/x/cpu.stat line 2: 'usage_usec abc' is not a number</c>.
/// </summary>
public sealed class CgroupFormatException : FormatException
{
    /// <summary>Creates an exception with a generic message.</summary>
    public CgroupFormatException()
        : this("A cgroup file is malformed.")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">The message.</param>
    public CgroupFormatException(string message)
        : base(message)
    {
        FilePath = string.Empty;
    }

    /// <summary>Creates an exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public CgroupFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
        FilePath = string.Empty;
    }

    /// <summary>Creates an exception naming the file, the line and what is wrong with it.</summary>
    /// <param name="filePath">The file.</param>
    /// <param name="lineNumber">The 1-based line number.</param>
    /// <param name="line">The offending line.</param>
    /// <param name="problem">What is wrong, e.g. <c>is not a number</c>.</param>
    public CgroupFormatException(string filePath, int lineNumber, string line, string problem)
        : base($"{filePath} line {lineNumber}: '{line}' {problem}")
    {
        FilePath = filePath;
        LineNumber = lineNumber;
    }

    /// <summary>The malformed file (empty when unknown).</summary>
    public string FilePath { get; }

    /// <summary>The 1-based line number (0 when unknown).</summary>
    public int LineNumber { get; }
}
