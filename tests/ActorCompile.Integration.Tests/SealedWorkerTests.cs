using System.Security.Cryptography;
using System.Text;
using ActorCompile.LocalProtocol;
using ActorCompile.Tests;
using ActorCompile.Toolchain.Arguments;
using ActorCompile.Toolchain.Identity;
using ActorCompile.Toolchain.Jobs;
using Xunit;

namespace ActorCompile.Integration.Tests;

/// <summary>
/// A helper that is safe to leave on, through real node processes: what a user's options may do on it,
/// what a compile that prints without end costs it, and a helper whose sandbox does not work.
/// </summary>
public sealed class SealedWorkerTests
{
    private static readonly Dictionary<string, string> Verbose = new() { ["ACTORCOMPILE_VERBOSE"] = "1" };

    private static string Project(TempDirectory dir, string source)
    {
        dir.Write("p/a.c", source);
        return dir.Combine("p");
    }

    private static void AssertSameAsLocal(string project, string compiler, params string[] args)
    {
        var reference = args.Select(a => a == "a.o" ? "reference.o" : a).ToArray();
        Assert.Equal(0, Run.Program(compiler, reference, project).ExitCode);
        Assert.Equal(File.ReadAllBytes(Path.Combine(project, "reference.o")), File.ReadAllBytes(Path.Combine(project, "a.o")));
    }

    [Theory]
    // Row 1 of the trust issue: gcc's long spelling of -specs, whose *invoke_as ran a shell on the worker.
    [InlineData("--specs=evil.specs")]
    [InlineData("-specs=evil.specs")]
    // Row 2: --plugin is -fplugin (gcc turns --X into -fX); the plugin travelled in the job's own mirror.
    [InlineData("--plugin=./evil.so")]
    [InlineData("-fplugin=./evil.so")]
    public async Task Options_that_run_code_never_reach_a_helper_and_the_build_is_the_local_one(string option)
    {
        using var cluster = new TestCluster(1, workerArgs: new[] { "--toolchain", "gcc" }, prefix: "ac-opt");
        await cluster.WaitForWorkers();
        using var dir = new TempDirectory("ac-opt-src");
        var project = Project(dir, "int answer(void) { return 42; }\n");
        // The attacker's files exist (here harmless: gcc reads them locally, as the user asked).
        dir.Write("p/evil.specs", "*cc1_options:\n+ -DFROM_SPECS=1\n\n");
        Assert.Equal(0, Run.Gcc(project, "-shared", "-fPIC", "-x", "c", "/dev/null", "-o", "evil.so").ExitCode);
        var r = Wrapper.Run(project, cluster.Coordinator.Socket, new[] { "gcc", option, "-O2", "-c", "a.c", "-o", "a.o" }, Verbose);
        // Compiled here, as the table says, and nowhere else.
        Assert.Contains("a.c compiled locally", r.Stderr);
        Assert.Contains(option.TrimStart('-').Split('=')[0], r.Stderr);
        await Eventually.True(() => cluster.WorkerStatus(cluster.Worker(0)).GetProperty("completed").GetInt64() == 0
                && cluster.WorkerStatus(cluster.Worker(0)).GetProperty("failed").GetInt64() == 0,
            TimeSpan.FromSeconds(10), "the worker's counters");
        if (r.ExitCode == 0) AssertSameAsLocal(project, "gcc", option, "-O2", "-c", "a.c", "-o", "a.o");
        else Assert.Equal(Run.Gcc(project, option, "-O2", "-c", "a.c", "-o", "reference.o").ExitCode, r.ExitCode);
    }

