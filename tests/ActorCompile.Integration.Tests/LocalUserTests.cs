using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using ActorCompile.LocalProtocol;
using ActorCompile.Tests;
using ActorCompile.Toolchain.Arguments;
using ActorCompile.Toolchain.Identity;
using ActorCompile.Toolchain.Jobs;
using ActorCompile.Toolchain.Processes;
using Xunit;

using static ActorCompile.Integration.Tests.Builds;

namespace ActorCompile.Integration.Tests;

/// <summary>
/// Local users are separate (issue 12, rows 4, 5 and 12): one user's answers never decide another's
/// compile, a wrapper talks only to a node its user may trust, and one user cannot lock the others out of
/// the socket or make the node hold unbounded memory. The attacker is a second local user created by
/// each test (useradd) and removed at its end; its programs run as that user through setpriv. In one
/// class, so that its tests do not create users at the same moment.
/// </summary>
public sealed class LocalUserTests
{
    private static readonly string[] Compile = { "-O2", "-c", "a.c", "-o", "a.o" };

    private static Dictionary<string, string?> Env(string? socket, bool strict = true) => new()
    {
        ["ACTORCOMPILE_SOCKET"] = socket,
        ["XDG_RUNTIME_DIR"] = null,
        ["ACTORCOMPILE_VERBOSE"] = "1",
        ["ACTORCOMPILE_FALLBACK"] = strict ? "0" : null,
    };

    /// <summary>The object the real gcc makes from the same command here.</summary>
    private static byte[] LocalObject(string directory, params string[] args)
    {
        var r = Run.Gcc(directory, args.Select(a => a == "a.o" ? "reference.o" : a).ToArray());
        Assert.True(r.ExitCode == 0, r.Stderr);
        return File.ReadAllBytes(Path.Combine(directory, "reference.o"));
    }

    private static string[] Lines(string stderr) => stderr.TrimEnd('\n').Split('\n');

