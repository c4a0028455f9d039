using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ActorCompile.Tests;

namespace ActorCompile.Benchmarks;

/// <summary>A command's outcome and its wall time.</summary>
public sealed record Outcome(int ExitCode, string Stdout, string Stderr, double Milliseconds);

/// <summary>Median, spread and count of one measured quantity.</summary>
public sealed record Summary(double Median, double Min, double Max, int Runs)
{
    public static Summary Of(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0) return new Summary(double.NaN, double.NaN, double.NaN, 0);
        var sorted = values.Order().ToArray();
        int n = sorted.Length;
        double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        return new Summary(median, sorted[0], sorted[^1], n);
    }

    public string Cell(string format = "0.0") => Runs == 0
        ? "n/a"
        : string.Create(CultureInfo.InvariantCulture, $"{Median.ToString(format, CultureInfo.InvariantCulture)} ({Min.ToString(format, CultureInfo.InvariantCulture)}–{Max.ToString(format, CultureInfo.InvariantCulture)})");
}

public static class Shell
{
    /// <summary>Runs a program to the end and measures it from start to exit.</summary>
    public static Outcome Run(string file, IEnumerable<string> args, string cwd, IReadOnlyDictionary<string, string?>? env = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = cwd,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        var clock = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        var ms = clock.Elapsed.TotalMilliseconds;
        return new Outcome(p.ExitCode, stdout.Result, stderr.Result, ms);
    }

    public static Outcome Sh(string script, string cwd, IReadOnlyDictionary<string, string?>? env = null) =>
        Run("/bin/sh", new[] { "-c", script }, cwd, env);

    public static Outcome Must(Outcome o, string what)
    {
        if (o.ExitCode != 0) throw new InvalidOperationException($"{what} failed (exit {o.ExitCode}):\n{o.Stderr}{o.Stdout}");
        return o;
    }

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    /// <summary>VmHWM of a process: the peak of its resident set, in MiB.</summary>
    public static double PeakResidentMiB(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
        return double.NaN;
    }

    public static string Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':')
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException($"{name} is not installed (./build.sh bench installs it)");
}

/// <summary>A long-running process started by the benchmark, stopped with SIGTERM when disposed.</summary>
public sealed class Daemon : IDisposable
{
    private readonly Process _process;
    public string LogFile { get; }
    public int Pid => _process.Id;

    public Daemon(string file, IEnumerable<string> args, string cwd, string logFile, IReadOnlyDictionary<string, string?>? env = null)
    {
        LogFile = logFile;
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = cwd };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        _process = Process.Start(psi)!;
        var log = new StreamWriter(logFile) { AutoFlush = true };
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public bool HasExited => _process.HasExited;

    private bool _disposed;

    /// <summary>Stops the process; a second call does nothing (a cluster stops every worker it started, also those stopped before).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_process.HasExited)
        {
            Shell.Run("kill", new[] { "-TERM", Pid.ToString(CultureInfo.InvariantCulture) }, "/");
            if (!_process.WaitForExit(TimeSpan.FromSeconds(15))) _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
    }
}

/// <summary>
/// A worker node of a <see cref="Cluster"/>: its process, its work directory, and its address as the cluster
/// names it (in status and in the wrapper's "compiled on" lines).
/// </summary>
public sealed record WorkerNode(Daemon Process, string WorkDirectory, string Address);

/// <summary>An ActorCompile cluster on loopback: a coordinator (the build machine) and workers, each a real node process.</summary>
public sealed class Cluster : IDisposable
{
    /// <summary>A worker's process before it has joined: its port tells its entry in status apart.</summary>
    private sealed record StartedWorker(Daemon Process, int Port, string WorkDirectory);

    private readonly List<WorkerNode> _workers = new();
    private readonly List<Daemon> _workerProcesses = new(); // every one started, joined or not: stopped on Dispose
    private readonly string _directory;
    private readonly Dictionary<string, string?> _environment;
    private readonly int _seedPort;
    private readonly IReadOnlyList<string>? _workerLauncher;
    private int _workersStarted; // names each worker's files uniquely, also after others were removed

    public string Socket { get; }
    public string Dist { get; }
    public Daemon Coordinator { get; }
    public IReadOnlyList<Daemon> Workers => _workers.Select(w => w.Process).ToList();
    public IReadOnlyList<WorkerNode> WorkerNodes => _workers.ToList();

