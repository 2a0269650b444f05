using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace ResCoin.Host;

/// <summary>Where metrics go.</summary>
internal enum MetricsExportKind
{
    None,
    Console,
    Prometheus,
}

/// <summary>The metrics exporter and, for Prometheus, the loopback port.</summary>
internal readonly record struct MetricsExport(MetricsExportKind Kind, int Port)
{
    public static MetricsExport Default => new(MetricsExportKind.Prometheus, 9464);

    public override string ToString() => Kind switch
    {
        MetricsExportKind.None => "none",
        MetricsExportKind.Console => "console",
        _ => string.Create(CultureInfo.InvariantCulture, $"prometheus:{Port}"),
    };
}

/// <summary>The parsed command line: configuration overrides, the extra configuration file and the metrics exporter.</summary>
internal sealed class HostArguments
{
    /// <summary>Configuration keys set by the options (added after every other configuration source).</summary>
    public Dictionary<string, string?> Overrides { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The extra JSON configuration file (<c>--config</c>), or null.</summary>
    public string? ConfigFile { get; init; }

    /// <summary>The metrics exporter (<c>--metrics</c>).</summary>
    public MetricsExport Metrics { get; init; } = MetricsExport.Default;

    /// <summary>Whether every period prints one line per VM (<c>--report vms</c>; the default with <c>--dry-run</c>).</summary>
    public bool ReportVms { get; init; }
}

/// <summary>
/// The <c>rescoin-host</c> command line (System.CommandLine): a few options mapped onto configuration keys;
/// appsettings.json holds the rest. A bad option gives one line naming the option and the value, exit code 2.
/// </summary>
internal static class HostCommandLine
{
    /// <summary>Exit code for a bad command line.</summary>
    public const int UserErrorExitCode = 2;

    private const string Description = """
        rescoin-host: ResCoin resource scheduler for the VMs of a KVM host (libvirt).

        Other settings (templates per VM, reserves, capacities, policy, predictor, guest agents): appsettings.json,
        section "ResCoin", or environment variables such as ResCoin__Policy=share.
        """;

    private static readonly Option<string?> s_connect = new("--connect")
    {
        Description = "libvirt connection URI (default qemu:///system).",
        HelpName = "URI",
        CustomParser = ParseConnect,
    };

    private static readonly Option<bool> s_dryRun = new("--dry-run")
    {
        Description = "Log and print every decision, change nothing.",
    };

    private static readonly Option<TimeSpan?> s_period = new("--period")
    {
        Description = "Control period in seconds, 0.1 to 86400 (default 8).",
        HelpName = "SECONDS",
        CustomParser = ParsePeriod,
    };

    private static readonly Option<string?> s_config = new("--config")
    {
        Description = "An extra JSON configuration file (read after appsettings.json).",
        HelpName = "FILE",
        CustomParser = ParseConfig,
    };

    private static readonly Option<string?> s_journal = new("--journal")
    {
        Description = "The original-settings journal (default /var/lib/rescoin/libvirt-journal.json).",
        HelpName = "FILE",
        CustomParser = ParseJournal,
    };

    private static readonly Option<MetricsExport> s_metrics = new("--metrics")
    {
        Description = "none | console | prometheus[:PORT] (Prometheus listens on 127.0.0.1).",
        HelpName = "KIND",
        CustomParser = ParseMetrics,
        DefaultValueFactory = _ => MetricsExport.Default,
    };

    private static readonly Option<string?> s_report = new("--report")
    {
        Description = "none | vms: one line per VM per period (usage, estimate, credit, cap, weight). Default none, vms with --dry-run.",
        HelpName = "KIND",
        CustomParser = ParseReport,
    };

    /// <summary>
    /// Parses the arguments. Prints the help (exit code 0) or a one-line error (exit code 2) itself; otherwise
    /// returns the arguments to run with.
    /// </summary>
    /// <param name="args">The command-line arguments.</param>
    /// <param name="output">Where the help goes.</param>
    /// <param name="error">Where errors go.</param>
    /// <returns>The arguments, or null and the exit code when the program should stop now.</returns>
    public static async Task<(HostArguments? Arguments, int ExitCode)> ParseAsync(string[] args, TextWriter output, TextWriter error)
    {
        RootCommand root = CreateCommand();
        ParseResult parse = root.Parse(args);
        bool helpRequested = false;
        foreach (string a in args)
        {
            helpRequested |= a is "--help" or "-h" or "-?";
        }

        if (helpRequested)
        {
            int code = await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error }).ConfigureAwait(false);
            return (null, code);
        }

