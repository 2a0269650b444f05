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
    Description = "vsock port to listen on (any CID; the host reaches it as vsock:GUEST_CID:PORT)",
    DefaultValueFactory = _ => GuestAgentProtocol.DefaultPort,
};
var noVsock = new Option<bool>("--no-vsock") { Description = "do not listen on AF_VSOCK (then --tcp is required)" };
var tcp = new Option<string?>("--tcp")
{
    Description = "also listen on TCP at ADDRESS:PORT (an IP address you name, e.g. 192.168.122.10:4588 or [fd00::5]:4588; port 0 picks one)",
    HelpName = "ADDRESS:PORT",
};
var maxConnections = new Option<int>("--max-connections")
{
    Description = "connections served at once; more wait in the kernel backlog",
    DefaultValueFactory = _ => GuestAgentServerOptions.DefaultMaxConnections,
};
var readTimeout = new Option<double>("--read-timeout")
{
    Description = "seconds a connection may take to send a whole request",
    DefaultValueFactory = _ => 5,
};
var memInfo = new Option<string>("--meminfo") { Description = "file to read on every request", DefaultValueFactory = _ => "/proc/meminfo", Hidden = true };
var verbose = new Option<bool>("--verbose", "-v") { Description = "log every refused connection (debug level)" };

var root = new RootCommand("ResCoin in-guest memory agent: answers the host's memory requests from /proc/meminfo over AF_VSOCK and/or TCP.")
{
    vsockPort, noVsock, tcp, maxConnections, readTimeout, memInfo, verbose,
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
        MemInfoPath = parse.GetValue(memInfo)!,
    };
    string? tcpText = parse.GetValue(tcp);
    if (tcpText is not null)
    {
        if (!TryParseListenAddress(tcpText, out IPEndPoint? endPoint))
        {
            return Fail($"--tcp: '{tcpText}' is not ADDRESS:PORT with an IP address (e.g. 127.0.0.1:4588 or [fd00::5]:4588)");
        }

        options.TcpEndPoint = endPoint;
    }

    double seconds = parse.GetValue(readTimeout);
    if (!(seconds > 0 && seconds <= 3600))
    {
        return Fail($"--read-timeout: {seconds.ToString(CultureInfo.InvariantCulture)} must be more than 0 and at most 3600 seconds");
    }

    options.ReadTimeout = TimeSpan.FromSeconds(seconds);
    if (options.MaxConnections is < 1 or > 65_536)
    {
        return Fail($"--max-connections: {options.MaxConnections} must be from 1 to 65536");
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
            return Fail($"cannot listen on tcp {options.TcpEndPoint}: {tcpError.Message}");
        }
    }
    catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException)
    {
        return Fail(options.TcpEndPoint is not null && ex is System.Net.Sockets.SocketException
            ? $"cannot listen on tcp {options.TcpEndPoint}: {ex.Message}"
            : $"cannot listen on vsock port {options.VsockPort}: {ex.Message} (is the virtio vsock device and vmw_vsock_virtio_transport loaded?)");
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
