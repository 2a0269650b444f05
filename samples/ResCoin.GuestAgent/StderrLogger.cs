using Microsoft.Extensions.Logging;

namespace ResCoin.GuestAgent.Daemon;

/// <summary>
/// A minimal logger writing one line per event to stderr. Under systemd (JOURNAL_STREAM set) each line
/// starts with a syslog priority prefix (&lt;6&gt; info, &lt;4&gt; warning, &lt;3&gt; error) so journald files it right.
/// </summary>
internal sealed class StderrLogger(string category, LogLevel minimum) : ILogger
{
    private static readonly bool UnderJournal = Environment.GetEnvironmentVariable("JOURNAL_STREAM") is not null;
    private static readonly Lock Gate = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        string message = formatter(state, exception);
        string line = UnderJournal
            ? $"{Priority(logLevel)}{message}"
            : $"{Label(logLevel)}: {message}";
        if (exception is not null)
        {
            line += $" ({exception.GetType().Name}: {exception.Message})";
        }

        lock (Gate)
        {
            Console.Error.WriteLine(line);
        }

        _ = category;
    }

    private static string Priority(LogLevel level) => level switch
    {
        LogLevel.Critical => "<2>",
        LogLevel.Error => "<3>",
        LogLevel.Warning => "<4>",
        LogLevel.Information => "<6>",
        _ => "<7>",
    };

    private static string Label(LogLevel level) => level switch
    {
        LogLevel.Critical => "crit",
        LogLevel.Error => "fail",
        LogLevel.Warning => "warn",
        LogLevel.Information => "info",
        _ => "dbug",
    };
}

/// <summary>Creates <see cref="StderrLogger"/>s.</summary>
internal sealed class StderrLoggerFactory(LogLevel minimum) : ILoggerFactory
{
    public void AddProvider(ILoggerProvider provider)
    {
    }

    public ILogger CreateLogger(string categoryName) => new StderrLogger(categoryName, minimum);

    public void Dispose()
    {
    }
}
