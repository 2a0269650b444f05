using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using ResCoin.GuestAgent;
using ResCoin.Testing;
using Xunit.Abstractions;

namespace ResCoin.GuestAgent.Tests;

/// <summary>
/// The agent as it ships into guests: published trimmed, single-file and self-contained (a trimmer bug once made exactly
/// this build stop answering after a few hundred queries and ignore SIGTERM, while every untrimmed test passed). Under
/// CI=true the test publishes it into <c>artifacts/guest-agent-trimmed</c> (its own build tree in
/// <c>artifacts/guest-agent-build</c>, so it never touches the solution's obj folders) and exercises it; outside CI it
/// skips unless RESCOIN_TRIMMED_AGENT=1 (the publish takes one to three minutes on a small machine).
/// </summary>
[Collection(nameof(RunsAlone))]
public partial class TrimmedAgentTests(ITestOutputHelper output)
{
    private static readonly SemaphoreSlim PublishGate = new(1, 1);
    private static string? s_published;

    private static string RepositoryRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "ResCoin.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return dir ?? throw new InvalidOperationException("ResCoin.sln not found above the test binaries");
    }

    /// <summary>Publishes the trimmed single file once per test run and returns its path.</summary>
    private async Task<string> PublishAsync()
    {
        bool wanted = Prerequisite.IsCi || Environment.GetEnvironmentVariable("RESCOIN_TRIMMED_AGENT") == "1";
        Skip.IfNot(wanted, "publishing the trimmed single-file agent runs under CI=true or with RESCOIN_TRIMMED_AGENT=1");
        await PublishGate.WaitAsync();
        try
        {
            if (s_published is not null)
            {
                return s_published;
            }

            string root = RepositoryRoot();
            string outputDir = Path.Combine(root, "artifacts", "guest-agent-trimmed");
            var info = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = root,
            };
            foreach (string a in (string[])[
                "publish", Path.Combine("samples", "ResCoin.GuestAgent", "ResCoin.GuestAgent.Daemon.csproj"),
                "-c", "Release", "-r", "linux-x64", "-p:PublishTrimmed=true", "-p:PublishSingleFile=true", "--self-contained",
                "--artifacts-path", Path.Combine(root, "artifacts", "guest-agent-build"), "-o", outputDir, "-nologo", "-v", "q"])
            {
                info.ArgumentList.Add(a);
            }

            // The test host inherits MSBuild variables from `dotnet test`; a nested build must find its own.
            foreach (string key in info.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
            {
                info.Environment.Remove(key);
            }

            var watch = Stopwatch.StartNew();
            using Process publish = Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet publish");
            Task<string> stdout = publish.StandardOutput.ReadToEndAsync();
            Task<string> stderr = publish.StandardError.ReadToEndAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(10));
            await publish.WaitForExitAsync(cts.Token);
            string log = (await stdout) + (await stderr);
            Assert.True(publish.ExitCode == 0, $"dotnet publish failed ({publish.ExitCode}): {log}");
            string file = Path.Combine(outputDir, "rescoin-guest-agent");
            Assert.True(File.Exists(file), $"no {file} after publishing");
            output.WriteLine($"published {file} ({new FileInfo(file).Length} bytes) in {watch.Elapsed.TotalSeconds:0} s");
            s_published = file;
            return file;
        }
        finally
        {
            PublishGate.Release();
        }
    }

    private static Process Start(string file, IEnumerable<string> arguments, ConcurrentQueue<string> stderr, TaskCompletionSource<int>? listening = null)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        Process process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            stderr.Enqueue(e.Data);
            if (listening is not null && ListeningLine().Match(e.Data) is { Success: true } m)
            {
                listening.TrySetResult(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            }
        };
        process.BeginErrorReadLine();
        return process;
    }

    [SkippableFact]
    public async Task TrimmedSingleFile_AnswersThousandsOfQueries_ThenExitsZeroOnSigterm()
    {
        string file = await PublishAsync();
        var stderr = new ConcurrentQueue<string>();
        var listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        using Process agent = Start(file, ["--tcp", "127.0.0.1:0", "--no-vsock", "--host", "127.0.0.1"], stderr, listening);
        try
        {
            int port = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
            var endpoint = GuestAgentEndpoint.Tcp("127.0.0.1", port);

            // Sequential queries first (the old hang came after 15 to ~800), then four clients at once (lock contention).
            const int Sequential = 2000;
            const int Clients = 4;
            const int EachConcurrent = 500;
            var watch = Stopwatch.StartNew();
            var client = new GuestAgentClient(endpoint, TimeSpan.FromSeconds(10));
            ulong lastSequence = 0;
            for (int i = 0; i < Sequential; i++)
            {
                GuestAgentQueryResult r = await client.QueryAsync();
                Assert.True(r.IsSuccess, $"sequential query {i + 1}: {r}");
                Assert.True(r.Report.Sequence > lastSequence, $"query {i + 1}: sequence {r.Report.Sequence} after {lastSequence}");
                lastSequence = r.Report.Sequence;
            }

            TimeSpan sequentialTime = watch.Elapsed;
            int[] answered = new int[Clients];
            await Task.WhenAll(Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
            {
                var mine = new GuestAgentClient(endpoint, TimeSpan.FromSeconds(10));
                for (int i = 0; i < EachConcurrent; i++)
                {
                    GuestAgentQueryResult r = await mine.QueryAsync();
                    Assert.True(r.IsSuccess, $"client {c} query {i + 1}: {r}");
                    answered[c]++;
                }
            }))).WaitAsync(TimeSpan.FromMinutes(3));
            Assert.Equal(Clients * EachConcurrent, answered.Sum());
            TimeSpan queryTime = watch.Elapsed;

            using (Process kill = Process.Start("kill", ["-TERM", agent.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            var stopWatch = Stopwatch.StartNew();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await agent.WaitForExitAsync(cts.Token);
            Assert.Equal(0, agent.ExitCode);
            string stopped = stderr.FirstOrDefault(l => l.Contains("stopped after", StringComparison.Ordinal)) ?? string.Empty;
            Assert.Contains($"and {Sequential + (Clients * EachConcurrent)} reports", stopped, StringComparison.Ordinal);
            output.WriteLine($"trimmed single file: {Sequential} sequential queries in {sequentialTime.TotalSeconds:0.0} s, then {Clients}x{EachConcurrent} concurrent in {(queryTime - sequentialTime).TotalSeconds:0.0} s; SIGTERM -> exit 0 in {stopWatch.ElapsedMilliseconds} ms: '{stopped}'");
        }
        finally
        {
            if (!agent.HasExited)
            {
                agent.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>
    /// The impersonation hole: with the default (privileged) port, a guest user who is not root cannot start a stand-in
    /// for a stopped agent. Run as user nobody through setpriv, the agent binary itself fails to bind port 458 with a
    /// one-line error, while the same user may bind an unprivileged port (so it is the port that stops it).
    /// </summary>
    [SkippableFact]
    public async Task TrimmedSingleFile_AsNonRootUser_CannotBindTheDefaultPort()
    {
        Assert.True(GuestAgentProtocol.DefaultPort < 1024, "the default port must be privileged");
        string file = await PublishAsync();
        bool root = Environment.UserName == "root" && File.Exists("/usr/bin/setpriv");
        Prerequisite.Require(root, "root and /usr/bin/setpriv (to run the agent as user nobody)");
        string[] asNobody = ["--reuid=65534", "--regid=65534", "--clear-groups", file];

        var stderr = new ConcurrentQueue<string>();
        using (Process denied = Start("/usr/bin/setpriv", [.. asNobody, "--no-vsock", "--tcp", $"127.0.0.1:{GuestAgentProtocol.DefaultPort}"], stderr))
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await denied.WaitForExitAsync(cts.Token);
            Assert.Equal(2, denied.ExitCode);
        }

        string line = Assert.Single(stderr);
        Assert.Contains("Permission denied", line, StringComparison.Ordinal);
        Assert.Contains("below 1024", line, StringComparison.Ordinal);

        var allowed = new ConcurrentQueue<string>();
        var listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        using Process unprivileged = Start("/usr/bin/setpriv", [.. asNobody, "--no-vsock", "--tcp", "127.0.0.1:0"], allowed, listening);
        try
        {
            await listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
            var watch = Stopwatch.StartNew(); // the warning is logged right after the listening line
            while (!allowed.Any(l => l.Contains("unprivileged port", StringComparison.Ordinal)) && watch.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(20);
            }

            Assert.Contains(allowed, l => l.Contains("unprivileged port", StringComparison.Ordinal));
        }
        finally
        {
            unprivileged.Kill(entireProcessTree: true);
        }

        output.WriteLine($"as nobody: '{line}'");
    }

    [GeneratedRegex(@"listening on tcp:127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningLine();
}
