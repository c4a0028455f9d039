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

    [Fact]
    public async Task Options_that_run_code_never_reach_a_helper_and_the_build_is_the_local_one()
    {
        // One cluster for every option (a cluster of its own for each cost the suite a node start per row).
        using var cluster = new TestCluster(1, workerArgs: new[] { "--toolchain", "gcc" }, prefix: "ac-opt");
        await cluster.WaitForWorkers();
        using var dir = new TempDirectory("ac-opt-src");
        var project = Project(dir, "int answer(void) { return 42; }\n");
        // The attacker's files exist (here harmless: gcc reads them locally, as the user asked).
        dir.Write("p/evil.specs", "*cc1_options:\n+ -DFROM_SPECS=1\n\n");
        Assert.Equal(0, Run.Gcc(project, "-shared", "-fPIC", "-x", "c", "/dev/null", "-o", "evil.so").ExitCode);
        var options = new[]
        {
            // Row 1 of the trust issue: gcc's long spelling of -specs, whose *invoke_as ran a shell on the worker.
            "--specs=evil.specs", "-specs=evil.specs",
            // Row 2: --plugin is -fplugin (gcc turns --X into -fX); the plugin travelled in the job's own mirror.
            "--plugin=./evil.so", "-fplugin=./evil.so",
        };
        foreach (var option in options)
        {
            File.Delete(Path.Combine(project, "a.o"));
            var r = Wrapper.Run(project, cluster.Coordinator.Socket, new[] { "gcc", option, "-O2", "-c", "a.c", "-o", "a.o" }, Verbose);
            // Compiled here, as the table says, and nowhere else.
            Assert.True(r.Stderr.Contains("a.c compiled locally", StringComparison.Ordinal)
                && r.Stderr.Contains(option.TrimStart('-').Split('=')[0], StringComparison.Ordinal), $"{option}: {r.Stderr}");
            if (r.ExitCode == 0) AssertSameAsLocal(project, "gcc", option, "-O2", "-c", "a.c", "-o", "a.o");
            else Assert.Equal(Run.Gcc(project, option, "-O2", "-c", "a.c", "-o", "reference.o").ExitCode, r.ExitCode);
        }
        // Then one plain compile goes to the worker: once its report counts that one, it counts nothing else
        // (a check of "zero" alone would pass before the first report arrived).
        var plain = Wrapper.Run(project, cluster.Coordinator.Socket, new[] { "gcc", "-O2", "-c", "a.c", "-o", "a.o" },
            new Dictionary<string, string>(Verbose) { ["ACTORCOMPILE_FALLBACK"] = "0" });
        Assert.True(plain.ExitCode == 0 && plain.Stderr.Contains($"compiled on {cluster.Worker(0).Address}", StringComparison.Ordinal), plain.Stderr);
        await Eventually.True(() => cluster.WorkerStatus(cluster.Worker(0)).GetProperty("completed").GetInt64() >= 1,
            TimeSpan.FromSeconds(15), "the worker's report of the plain compile");
        var counters = cluster.WorkerStatus(cluster.Worker(0));
        Assert.Equal(1, counters.GetProperty("completed").GetInt64());
        Assert.Equal(0, counters.GetProperty("failed").GetInt64());
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
        // Row 10: 41 files that the manifest declares of size 0, all one version of one content of 1 MiB (the
        // wrapper sent it once; the node remembers it by its status). The node measures the job by what the
        // contents really take (41 MiB here, over the 4 MiB limit of this cluster), so the job compiles locally
        // at once; the worker (which counts the same way) never sees it.
        using var dir = new TempDirectory("ac-row10");
        var small = dir.Write("small.hocon", "actorcompile.max-job-size = 4MiB\n");
        using var cluster = new TestCluster(1, coordinatorArgs: new[] { "--config", small }, workerArgs: new[] { "--toolchain", "gcc", "--config", small }, prefix: "ac-row10-cluster");
        await cluster.WaitForWorkers();
        var args = new[] { "-c", "a.c", "-o", "a.o" };
        var gcc = (await ToolchainProbe.ProbeAsync("/usr/bin/gcc")).Identity;
        var content = new byte[1 << 20];
        new Random(10).NextBytes(content);
        var status = new ActorCompile.Toolchain.Processes.FileStatus(0x81a4, content.Length, 1_000_000_000, 1_000_000_000, 77, 254, 1);
        var entries = new List<MirrorEntry> { new(MirrorEntryKind.Directory, "/tmp/row10", null, 0, 0), new(MirrorEntryKind.File, "/tmp/row10/a.c", null, 0, 0) };
        var origins = new List<string> { "a.c" };
        for (int i = 0; i < 40; i++)
        {
            entries.Add(new(MirrorEntryKind.File, $"/tmp/row10/h{i}.h", null, 0, 0));
            origins.Add($"h{i}.h");
        }

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
        node.Send(new ScanRound(new[] { new FileRef("a.c", status) }, Array.Empty<FileUpload>()));
        Assert.IsType<ScanAnswers>(node.Receive());
        node.Send(new ScanRound(origins.Skip(1).Select(o => new FileRef(o, status)).ToList(),
            new[] { new FileUpload("a.c", status, Settled: true, Array.Empty<byte>(), content) }));
        Assert.All(Assert.IsType<ScanAnswers>(node.Receive()).Directives, Assert.NotNull); // the same version: remembered
        node.Send(new JobManifest(new[] { "/usr/include" }, false, entries, origins, Array.Empty<FileUpload>(), InputScan.Compiler));
        var local = Assert.IsType<RunLocally>(node.Receive());
        Assert.Contains("the job's inputs (41 MiB) exceed the node's max-job-size (4 MiB)", local.Reason);
        node.Send(new LocalDone(0));
        await Eventually.True(() => cluster.WorkerStatus(cluster.Worker(0)) is var w && w.GetProperty("completed").GetInt64() == 0 && w.GetProperty("failed").GetInt64() == 0,
            TimeSpan.FromSeconds(10), "the worker's counters");
    }

    /// <summary>
    /// A compiler that answers the worker's and the wrapper's questions as gcc (it runs /usr/bin/gcc for
    /// everything but a compile) and, asked to compile (-c), tries to read <paramref name="secret"/> and to
    /// connect to 127.0.0.1:<paramref name="port"/>, prints what came of each, and writes an object and the
    /// dependency list a compiler would. A fake, because gcc never tries either, so a real compile proves
    /// nothing about them; a static program, so that its sealed root needs no library, and outside /tmp,
    /// because the sandbox mounts its own /tmp (a toolchain may not live there).
    /// </summary>
    private static string Prober(string directory, string secret, int port)
    {
        var source = Path.Combine(directory, "prober.c");
        File.WriteAllText(source, $$"""
            #include <arpa/inet.h>
            #include <errno.h>
            #include <fcntl.h>
            #include <netinet/in.h>
            #include <stdio.h>
            #include <string.h>
            #include <sys/socket.h>
            #include <unistd.h>
            static const char *outcome(int ok) { return ok ? "ok" : strerror(errno); }
            int main(int argc, char **argv) {
              int compile = 0;
              const char *out = 0, *deps = 0, *src = 0;
              for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "-c")) compile = 1;
                else if (!strcmp(argv[i], "-M") || !strcmp(argv[i], "-MM") || !strcmp(argv[i], "-E")) { compile = 0; break; }
                else if (!strcmp(argv[i], "-o") && i + 1 < argc) out = argv[++i];
                else if (!strcmp(argv[i], "-MF") && i + 1 < argc) deps = argv[++i];
                else if ((!strcmp(argv[i], "-include") || !strcmp(argv[i], "-isystem") || !strcmp(argv[i], "-MT") || !strcmp(argv[i], "-MQ")) && i + 1 < argc) i++;
                else if (strlen(argv[i]) > 2 && !strcmp(argv[i] + strlen(argv[i]) - 2, ".c")) src = argv[i];
              }
              if (!compile || !out || !src) { argv[0] = "/usr/bin/gcc"; execv("/usr/bin/gcc", argv); return 127; }
              fprintf(stderr, "prober: read {{secret}}: %s\n", outcome(open("{{secret}}", O_RDONLY) >= 0));
              int s = socket(AF_INET, SOCK_STREAM, 0);
              struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons({{port}}) };
              inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
              fprintf(stderr, "prober: connect 127.0.0.1:{{port}}: %s\n", outcome(s >= 0 && connect(s, (struct sockaddr *)&a, sizeof a) == 0));
              FILE *o = fopen(out, "w"); if (!o) return 2; fputs("PROBE-OBJECT", o); fclose(o);
              if (deps) { FILE *d = fopen(deps, "w"); if (!d) return 3; fprintf(d, "%s: %s\n", out, src); fclose(d); }
              return 0;
            }
            """);
        var binary = Path.Combine(directory, "prober-gcc");
        var r = Run.Program("gcc", new[] { "-static", "-O1", source, "-o", binary });
        Assert.True(r.ExitCode == 0, r.Stderr);
        return binary;
    }

    [Fact]
    public async Task A_compile_on_a_helper_cannot_read_outside_its_job_or_reach_the_network_and_says_why()
    {
        var programs = Directory.CreateDirectory($"/var/tmp/ac-prober-{Guid.NewGuid():N}");
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            // A file of the helper's, beside the compiler itself but not one of its files.
            var secret = Path.Combine(programs.FullName, "secret");
            File.WriteAllText(secret, "the helper's own");
            var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
            var prober = Prober(programs.FullName, secret, port);
            using var dir = new TempDirectory("ac-probe");
            var project = Project(dir, "int probed;\n");

            // The control: run here, without a sandbox, the same compile reads the file and connects.
            var unconfined = Run.Program(prober, new[] { "-c", "a.c", "-o", "control.o" }, project);
            Assert.True(unconfined.ExitCode == 0, unconfined.Stderr);
            Assert.Contains($"prober: read {secret}: ok", unconfined.Stderr);
            Assert.Contains($"prober: connect 127.0.0.1:{port}: ok", unconfined.Stderr);
            listener.AcceptTcpClient().Dispose();

            using var cluster = new TestCluster(1, workerArgs: new[] { "--toolchain", prober }, prefix: "ac-probe-cluster");
            await cluster.WaitForWorkers();
            var r = Wrapper.Run(project, cluster.Coordinator.Socket, new[] { prober, "-c", "a.c", "-o", "a.o" },
                new Dictionary<string, string>(Verbose) { ["ACTORCOMPILE_FALLBACK"] = "0" });
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.Equal(cluster.Worker(0).Address, Wrapper.WhereCompiled(r.Stderr)["a.c"]);
            Assert.Equal("PROBE-OBJECT", File.ReadAllText(Path.Combine(project, "a.o")));
            // On the helper, both attempts failed, and the compile's own messages say why.
            Assert.Contains($"prober: read {secret}: No such file or directory", r.Stderr);
            Assert.Contains($"prober: connect 127.0.0.1:{port}: Connection refused", r.Stderr);
            Assert.False(listener.Pending(), "the sandboxed compile reached the target's listener");
        }
        finally
        {
            listener.Stop();
            programs.Delete(recursive: true);
        }
    }
}
