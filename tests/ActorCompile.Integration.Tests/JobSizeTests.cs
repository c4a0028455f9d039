using System.Net.Sockets;
using System.Text;
using ActorCompile.LocalProtocol;
using ActorCompile.Tests;
using Xunit;

namespace ActorCompile.Integration.Tests;

/// <summary>
/// One size limit end to end (issue 12 row 13, issue 13 "limits that disagree"): actorcompile.max-job-size
/// decides what a wrapper may send, the socket's frames and Akka's frame size; a job just under it
/// compiles remotely, one just over compiles locally at once, and a worker with a smaller limit than the
/// coordinator's gets no job that does not fit it. And a remote result must hold the object.
/// </summary>
public sealed class JobSizeTests
{
    private static readonly Dictionary<string, string> Verbose = new() { ["ACTORCOMPILE_VERBOSE"] = "1" };

    /// <summary>A unit whose inputs are about <paramref name="bytes"/>: a header of comments, and a source that includes it.</summary>
    private static string Project(TempDirectory dir, string name, long bytes)
    {
        var line = "/* " + new string('x', 92) + " */\n"; // 100 bytes
        var header = new StringBuilder((int)bytes + 100);
        while (header.Length + line.Length <= bytes) header.Append(line);
        header.Append(new string(' ', (int)(bytes - header.Length)));
        dir.Write($"{name}/big.h", header.ToString());
        dir.Write($"{name}/a.c", "#include \"big.h\"\nint answer(void) { return 42; }\n");
        return dir.Combine(name);
    }

    private static Run.Result Compile(string project, string socket, bool strict = false) =>
        Wrapper.Run(project, socket, new[] { "gcc", "-O2", "-c", "a.c", "-o", "a.o" },
            strict ? new Dictionary<string, string>(Verbose) { ["ACTORCOMPILE_FALLBACK"] = "0" } : Verbose);

    private static void AssertLocalObject(string project)
    {
        Assert.Equal(0, Run.Gcc(project, "-O2", "-c", "a.c", "-o", "reference.o").ExitCode);
        Assert.Equal(File.ReadAllBytes(Path.Combine(project, "reference.o")), File.ReadAllBytes(Path.Combine(project, "a.o")));
    }

    [Fact]
    public async Task Jobs_just_under_the_limit_go_remote_just_over_compile_locally_and_only_to_workers_they_fit()
    {
        using var dir = new TempDirectory("ac-size");
        var two = dir.Write("two.hocon", "actorcompile.max-job-size = 2MiB\nactorcompile.coordinator.help-after = 1h\n");
        var one = dir.Write("one.hocon", "actorcompile.max-job-size = 1MiB\n");
        using var coordinator = new NodeProcess("coordinator", dir.Path, "coordinator", extra: new[] { "--config", two });
        using var small = new NodeProcess("small", dir.Path, "worker", new[] { coordinator.Address }, new[] { "--config", one, "--toolchain", "gcc" });
        NodeProcess? big = new NodeProcess("big", dir.Path, "worker", new[] { coordinator.Address }, new[] { "--config", two, "--toolchain", "gcc" });
        try
        {
            await WaitForWorkers(coordinator, 2);

            // Just under 2 MiB, with the system's few bytes (stdc-predef.h) on top: only the big worker may take it.
            var under = Project(dir, "under", (2L << 20) - (32 << 10));
            var r = Compile(under, coordinator.Socket, strict: true);
            Assert.True(r.ExitCode == 0, r.Stderr + coordinator.Log());
            Assert.Contains($"compiled on {big.Address}", r.Stderr);
            AssertLocalObject(under);

            // Just over: local at once, with the reason (not after a timeout).
            var over = Project(dir, "over", (2L << 20) + (1 << 10));
            r = Compile(over, coordinator.Socket);
            Assert.True(r.ExitCode == 0, r.Stderr);
            var reason = Assert.Single(r.Stderr.TrimEnd('\n').Split('\n'), l => !l.Contains(" compiled locally (", StringComparison.Ordinal));
            Assert.Contains("exceed the node's max-job-size (2 MiB); compiling locally", reason);
            AssertLocalObject(over);

            // 1.5 MiB, six times: always the big worker; the small one (1 MiB) never sees such a job.
            var middle = Project(dir, "middle", 3L << 19);
            for (int i = 0; i < 6; i++)
            {
                File.Delete(Path.Combine(middle, "a.o"));
                r = Compile(middle, coordinator.Socket, strict: true);
                Assert.True(r.ExitCode == 0, r.Stderr);
                Assert.Contains($"compiled on {big.Address}", r.Stderr);
            }
            AssertLocalObject(middle);
            await Eventually.True(() => Worker(coordinator, big).GetProperty("completed").GetInt64() >= 7, TimeSpan.FromSeconds(30), "the big worker's counts");
            var smallStatus = Worker(coordinator, small);
            Assert.Equal(0, smallStatus.GetProperty("completed").GetInt64());
            Assert.Equal(0, smallStatus.GetProperty("failed").GetInt64());

            // Without the big worker, no worker can carry it: local at once, saying why.
            big.Dispose();
            big = null;
            await Eventually.True(() => Workers(coordinator).Count() == 1, TimeSpan.FromSeconds(60), "the big worker to leave");
            File.Delete(Path.Combine(middle, "a.o"));
            r = Compile(middle, coordinator.Socket);
            Assert.True(r.ExitCode == 0, r.Stderr);
            reason = Assert.Single(r.Stderr.TrimEnd('\n').Split('\n'), l => !l.Contains(" compiled locally (", StringComparison.Ordinal));
            Assert.Contains("exceed the max-job-size of every worker that could take it (largest 1 MiB); compiling locally", reason);
            AssertLocalObject(middle);
        }
        finally
        {
            big?.Dispose();
        }
    }

