using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using ActorCompile.Tests;

namespace ActorCompile.Integration.Tests;

/// <summary>Where the published programs are: $ACTORCOMPILE_DIST (set by build.sh test), else dist/ above the tests.</summary>
public static class Dist
{
    public static string Directory { get; } = Locate();

    public static string Wrapper => Path.Combine(Directory, "actorcompile");
    public static string Node => Path.Combine(Directory, "actorcompile-node");

    public static string RepositoryRoot { get; } = FindRoot();

    private static string FindRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "ActorCompile.sln"))) dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("cannot find the repository root above " + AppContext.BaseDirectory);
    }

    private static string Locate()
    {
        var dist = Environment.GetEnvironmentVariable("ACTORCOMPILE_DIST") is { Length: > 0 } d ? d : Path.Combine(FindRoot(), "dist");
        if (!File.Exists(Path.Combine(dist, "actorcompile")) || !File.Exists(Path.Combine(dist, "actorcompile-node")))
            throw new InvalidOperationException($"the published programs are not in {dist}; run ./build.sh first");
        return dist;
    }
}

/// <summary>The premise of a test that stops a program with SIGINT, as a user's Ctrl-C does.</summary>
public static class CtrlC
{
    /// <summary>
    /// Fails at once, saying why, when this process ignores SIGINT: every program it starts inherits that, and a
    /// SIGINT would then be lost instead of tested. A shell ignores it in what it starts in the background
    /// (`dotnet test &`); `./build.sh test` sets it back to its default (env --default-signal).
    /// </summary>
    public static void AssertNotIgnored()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        var ignored = Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16);
        Xunit.Assert.True((ignored & (1UL << (2 - 1))) == 0,
            "the tests run with SIGINT ignored (started in the background?), which every program they start inherits: run them through ./build.sh test, or with `env --default-signal=INT`");
    }
}

public static class Ports
{
    private static readonly HashSet<int> Given = new();

    /// <summary>A free TCP port on 127.0.0.1 (taken, then released), never one this test process handed out before: the
    /// kernel hands a released port out again, and two tests' nodes on one port is a node that refuses to start.</summary>
    public static int Free()
    {
        while (true)
        {
            var l = new TcpListener(IPAddress.Loopback, 0);
            l.Start();
            var port = ((IPEndPoint)l.LocalEndpoint).Port;
            l.Stop();
            lock (Given)
                if (Given.Add(port)) return port;
        }
    }
}

/// <summary>A real actorcompile-node process on a loopback port, with its log in a file.</summary>
public sealed class NodeProcess : IDisposable
{
    private readonly Process _process;

    public int Port { get; }
    public string Socket { get; }
    public string LogFile { get; }
    public string Name { get; }
    public string Host { get; }
    public string Address => $"{Host}:{Port}";
    public int Pid => _process.Id;

