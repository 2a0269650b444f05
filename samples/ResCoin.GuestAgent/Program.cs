using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using ResCoin.GuestAgent;
using ResCoin.GuestAgent.Daemon;

// rescoin-guest-agent: the in-guest memory agent (the 2014 prototype's gmmagent, made safe).
// Runs in the foreground, logs to stderr, stops cleanly on SIGTERM / Ctrl+C.
var vsockPort = new Option<uint>("--vsock-port")
{
    Description = "vsock port to listen on (any CID; the host reaches it as vsock:GUEST_CID:PORT); keep it below 1024 so only root can bind it",
    DefaultValueFactory = _ => GuestAgentProtocol.DefaultPort,
};
var noVsock = new Option<bool>("--no-vsock") { Description = "do not listen on AF_VSOCK (then --tcp is required)" };
var tcp = new Option<string?>("--tcp")
{
    Description = "also listen on TCP at ADDRESS:PORT (an IP address you name, e.g. 192.168.122.10:458 or [fd00::5]:458; port 0 picks one)",
    HelpName = "ADDRESS:PORT",
};
var host = new Option<string[]>("--host")
{
    Description = "a TCP peer address that is the ResCoin host (repeatable): its connections get the reserved slots and no per-source limit (over vsock the host is CID 2)",
    HelpName = "ADDRESS",
    AllowMultipleArgumentsPerToken = false,
};
var reserved = new Option<int>("--reserved-host-connections")
{
    Description = "connection slots only the host may use, on top of --max-connections",
    DefaultValueFactory = _ => GuestAgentServerOptions.DefaultReservedHostConnections,
};
var perSource = new Option<int>("--max-connections-per-source")
{
    Description = "connections at once from one source that is not the host (one IP address, or one vsock CID)",
    DefaultValueFactory = _ => GuestAgentServerOptions.DefaultMaxConnectionsPerSource,
};
var maxRequests = new Option<int>("--max-requests-per-connection")
{
    Description = "a connection is closed after this many answers",
    DefaultValueFactory = _ => GuestAgentServerOptions.DefaultMaxRequestsPerConnection,
};
var idleTimeout = new Option<double>("--idle-timeout")
{
    Description = "seconds a connection may take to send its next request after an answer",
    DefaultValueFactory = _ => 1,
};
var maxConnections = new Option<int>("--max-connections")
{
    Description = "connections served at once (besides the host's reserved ones); a further one is closed at once",
    DefaultValueFactory = _ => GuestAgentServerOptions.DefaultMaxConnections,
};
var readTimeout = new Option<double>("--read-timeout")
{
    Description = "seconds a new connection may take to send its first whole request",
    DefaultValueFactory = _ => 5,
};
var memInfo = new Option<string>("--meminfo") { Description = "file to read on every request", DefaultValueFactory = _ => "/proc/meminfo", Hidden = true };
var verbose = new Option<bool>("--verbose", "-v") { Description = "log every refused connection (debug level)" };

