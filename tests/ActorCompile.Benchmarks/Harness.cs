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

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Shell.Run("kill", new[] { "-TERM", Pid.ToString(CultureInfo.InvariantCulture) }, "/");
            if (!_process.WaitForExit(TimeSpan.FromSeconds(15))) _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
    }
}

/// <summary>An ActorCompile cluster on loopback: a coordinator (the build machine) and workers, each a real node process.</summary>
public sealed class Cluster : IDisposable
{
    private readonly List<Daemon> _nodes = new();
    public string Socket { get; }
    public string Dist { get; }
    public Daemon Coordinator => _nodes[0];
    public IReadOnlyList<Daemon> Workers => _nodes.Skip(1).ToList();

    /// <param name="config">HOCON for the coordinator (for example help-after).</param>
    public Cluster(string dist, string directory, int workers, int slotsPerWorker, string config)
    {
        Dist = dist;
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(Path.Combine(directory, "coordinator.hocon"), config);
        var env = new Dictionary<string, string?> { ["ACTORCOMPILE_CONFIG_DIR"] = Path.Combine(directory, "no-etc"), ["TMPDIR"] = directory };
        int seedPort = Shell.FreePort();
        Socket = Path.Combine(directory, "coordinator.sock");
        _nodes.Add(new Daemon(Path.Combine(dist, "actorcompile-node"),
            new[] { "--roles", "coordinator", "--host", "127.0.0.1", "--port", seedPort.ToString(CultureInfo.InvariantCulture), "--socket", Socket, "--config", Path.Combine(directory, "coordinator.hocon") },
            directory, Path.Combine(directory, "coordinator.log"), env));
        for (int i = 1; i <= workers; i++)
            _nodes.Add(new Daemon(Path.Combine(dist, "actorcompile-node"),
                new[] { "--roles", "worker", "--host", "127.0.0.1", "--port", Shell.FreePort().ToString(CultureInfo.InvariantCulture), "--socket", Path.Combine(directory, $"worker-{i}.sock"),
                    "--seed", $"127.0.0.1:{seedPort}", "--slots", slotsPerWorker.ToString(CultureInfo.InvariantCulture) },
                directory, Path.Combine(directory, $"worker-{i}.log"), env));
        Eventually.True(() =>
        {
            if (_nodes.Any(n => n.HasExited)) throw new InvalidOperationException($"a node exited; logs in {directory}");
            var hosts = Shell.Run(Path.Combine(dist, "actorcompile"), new[] { "--show-hosts" }, directory, ClientEnvironment);
            return hosts.ExitCode == 0 && hosts.Stdout.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Count(h => !h.StartsWith('(')) >= workers;
        }, TimeSpan.FromSeconds(60), $"{workers} workers to join (logs in {directory})").GetAwaiter().GetResult();
    }

    public IReadOnlyDictionary<string, string?> ClientEnvironment => new Dictionary<string, string?> { ["ACTORCOMPILE_SOCKET"] = Socket };

    public string Wrapper => Path.Combine(Dist, "actorcompile");

    public void Dispose()
    {
        foreach (var n in Enumerable.Reverse(_nodes)) n.Dispose();
    }
}

/// <summary>distccd daemons on loopback: the peer ActorCompile is measured against.</summary>
public sealed class Distcc : IDisposable
{
    private readonly List<Daemon> _daemons = new();
    public IReadOnlyDictionary<string, string?> ClientEnvironment { get; }

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
