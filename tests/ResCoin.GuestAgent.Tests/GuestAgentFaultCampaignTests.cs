using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FsCheck;
using FsCheck.Fluent;
using ResCoin.GuestAgent;
using Xunit.Abstractions;

namespace ResCoin.GuestAgent.Tests;

/// <summary>
/// The guest agent's half of the fault campaign (issue 13, part 5): a fuzzer for the server and for the host side,
/// connection floods, slot holders and agents that never answer. Every case asserts that the host still gets its answers
/// (or its deadline). Loopback only: hostile peers connect from 127.0.0.2 and up, the host from 127.0.0.1. Each test
/// writes one campaign line: fault, runs, checks, failures (a failure fails the test).
/// </summary>
[Collection(nameof(RunsAlone))]
public class GuestAgentFaultCampaignTests(ITestOutputHelper output)
{
    /// <summary>
    /// The host's per-query timeout in the campaign. The issue saw the host locked out for minutes; 5 s (not the 2 s
    /// default) keeps the check about lock-outs, not about a single stall of this shared 2-core machine (a load average of
    /// 15-25 from other engineers' builds and TCG guests once delayed one host answer past 2 s). Latencies are reported.
    /// </summary>
    private static readonly TimeSpan HostTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Counts checks and failures; fails the test at the end with the first few failures.</summary>
    private sealed class Campaign(string fault, ITestOutputHelper output)
    {
        private readonly List<string> _failures = [];
        private int _checks;

        public int Runs { get; set; }

        public void Check(bool ok, Func<string> what)
        {
            Interlocked.Increment(ref _checks);
            if (!ok)
            {
                lock (_failures)
                {
                    _failures.Add(what());
                }
            }
        }

        public void Finish()
        {
            output.WriteLine($"campaign | {fault} | runs {Runs} | checks {_checks} | failures {_failures.Count}");
            Assert.True(_failures.Count == 0, $"{fault}: {_failures.Count} of {_checks} checks failed: {string.Join(" | ", _failures.Take(5))}");
        }
    }

    private static async Task<GuestAgentQueryResult> HostQueryAsync(GuestAgentServer server) =>
        await new GuestAgentClient(Fixtures.EndpointOf(server), HostTimeout).QueryAsync();

    // ---------------------------------------------------------------- server fuzzer

    /// <summary>What a hostile peer inside the guest sends the agent: random, truncated, oversized, corrupted, pipelined frames.</summary>
    private static Gen<(string Kind, byte[] Bytes, bool HalfClose)> HostileRequests()
    {
        Gen<byte> anyByte = ArbMap.Default.GeneratorFor<byte>();
        Gen<ulong> anyNonce = ArbMap.Default.GeneratorFor<ulong>();
        Gen<byte[]> Bytes(int max) => Gen.Choose(0, max).SelectMany(n => Gen.ArrayOf(anyByte, n));
        byte[] Request(ulong nonce)
        {
            byte[] b = new byte[GuestAgentProtocol.RequestMessageSize];
            GuestAgentProtocol.TryWriteRequest(b, nonce, out _);
            return b;
        }

        Gen<(string, byte[])> random = Bytes(3 * GuestAgentProtocol.MaxMessageSize).Select(b => ("random", b));
        Gen<(string, byte[])> truncated =
            from nonce in anyNonce
            from cut in Gen.Choose(0, GuestAgentProtocol.RequestMessageSize - 1)
            select ("truncated", Request(nonce)[..cut]);
        Gen<(string, byte[])> oversized =
            from length in Gen.Elements(9u, 96u, 257u, 4096u, 1u << 20, 1u << 30, uint.MaxValue)
            from junk in Bytes(2048)
            select ("oversized", Headed(1, 1, length, junk));
        Gen<(string, byte[])> corrupted =
            from nonce in anyNonce
            from at in Gen.Choose(0, GuestAgentProtocol.RequestMessageSize - 1)
            from flip in Gen.Choose(1, 255)
            select ("corrupted", Corrupt(Request(nonce), at, (byte)flip));
        Gen<(string, byte[])> headed =
            from version in Gen.Elements<byte>(0, 1, 2, 255)
            from type in Gen.Elements<byte>(0, 1, 2, 3, 4, 255)
            from length in Gen.Choose(0, 300)
            from body in Bytes(300)
            select ("bad-header", Headed(version, type, (uint)length, body));
        Gen<(string, byte[])> pipelined =
            from count in Gen.Choose(2, 40)
            from tail in Bytes(40)
            select ("pipelined", Enumerable.Range(0, count).SelectMany(i => Request((ulong)i + 1)).Concat(tail).ToArray());
        Gen<(string, byte[])> frame = Gen.Frequency((2, random), (2, truncated), (2, oversized), (2, corrupted), (2, headed), (1, pipelined));
        return from f in frame
               from halfClose in ArbMap.Default.GeneratorFor<bool>()
               select (f.Item1, f.Item2, halfClose);
    }