    [Fact]
    public async Task A_compile_that_prints_without_end_is_stopped_on_the_worker_and_the_target_compiles_it()
    {
        // Row 11: a source whose warnings come to about 18 MB (over the 16 MiB a compiler may print on a
        // worker; gcc prints long warnings fast, many short ones slowly). The worker stops the compiler at the limit instead of reading it all into memory; the
        // job then compiles on the target, which prints every warning as gcc does.
        using var dir = new TempDirectory("ac-spew");
        var once = dir.Write("once.hocon", "actorcompile.coordinator.max-attempts = 1\n");
        using var cluster = new TestCluster(1, coordinatorArgs: new[] { "--config", once }, workerArgs: new[] { "--toolchain", "gcc" }, prefix: "ac-spew-cluster");
        await cluster.WaitForWorkers();
        var source = new StringBuilder();
        var text = new string('w', 3500);
        for (int i = 0; i < 2_600; i++) source.Append("#warning ").Append(text).Append('\n');
        source.Append("int answer(void) { return 42; }\n");
        var project = Project(dir, source.ToString());
        var r = Wrapper.Run(project, cluster.Coordinator.Socket, new[] { "gcc", "-c", "a.c", "-o", "a.o" });
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("printed more than 16 MiB", r.Stderr);
        Assert.True(r.Stderr.Length > 17_000_000, "the local compile printed every warning");
        AssertSameAsLocal(project, "gcc", "-c", "a.c", "-o", "a.o");
        await Eventually.True(() => cluster.WorkerStatus(cluster.Worker(0)).GetProperty("failed").GetInt64() == 1,
            TimeSpan.FromSeconds(10), "the worker to count the failure");
        Assert.False(cluster.Worker(0).HasExited);
    }