var root = new RootCommand("ResCoin in-guest memory agent: answers the host's memory requests from /proc/meminfo over AF_VSOCK and/or TCP.")
{
    vsockPort, noVsock, tcp, host, maxConnections, reserved, perSource, maxRequests, readTimeout, idleTimeout, memInfo, verbose,
};
root.SetAction(async (parse, invocationToken) =>
{
    // SIGTERM (systemd stop) and SIGINT (Ctrl+C) stop the agent gracefully. Registered here rather than left to
    // System.CommandLine, whose handling did not take effect in the trimmed single-file build (it exited 143 mid-stop).
    using var stop = CancellationTokenSource.CreateLinkedTokenSource(invocationToken);
    using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
    CancellationToken cancellationToken = stop.Token;
    void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        stop.Cancel();
    }

    using var loggerFactory = new StderrLoggerFactory(parse.GetValue(verbose) ? LogLevel.Debug : LogLevel.Information);
    ILogger log = loggerFactory.CreateLogger("rescoin-guest-agent");
    var options = new GuestAgentServerOptions
    {
        VsockPort = parse.GetValue(noVsock) ? null : parse.GetValue(vsockPort),
        MaxConnections = parse.GetValue(maxConnections),
        ReservedHostConnections = parse.GetValue(reserved),
        MaxConnectionsPerSource = parse.GetValue(perSource),
        MaxRequestsPerConnection = parse.GetValue(maxRequests),
        MemInfoPath = parse.GetValue(memInfo)!,
    };
    foreach (string address in parse.GetValue(host) ?? [])
    {
        if (!IPAddress.TryParse(address, out IPAddress? parsed) || parsed.Equals(IPAddress.Any) || parsed.Equals(IPAddress.IPv6Any))
        {
            return Fail($"--host: '{address}' is not the host's IP address (e.g. 192.168.122.1 or fd00::1)");
        }

        options.HostAddresses.Add(parsed);
    }

    string? tcpText = parse.GetValue(tcp);
    if (tcpText is not null)
    {
        if (!TryParseListenAddress(tcpText, out IPEndPoint? endPoint))
        {
            return Fail($"--tcp: '{tcpText}' is not ADDRESS:PORT with an IP address (e.g. 127.0.0.1:458 or [fd00::5]:458)");
        }

        options.TcpEndPoint = endPoint;
    }

    double seconds = parse.GetValue(readTimeout);
    if (!(seconds > 0 && seconds <= 3600))
    {
        return Fail($"--read-timeout: {seconds.ToString(CultureInfo.InvariantCulture)} must be more than 0 and at most 3600 seconds");
    }

    options.ReadTimeout = TimeSpan.FromSeconds(seconds);
    double idle = parse.GetValue(idleTimeout);
    if (!(idle > 0 && idle <= 3600))
    {
        return Fail($"--idle-timeout: {idle.ToString(CultureInfo.InvariantCulture)} must be more than 0 and at most 3600 seconds");
    }

    options.IdleTimeout = TimeSpan.FromSeconds(idle);
    if (options.MaxConnections is < 1 or > 65_536)
    {
        return Fail($"--max-connections: {options.MaxConnections} must be from 1 to 65536");
    }

    if (options.ReservedHostConnections is < 0 or > 1024)
    {
        return Fail($"--reserved-host-connections: {options.ReservedHostConnections} must be from 0 to 1024");
    }

    if (options.MaxConnectionsPerSource is < 1 or > 65_536)
    {
        return Fail($"--max-connections-per-source: {options.MaxConnectionsPerSource} must be from 1 to 65536");
    }

    if (options.MaxRequestsPerConnection is < 1 or > 1_000_000)
    {
        return Fail($"--max-requests-per-connection: {options.MaxRequestsPerConnection} must be from 1 to 1000000");
    }

    if (options.VsockPort is null && options.TcpEndPoint is null)
    {
        return Fail("--no-vsock needs --tcp ADDRESS:PORT: the agent must listen somewhere");
    }

    GuestAgentServer? server = null;
    try
    {
        server = Start(options, loggerFactory);
    }
    catch (IOException ex) when (options.VsockPort is not null && options.TcpEndPoint is not null)
    {
        Log.VsockUnavailable(log, options.VsockPort.Value, ex.Message);
        options.VsockPort = null;
        try
        {
            server = Start(options, loggerFactory);
        }
        catch (System.Net.Sockets.SocketException tcpError)
        {
            return Fail($"cannot listen on tcp {options.TcpEndPoint}: {tcpError.Message}{PrivilegeHint(tcpError)}");
        }
    }
    catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException)
    {
        return Fail(options.TcpEndPoint is not null && ex is System.Net.Sockets.SocketException
            ? $"cannot listen on tcp {options.TcpEndPoint}: {ex.Message}{PrivilegeHint(ex)}"
            : $"cannot listen on vsock port {options.VsockPort}: {ex.Message}{(PrivilegeHint(ex) is { Length: > 0 } hint ? hint : " (is the virtio vsock device and vmw_vsock_virtio_transport loaded?)")}");
    }

    await using (server.ConfigureAwait(false))
    {
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Log.Stopping(log);
        }

        await server.StopAsync(CancellationToken.None).ConfigureAwait(false);
    }

    return 0;
});

