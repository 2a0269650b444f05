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
internal readonly record struct MetricsExport(MetricsExportKind Kind, int Port);

/// <summary>The command line: a few switches mapped onto configuration keys (appsettings.json holds the rest).</summary>
internal sealed class HostArguments
{
    public const string Usage = """
        rescoin-host: ResCoin resource scheduler for the VMs of a KVM host (libvirt).

        usage: rescoin-host [options]
          --connect URI        libvirt connection URI (default qemu:///system)
          --dry-run            log and print every decision, change nothing
          --period SECONDS     control period (default 8)
          --config FILE        an extra JSON configuration file (after appsettings.json)
          --journal FILE       the original-settings journal (default /var/lib/rescoin/libvirt-journal.json)
          --metrics KIND       none | console | prometheus[:PORT] (default prometheus:9464, on 127.0.0.1)
          -h, --help           this text
        Other settings (templates per VM, reserves, capacities, policy, predictor): appsettings.json, section "ResCoin",
        or environment variables such as ResCoin__Policy=share.
        """;

    public Dictionary<string, string?> Overrides { get; } = new(StringComparer.OrdinalIgnoreCase);

    public string? ConfigFile { get; private set; }

    public bool Help { get; private set; }

    public MetricsExport Metrics { get; private set; } = new(MetricsExportKind.Prometheus, 9464);

    /// <summary>Parses the arguments; throws <see cref="ArgumentException"/> with a one-line message naming the bad option.</summary>
    public static HostArguments Parse(IReadOnlyList<string> args)
    {
        var r = new HostArguments();
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            string? inline = null;
            int eq = a.IndexOf('=', StringComparison.Ordinal);
            if (a.StartsWith("--", StringComparison.Ordinal) && eq > 0)
            {
                inline = a[(eq + 1)..];
                a = a[..eq];
            }

            switch (a)
            {
                case "-h":
                case "--help":
                    r.Help = true;
                    break;
                case "--dry-run":
                    r.Overrides["ResCoin:DryRun"] = "true";
                    r.Overrides["ResCoin:Libvirt:DryRun"] = "true";
                    break;
                case "--connect":
                {
                    string uri = Value(args, ref i, a, inline);
                    if (!uri.Contains("://", StringComparison.Ordinal))
                    {
                        throw new ArgumentException($"--connect: '{uri}' is not a libvirt URI (e.g. qemu:///system)");
                    }

                    r.Overrides["ResCoin:Libvirt:ConnectionUri"] = uri;
                    break;
                }

                case "--period":
                {
                    string v = Value(args, ref i, a, inline);
                    if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) || !(seconds >= 0.1) || seconds > 86_400)
                    {
                        throw new ArgumentException($"--period: '{v}' is not a number of seconds between 0.1 and 86400");
                    }

                    r.Overrides["ResCoin:Period"] = TimeSpan.FromSeconds(seconds).ToString("c", CultureInfo.InvariantCulture);
                    break;
                }

                case "--config":
                {
                    string file = Value(args, ref i, a, inline);
                    if (!File.Exists(file))
                    {
                        throw new ArgumentException($"--config: file '{file}' does not exist");
                    }

                    r.ConfigFile = file;
                    break;
                }

                case "--journal":
                    r.Overrides["ResCoin:Libvirt:JournalPath"] = Value(args, ref i, a, inline);
                    break;
                case "--metrics":
                    r.Metrics = ParseMetrics(Value(args, ref i, a, inline));
                    break;
                default:
                    throw new ArgumentException($"unknown option '{args[i]}'");
            }
        }

        return r;
    }

    private static MetricsExport ParseMetrics(string v)
    {
        if (v == "none")
        {
            return new(MetricsExportKind.None, 0);
        }

        if (v == "console")
        {
            return new(MetricsExportKind.Console, 0);
        }

        if (v == "prometheus")
        {
            return new(MetricsExportKind.Prometheus, 9464);
        }

        if (v.StartsWith("prometheus:", StringComparison.Ordinal)
            && int.TryParse(v.AsSpan("prometheus:".Length), NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port is > 0 and < 65536)
        {
            return new(MetricsExportKind.Prometheus, port);
        }

        throw new ArgumentException($"--metrics: '{v}' is not none, console, prometheus or prometheus:PORT");
    }

    private static string Value(IReadOnlyList<string> args, ref int i, string name, string? inline)
    {
        if (inline is not null)
        {
            return inline;
        }

        if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
        {
            throw new ArgumentException($"{name} needs a value");
        }

        return args[++i];
    }
}