    /// <param name="port">The cluster port; default a free one.</param>
    /// <param name="launcher">A program (with its arguments) that sets up the node's world and then executes
    /// the node in the same process (exec "$@"), such as unshare and a script that hides the compilers.</param>
    public NodeProcess(string name, string directory, string roles, IEnumerable<string>? seeds = null, IEnumerable<string>? extra = null, IDictionary<string, string>? env = null, string host = "127.0.0.1", int? port = null,
        IReadOnlyList<string>? launcher = null)
    {
        Name = name;
        Host = host;
        Port = port ?? Ports.Free();
        Socket = Path.Combine(directory, name + ".sock");
        LogFile = Path.Combine(directory, name + ".log");
        var args = new List<string> { "--roles", roles, "--host", host, "--port", Port.ToString(), "--socket", Socket };
        foreach (var s in seeds ?? Array.Empty<string>()) { args.Add("--seed"); args.Add(s); }
        args.AddRange(extra ?? Array.Empty<string>());
        var psi = new ProcessStartInfo(launcher?[0] ?? Dist.Node)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        if (launcher is not null)
        {
            foreach (var a in launcher.Skip(1)) psi.ArgumentList.Add(a);
            psi.ArgumentList.Add(Dist.Node);
        }
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["ACTORCOMPILE_CONFIG_DIR"] = Path.Combine(directory, "no-etc");
        // A test's node lives for seconds, and most of its CPU is the runtime warming up: it runs its ReadyToRun
        // code as it is and compiles the rest once, quickly, never again (no call counting, so no tier-1
        // rejit of hot methods, which a node pays back only over many builds). Measured (a coordinator and a
        // 2-slot worker, up, one build of tests/sample-project, /proc ticks of both nodes, 4 rounds interleaved,
        // 2026-12-07): 2.09 and 2.30 s of CPU (medians) instead of 2.35 and 2.40 with tiered compilation off, and
        // 3.6 and 3.3 with the product's tiering. The suite starts about 350 nodes on two cores (process accounting, 2026-12-08). It changes no
        // behaviour, only how the same code is compiled; the product keeps tiering (its steady state is faster
        // with it: ../shared/tools/node-warmup-profile.sh, 7.4-10 ms per unit against 10-12).
        psi.Environment["DOTNET_TC_CallCounting"] = "0";
        // Set as the services set it, so that a test's node does not start itself again to set it (80 ms of CPU
        // per start); NodeLifecycleTests checks that a node started without it sets it.
        psi.Environment["DOTNET_GCgen0size"] = "0x400000";
        psi.Environment["TMPDIR"] = directory;
        // Each node its own result cache (the default is the user's ~/.cache, one node per directory).
        psi.Environment["XDG_CACHE_HOME"] = Path.Combine(directory, name + "-cache");
        // The nodes of one test share their user's cluster certificate (the first makes it), and no other test's.
        psi.Environment["XDG_STATE_HOME"] = StateHome(directory);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        _process = Process.Start(psi)!;
        var log = new StreamWriter(LogFile) { AutoFlush = true };
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Where the nodes started in <paramref name="directory"/> keep their user's state: the cluster certificate in actorcompile/cluster.</summary>
    public static string StateHome(string directory) => Path.Combine(directory, "state");

    /// <summary>The cluster key the nodes of <paramref name="directory"/> share (made by the first of them).</summary>
    public static string ClusterKeyDirectory(string directory) => Path.Combine(StateHome(directory), "actorcompile", "cluster");

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// The node runs as the process the test started, and never started itself again in it: since a node whose
    /// dialled TLS handshake fails, or that the cluster removed, starts again in place (same pid), "it has not
    /// exited" alone no longer says that nothing stopped it. Reads its status' rejoins.
    /// </summary>
    public void AssertRunningWithoutRestart()
    {
        Xunit.Assert.False(HasExited, $"{Name} exited\n{Log()}");
        using var s = Wrapper.Status(Socket);
        Xunit.Assert.True(s.RootElement.GetProperty("rejoins").GetInt32() == 0, $"{Name} started itself again\n{Log()}");
    }

    public int ExitCode => _process.ExitCode;

    public void Signal(string signal) => Run.Program("kill", new[] { "-" + signal, _process.Id.ToString() });

    public bool WaitForExit(TimeSpan timeout) => _process.WaitForExit(timeout);

    public string Log() => File.Exists(LogFile) ? File.ReadAllText(LogFile) : "";

    /// <summary>Asks the node to stop as its service manager would (SIGTERM), without waiting for it.</summary>
    public void BeginStop()
    {
        if (!_process.HasExited && !_stopping)
        {
            _stopping = true;
            Signal("TERM");
        }
    }

    private bool _stopping;

    public void Dispose()
    {
        BeginStop();
        if (!_process.WaitForExit(TimeSpan.FromSeconds(10))) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }

    /// <summary>
    /// Stops nodes together: each is sent SIGTERM before any is waited for. One at a time, each graceful stop
    /// took about a second (its leaving the cluster waits on the others' gossip); together they took 0.2 s
    /// (a coordinator and a worker, 2026-12-08), and the suite stops about a hundred clusters.
    /// </summary>
    public static void StopAll(IEnumerable<NodeProcess> nodes)
    {
        var all = nodes.ToList();
        var errors = new List<Exception>();
        foreach (var n in all)
            try { n.BeginStop(); } catch (Exception e) { errors.Add(e); }
        // Every node is waited for and disposed even if one of them fails to stop.
        foreach (var n in all)
            try { n.Dispose(); } catch (Exception e) { errors.Add(e); }
        if (errors.Count > 0) throw new AggregateException("stopping the test's nodes failed", errors);
    }
}

/// <summary>Runs the published wrapper (or a compiler) with a node's socket in the environment.</summary>
public static class Wrapper
{
    /// <param name="timeout">A bound against hanging: the wrapper is killed and the test fails after it.</param>
    /// <remarks>
    /// The result cache is off (ACTORCOMPILE_CACHE=0) unless <paramref name="env"/> turns it on: most tests
    /// compile one source more than once and check where it compiled, which a hit would answer instead.
    /// The cache's own tests (ResultCacheTests) and the make builds run with it on. The wrapper's
    /// direct-mode records go next to the socket, in the test's directory.
    /// </remarks>
    public static Run.Result Run(string cwd, string socket, IEnumerable<string> args, IDictionary<string, string>? env = null, TimeSpan? timeout = null)
    {
        var e = new Dictionary<string, string>
        {
            ["ACTORCOMPILE_SOCKET"] = socket,
            ["ACTORCOMPILE_CACHE"] = "0",
            ["XDG_CACHE_HOME"] = Path.Combine(Path.GetDirectoryName(socket)!, "wrapper-cache"),
        };
        if (env is not null) foreach (var (k, v) in env) e[k] = v;
        return ActorCompile.Tests.Run.Program(Dist.Wrapper, args, cwd, e, timeout);
    }