var endpointArgument = new Argument<string>("endpoint") { Description = "vsock:CID[:PORT] or tcp:HOST[:PORT]" };
var queryTimeout = new Option<double>("--timeout") { Description = "seconds to wait for the answer", DefaultValueFactory = _ => 2 };
var query = new Command("query", "Ask an agent once and print its report (for operators and tests).") { endpointArgument, queryTimeout };
query.SetAction(async (parse, cancellationToken) =>
{
    if (!GuestAgentEndpoint.TryParse(parse.GetValue(endpointArgument), out GuestAgentEndpoint? endpoint, out string? error))
    {
        return Fail(error);
    }

    double seconds = parse.GetValue(queryTimeout);
    if (!(seconds > 0 && seconds <= 300))
    {
        return Fail($"--timeout: {seconds.ToString(CultureInfo.InvariantCulture)} must be more than 0 and at most 300 seconds");
    }

    var client = new GuestAgentClient(endpoint, TimeSpan.FromSeconds(seconds));
    GuestAgentQueryResult result = await client.QueryAsync(cancellationToken).ConfigureAwait(false);
    if (!result.IsSuccess)
    {
        return Fail(result.Detail ?? result.Status.ToString());
    }

    GuestMemoryReport r = result.Report;
    Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
        endpoint      {endpoint}
        instance      {r.InstanceId:x16}
        sequence      {r.Sequence}
        timestamp     {r.Timestamp:O}
        MemTotal      {r.MemTotal}
        MemAvailable  {r.MemAvailable}{(r.Flags.HasFlag(GuestMemoryReportAttributes.MemAvailableEstimated) ? " (estimated)" : string.Empty)}
        MemFree       {r.MemFree}
        Buffers       {r.Buffers}
        Cached        {r.Cached}
        SwapTotal     {r.SwapTotal}
        SwapFree      {r.SwapFree}
        used          {r.UsedBytes}
        """));
    return 0;
});
root.Add(query);

ParseResult parsed = root.Parse(args);
return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }).ConfigureAwait(false);

static GuestAgentServer Start(GuestAgentServerOptions options, ILoggerFactory loggerFactory)
{
    var server = new GuestAgentServer(options, TimeProvider.System, loggerFactory.CreateLogger<GuestAgentServer>());
    try
    {
        server.Start();
        return server;
    }
    catch
    {
        server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        throw;
    }
}

static bool TryParseListenAddress(string text, out IPEndPoint? endPoint)
{
    // ADDRESS:PORT with an IP literal and an explicit port (IPEndPoint.TryParse alone would accept a missing port).
    endPoint = null;
    int colon = text.LastIndexOf(':');
    if (colon <= 0 || colon == text.Length - 1 || text.Length - colon - 1 > 5 || text.AsSpan(colon + 1).ContainsAnyExceptInRange('0', '9'))
    {
        return false;
    }

    bool bracketed = text[0] == '[' && text[colon - 1] == ']';
    if (!bracketed && text.AsSpan(0, colon).Contains(':'))
    {
        return false;
    }

    return IPEndPoint.TryParse(text, out endPoint);
}

// Ports below 1024 are privileged on purpose (only root can stand in for the agent): say so when that is the reason.
static string PrivilegeHint(Exception ex) =>
    ex is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AccessDenied }
        || ex.Message.Contains("Permission denied", StringComparison.OrdinalIgnoreCase) || ex.Message.Contains("EACCES", StringComparison.Ordinal)
        ? " (ports below 1024 need root or CAP_NET_BIND_SERVICE)"
        : string.Empty;

static int Fail(string message)
{
    Console.Error.WriteLine($"rescoin-guest-agent: {message}");
    return 2;
}

/// <summary>The daemon's own log events.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Warning, Message = "vsock port {Port} unavailable ({Reason}); serving TCP only")]
    public static partial void VsockUnavailable(ILogger logger, uint port, string reason);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "stopping")]
    public static partial void Stopping(ILogger logger);
}
