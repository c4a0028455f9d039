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

public static class Ports
{
    /// <summary>A free TCP port on 127.0.0.1 (taken, then released).</summary>
    public static int Free()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
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
    public string Address => $"127.0.0.1:{Port}";
    public int Pid => _process.Id;

    public NodeProcess(string name, string directory, string roles, IEnumerable<string>? seeds = null, IEnumerable<string>? extra = null, IDictionary<string, string>? env = null)
    {
        Name = name;
        Port = Ports.Free();
        Socket = Path.Combine(directory, name + ".sock");
        LogFile = Path.Combine(directory, name + ".log");
        var args = new List<string> { "--roles", roles, "--host", "127.0.0.1", "--port", Port.ToString(), "--socket", Socket };
        foreach (var s in seeds ?? Array.Empty<string>()) { args.Add("--seed"); args.Add(s); }
        args.AddRange(extra ?? Array.Empty<string>());
        var psi = new ProcessStartInfo(Dist.Node)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["ACTORCOMPILE_CONFIG_DIR"] = Path.Combine(directory, "no-etc");
        psi.Environment["TMPDIR"] = directory;
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        _process = Process.Start(psi)!;
        var log = new StreamWriter(LogFile) { AutoFlush = true };
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public void Signal(string signal) => Run.Program("kill", new[] { "-" + signal, _process.Id.ToString() });

    public bool WaitForExit(TimeSpan timeout) => _process.WaitForExit(timeout);

    public string Log() => File.Exists(LogFile) ? File.ReadAllText(LogFile) : "";

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Signal("TERM");
            if (!_process.WaitForExit(TimeSpan.FromSeconds(10))) _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
    }
}

/// <summary>Runs the published wrapper (or a compiler) with a node's socket in the environment.</summary>
public static class Wrapper
{
    public static Run.Result Run(string cwd, string socket, IEnumerable<string> args, IDictionary<string, string>? env = null)
    {
        var e = new Dictionary<string, string> { ["ACTORCOMPILE_SOCKET"] = socket };
        if (env is not null) foreach (var (k, v) in env) e[k] = v;
        return ActorCompile.Tests.Run.Program(Dist.Wrapper, args, cwd, e);
    }

    public static JsonDocument Status(string socket)
    {
        var r = ActorCompile.Tests.Run.Program(Dist.Wrapper, new[] { "status", "--json" }, env: new Dictionary<string, string> { ["ACTORCOMPILE_SOCKET"] = socket });
        if (r.ExitCode != 0) throw new InvalidOperationException($"status failed ({r.ExitCode}): {r.Stderr}");
        return JsonDocument.Parse(r.Stdout);
    }
}

/// <summary>
/// A coordinator and two workers as separate processes on loopback ports, shared by the tests of a
/// collection. The coordinator has no worker role, so every distributed compile runs on a worker.
/// </summary>
public sealed class ClusterFixture : Xunit.IAsyncLifetime
{
    public TempDirectory Directory { get; } = new("ac-cluster");
    public NodeProcess Coordinator { get; private set; } = null!;
    public NodeProcess WorkerA { get; private set; } = null!;
    public NodeProcess WorkerB { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Coordinator = new NodeProcess("coordinator", Directory.Path, "coordinator");
        WorkerA = new NodeProcess("worker-a", Directory.Path, "worker", new[] { Coordinator.Address }, new[] { "--slots", "2" });
        WorkerB = new NodeProcess("worker-b", Directory.Path, "worker", new[] { Coordinator.Address }, new[] { "--slots", "2" });
        await WaitForWorkers(2);
    }

    /// <summary>Waits until the coordinator's status shows this many workers up with toolchains.</summary>
    public async Task WaitForWorkers(int count)
    {
        try
        {
            await Eventually.Get(() =>
            {
                using var doc = Wrapper.Status(Coordinator.Socket);
                var up = doc.RootElement.GetProperty("workers").EnumerateArray()
                    .Count(w => w.GetProperty("state").GetString() == "up" && w.GetProperty("toolchains").GetArrayLength() > 0);
                return Task.FromResult<object?>(up >= count ? new object() : null);
            }, TimeSpan.FromSeconds(60), $"{count} workers to join");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\n--- coordinator log ---\n{Coordinator.Log()}\n--- worker-a log ---\n{WorkerA?.Log()}");
        }
    }

    public Task DisposeAsync()
    {
        WorkerA?.Dispose();
        WorkerB?.Dispose();
        Coordinator?.Dispose();
        Directory.Dispose();
        return Task.CompletedTask;
    }
}