    /// <summary>
    /// Where each compile ran, from the wrapper's ACTORCOMPILE_VERBOSE=1 lines: source to the worker's
    /// HOST:PORT, or to "locally". A source with two lines fails the test.
    /// </summary>
    public static Dictionary<string, string> WhereCompiled(string stderr)
    {
        var where = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Text.RegularExpressions.Match m in VerboseLine.Matches(stderr))
        {
            var place = m.Groups[2].Success ? m.Groups[2].Value : "locally";
            if (!where.TryAdd(m.Groups[1].Value, place)) throw new Xunit.Sdk.XunitException($"{m.Groups[1].Value} was reported twice:\n{stderr}");
        }
        return where;
    }

    private static readonly System.Text.RegularExpressions.Regex VerboseLine =
        new(@"^actorcompile: (\S+) compiled (?:on (\S+) in|locally)", System.Text.RegularExpressions.RegexOptions.Multiline);

    /// <summary>
    /// The node's status as `actorcompile status --json` prints it, asked in this process: the same request on the
    /// same socket, through the same client and the same checks of who serves it (LocalProtocol's NodeClient),
    /// and the same JSON (StatusJson), without starting the CLI. Tests poll status while they wait, and a CLI
    /// process per look cost 29 ms of CPU (perf stat -r 20), about a tenth of the suite's CPU on two cores.
    /// The CLI's own status is tested where it is the point: StatusTests, InstallTests, and the tables read in
    /// ResultCacheTests and SealedWorkerTests.
    /// </summary>
    public static JsonDocument Status(string socket)
    {
        using var node = ActorCompile.LocalProtocol.NodeClient.Connect(socket);
        node.ReceiveTimeout = TimeSpan.FromSeconds(10);
        node.Send(new ActorCompile.LocalProtocol.StatusRequest());
        if (node.Receive() is not ActorCompile.LocalProtocol.StatusReply reply)
            throw new InvalidOperationException("the node answered a status request with something else");
        var status = ActorCompile.LocalProtocol.Status.StatusJson.Deserialize(reply.Json);
        return JsonDocument.Parse(ActorCompile.LocalProtocol.Status.StatusJson.Serialize(status));
    }

    /// <summary>The node's status through the CLI's own `actorcompile status --json`, a process of its own.</summary>
    public static JsonDocument StatusThroughCli(string socket)
    {
        var r = ActorCompile.Tests.Run.Program(Dist.Wrapper, new[] { "status", "--json" }, env: new Dictionary<string, string> { ["ACTORCOMPILE_SOCKET"] = socket });
        if (r.ExitCode != 0) throw new InvalidOperationException($"status failed ({r.ExitCode}): {r.Stderr}");
        return JsonDocument.Parse(r.Stdout);
    }
}

