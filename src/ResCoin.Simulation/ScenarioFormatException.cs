namespace ResCoin.Simulation;

/// <summary>
/// A scenario file that cannot be used: not found, not valid JSON, or a field with a wrong value. The message is one
/// line, <c>file: field.path: problem</c> (for example <c>s.json: groups[1].demand.cpu.burst: must be &gt;= 0</c>).
/// </summary>
public sealed class ScenarioFormatException : Exception
{
    /// <summary>Creates an exception with a default message.</summary>
    public ScenarioFormatException()
        : this(string.Empty, string.Empty, "invalid scenario file")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">The message.</param>
    public ScenarioFormatException(string message)
        : base(message)
    {
        FileName = string.Empty;
        Field = string.Empty;
        Problem = message;
    }

    /// <summary>Creates an exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public ScenarioFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
        FileName = string.Empty;
        Field = string.Empty;
        Problem = message;
    }

    /// <summary>Creates an exception naming the file and the field.</summary>
    /// <param name="fileName">The scenario file (as the user gave it).</param>
    /// <param name="field">The field's path, e.g. <c>groups[1].demand.cpu.burst</c>; empty for the whole file.</param>
    /// <param name="problem">What is wrong, e.g. <c>must be &gt;= 0</c>.</param>
    /// <param name="innerException">The cause, if any.</param>
    public ScenarioFormatException(string fileName, string field, string problem, Exception? innerException = null)
        : base(Format(fileName, field, problem), innerException)
    {
        FileName = fileName ?? string.Empty;
        Field = field ?? string.Empty;
        Problem = problem ?? string.Empty;
    }

    /// <summary>The scenario file.</summary>
    public string FileName { get; }

    /// <summary>The path of the bad field (empty when the problem is the whole file).</summary>
    public string Field { get; }

    /// <summary>What is wrong.</summary>
    public string Problem { get; }

    private static string Format(string? fileName, string? field, string? problem)
    {
        string where = string.IsNullOrEmpty(field) ? fileName ?? string.Empty : $"{fileName}: {field}";
        return $"{where}: {problem}".ReplaceLineEndings(" ");
    }
}