    /// <summary>
    /// A bwrap that fails as it does on a kernel without unprivileged user namespaces (a fake: such a
    /// machine cannot be made here without breaking bubblewrap for every other test running at the same time).
    /// </summary>
    private static string BrokenBubblewrap(TempDirectory dir)
    {
        var bin = dir.Combine("broken-bin");
        Directory.CreateDirectory(bin);
        var bwrap = dir.Write("broken-bin/bwrap", "#!/bin/sh\necho 'bwrap: No permissions to create new namespace, likely because the kernel does not allow non-privileged user namespaces.' >&2\nexit 1\n");
        File.SetUnixFileMode(bwrap, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return bin;
    }

    [Fact]
    public async Task A_helper_whose_sandbox_does_not_work_serves_no_job_and_says_so()
    {
        // Row 3: such a worker used to run jobs unconfined (sandbox = auto); now it runs none.
        using var dir = new TempDirectory("ac-nobwrap");
        var env = new Dictionary<string, string> { ["PATH"] = BrokenBubblewrap(dir) + ":" + Environment.GetEnvironmentVariable("PATH") };
        using var coordinator = new NodeProcess("coordinator", dir.Path, "coordinator");
        using var worker = new NodeProcess("worker", dir.Path, "worker", new[] { coordinator.Address }, new[] { "--toolchain", "gcc" }, env);
        var status = await Eventually.Get(() =>
        {
            using var s = Wrapper.Status(coordinator.Socket);
            var w = s.RootElement.GetProperty("workers").EnumerateArray().FirstOrDefault(x => x.GetProperty("address").GetString() == worker.Address);
            return Task.FromResult(w.ValueKind == System.Text.Json.JsonValueKind.Object && w.GetProperty("sandbox").GetString()!.Length > 0 ? w.GetProperty("sandbox").GetString() : null);
        }, TimeSpan.FromSeconds(60), "the worker's report");
        Assert.StartsWith("unavailable: bubblewrap does not work here", status);
        Assert.Contains("serves no job", worker.Log());

        var project = Project(dir, "int answer(void) { return 42; }\n");
        var r = Wrapper.Run(project, coordinator.Socket, new[] { "gcc", "-O2", "-c", "a.c", "-o", "a.o" });
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("serves jobs", r.Stderr);
        Assert.Contains("bubblewrap does not work here", r.Stderr);
        AssertSameAsLocal(project, "gcc", "-O2", "-c", "a.c", "-o", "a.o");
        var table = Run.Program(Dist.Wrapper, new[] { "status" }, env: new Dictionary<string, string> { ["ACTORCOMPILE_SOCKET"] = coordinator.Socket });
        Assert.Contains($"{worker.Address} serves no job: sandbox unavailable", table.Stdout.Replace("\n", " "));
    }

    [Fact]
    public async Task A_helper_reports_how_it_confines_compiles()
    {
        using var cluster = new TestCluster(1, workerArgs: new[] { "--toolchain", "gcc" }, prefix: "ac-sandbox-status");
        await cluster.WaitForWorkers();
        await Eventually.True(() => cluster.WorkerStatus(cluster.Worker(0)).GetProperty("sandbox").GetString()!.StartsWith("sandboxed (bubblewrap", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10), "the worker to report its sandbox");
        using var dir = new TempDirectory("ac-sandbox-status-src");
        var project = Project(dir, "#include <stdio.h>\nint main(void) { return puts(\"sealed\") < 0; }\n");
        var r = Wrapper.Run(project, cluster.Coordinator.Socket, new[] { "gcc", "-O2", "-g", "-c", "a.c", "-o", "a.o" },
            new Dictionary<string, string>(Verbose) { ["ACTORCOMPILE_FALLBACK"] = "0" });
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("compiled on 127.0.0.1:", r.Stderr);
        AssertSameAsLocal(project, "gcc", "-O2", "-g", "-c", "a.c", "-o", "a.o");
    }

    [Fact]
    public async Task A_manifest_that_names_one_big_content_many_times_is_measured_by_its_real_bytes()
    {
        // Row 10: 40 entries that declare size 0 but all point at one content of 1 MiB. The node measures
        // the job by what the contents really take (40 MiB here, over the 4 MiB limit of this cluster),
        // so the job compiles locally at once; the worker (which counts the same way) never sees it.
        using var dir = new TempDirectory("ac-row10");
        var small = dir.Write("small.hocon", "actorcompile.max-job-size = 4MiB\n");
        using var cluster = new TestCluster(1, coordinatorArgs: new[] { "--config", small }, workerArgs: new[] { "--toolchain", "gcc", "--config", small }, prefix: "ac-row10-cluster");
        await cluster.WaitForWorkers();
        var args = new[] { "-c", "a.c", "-o", "a.o" };
        var gcc = (await ToolchainProbe.ProbeAsync("/usr/bin/gcc")).Identity;
        var content = new byte[1 << 20];
        new Random(10).NextBytes(content);
        var hash = Convert.ToHexStringLower(SHA256.HashData(content));
        var entries = new List<MirrorEntry> { new(MirrorEntryKind.Directory, "/tmp/row10", null, 0, 0), new(MirrorEntryKind.File, "/tmp/row10/a.c", hash, 0, 0) };
        for (int i = 0; i < 40; i++) entries.Add(new(MirrorEntryKind.File, $"/tmp/row10/h{i}.h", hash, 0, 0));

        using var node = NodeClient.Connect(cluster.Coordinator.Socket);
        node.ReceiveTimeout = TimeSpan.FromSeconds(60);
        var key = CompilerKey.Of("/usr/bin/gcc")!;
        node.Send(new CompileRequest("/usr/bin/gcc", key, args, "/tmp/row10", null, key + "\u001e" + CommandRewriter.ForSystemIncludeQuery(CompileCommand.Parse(args)).CacheKey,
            Array.Empty<KeyValuePair<string, string>>(), false));
        var reply = node.Receive();
        if (reply is NeedToolchain)
        {
            node.Send(new ToolchainInfo(gcc.Fingerprint, gcc.Family, gcc.Version, gcc.Target, gcc.DriverLanguage));
            reply = node.Receive();
        }
        Assert.IsType<Preprocess>(reply);
        node.Send(new JobManifest(new[] { "/usr/include" }, false, entries));
        var need = Assert.IsType<NeedBlobs>(node.Receive());
        Assert.Equal(new[] { hash }, need.Hashes);
        node.Send(new Blobs(new[] { new KeyValuePair<string, byte[]>(hash, content) }));
        var local = Assert.IsType<RunLocally>(node.Receive());
        Assert.Contains("the job's inputs (41 MiB) exceed the node's max-job-size (4 MiB)", local.Reason);
        node.Send(new LocalDone(0));
        await Eventually.True(() => cluster.WorkerStatus(cluster.Worker(0)) is var w && w.GetProperty("completed").GetInt64() == 0 && w.GetProperty("failed").GetInt64() == 0,
            TimeSpan.FromSeconds(10), "the worker's counters");
    }
}