    [Fact]
    public async Task A_ten_slot_worker_under_a_service_user_of_its_own_runs_ten_jobs_at_once()
    {
        // Issue 21: the process limit (64) counted every process and thread of the worker's user, the node's ~40
        // threads among them, so that a worker run as its service user failed jobs with "bwrap: Creating new
        // namespace failed" or "Can't fork" once a few ran at once. Now each job's processes are counted alone.
        using var service = await LocalUser.CreateAsync();
        using var dir = new TempDirectory("ac-nproc");
        var config = dir.Write("node.hocon", "actorcompile.coordinator.help-after = 1h\n");
        using var coordinator = new NodeProcess("coordinator", dir.Path, "coordinator", extra: new[] { "--config", config });
        await Eventually.True(() => Directory.Exists(NodeProcess.ClusterKeyDirectory(dir.Path)) && File.Exists(coordinator.Socket),
            TimeSpan.FromSeconds(60), "the coordinator and the cluster key it made");
        // The worker's world belongs to its user: its directory, and a copy of the cluster key as that user's own.
        var home = Directory.CreateDirectory(dir.Combine("service")).FullName;
        Assert.Equal(0, Run.Shell($"mkdir -p '{NodeProcess.ClusterKeyDirectory(home)}' && cp -a '{NodeProcess.ClusterKeyDirectory(dir.Path)}/.' '{NodeProcess.ClusterKeyDirectory(home)}/'").ExitCode);
        service.Own(home);
        using var worker = new NodeProcess("worker", home, "worker", new[] { coordinator.Address }, new[] { "--slots", "10", "--toolchain", "gcc" },
            env: new Dictionary<string, string> { ["HOME"] = home },
            launcher: new[] { "setpriv", $"--reuid={service.Uid}", $"--regid={service.Gid}", "--clear-groups", "--inh-caps=-all", "--" });
        await Eventually.True(() =>
        {
            using var status = Wrapper.Status(coordinator.Socket);
            return status.RootElement.GetProperty("workers").EnumerateArray().Any(w => w.GetProperty("address").GetString() == worker.Address
                && w.GetProperty("toolchains").GetArrayLength() > 0);
        }, TimeSpan.FromSeconds(60), "the worker under its own user to offer gcc");
        var threads = Directory.GetDirectories($"/proc/{worker.Pid}/task").Length;
        Assert.True(threads > 20, $"the premise: the node's own threads count for its user ({threads})");

        var project = SmallProject(dir, "p", 10);
        var make = StartMake(project, coordinator.Socket, "gcc", "all", 10, StrictAndVerbose);
        var (exit, stderr) = Finish(make);
        Assert.True(exit == 0, stderr + "\n" + worker.Log());
        var where = Wrapper.WhereCompiled(stderr);
        Assert.Equal(10, where.Count);
        Assert.All(where.Values, w => Assert.Equal(worker.Address, w));
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(0, Run.Gcc(project, "-O2", "-Iinclude", "-c", $"src/f{i}.c", "-o", $"ref{i}.o").ExitCode);
            Assert.Equal(File.ReadAllBytes(Path.Combine(project, $"ref{i}.o")), File.ReadAllBytes(Path.Combine(project, "build", $"f{i}.o")));
        }
        // The worker's report once it counts the ten jobs (reports come about once a second).
        var report = default(System.Text.Json.JsonElement);
        await Eventually.True(() => (report = WorkerReport(coordinator, worker)).GetProperty("completed").GetInt64() + report.GetProperty("failed").GetInt64() >= 10,
            TimeSpan.FromSeconds(10), "the worker's report of the ten jobs");
        Assert.Equal(0, report.GetProperty("failed").GetInt64());
        Assert.DoesNotContain("counts every process of the node's user", report.GetProperty("sandbox").GetString());
        Assert.True(report.GetProperty("peakRunning").GetInt32() >= 2, "jobs ran at once on the worker");
    }

    private static System.Text.Json.JsonElement WorkerReport(NodeProcess coordinator, NodeProcess worker)
    {
        using var status = Wrapper.Status(coordinator.Socket);
        return status.RootElement.GetProperty("workers").EnumerateArray().Single(w => w.GetProperty("address").GetString() == worker.Address).Clone();
    }

    [Fact]
    public async Task Row4_another_users_answers_about_gcc_never_decide_this_users_compile()
    {
        using var attacker = await LocalUser.CreateAsync();
        using var dir = new TempDirectory("ac-row4");
        var config = dir.Write("node.hocon", $"actorcompile.socket-group = \"{attacker.Name}\"\nactorcompile.coordinator.help-after = 1h\n");
        using var cluster = new TestCluster(1, coordinatorArgs: new[] { "--config", config }, workerArgs: new[] { "--toolchain", "gcc", "--toolchain", "clang" }, prefix: "ac-row4-cluster");
        await cluster.WaitForWorkers();

        // The attacker names /usr/bin/gcc, with exactly the keys this user's wrapper will send, and answers
        // the node's question with clang's identity and include directories of its own.
        var compilerKey = CompilerKey.Of("/usr/bin/gcc")!;
        var includeKey = compilerKey + "\u001e" + CommandRewriter.ForSystemIncludeQuery(CompileCommand.Parse(Compile)).CacheKey;
        var clang = (await ToolchainProbe.ProbeAsync("/usr/bin/clang")).Identity;
        using (var relay = System.Diagnostics.Process.Start(attacker.StartInfo(SocketRelay.Program, new[] { "connect", cluster.Coordinator.Socket }))!)
        using (var node = new FrameChannel(relay.StandardOutput.BaseStream, relay.StandardInput.BaseStream))
        {
            node.Send(new CompileRequest("/usr/bin/gcc", compilerKey, Compile, "/tmp", null, includeKey, Array.Empty<KeyValuePair<string, string>>(), false));
            await node.ExpectAsync<NeedToolchain>();
            node.Send(new ToolchainInfo(clang.Fingerprint, clang.Family, clang.Version, clang.Target, clang.DriverLanguage));
            await node.ExpectAsync<Preprocess>();
            // A manifest with no file (the compiler's scan, so a failure is confirmed locally): the worker's compile
            // fails for want of a.c, and the node asks for a local compile only after it took the manifest in.
            node.Send(new JobManifest(new[] { "/tmp/attacker-include" }, true, new[] { new MirrorEntry(MirrorEntryKind.Directory, "/tmp", null, 0, 0) },
                Array.Empty<string>(), Array.Empty<FileUpload>(), InputScan.Compiler));
            await node.ExpectAsync<RunLocally>(); // the node has taken in the directories by now
        }

        var project = dir.Combine("p");
        dir.Write("p/a.c", "#include <stdio.h>\nint main(void) { return puts(\"row 4\") < 0; }\n");
        var r = Wrapper.Run(project, cluster.Coordinator.Socket, new[] { "/usr/bin/gcc" }.Concat(Compile),
            new Dictionary<string, string> { ["ACTORCOMPILE_VERBOSE"] = "1", ["ACTORCOMPILE_FALLBACK"] = "0" });
        Assert.True(r.ExitCode == 0, r.Stderr + cluster.Logs());
        Assert.Contains($"compiled on {cluster.Worker(0).Address}", r.Stderr);
        Assert.Equal(LocalObject(project, Compile), File.ReadAllBytes(Path.Combine(project, "a.o")));
    }

    [Fact]
    public async Task Row5_a_fake_node_another_user_set_up_for_this_user_receives_nothing()
    {
        using var victim = await LocalUser.CreateAsync();
        using var attacker = await LocalUser.CreateAsync();
        var fakeDirectory = $"/tmp/actorcompile-{victim.Uid}";
        var fakeSocket = fakeDirectory + "/node.sock";
        if (Directory.Exists(fakeDirectory)) Directory.Delete(fakeDirectory, recursive: true); // left by an earlier user of this recycled uid
        using var dir = new TempDirectory("ac-row5");
        var record = dir.Write("record", "");
        File.SetUnixFileMode(record, (UnixFileMode)0x1b6); // 0666: the attacker's fake node writes what it receives here
        try
        {
            using var fakeNode = System.Diagnostics.Process.Start(attacker.StartInfo(SocketRelay.Program, new[] { "listen", fakeSocket, record }))!;
            try
            {
                Assert.Equal("listening", await fakeNode.StandardOutput.ReadLineAsync());
                var project = dir.Combine("p");
                var secret = "secret-" + Guid.NewGuid().ToString("N");
                dir.Write("p/a.c", $"const char *token = \"{secret}\";\nint answer(void) {{ return 42; }}\n");
                victim.Own(project);

                // The attacker made the directory: refused before connecting, compiled locally, one line saying why.
                var r = victim.Run(Dist.Wrapper, new[] { "gcc" }.Concat(Compile), project, Env(socket: null, strict: false));
                Assert.True(r.ExitCode == 0, r.Stderr);
                var line = Assert.Single(Lines(r.Stderr), l => l.StartsWith("actorcompile: refused", StringComparison.Ordinal));
                Assert.Contains($"refused the node socket {fakeSocket}", line);
                Assert.Contains($"the socket {fakeSocket} belongs to uid {attacker.Uid}", line);
                Assert.EndsWith("compiling locally", line);
                Assert.Equal(LocalObject(project, Compile), File.ReadAllBytes(Path.Combine(project, "a.o")));
                Assert.Equal("", File.ReadAllText(record));

                // The socket given to root, in the attacker's directory: the directory is refused.
                Assert.Equal(0, Run.Program("chown", new[] { "root:root", fakeSocket }).ExitCode);
                File.Delete(Path.Combine(project, "a.o"));
                r = victim.Run(Dist.Wrapper, new[] { "gcc" }.Concat(Compile), project, Env(socket: null, strict: false));
                Assert.True(r.ExitCode == 0, r.Stderr);
                line = Assert.Single(Lines(r.Stderr), l => l.StartsWith("actorcompile: refused", StringComparison.Ordinal));
                Assert.Contains($"its directory {fakeDirectory} belongs to uid {attacker.Uid}", line);
                Assert.Equal("", File.ReadAllText(record));

                // The same fake node behind a socket and directory that look right (root's, 0755): the
                // kernel still says who listens, and the wrapper hangs up before sending a byte.
                // $ACTORCOMPILE_SOCKET is checked the same way.
                Assert.Equal(0, Run.Program("chown", new[] { "root:root", fakeDirectory }).ExitCode);
                File.SetUnixFileMode(fakeDirectory, (UnixFileMode)0x1ed); // 0755
                File.Delete(Path.Combine(project, "a.o"));
                r = victim.Run(Dist.Wrapper, new[] { "gcc" }.Concat(Compile), project, Env(fakeSocket, strict: false));
                Assert.True(r.ExitCode == 0, r.Stderr);
                line = Assert.Single(Lines(r.Stderr), l => l.StartsWith("actorcompile: refused", StringComparison.Ordinal));
                Assert.Contains($"it is served by uid {attacker.Uid}", line);
                Assert.EndsWith("compiling locally", line);
                Assert.Equal(LocalObject(project, Compile), File.ReadAllBytes(Path.Combine(project, "a.o")));
                await Eventually.True(() => File.ReadAllText(record) == "connect\n", TimeSpan.FromSeconds(10), "the fake node to record the connection");
                Assert.DoesNotContain(secret, File.ReadAllText(record));
                Assert.Equal("connect\n", File.ReadAllText(record)); // connected, and not one byte sent
            }
            finally
            {
                fakeNode.Kill();
            }
        }
        finally
        {
            if (Directory.Exists(fakeDirectory)) Directory.Delete(fakeDirectory, recursive: true);
        }
    }

    private static CompileRequest Held(string key) =>
        new("/usr/bin/gcc", key, new[] { "-c", "a.c", "-o", "a.o" }, "/tmp", null, null, Array.Empty<KeyValuePair<string, string>>(), false);

    /// <summary>Walks a conversation as far as the node's request for contents.</summary>
    private static async Task<FrameChannel> UpToContents(string socket, ToolchainIdentity gcc)
    {
        var node = FrameChannel.Connect(socket);
        node.Send(Held("needblobs-key"));
        var m = await node.NextAsync();
        if (m is NeedToolchain)
        {
            node.Send(new ToolchainInfo(gcc.Fingerprint, gcc.Family, gcc.Version, gcc.Target, gcc.DriverLanguage));
            m = await node.NextAsync();
        }
        Assert.IsType<Preprocess>(m);
        // A file the node does not know: the node answers that it wants its content, which may then fill a frame of the largest job.
        node.Send(new ScanRound(new[] { new FileRef("/tmp/held/a.c", new FileStatus(0x81a4, 1 << 20, 0, 0, 1, 0, 0)) }, Array.Empty<FileUpload>()));
        Assert.Null(Assert.Single((await node.ExpectAsync<ScanAnswers>()).Directives));
        return node;
    }

    /// <summary>
    /// Waits until this user has a free place on the socket again: the node counts a connection until it
    /// has seen it close. Each step below then holds at most one connection at a time.
    /// </summary>
    private static async Task WaitForAPlace(string socket) =>
        await Eventually.Get(async () =>
        {
            using var probe = FrameChannel.Connect(socket);
            probe.Send(Held("probe-" + Guid.NewGuid().ToString("N")));
            return await probe.NextAsync() is NeedToolchain ? new object() : null;
        }, TimeSpan.FromSeconds(30), "a free place for this user on the socket");

    private static byte[] Header(long length, params byte[] rest)
    {
        var bytes = new byte[4 + rest.Length];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)length);
        rest.CopyTo(bytes, 4);
        return bytes;
    }

    /// <summary>The coordinator's local slots by user, as status shows them: uid to (held, waiting).</summary>
    private static Dictionary<long, (int Held, int Waiting)> LocalSlotUsers(NodeProcess coordinator)
    {
        using var s = Wrapper.Status(coordinator.Socket);
        var c = s.RootElement.GetProperty("coordinators").EnumerateArray().Single();
        return c.TryGetProperty("localSlotUsers", out var users) && users.ValueKind == System.Text.Json.JsonValueKind.Array
            ? users.EnumerateArray().ToDictionary(u => u.GetProperty("uid").GetInt64(), u => (u.GetProperty("held").GetInt32(), u.GetProperty("waiting").GetInt32()))
            : new();
    }

    [Fact]
    public async Task A_user_holding_every_local_slot_does_not_stop_another_users_compile()
    {
        using var other = await LocalUser.CreateAsync();
        using var dir = new TempDirectory("ac-fair-slots");
        var config = dir.Write("node.hocon", $$"""actorcompile { socket-group = "{{other.Name}}", coordinator.local-slots = 2 }""" + "\n");
        // No worker: every compile is local and needs one of the two local slots.
        using var cluster = new TestCluster(0, coordinatorArgs: new[] { "--config", config }, prefix: "ac-fair-cluster");
        var socket = cluster.Coordinator.Socket;
        await Eventually.True(() => File.Exists(socket), TimeSpan.FromSeconds(120), "the node to listen");
        var gcc = (await ToolchainProbe.ProbeAsync("/usr/bin/gcc")).Identity;

        // This user (root) starts four compiles and never finishes one: two hold both slots, two wait.
        var hog = new List<FrameChannel>();
        try
        {
            for (int i = 0; i < 4; i++)
            {
                var c = FrameChannel.Connect(socket);
                hog.Add(c);
                c.Send(Held($"hog-{i}"));
                if (await c.NextAsync() is NeedToolchain) c.Send(new ToolchainInfo(gcc.Fingerprint, gcc.Family, gcc.Version, gcc.Target, gcc.DriverLanguage));
                if (i < 2) Assert.IsType<RunLocally>(await c.NextAsync());
            }
            await Eventually.True(() => LocalSlotUsers(cluster.Coordinator).GetValueOrDefault(0) == (2, 2), TimeSpan.FromSeconds(30), "status to show root holding 2 slots with 2 waiting");

            // Another user's compile asks after all of them; then one of the hog's compiles ends.
            var project = dir.Combine("p");
            dir.Write("p/a.c", "int answer(void) { return 42; }\n");
            other.Own(project);
            var victim = Task.Run(() => other.Run(Dist.Wrapper, new[] { "gcc" }.Concat(Compile), project, Env(socket, strict: false)));
            await Eventually.True(() => LocalSlotUsers(cluster.Coordinator).GetValueOrDefault(other.Uid).Waiting == 1, TimeSpan.FromSeconds(60), "the other user's compile to wait for a slot");
            hog[0].Send(new LocalDone(0));

            // The freed slot goes to the user who holds none, not to the hog's earlier waiters (who would hold it
            // without end): first come, first served alone would leave this compile waiting for ever.
            var done = await Task.WhenAny(victim, Task.Delay(TimeSpan.FromSeconds(120)));
            Assert.True(done == victim, "the other user's compile never got the freed local slot\n" + cluster.Logs());
            var r = await victim;
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.Equal(LocalObject(project, Compile), File.ReadAllBytes(Path.Combine(project, "a.o")));
        }
        finally
        {
            foreach (var c in hog) c.Dispose();
        }
    }

    [Fact]
    public async Task Row12_one_user_cannot_lock_others_out_and_unfinished_frames_are_cut()
    {
        using var other = await LocalUser.CreateAsync();
        using var dir = new TempDirectory("ac-row12");
        const long maxJob = 2L << 20;
        var config = dir.Write("node.hocon", $$"""
            actorcompile { socket-group = "{{other.Name}}", socket-clients = 8, socket-clients-per-user = 3, socket-idle-timeout = 2s, max-job-size = 2MiB }
            actorcompile.coordinator.help-after = 1h
            """);
        using var cluster = new TestCluster(1, coordinatorArgs: new[] { "--config", config }, workerArgs: new[] { "--toolchain", "gcc", "--config", config }, prefix: "ac-row12-cluster");
        await cluster.WaitForWorkers();
        var socket = cluster.Coordinator.Socket;

        // This user (root) tries to take every place of the node: its first three connections are served
        // (each waits for its compiler's identity: a state without a timeout), the rest are refused.
        var held = new List<FrameChannel>();
        var refusals = new List<string>();
        for (int i = 0; i < 8; i++)
        {
            var c = FrameChannel.Connect(socket);
            c.Send(Held($"held-{i}"));
            switch (await c.NextAsync())
            {
                case NeedToolchain: held.Add(c); break;
                case ErrorReply e: refusals.Add(e.Message); c.Dispose(); break;
                case var m: throw new InvalidOperationException($"unexpected {m}");
            }
        }
        Assert.Equal(3, held.Count);
        Assert.Equal(5, refusals.Count);
        Assert.All(refusals, m => Assert.Contains("at most 3 clients of one user", m));

        // Another user's compile is served, through the cluster.
        var project = dir.Combine("p");
        dir.Write("p/a.c", "int answer(void) { return 42; }\n");
        other.Own(project);
        var r = other.Run(Dist.Wrapper, new[] { "gcc" }.Concat(Compile), project, Env(socket));
        Assert.True(r.ExitCode == 0, r.Stderr + cluster.Logs());
        Assert.Contains($"compiled on {cluster.Worker(0).Address}", r.Stderr);
        Assert.Equal(LocalObject(project, Compile), File.ReadAllBytes(Path.Combine(project, "a.o")));
        foreach (var c in held) c.Dispose();
        await WaitForAPlace(socket);

        var gcc = (await ToolchainProbe.ProbeAsync("/usr/bin/gcc")).Identity;
        var largest = JobLimits.FrameBytes(maxJob);
        var small = JobLimits.EnvelopeBytes / 2;

        // A connection that sends nothing is closed with the reason.
        using (var idle = FrameChannel.Connect(socket))
        {
            var e = Assert.IsType<ErrorReply>(await idle.NextAsync());
            Assert.Contains("no request within 2 s", e.Message);
            Assert.Null(await idle.NextAsync());
        }

        // A first frame longer than a request may be is refused at its header.
        using (var big = FrameChannel.Connect(socket))
        {
            big.SendRaw(Header(small + 1));
            var e = Assert.IsType<ErrorReply>(await big.NextAsync());
            Assert.Contains($"exceeds the limit of {small} bytes", e.Message);
            Assert.Null(await big.NextAsync());
        }

        // Contents may be as long as the largest job's frame, derived from max-job-size; longer is refused at the header.
        using (var over = await UpToContents(socket, gcc))
        {
            over.SendRaw(Header(largest + 1));
            var e = Assert.IsType<ErrorReply>(await over.NextAsync());
            Assert.Contains($"exceeds the limit of {largest} bytes", e.Message);
            Assert.Null(await over.NextAsync());
        }

        // A big frame that stops in the middle is cut after the idle timeout, and its buffer with it.
        using (var partial = await UpToContents(socket, gcc))
        {
            partial.SendRaw(Header(largest, Frames.Version, (byte)MessageType.ScanRound));
            partial.SendRaw(new byte[1 << 20]);
            var e = Assert.IsType<ErrorReply>(await partial.NextAsync());
            Assert.Contains("a frame was not finished within 2 s", e.Message);
            Assert.Null(await partial.NextAsync());
        }

        // And the node serves on.
        File.Delete(Path.Combine(project, "a.o"));
        r = other.Run(Dist.Wrapper, new[] { "gcc" }.Concat(Compile), project, Env(socket));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("compiled on", r.Stderr);
    }
}
