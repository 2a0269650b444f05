namespace ResCoin.Simulation;

/// <summary>A trace file is unreadable, malformed or empty. The message names the file and, where known, the line.</summary>
public sealed class TraceFormatException : Exception
{
    /// <summary>Creates an exception with no details.</summary>
    public TraceFormatException()
        : this("The trace is malformed.")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">The message.</param>
    public TraceFormatException(string message)
        : base(message)
    {
        FileName = string.Empty;
    }

    /// <summary>Creates an exception with a message and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public TraceFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
        FileName = string.Empty;
    }

    /// <summary>Creates an exception about one file and line.</summary>
    /// <param name="fileName">The file.</param>
    /// <param name="lineNumber">The 1-based line, or 0 when the problem is the whole file.</param>
    /// <param name="problem">What is wrong.</param>
    /// <param name="innerException">The cause, if any.</param>
    public TraceFormatException(string fileName, long lineNumber, string problem, Exception? innerException = null)
        : base(Format(fileName, lineNumber, problem), innerException)
    {
        FileName = fileName;
        LineNumber = lineNumber;
    }

    /// <summary>The file that is wrong (empty when not about a file).</summary>
    public string FileName { get; }

    /// <summary>The 1-based line that is wrong, or 0 when the problem is the whole file.</summary>
    public long LineNumber { get; }

    private static string Format(string fileName, long lineNumber, string problem)
        => lineNumber > 0
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{fileName}:{lineNumber}: {problem}")
            : $"{fileName}: {problem}";
}
