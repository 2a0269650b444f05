using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ResCoin;
using ResCoin.CgroupScheduler;
using ResCoin.Cgroups;
using ResCoin.Scheduling;

// rescoin-cgroups: schedules a set of cgroups (containers, systemd slices, VM scopes) with ResCoin instead of libvirt
// domains. Every period it measures each cgroup, predicts, allocates with resource coins and writes the result to the
// cgroup files (cpu.max/cpu.weight, memory.high, io.max on v2; cfs quota/shares, soft limit, blkio throttles on v1).
// Stopping it (Ctrl+C, SIGTERM) restores every original value.
var cgroups = new Option<string[]>("--cgroup", "-c")
{
    Description = "a cgroup path or glob pattern relative to the hierarchy root (repeatable), e.g. machine.slice/*.scope",
    Required = true,
    AllowMultipleArgumentsPerToken = false,
};
var dryRun = new Option<bool>("--dry-run") { Description = "log what would be written and change nothing" };
var period = new Option<double>("--period", "-p") { Description = "control period in seconds", DefaultValueFactory = _ => 8 };
var resources = new Option<string>("--resources")
{
    Description = "scheduled resources, comma-separated: cpu, memory, diskRead, diskWrite",
    DefaultValueFactory = _ => "cpu,memory",
};
var cpuCapacity = new Option<double?>("--cpu-capacity") { Description = "cores to share among the cgroups (default: the host's CPUs)" };
var devices = new Option<string[]>("--device") { Description = "block device MAJ:MIN to throttle disk on (repeatable)" };
var diskCapacity = new Option<double?>("--disk-capacity") { Description = "disk read and write capacity in bytes/s (needed to schedule disk)" };
var policy = new Option<string>("--policy") { Description = "allocator: rescoin, static, share, drf", DefaultValueFactory = _ => "rescoin" };
var predictor = new Option<string>("--predictor") { Description = "predictor: last, ewma, holt, fastslow, percentile, adaptive", DefaultValueFactory = _ => "ewma" };
var journal = new Option<string>("--journal") { Description = "file recording original settings", DefaultValueFactory = _ => CgroupOptions.DefaultJournalPath };
var quiet = new Option<bool>("--quiet", "-q") { Description = "do not print a line per cgroup and period" };
var readThreads = new Option<int>("--read-threads")
{
    Description = "threads that read the cgroups' files each period (1-64; more help with hundreds of cgroups and free cores)",
    DefaultValueFactory = _ => CgroupOptions.DefaultReadThreads,
};

var root = new RootCommand("rescoin-cgroups: schedule cgroups with ResCoin (resource coins)")
{
    cgroups, dryRun, period, resources, cpuCapacity, devices, diskCapacity, policy, predictor, journal, quiet, readThreads,
};

root.SetAction(async (parse, cancellationToken) =>
{
    if (!TryParseResources(parse.GetValue(resources)!, out ResourceSet set, out string? bad))
    {
        await Console.Error.WriteLineAsync($"rescoin-cgroups: --resources: '{bad}' is not one of cpu, memory, diskRead, diskWrite").ConfigureAwait(false);
        return 2;
    }

    double seconds = parse.GetValue(period);
    if (!(seconds > 0) || !double.IsFinite(seconds))
    {
        await Console.Error.WriteLineAsync($"rescoin-cgroups: --period must be a positive number of seconds (got {seconds.ToString(CultureInfo.InvariantCulture)})").ConfigureAwait(false);
        return 2;
    }

    try
    {
        IHost host = Host.CreateDefaultBuilder()
            .UseSystemd()
            .ConfigureServices(services =>
            {
                IResCoinBuilder rescoin = services.AddResCoin(o =>
                {
                    o.Period = TimeSpan.FromSeconds(seconds);
                    o.DryRun = parse.GetValue(dryRun);
                    o.Resources = set;
                    o.Policy = parse.GetValue(policy)!;
                    o.Predictor = parse.GetValue(predictor)!;
                    if (parse.GetValue(cpuCapacity) is double cores)
                    {
                        o.Capacity.Cpu = cores;
                    }
                });
                services.AddResCoinCgroups(o =>
                {
                    o.Cgroups = parse.GetValue(cgroups)!;
                    o.Devices = parse.GetValue(devices) ?? [];
                    o.JournalPath = parse.GetValue(journal)!;
                    o.ReadThreads = parse.GetValue(readThreads);
                    if (parse.GetValue(diskCapacity) is double disk)
                    {
                        o.DiskReadCapacity = disk;
                        o.DiskWriteCapacity = disk;
                    }
                });
                if (!parse.GetValue(quiet))
                {
                    // One line per cgroup and period: what the controller decided (see ConsolePeriodObserver).
                    rescoin.AddObserver<ConsolePeriodObserver>();
                }

                services.AddResCoinHostedService();
            })
            .Build();

        await host.RunAsync(cancellationToken).ConfigureAwait(false);
        return 0;
    }
    catch (OptionsValidationException ex)
    {
        await Console.Error.WriteLineAsync("rescoin-cgroups: invalid configuration: " + string.Join("; ", ex.Failures)).ConfigureAwait(false);
        return 1;
    }
    catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or CgroupFormatException or IOException or UnauthorizedAccessException)
    {
        // No cgroup hierarchy, a bad device or name, a malformed kernel file (names the file and line), no permission.
        await Console.Error.WriteLineAsync("rescoin-cgroups: " + ex.Message).ConfigureAwait(false);
        return 1;
    }
});

return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }).ConfigureAwait(false);

static bool TryParseResources(string text, out ResourceSet set, out string? bad)
{
    set = ResourceSet.None;
    bad = null;
    foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
    {
        if (!ResourceKinds.TryParse(part, out ResourceKind kind) || kind is ResourceKind.NetRx or ResourceKind.NetTx)
        {
            bad = part;
            return false;
        }

        set = set.With(kind);
    }

    bad = text;
    return set != ResourceSet.None;
}