    /// <param name="config">HOCON for the coordinator (for example help-after).</param>
    /// <param name="workerLauncher">For every worker of this cluster: a program and its arguments that prepares the
    /// worker's world and then executes the node in the same process (exec "$@"), such as
    /// <see cref="HelperWithoutCompilers"/>; null starts the node itself.</param>
    /// <param name="nodeEnvironment">Extra environment for every node of this cluster (runtime settings the bench compares, DOTNET_*).</param>
    public Cluster(string dist, string directory, int workers, int slotsPerWorker, string config, IReadOnlyList<string>? workerLauncher = null,
        IReadOnlyDictionary<string, string?>? nodeEnvironment = null)
    {
        Dist = dist;
        _directory = directory;
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(Path.Combine(directory, "coordinator.hocon"), config);
        // The cluster's own state (its key, the members its nodes remember) in the run's directory: nodes of an
        // earlier run on the same ports must not be remembered as members to wait for.
        _environment = new Dictionary<string, string?> { ["ACTORCOMPILE_CONFIG_DIR"] = Path.Combine(directory, "no-etc"), ["TMPDIR"] = directory,
            ["XDG_STATE_HOME"] = Path.Combine(directory, "state") };
        foreach (var (k, v) in nodeEnvironment ?? new Dictionary<string, string?>()) _environment[k] = v;
        _seedPort = Shell.FreePort();
        _workerLauncher = workerLauncher;
        Socket = Path.Combine(directory, "coordinator.sock");
        Coordinator = new Daemon(Path.Combine(dist, "actorcompile-node"),
            new[] { "--roles", "coordinator", "--host", "127.0.0.1", "--port", _seedPort.ToString(CultureInfo.InvariantCulture), "--socket", Socket, "--config", Path.Combine(directory, "coordinator.hocon") },
            directory, Path.Combine(directory, "coordinator.log"), NodeEnvironment("coordinator"));
        try
        {
            // Started together, waited for together: the nodes start up in parallel.
            _workers.AddRange(WaitUntilJoined(Enumerable.Range(0, workers).Select(_ => StartWorker(slotsPerWorker)).ToList()));
        }
        catch
        {
            Dispose(); // no caller holds this cluster yet: its nodes would outlive the bench
            throw;
        }
    }

    /// <summary>
    /// What a wrapper of this cluster needs: the coordinator's socket, and a cache home of its own in the
    /// cluster's directory (the wrapper's direct-mode records live there, never in the user's ~/.cache).
    /// </summary>
    public IReadOnlyDictionary<string, string?> ClientEnvironment => new Dictionary<string, string?>
    {
        ["ACTORCOMPILE_SOCKET"] = Socket,
        ["XDG_CACHE_HOME"] = Path.Combine(_directory, "wrapper-cache"),
    };

    /// <summary>
    /// A node's environment: each node its own result cache in the cluster's directory, empty when the cluster
    /// starts (the default, the user's ~/.cache/actorcompile, would outlive the bench, and one node per directory
    /// keeps results there).
    /// </summary>
    private Dictionary<string, string?> NodeEnvironment(string node) =>
        new(_environment) { ["XDG_CACHE_HOME"] = Path.Combine(_directory, node + "-cache") };

    /// <summary>The cluster's result cache as the coordinator sees it: <c>actorcompile cache stats --json</c> over its socket.</summary>
    public System.Text.Json.JsonDocument CacheStats()
    {
        var r = Shell.Must(Shell.Run(Wrapper, new[] { "cache", "stats", "--json" }, _directory, ClientEnvironment), "actorcompile cache stats --json");
        return System.Text.Json.JsonDocument.Parse(r.Stdout);
    }

    public string Wrapper => Path.Combine(Dist, "actorcompile");

    /// <summary>Starts one more worker, with a work directory of its own (so an empty cache), and waits until the coordinator sees it up.</summary>
    public WorkerNode AddWorker(int slots)
    {
        var worker = WaitUntilJoined(new[] { StartWorker(slots) }).Single();
        _workers.Add(worker);
        return worker;
    }

    /// <summary>Stops a worker (it leaves the cluster on SIGTERM), waits until the coordinator no longer lists it, and deletes its work directory.</summary>
    public void RemoveWorker(WorkerNode worker)
    {
        _workers.Remove(worker);
        worker.Process.Dispose();
        Eventually.True(() =>
        {
            using var status = Status();
            return status.RootElement.GetProperty("workers").EnumerateArray().All(w => w.GetProperty("address").GetString() != worker.Address);
        }, TimeSpan.FromSeconds(60), $"worker {worker.Address} to leave (logs in {_directory})").GetAwaiter().GetResult();
        if (Directory.Exists(worker.WorkDirectory)) Directory.Delete(worker.WorkDirectory, recursive: true);
    }

    /// <summary>The coordinator's view of the cluster: <c>actorcompile status --json</c> over its socket.</summary>
    public System.Text.Json.JsonDocument Status()
    {
        var r = Shell.Must(Shell.Run(Wrapper, new[] { "status", "--json" }, _directory, ClientEnvironment), "actorcompile status --json");
        return System.Text.Json.JsonDocument.Parse(r.Stdout);
    }