/// <summary>A coordinator and some workers as separate processes on loopback ports.</summary>
public sealed class TestCluster : IDisposable
{
    public TempDirectory Directory { get; }
    public NodeProcess Coordinator { get; private set; }
    public List<NodeProcess> Workers { get; } = new();
    private readonly IEnumerable<string> _coordinatorArgs;

    /// <param name="coordinatorArgs">Extra flags for the coordinator (--config, --local-slots, ...).</param>
    /// <param name="workerArgs">Extra flags for every worker (--slots, --toolchain, ...).</param>
    /// <param name="targetHelps">Whether the target compiles queued jobs itself once they waited help-after
    /// (150 ms by default). Off unless a test is about it: on a loaded machine a worker can take longer than
    /// that to pull a job, and a test that expects its compile on a worker then saw it compiled by the target
    /// (correctly, and exit 0 even with ACTORCOMPILE_FALLBACK=0). A test's own --config comes later and wins.</param>
    public TestCluster(int workers, IEnumerable<string>? coordinatorArgs = null, IEnumerable<string>? workerArgs = null, string prefix = "ac-cluster",
        bool targetHelps = false)
    {
        Directory = new TempDirectory(prefix);
        // No random checks of cache hits (verify-rate, 1 % by default): a test that expects a hit must not see
        // one hit in a hundred compiled locally instead. Tests about verification set their rate (their --config wins).
        var settings = "actorcompile.cache.verify-rate = 0\n" + (targetHelps ? "" : "actorcompile.coordinator.help-after = 1h\n");
        coordinatorArgs = new[] { "--config", Directory.Write("test-cluster.hocon", settings) }.Concat(coordinatorArgs ?? Array.Empty<string>());
        _coordinatorArgs = coordinatorArgs.ToArray();
        Coordinator = new NodeProcess("coordinator", Directory.Path, "coordinator", extra: _coordinatorArgs);
        for (int i = 0; i < workers; i++)
            Workers.Add(new NodeProcess($"worker-{(char)('a' + i)}", Directory.Path, "worker", new[] { Coordinator.Address }, workerArgs));
    }

    public NodeProcess Worker(int i) => Workers[i];

    /// <summary>Starts the coordinator again as its service manager would after it died: the same command (port, socket, flags), a new process.</summary>
    public void StartCoordinatorAgain()
    {
        if (!Coordinator.HasExited) throw new InvalidOperationException("the coordinator still runs");
        var port = Coordinator.Port;
        Coordinator.Dispose();
        Coordinator = new NodeProcess("coordinator", Directory.Path, "coordinator", extra: _coordinatorArgs, port: port);
    }

    /// <summary>Waits until the coordinator's status shows this many workers up with toolchains.</summary>
    public async Task WaitForWorkers(int? count = null)
    {
        int want = count ?? Workers.Count;
        try
        {
            await Eventually.Get(() =>
            {
                using var doc = Wrapper.Status(Coordinator.Socket);
                var up = doc.RootElement.GetProperty("workers").EnumerateArray()
                    .Count(w => w.GetProperty("state").GetString() == "up" && w.GetProperty("toolchains").GetArrayLength() > 0);
                return Task.FromResult<object?>(up >= want ? new object() : null);
            }, TimeSpan.FromSeconds(120), $"{want} workers to join"); // 120 s: with the whole suite on two cores a node has taken over 60 s to start
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\n--- coordinator log ---\n{Coordinator.Log()}\n--- first worker log ---\n{Workers.FirstOrDefault()?.Log()}");
        }
    }

    /// <summary>The worker entry of the coordinator's status, by address.</summary>
    public System.Text.Json.JsonElement WorkerStatus(NodeProcess worker)
    {
        using var doc = Wrapper.Status(Coordinator.Socket);
        return doc.RootElement.GetProperty("workers").EnumerateArray().Single(w => w.GetProperty("address").GetString() == worker.Address).Clone();
    }

    /// <summary>The logs of every node, for failure messages.</summary>
    public string Logs() => string.Join("\n", new[] { Coordinator }.Concat(Workers).Select(n => $"--- {n.Name} ---\n{n.Log()}"));

    public void Dispose()
    {
        NodeProcess.StopAll(Workers.Append(Coordinator));
        Directory.Dispose();
    }
}