    private static byte[] Headed(byte version, byte type, uint length, byte[] body)
    {
        byte[] b = new byte[GuestAgentProtocol.HeaderSize + body.Length];
        "RCGA"u8.CopyTo(b);
        b[4] = version;
        b[5] = type;
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8), length);
        body.CopyTo(b, GuestAgentProtocol.HeaderSize);
        return b;
    }

    private static byte[] Corrupt(byte[] bytes, int at, byte flip)
    {
        bytes[at] ^= flip;
        return bytes;
    }

    /// <summary>Reads everything the server sends until it closes (or the limit passes): returns the bytes and whether it closed.</summary>
    private static async Task<(byte[] Bytes, bool Closed)> ReadUntilClosedAsync(Socket socket, TimeSpan limit)
    {
        using var cts = new CancellationTokenSource(limit);
        var received = new List<byte>();
        byte[] chunk = new byte[4096];
        try
        {
            while (true)
            {
                int n = await socket.ReceiveAsync(chunk, SocketFlags.None, cts.Token);
                if (n == 0)
                {
                    return ([.. received], true);
                }

                received.AddRange(chunk.AsSpan(0, n));
            }
        }
        catch (OperationCanceledException)
        {
            return ([.. received], false);
        }
        catch (SocketException)
        {
            return ([.. received], true); // reset: closed
        }
    }

    /// <summary>Splits the server's output into messages: every one must be a well-formed report or error.</summary>
    private static bool AllWellFormed(byte[] bytes, out int reports, out string why)
    {
        reports = 0;
        why = string.Empty;
        int at = 0;
        while (at < bytes.Length)
        {
            ReadOnlySpan<byte> rest = bytes.AsSpan(at);
            GuestAgentProtocolStatus status = GuestAgentProtocol.TryReadHeader(rest, out GuestAgentMessageType type, out int length);
            if (status != GuestAgentProtocolStatus.Ok || rest.Length < GuestAgentProtocol.HeaderSize + length)
            {
                why = $"bad frame from the server at byte {at}: {status}";
                return false;
            }

            ReadOnlySpan<byte> message = rest[..(GuestAgentProtocol.HeaderSize + length)];
            GuestAgentProtocolStatus body = type switch
            {
                GuestAgentMessageType.MemoryReport => GuestAgentProtocol.TryReadReport(message, out _),
                GuestAgentMessageType.Error => GuestAgentProtocol.TryReadError(message, out _),
                _ => GuestAgentProtocolStatus.UnexpectedMessageType,
            };
            if (body != GuestAgentProtocolStatus.Ok)
            {
                why = $"bad {type} from the server: {body}";
                return false;
            }

            reports += type == GuestAgentMessageType.MemoryReport ? 1 : 0;
            at += message.Length;
        }

        return true;
    }

    [Fact]
    public async Task ServerFuzzer_HostileFrames_AreAnsweredWellFormedOrClosed_AndTheHostIsAlwaysAnswered()
    {
        var campaign = new Campaign("agent server fuzzer (random/truncated/oversized/corrupted/pipelined frames)", output);
        await using GuestAgentServer server = await Fixtures.StartTcpServerAsync(
            new FixtureMemInfo(Fixtures.MemInfo2G), readTimeout: TimeSpan.FromMilliseconds(400), configure: o => o.IdleTimeout = TimeSpan.FromMilliseconds(400));
        (string Kind, byte[] Bytes, bool HalfClose)[] cases = Gen.Sample(HostileRequests(), size: 50, numberOfSamples: 400);
        var perKind = new Dictionary<string, int>();
        for (int i = 0; i < cases.Length; i++)
        {
            (string kind, byte[] bytes, bool halfClose) = cases[i];
            perKind[kind] = perKind.GetValueOrDefault(kind) + 1;
            using Socket socket = await Fixtures.ConnectFromAsync(server, 2 + (i % 200));
            try
            {
                await socket.SendAsync(bytes, SocketFlags.None);
                if (halfClose)
                {
                    socket.Shutdown(SocketShutdown.Send);
                }
            }
            catch (SocketException)
            {
                // The server may already have refused the frame and closed: that is a fine outcome.
            }

            // Worst case: up to MaxRequestsPerConnection answers, each followed by an idle timeout, then the close.
            (byte[] reply, bool closed) = await ReadUntilClosedAsync(socket, TimeSpan.FromSeconds(10));
            string Hex() => $"{kind} ({bytes.Length} bytes, half-close {halfClose}): {Convert.ToHexString(bytes.AsSpan(0, Math.Min(bytes.Length, 40)))}";
            campaign.Check(closed, () => $"server kept the connection open past 10 s after {Hex()}");
            campaign.Check(AllWellFormed(reply, out int reports, out string why), () => $"{why} after {Hex()}");
            campaign.Check(reports <= GuestAgentServerOptions.DefaultMaxRequestsPerConnection, () => $"{reports} reports on one connection after {Hex()}");
            if (i % 10 == 0)
            {
                GuestAgentQueryResult host = await HostQueryAsync(server);
                campaign.Check(host.IsSuccess, () => $"host query after case {i} failed: {host}");
            }

            campaign.Runs++;
        }

        await GuestAgentServerTests.WaitUntilAsync(() => server.OpenConnections == 0);
        GuestAgentQueryResult last = await HostQueryAsync(server);
        campaign.Check(last.IsSuccess, () => $"final host query failed: {last}");
        output.WriteLine("frames per kind: " + string.Join(", ", perKind.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}")));
        campaign.Finish();
    }

    // ---------------------------------------------------------------- host-side (client) fuzzer

    /// <summary>What a hostile agent answers: random bytes, truncated or corrupted reports, oversized frames, wrong nonces.</summary>
    private static Gen<(string Kind, Func<ulong, byte[]> Reply)> HostileReplies()
    {
        Gen<byte> anyByte = ArbMap.Default.GeneratorFor<byte>();
        Gen<byte[]> Bytes(int max) => Gen.Choose(0, max).SelectMany(n => Gen.ArrayOf(anyByte, n));
        static byte[] Report(ulong nonce)
        {
            byte[] b = new byte[GuestAgentProtocol.ReportMessageSize];
            GuestAgentProtocol.TryWriteReport(b, Fixtures.Report(nonce), out _);
            return b;
        }

        Gen<(string, Func<ulong, byte[]>)> random = Bytes(3 * GuestAgentProtocol.MaxMessageSize).Select(b => ("random", (Func<ulong, byte[]>)(_ => b)));
        Gen<(string, Func<ulong, byte[]>)> truncated = Gen.Choose(0, GuestAgentProtocol.ReportMessageSize - 1)
            .Select(cut => ("truncated", (Func<ulong, byte[]>)(n => Report(n)[..cut])));
        Gen<(string, Func<ulong, byte[]>)> oversized =
            from length in Gen.Elements(97u, 257u, 4096u, 1u << 20, 1u << 30, uint.MaxValue)
            from junk in Bytes(1024)
            select ("oversized", (Func<ulong, byte[]>)(_ => Headed(1, 2, length, junk)));
        Gen<(string, Func<ulong, byte[]>)> corrupted =
            from at in Gen.Choose(0, GuestAgentProtocol.HeaderSize + 7) // header or nonce: must always be refused
            from flip in Gen.Choose(1, 255)
            select ("corrupted", (Func<ulong, byte[]>)(n => Corrupt(Report(n), at, (byte)flip)));
        Gen<(string, Func<ulong, byte[]>)> wrongNonce = ArbMap.Default.GeneratorFor<ulong>()
            .Select(delta => ("wrong-nonce", (Func<ulong, byte[]>)(n => Report(n + delta + 1))));
        Gen<(string, Func<ulong, byte[]>)> absurd = Gen.Elements(ulong.MaxValue, 1UL << 62, 64UL << 40)
            .Select(total => ("absurd-memtotal", (Func<ulong, byte[]>)(n =>
            {
                byte[] b = new byte[GuestAgentProtocol.ReportMessageSize];
                GuestAgentProtocol.TryWriteReport(b, Fixtures.Report(n) with { MemTotal = total }, out _);
                return b;
            })));
        return Gen.Frequency((2, random), (2, truncated), (2, oversized), (2, corrupted), (1, wrongNonce), (1, absurd));
    }

    [Fact]
    public async Task HostFuzzer_HostileAnswers_NeverYieldANumber_AndEndWithinTheTimeout()
    {
        var campaign = new Campaign("host-side fuzzer (random/truncated/oversized/corrupted/wrong-nonce/absurd answers)", output);
        (string Kind, Func<ulong, byte[]> Reply)[] cases = Gen.Sample(HostileReplies(), size: 50, numberOfSamples: 300);
        int current = 0;
        await using var peer = new HostilePeer((s, nonce, ct) => HostilePeer.Send(cases[Volatile.Read(ref current)].Reply(nonce))(s, nonce, ct));
        var options = new GuestAgentMonitorOptions { RequestTimeout = TimeSpan.FromSeconds(1), HostMemoryBytes = 24.0 * (1L << 30) };
        options.Agents["vm"] = peer.Endpoint;
        using var monitor = new GuestAgentMonitor(options);
        for (int i = 0; i < cases.Length; i++)
        {
            Volatile.Write(ref current, i);
            var watch = Stopwatch.StartNew();
            GuestAgentQueryResult result = await monitor.QueryAsync(new VmId("vm"), double.NaN, CancellationToken.None);
            watch.Stop();
            campaign.Check(!result.IsSuccess && double.IsNaN(result.UsedMemoryBytes), () => $"{cases[i].Kind}: a number came through: {result}");
            campaign.Check(watch.Elapsed < TimeSpan.FromSeconds(4), () => $"{cases[i].Kind}: took {watch.Elapsed}");
            campaign.Runs++;
        }

        campaign.Finish();
    }

    // ---------------------------------------------------------------- connection flood

    [Fact]
    public async Task ConnectionFlood_2000IdleConnections_TheHostIsStillAnsweredPromptly()
    {
        var campaign = new Campaign("connection flood (2 000 idle connections from 100 guest addresses)", output);
        await using GuestAgentServer server = await Fixtures.StartTcpServerAsync(new FixtureMemInfo(Fixtures.MemInfo2G), configure: o => o.Backlog = 4096);
        const int Flood = 2000;
        var idle = new Socket?[Flood];
        try
        {
            var connects = new Task[Flood];
            for (int i = 0; i < Flood; i++)
            {
                int index = i;
                connects[i] = Task.Run(async () =>
                {
                    try
                    {
                        idle[index] = await Fixtures.ConnectFromAsync(server, 2 + (index % 100));
                    }
                    catch (SocketException)
                    {
                        // A connect refused under the flood is the attacker's problem.
                    }
                });
            }

            // The host asks while the flood arrives and while it sits there.
            var latencies = new List<TimeSpan>();
            Task flood = Task.WhenAll(connects);
            for (int q = 0; q < 20; q++)
            {
                var watch = Stopwatch.StartNew();
                GuestAgentQueryResult r = await HostQueryAsync(server);
                latencies.Add(watch.Elapsed);
                campaign.Check(r.IsSuccess, () => $"host query {q} during the flood failed: {r}");
                campaign.Runs++;
                await Task.Delay(q < 10 ? 50 : 200);
            }

            await flood;
            int connected = idle.Count(s => s is not null);
            campaign.Check(server.OpenConnections <= GuestAgentServerOptions.DefaultMaxConnections + GuestAgentServerOptions.DefaultReservedHostConnections,
                () => $"server serves {server.OpenConnections} connections");
            campaign.Check(server.RejectedConnections >= Flood - GuestAgentServerOptions.DefaultMaxConnections - 10,
                () => $"only {server.RejectedConnections} of {Flood} flood connections were closed at once");
            // Each host query had to succeed within its timeout (the issue saw the host locked out for ~2 minutes);
            // the latencies are reported.
            TimeSpan worst = latencies.Max();
            output.WriteLine($"flood: {connected} connects completed, server rejected {server.RejectedConnections}, served at most {GuestAgentServerOptions.DefaultMaxConnections}+{GuestAgentServerOptions.DefaultReservedHostConnections}; host answers: median {latencies.Order().ElementAt(latencies.Count / 2).TotalMilliseconds:0.0} ms, worst {worst.TotalMilliseconds:0.0} ms");
        }
        finally
        {
            foreach (Socket? s in idle)
            {
                s?.Dispose();
            }
        }

        await GuestAgentServerTests.WaitUntilAsync(() => server.OpenConnections == 0);
        GuestAgentQueryResult after = await HostQueryAsync(server);
        campaign.Check(after.IsSuccess, () => $"host query after the flood failed: {after}");
        campaign.Finish();
    }

    // ---------------------------------------------------------------- slot holders

    /// <summary>64 peers inside the guest (one address each), each sending one valid request every few seconds on a connection it keeps.</summary>
    private static Task[] StartSlotHolders(GuestAgentServer server, int everyMilliseconds, Action answered, CancellationToken stop) =>
        Enumerable.Range(0, 64).Select(h => Task.Run(async () =>
        {
            byte[] request = new byte[GuestAgentProtocol.RequestMessageSize];
            byte[] reply = new byte[GuestAgentProtocol.MaxMessageSize];
            Socket? socket = null;
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        socket ??= await Fixtures.ConnectFromAsync(server, 2 + h, stop);
                        GuestAgentProtocol.TryWriteRequest(request, (ulong)h, out _);
                        await socket.SendAsync(request, SocketFlags.None, stop);
                        int n = await socket.ReceiveAsync(reply, SocketFlags.None, stop);
                        if (n == 0)
                        {
                            throw new SocketException((int)SocketError.ConnectionReset);
                        }

                        answered();
                    }
                    catch (SocketException)
                    {
                        socket?.Dispose(); // closed by the agent: come back with a new connection
                        socket = null;
                    }

                    await Task.Delay(everyMilliseconds, stop);
                }
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                socket?.Dispose();
            }
        })).ToArray();

    [Theory]
    [InlineData(4000)] // the issue's case: one valid request every 4 s (longer than the idle timeout)
    [InlineData(500)]  // faster than the idle timeout: held until the request limit closes them
    public async Task SlotHolders_64ClientsRequestingEvery_TheHostIsStillAnswered(int everyMilliseconds)
    {
        var campaign = new Campaign($"slot holders (64 clients, one valid request every {everyMilliseconds / 1000.0:0.#} s)", output);
        await using GuestAgentServer server = await Fixtures.StartTcpServerAsync(new FixtureMemInfo(Fixtures.MemInfo2G));
        using var stop = new CancellationTokenSource();
        int holderAnswers = 0;
        Task[] holders = StartSlotHolders(server, everyMilliseconds, () => Interlocked.Increment(ref holderAnswers), stop.Token);

        var latencies = new List<TimeSpan>();
        var run = Stopwatch.StartNew();
        while (run.Elapsed < TimeSpan.FromSeconds(9))
        {
            var watch = Stopwatch.StartNew();
            GuestAgentQueryResult r = await HostQueryAsync(server);
            latencies.Add(watch.Elapsed);
            campaign.Check(r.IsSuccess, () => $"host query at {run.Elapsed.TotalSeconds:0.0} s failed: {r}");
            campaign.Runs++;
            await Task.Delay(300);
        }

        await stop.CancelAsync();
        await Task.WhenAll(holders);
        // Every host query already had to succeed within its timeout; the latencies are reported, not judged finer
        // (on this shared 2-core machine a single answer now and then takes ~1 s while 64 holders keep the cores busy).
        TimeSpan worst = latencies.Max();
        campaign.Check(holderAnswers > 64, () => $"the holders got only {holderAnswers} answers (they did not really hold slots)");
        output.WriteLine($"holders got {holderAnswers} answers; server rejected {server.RejectedConnections}; host answers over {latencies.Count} queries: median {latencies.Order().ElementAt(latencies.Count / 2).TotalMilliseconds:0.0} ms, worst {worst.TotalMilliseconds:0.0} ms");
        campaign.Finish();
    }

    /// <summary>
    /// The control: the same slot holders against an agent configured the old way (no reserved host slot, no idle
    /// timeout or request limit to speak of) do lock the host out, so the campaign above measures something real.
    /// </summary>
    [Fact]
    public async Task SlotHolders_WithoutTheProtections_LockTheHostOut()
    {
        await using GuestAgentServer server = await Fixtures.StartTcpServerAsync(new FixtureMemInfo(Fixtures.MemInfo2G), configure: o =>
        {
            o.ReservedHostConnections = 0;
            o.IdleTimeout = TimeSpan.FromHours(1);
            o.MaxRequestsPerConnection = 1_000_000;
        });
        using var stop = new CancellationTokenSource();
        Task[] holders = StartSlotHolders(server, 500, () => { }, stop.Token);
        await GuestAgentServerTests.WaitUntilAsync(() => server.OpenConnections == 64);
        int failed = 0;
        for (int q = 0; q < 3; q++)
        {
            failed += (await HostQueryAsync(server)).IsSuccess ? 0 : 1;
        }

        await stop.CancelAsync();
        await Task.WhenAll(holders);
        output.WriteLine($"control (protections off): {failed} of 3 host queries failed while 64 slot holders held every slot");
        Assert.Equal(3, failed);
    }

    // ---------------------------------------------------------------- agents that never answer

    [Fact]
    public async Task AgentsThatNeverAnswer_128_TheSampleEndsAtItsDeadline_AndTheGoodAgentIsAnswered()
    {
        var campaign = new Campaign("agents that never answer (128 silent + 1 good, one sample deadline)", output);
        await using GuestAgentServer good = await Fixtures.StartTcpServerAsync(new FixtureMemInfo(Fixtures.MemInfo2G));
        await using var silent = new HostilePeer((_, _, ct) => Task.Delay(Timeout.Infinite, ct));
        var options = new GuestAgentMonitorOptions
        {
            RequestTimeout = TimeSpan.FromSeconds(2),
            MaxConcurrency = 32,
            SampleDeadline = TimeSpan.FromMilliseconds(1500),
        };
        options.Agents["good"] = Fixtures.EndpointOf(good);
        for (int i = 0; i < 128; i++)
        {
            options.Agents[$"silent{i}"] = silent.Endpoint;
        }

        using var monitor = new GuestAgentMonitor(options);
        VmId[] vms = [new("good"), .. Enumerable.Range(0, 128).Select(i => new VmId($"silent{i}"))];
        double[] max = [.. vms.Select(_ => 4e9)];
        var results = new GuestAgentQueryResult[vms.Length];
        var elapsed = new List<TimeSpan>();
        for (int run = 0; run < 3; run++)
        {
            var watch = Stopwatch.StartNew();
            await monitor.QueryManyAsync(vms, max, results, CancellationToken.None);
            watch.Stop();
            elapsed.Add(watch.Elapsed);
            campaign.Check(watch.Elapsed < options.SampleDeadline + TimeSpan.FromSeconds(2.5), () => $"sample {run} took {watch.Elapsed.TotalMilliseconds:0} ms");
            campaign.Check(results[0].IsSuccess, () => $"sample {run}: the good agent: {results[0]}");
            campaign.Check(results.Skip(1).All(r => r.Status == GuestAgentQueryStatus.Timeout && double.IsNaN(r.UsedMemoryBytes)),
                () => $"sample {run}: a silent agent did not end as Timeout: {results.Skip(1).First(r => r.Status != GuestAgentQueryStatus.Timeout)}");
            campaign.Runs++;
        }

        output.WriteLine($"128 silent agents, deadline {options.SampleDeadline.TotalMilliseconds:0} ms (request timeout 2 000 ms, concurrency 32; without the deadline 4 waves = 8 s): samples took {string.Join(", ", elapsed.Select(e => $"{e.TotalMilliseconds:0} ms"))}");
        campaign.Finish();
    }
}