    private StartedWorker StartWorker(int slots)
    {
        int n = ++_workersStarted;
        int port = Shell.FreePort();
        var work = Path.Combine(_directory, $"worker-{n}-work");
        var config = Path.Combine(_directory, $"worker-{n}.hocon");
        File.WriteAllText(config, $"actorcompile.worker.work-directory = \"{work}\"\n");
        var node = new[] { Path.Combine(Dist, "actorcompile-node"), "--roles", "worker", "--host", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture),
            "--socket", Path.Combine(_directory, $"worker-{n}.sock"), "--seed", $"127.0.0.1:{_seedPort}", "--slots", slots.ToString(CultureInfo.InvariantCulture), "--config", config };
        var command = (_workerLauncher ?? Array.Empty<string>()).Concat(node).ToArray();
        var process = new Daemon(command[0], command.Skip(1), _directory, Path.Combine(_directory, $"worker-{n}.log"), NodeEnvironment($"worker-{n}"));
        _workerProcesses.Add(process);
        return new StartedWorker(process, port, work);
    }

    /// <summary>
    /// Waits until the coordinator's status shows each worker up and able to take jobs (with toolchains of
    /// its own, or taking shipped ones), and returns them under the address status gives them.
    /// </summary>
    /// <summary>
    /// How long nodes may take to start and join: on the shared 2-core machine, with other builds and test runs at
    /// a load average of 40, a node took over a minute from exec to its first log line (a slow machine, not a fault).
    /// </summary>
    private static readonly TimeSpan JoinWithin = TimeSpan.FromMinutes(3);

    private List<WorkerNode> WaitUntilJoined(IReadOnlyCollection<StartedWorker> workers) =>
        Eventually.Get(() =>
        {
            if (Coordinator.HasExited || workers.Any(w => w.Process.HasExited)) throw new InvalidOperationException($"a node exited; logs in {_directory}");
            using var status = Status();
            var up = new List<string>();
            foreach (var w in status.RootElement.GetProperty("workers").EnumerateArray())
            {
                var address = w.GetProperty("address").GetString()!;
                bool ownCompilers = w.GetProperty("toolchains").GetArrayLength() > 0;
                bool takesShipped = w.GetProperty("shipping").GetString() is { } shipping && shipping.StartsWith("on", StringComparison.Ordinal);
                if (!ownCompilers && !takesShipped)
                    throw new InvalidOperationException($"worker {address} can run no compiler: it has none, and shipped toolchains are {w.GetProperty("shipping").GetString()}");
                if (w.GetProperty("state").GetString() == "up") up.Add(address);
            }
            // All on 127.0.0.1: the port tells the workers apart.
            var joined = workers.Select(w => (Worker: w, Address: up.SingleOrDefault(a => a.EndsWith(":" + w.Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)))).ToList();
            return Task.FromResult(joined.All(j => j.Address is not null) ? joined.Select(j => new WorkerNode(j.Worker.Process, j.Worker.WorkDirectory, j.Address!)).ToList() : null);
        }, JoinWithin, $"{workers.Count} workers to join (logs in {_directory})").GetAwaiter().GetResult();

    public void Dispose()
    {
        foreach (var w in Enumerable.Reverse(_workerProcesses)) w.Dispose();
        Coordinator.Dispose();
    }
}

/// <summary>distccd daemons on loopback: the peer ActorCompile is measured against.</summary>
public sealed class Distcc : IDisposable
{
    private readonly List<Daemon> _daemons = new();
    public IReadOnlyDictionary<string, string?> ClientEnvironment { get; }
    public IReadOnlyList<Daemon> Daemons => _daemons;

    public Distcc(string directory, int daemons, int jobsEach)
    {
        Directory.CreateDirectory(directory);
        var state = Path.Combine(directory, "state");
        Directory.CreateDirectory(state);
        var hosts = new List<string>();
        var distccd = Shell.Find("distccd");
        for (int i = 1; i <= daemons; i++)
        {
            int port = Shell.FreePort();
            _daemons.Add(new Daemon(distccd,
                new[] { "--daemon", "--no-detach", "--allow", "127.0.0.1", "--listen", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture),
                    "--jobs", jobsEach.ToString(CultureInfo.InvariantCulture), "--log-stderr", "--log-level", "warning" },
                directory, Path.Combine(directory, $"distccd-{i}.log")));
            hosts.Add($"127.0.0.1:{port}/{jobsEach}");
            WaitForPort(port);
        }
        ClientEnvironment = new Dictionary<string, string?> { ["DISTCC_HOSTS"] = string.Join(' ', hosts), ["DISTCC_DIR"] = state };
    }

    private static void WaitForPort(int port) =>
        Eventually.True(() =>
        {
            using var c = new TcpClient();
            c.Connect(IPAddress.Loopback, port); // refused until distccd listens; Eventually tries again
            return true;
        }, TimeSpan.FromSeconds(20), $"distccd to listen on port {port}").GetAwaiter().GetResult();

    public void Dispose()
    {
        foreach (var d in _daemons) d.Dispose();
    }
}
