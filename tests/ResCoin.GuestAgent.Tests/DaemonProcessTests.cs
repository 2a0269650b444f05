using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;
using ResCoin.GuestAgent;
using ResCoin.Testing;

namespace ResCoin.GuestAgent.Tests;

/// <summary>Starts the agent sample (rescoin-guest-agent) as a separate process and talks to it.</summary>
public partial class DaemonProcessTests
{
    private static string? FindAgentDll()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "ResCoin.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        if (dir is null)
        {
            return null;
        }

        string configuration = typeof(DaemonProcessTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        string dll = Path.Combine(dir, "samples", "ResCoin.GuestAgent", "bin", configuration, "net10.0", "rescoin-guest-agent.dll");
        return File.Exists(dll) ? dll : null;
    }

    private static Process Start(string dll, string arguments)
    {
        var info = new ProcessStartInfo("dotnet", $"\"{dll}\" {arguments}")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        return Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet");
    }

    [SkippableFact]
    public async Task Agent_AsProcess_AnswersOverTcpLoopback_AndExitsCleanlyOnSigterm()
    {
        string? dll = FindAgentDll();
        Prerequisite.Require(dll is not null, "the built agent sample (samples/ResCoin.GuestAgent/bin/<configuration>/net10.0/rescoin-guest-agent.dll)");
        using Process agent = Start(dll!, "--tcp 127.0.0.1:0 --no-vsock");
        try
        {
            var stderr = new System.Collections.Concurrent.ConcurrentQueue<string>();
            var listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            agent.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is null)
                {
                    return;
                }

                stderr.Enqueue(e.Data);
                Match m = ListeningLine().Match(e.Data);
                if (m.Success)
                {
                    listening.TrySetResult(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
                }
            };
            agent.BeginErrorReadLine();
            int port = await listening.Task.WaitAsync(TimeSpan.FromSeconds(30));

            var client = new GuestAgentClient(GuestAgentEndpoint.Tcp("127.0.0.1", port), TimeSpan.FromSeconds(5));
            GuestAgentQueryResult first = await client.QueryAsync();
            GuestAgentQueryResult second = await client.QueryAsync();
            Assert.True(first.IsSuccess, first.Detail);
            Assert.True(second.IsSuccess, second.Detail);
            Assert.Equal(first.Report.InstanceId, second.Report.InstanceId);
            Assert.True(second.Report.Sequence > first.Report.Sequence);
            Assert.True(MemInfoParser.TryParse(File.ReadAllText("/proc/meminfo"), out MemInfoValues here, out _));
            Assert.Equal(here.MemTotal, first.Report.MemTotal);

            using (Process kill = Process.Start("kill", $"-TERM {agent.Id}"))
            {
                await kill.WaitForExitAsync();
            }

            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await agent.WaitForExitAsync(cts.Token);
            Assert.Equal(0, agent.ExitCode);
            Assert.Contains(stderr, l => l.Contains("stopped after", StringComparison.Ordinal));
        }
        finally
        {
            if (!agent.HasExited)
            {
                agent.Kill(entireProcessTree: true);
            }
        }
    }

    [SkippableTheory]
    [InlineData("--tcp 0.0.0.0", "--tcp")]
    [InlineData("--no-vsock", "--no-vsock needs --tcp")]
    [InlineData("--tcp 127.0.0.1:0 --max-connections 0", "--max-connections")]
    [InlineData("query vsock:x", "CID 'x'")]
    [InlineData("--tcp 127.0.0.1:0 --host 0.0.0.0", "--host: '0.0.0.0'")]
    [InlineData("--tcp 127.0.0.1:0 --max-connections-per-source 0", "--max-connections-per-source")]
    [InlineData("--tcp 127.0.0.1:0 --idle-timeout 0", "--idle-timeout")]
    public async Task Agent_BadArguments_OneLineErrorNoStackTrace(string arguments, string expected)
    {
        string? dll = FindAgentDll();
        Prerequisite.Require(dll is not null, "the built agent sample (samples/ResCoin.GuestAgent/bin/<configuration>/net10.0/rescoin-guest-agent.dll)");
        using Process agent = Start(dll!, arguments);
        Task<string> stderr = agent.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await agent.WaitForExitAsync(cts.Token);
        string text = (await stderr).Trim();
        Assert.Equal(2, agent.ExitCode);
        Assert.Contains(expected, text, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        Assert.Single(text.Split('\n'));
    }

    [GeneratedRegex(@"listening on tcp:127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningLine();
}
