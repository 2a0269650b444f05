using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using ResCoin;
using ResCoin.Cgroups.Ksm;
using ResCoin.Host;
using ResCoin.Libvirt;
using ResCoin.Scheduling;

// rescoin-host: the ResCoin daemon for a KVM host. Monitors every running VM through libvirt, predicts,
// allocates with resource coins and applies the result (vCPU quota, balloon, block I/O tune, interface bandwidth).
// With guest agents configured (ResCoin:GuestAgent), memory usage comes from inside those guests.
// Stopping it (SIGINT/SIGTERM, systemctl stop) restores every VM's original settings.
(HostArguments? parsed, int exitCode) = await HostCommandLine.ParseAsync(args, Console.Out, Console.Error);
if (parsed is null)
{
    return exitCode;
}

try
{
    IHost host = Host.CreateDefaultBuilder()
        .UseContentRoot(AppContext.BaseDirectory)
        .UseSystemd()
        .ConfigureAppConfiguration((_, config) =>
        {
            if (parsed.ConfigFile is not null)
            {
                config.AddJsonFile(Path.GetFullPath(parsed.ConfigFile), optional: false, reloadOnChange: false);
            }

            config.AddInMemoryCollection(parsed.Overrides);
        })
        .ConfigureServices((context, services) =>
        {
            IConfigurationSection section = context.Configuration.GetSection(ResCoinOptions.SectionName);
            IConfigurationSection libvirt = section.GetSection("Libvirt");
            services.Configure<LibvirtOptions>(libvirt);
            if (libvirt[nameof(LibvirtOptions.MonitoredResources)] is null)
            {
                // Ask libvirtd only for the statistics groups of the scheduled resources (ResCoin:Resources).
                services.AddOptions<LibvirtOptions>().Configure<IOptions<ResCoinOptions>>(static (l, r) => l.MonitoredResources = r.Value.Resources);
            }

            IResCoinBuilder builder = services.AddResCoin(section)
                .AddLibvirt()
                // Guest agents configured (ResCoin:GuestAgent:Agents): memory usage from inside those guests.
                .AddGuestAgent(section.GetSection("GuestAgent"));

            // One line per VM per period only when asked for (--report vms, or --dry-run).
            if (parsed.ReportVms)
            {
                builder.AddObserver<PeriodPrinter>();
            }

            // KSM control, off by default (ResCoin:Ksm:Enabled = true, e.g. ResCoin__Ksm__Enabled=true): ksmd merges harder as
            // free memory falls and stops when it is plentiful; the original settings come back on stop. Dry run follows ResCoin:DryRun.
            IConfigurationSection ksm = section.GetSection(KsmOptions.SectionName);
            if (ksm.GetValue<bool>("Enabled"))
            {
                services.Configure<KsmOptions>(ksm);
                bool dryRun = section.GetValue<bool>("DryRun");
                services.AddResCoinKsm(o => o.DryRun |= dryRun);
            }

            services.AddResCoinHostedService();

            MetricsExport metrics = parsed.Metrics;
            if (metrics.Kind != MetricsExportKind.None)
            {
                services.AddOpenTelemetry().WithMetrics(m =>
                {
                    m.AddMeter("ResCoin");
                    if (metrics.Kind == MetricsExportKind.Console)
                    {
                        m.AddConsoleExporter();
                    }
                    else
                    {
                        m.AddPrometheusHttpListener(o =>
                        {
                            o.Host = "127.0.0.1";
                            o.Port = metrics.Port;
                        });
                    }
                });
            }
        })
        .Build();

    await host.RunAsync();
    return 0;
}
catch (OptionsValidationException ex)
{
    await Console.Error.WriteLineAsync("rescoin-host: invalid configuration: " + string.Join("; ", ex.Failures));
    return 1;
}
catch (Exception ex) when (ex is InvalidDataException or FormatException or InvalidOperationException or FileNotFoundException)
{
    // Bad appsettings.json (the message names the file and line) or a value that does not convert.
    await Console.Error.WriteLineAsync("rescoin-host: " + (ex.InnerException?.Message is { } inner ? ex.Message + " " + inner : ex.Message));
    return 1;
}