        if (parse.Errors.Count > 0)
        {
            await error.WriteLineAsync($"rescoin-host: error: {parse.Errors[0].Message} (see --help)").ConfigureAwait(false);
            return (null, UserErrorExitCode);
        }

        var result = new HostArguments
        {
            ConfigFile = parse.GetValue(s_config),
            Metrics = parse.GetValue(s_metrics),
            ReportVms = parse.GetValue(s_report) is { } report ? report == "vms" : parse.GetValue(s_dryRun),
        };
        if (parse.GetValue(s_dryRun))
        {
            result.Overrides["ResCoin:DryRun"] = "true";
        }

        if (parse.GetValue(s_connect) is { } uri)
        {
            result.Overrides["ResCoin:Libvirt:ConnectionUri"] = uri;
        }

        if (parse.GetValue(s_period) is { } period)
        {
            result.Overrides["ResCoin:Period"] = period.ToString("c", CultureInfo.InvariantCulture);
        }

        if (parse.GetValue(s_journal) is { } journal)
        {
            result.Overrides["ResCoin:Libvirt:JournalPath"] = journal;
        }

        return (result, 0);
    }

    private static RootCommand CreateCommand()
    {
        var root = new RootCommand(Description) { s_connect, s_dryRun, s_period, s_config, s_journal, s_metrics, s_report };

        // No --version: the daemon has nothing to say there, and an unknown option must stay an error.
        for (int i = root.Options.Count - 1; i >= 0; i--)
        {
            if (root.Options[i] is VersionOption)
            {
                root.Options.RemoveAt(i);
            }
        }

        root.SetAction(_ => 0);
        return root;
    }

    private static string? ParseConnect(ArgumentResult result)
    {
        string uri = result.Tokens[0].Value;
        if (!uri.Contains("://", StringComparison.Ordinal))
        {
            result.AddError($"--connect: '{uri}' is not a libvirt URI (e.g. qemu:///system)");
            return null;
        }

        return uri;
    }

    private static TimeSpan? ParsePeriod(ArgumentResult result)
    {
        string v = result.Tokens[0].Value;
        if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) || !(seconds >= 0.1) || seconds > 86_400)
        {
            result.AddError($"--period: '{v}' is not a number of seconds between 0.1 and 86400");
            return null;
        }

        return TimeSpan.FromSeconds(seconds);
    }

    private static string? ParseConfig(ArgumentResult result)
    {
        string file = result.Tokens[0].Value;
        if (!File.Exists(file))
        {
            result.AddError($"--config: file '{file}' does not exist");
            return null;
        }

        return file;
    }

    private static string? ParseJournal(ArgumentResult result)
    {
        string file = result.Tokens[0].Value;
        if (string.IsNullOrWhiteSpace(file))
        {
            result.AddError("--journal: the file name is empty");
            return null;
        }

        return file;
    }

    private static string? ParseReport(ArgumentResult result)
    {
        string v = result.Tokens[0].Value;
        if (v is not ("none" or "vms"))
        {
            result.AddError($"--report: '{v}' is not none or vms");
            return null;
        }

        return v;
    }

    private static MetricsExport ParseMetrics(ArgumentResult result)
    {
        string v = result.Tokens[0].Value;
        switch (v)
        {
            case "none":
                return new(MetricsExportKind.None, 0);
            case "console":
                return new(MetricsExportKind.Console, 0);
            case "prometheus":
                return MetricsExport.Default;
        }

        if (v.StartsWith("prometheus:", StringComparison.Ordinal)
            && int.TryParse(v.AsSpan("prometheus:".Length), NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port is > 0 and < 65536)
        {
            return new(MetricsExportKind.Prometheus, port);
        }

        result.AddError($"--metrics: '{v}' is not none, console, prometheus or prometheus:PORT");
        return default;
    }
}