/// <summary>
/// A coordinator and two workers shared by the tests of a collection. The coordinator has no worker role
/// and never compiles queued jobs itself, so every distributed compile runs on a worker.
/// </summary>
public sealed class ClusterFixture : Xunit.IAsyncLifetime
{
    private TestCluster _cluster = null!;
    private TempDirectory? _config;

    public NodeProcess Coordinator => _cluster.Coordinator;
    public NodeProcess WorkerA => _cluster.Worker(0);
    public NodeProcess WorkerB => _cluster.Worker(1);

    public async Task InitializeAsync()
    {
        var dir = new TempDirectory("ac-fixture");
        _config = dir;
        var noHelp = dir.Write("no-help.hocon", "actorcompile.coordinator.help-after = 1h\n");
        _cluster = new TestCluster(2, coordinatorArgs: new[] { "--config", noHelp }, workerArgs: new[] { "--slots", "2" });
        await _cluster.WaitForWorkers();
    }

    public Task DisposeAsync()
    {
        _cluster.Dispose();
        _config?.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>
/// Fake compilers: shell scripts around the real gcc that misbehave only when they run on a worker
/// (their working directory is then inside a worker's job directory). They exist because the failures
/// they stand for cannot be produced on demand with the real gcc: a compile slow enough to kill a node
/// in the middle of it, a compiler that hangs, one that crashes by a signal, one that fails only on a
/// helper. They answer -v, -dumpmachine and the rest as gcc does, so they fingerprint as a toolchain of
/// their own, which the test's workers offer with --toolchain. A shell script that runs gcc by name
/// cannot run in a sealed root (which holds one compiler's own files, no shell): the workers of these
/// tests run with actorcompile.worker.sandbox = off, and the sandbox has its own tests with the real gcc.
/// </summary>
public static class FakeCompiler
{
    private const string OnWorker = """case "$PWD" in */actorcompile-worker-*) on_worker=1;; *) on_worker=0;; esac""";

    /// <summary>Writes an executable script and returns its path.</summary>
    private static string Write(string directory, string name, string body)
    {
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, "#!/bin/sh\n" + OnWorker + "\n" + body + "\nexec gcc \"$@\"\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        return path;
    }

    private const string Compiling = """compiling=0; for a in "$@"; do [ "$a" = -c ] && compiling=1; done""";

    /// <summary>Compiles normally, and on a worker then appends a byte to the object it wrote: a worker that lies.</summary>
    public static string LyingOnWorkers(string directory) => Write(directory, "lying-gcc", $$"""
        {{Compiling}}
        if [ $on_worker = 1 ] && [ $compiling = 1 ]; then
          out=; prev=; for a in "$@"; do [ "$prev" = -o ] && out=$a; prev=$a; done
          gcc "$@" || exit $?
          printf 'X' >> "$out"
          exit 0
        fi
        """);

    /// <summary>Sleeps before each compile on a worker, and logs when each one starts and ends there.</summary>
    public static string Slow(string directory, double seconds, string log) => Write(directory, "slow-gcc", $$"""
        {{Compiling}}
        if [ $on_worker = 1 ] && [ $compiling = 1 ]; then
          echo "start $(date +%s%N) $PWD" >> '{{log}}'
          sleep {{seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}}
          gcc "$@"; rc=$?
          echo "end $(date +%s%N) $PWD" >> '{{log}}'
          exit $rc
        fi
        """);

    /// <summary>
    /// Holds every compile on a worker until the file <paramref name="release"/> exists, logging
    /// "start|end NANOSECONDS PWD SOURCE" to <paramref name="log"/> when each starts and ends there: a test
    /// knows exactly which jobs a worker holds when it kills something, because none of them can finish
    /// before the test lets them.
    /// </summary>
    public static string Held(string directory, string log, string release) => Write(directory, "held-gcc", $$"""
        {{Compiling}}
        if [ $on_worker = 1 ] && [ $compiling = 1 ]; then
          src=; for a in "$@"; do case "$a" in *.c) src=$a;; esac; done
          echo "start $(date +%s%N) $PWD $src" >> '{{log}}'
          while [ ! -e '{{release}}' ]; do sleep 0.05; done
          gcc "$@"; rc=$?
          echo "end $(date +%s%N) $PWD $src" >> '{{log}}'
          exit $rc
        fi
        """);

    /// <summary>
    /// Fails the first attempt at each source, on whichever worker it runs, and compiles normally after:
    /// a source named crash*.c dies by SIGSEGV there (a crash), one named outside*.c reads
    /// <paramref name="outsideFile"/>, outside the job's mirror (which the worker refuses). The worker of
    /// the failed attempt is written to <paramref name="markers"/>/SOURCE-NAME/worker as its $PWD.
    /// </summary>
    public static string FailingFirst(string directory, string markers, string outsideFile) => Write(directory, "failing-first-gcc", $$"""
        {{Compiling}}
        if [ $on_worker = 1 ] && [ $compiling = 1 ]; then
          src=; for a in "$@"; do case "$a" in *.c) src=$a;; esac; done
          name=$(basename "$src" .c)
          if mkdir '{{markers}}'/"$name" 2>/dev/null; then
            echo "$PWD" > '{{markers}}'/"$name"/worker
            case "$name" in
              crash*) kill -SEGV $$;;
              outside*) exec gcc -include '{{outsideFile}}' "$@";;
            esac
          fi
        fi
        """);

    /// <summary>Dies by SIGSEGV when compiling on a worker while the file <paramref name="whileExists"/> exists.</summary>
    public static string CrashingWhile(string directory, string whileExists) => Write(directory, "crashing-while-gcc", $$"""
        {{Compiling}}
        if [ $on_worker = 1 ] && [ $compiling = 1 ] && [ -e '{{whileExists}}' ]; then kill -SEGV $$; fi
        """);

    /// <summary>
    /// On a worker, sleeps a second before each compile (the worker stays busy). On the target, logs
    /// "start|end NANOSECONDS PID scan|compile" to $ACTORCOMPILE_TEST_LOG around each dependency scan (-M)
    /// and each compile (-c): what a local slot must hold, one at a time.
    /// </summary>
    public static string Recording(string directory) => Write(directory, "recording-gcc", """
        compiling=0; scanning=0; for a in "$@"; do [ "$a" = -c ] && compiling=1; [ "$a" = -M ] && scanning=1; done
        if [ $on_worker = 1 ]; then [ $compiling = 1 ] && sleep 1; exec gcc "$@"; fi
        kind=; [ $scanning = 1 ] && kind=scan; [ $compiling = 1 ] && kind=compile
        if [ -n "$kind" ] && [ -n "$ACTORCOMPILE_TEST_LOG" ]; then
          echo "start $(date +%s%N) $$ $kind" >> "$ACTORCOMPILE_TEST_LOG"
          gcc "$@"; rc=$?
          echo "end $(date +%s%N) $$ $kind" >> "$ACTORCOMPILE_TEST_LOG"
          exit $rc
        fi
        """);

    /// <summary>Sleeps before each compile on a worker.</summary>
    public static string Sleepy(string directory, double seconds) => Write(directory, "sleepy-gcc", $$"""
        {{Compiling}}
        if [ $on_worker = 1 ] && [ $compiling = 1 ]; then sleep {{seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}}; fi
        """);

    /// <summary>Never finishes a compile on a worker (a sleep with a marker argument, to find it later).</summary>
    public static string Hanging(string directory, string marker, string startedFile) => Write(directory, "hanging-gcc", $$"""
        {{Compiling}}
        if [ $on_worker = 1 ] && [ $compiling = 1 ]; then
          touch '{{startedFile}}'
          sleep {{marker}}
        fi
        """);

    /// <summary>Dies by SIGSEGV when compiling on a worker.</summary>
    public static string Crashing(string directory) => Write(directory, "crashing-gcc", $$"""
        {{Compiling}}
        if [ $on_worker = 1 ] && [ $compiling = 1 ]; then kill -SEGV $$; fi
        """);

    /// <summary>Reports an error and fails when compiling on a worker; compiles normally elsewhere.</summary>
    public static string FailingOnWorkers(string directory) => Write(directory, "failing-gcc", $$"""
        {{Compiling}}
        if [ $on_worker = 1 ] && [ $compiling = 1 ]; then echo "fake-gcc: error: this helper is broken" >&2; exit 1; fi
        """);
}