    private static IEnumerable<System.Text.Json.JsonElement> Workers(NodeProcess coordinator)
    {
        using var doc = Wrapper.Status(coordinator.Socket);
        return doc.RootElement.GetProperty("workers").EnumerateArray().Where(w => w.GetProperty("state").GetString() == "up").Select(w => w.Clone()).ToList();
    }

    private static System.Text.Json.JsonElement Worker(NodeProcess coordinator, NodeProcess worker) =>
        Workers(coordinator).Single(w => w.GetProperty("address").GetString() == worker.Address);

    private static async Task WaitForWorkers(NodeProcess coordinator, int count) =>
        await Eventually.True(() => Workers(coordinator).Count(w => w.GetProperty("toolchains").GetArrayLength() > 0) == count,
            TimeSpan.FromSeconds(60), $"{count} workers");

    /// <summary>
    /// A result that lacks the object the command names compiles locally. A real node never sends one
    /// (its worker fails such a job), so a listener in the test plays the node here: it speaks the
    /// protocol, asks for the dependency scan, and answers with a result that lacks a file.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_remote_result_without_the_object_or_the_dependency_file_compiles_locally(bool dependencies)
    {
        using var dir = new TempDirectory("ac-noobject");
        dir.Write("a.c", "int answer(void) { return 42; }\n");
        var socketPath = dir.Combine("fake.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        listener.Listen(1);
        var args = new[] { "gcc", "-O2", "-c", "a.c", "-o", "a.o" }.Concat(dependencies ? new[] { "-MD", "-MF", "a.d" } : Array.Empty<string>()).ToArray();
        var wrapper = Task.Run(() => Wrapper.Run(dir.Path, socketPath, args));
        using (var connection = new NetworkStream(await listener.AcceptAsync(), ownsSocket: true))
        {
            var node = new FrameChannel(connection, connection);
            await node.ExpectAsync<CompileRequest>();
            node.Send(new Preprocess(null, Scan: true));
            await node.ManifestAsync();
            // With dependencies: the object (not a real one) but no dependency file; without: nothing at all.
            var outputs = dependencies ? new[] { new KeyValuePair<string, byte[]>("a.o", "not an object"u8.ToArray()) } : Array.Empty<KeyValuePair<string, byte[]>>();
            node.Send(new CompileResult(0, Array.Empty<byte>(), Array.Empty<byte>(), outputs, "127.0.0.9:7420", 1));
        }
        var r = await wrapper;
        Assert.True(r.ExitCode == 0, r.Stderr);
        var line = Assert.Single(r.Stderr.TrimEnd('\n').Split('\n'));
        Assert.Equal($"actorcompile: the remote result lacks {(dependencies ? "a.d" : "a.o")}; compiling locally", line);
        Assert.Equal(0, Run.Gcc(dir.Path, args.Skip(1).Select(a => a switch { "a.o" => "reference.o", "a.d" => "reference.d", _ => a }).ToArray()).ExitCode);
        Assert.Equal(File.ReadAllBytes(dir.Combine("reference.o")), File.ReadAllBytes(dir.Combine("a.o")));
        if (dependencies) Assert.True(File.Exists(dir.Combine("a.d")));
        Assert.Empty(Directory.GetFiles(dir.Path, ".*.tmp"));
    }
}
