using System.Globalization;
using ActorCompile.Toolchain.Identity;
using ActorCompile.Toolchain.Processes;
using ActorCompile.Worker.Toolchains;

namespace ActorCompile.Worker.Execution;

/// <summary>What one compile may use: address space, bytes per written file, processes, CPU seconds.</summary>
/// <param name="MemoryBytes">RLIMIT_AS; 0 for no limit.</param>
/// <param name="FileBytes">RLIMIT_FSIZE, and the size of the sandbox's /tmp: the largest job.</param>
/// <param name="Processes">RLIMIT_NPROC inside the sandbox's user namespace (root is exempt: the kernel does not count it).</param>
/// <param name="CpuTime">RLIMIT_CPU: per process, a bound besides the job's wall-clock timeout.</param>
public sealed record JobResources(long MemoryBytes, long FileBytes, int Processes, TimeSpan CpuTime)
{
    public const int DefaultProcesses = 64;
}

/// <summary>One compile to confine, with paths as the compiler sees them.</summary>
/// <param name="Root">The toolchain's sealed root (null only without a sandbox).</param>
/// <param name="Program">The driver: its path inside the root, or on this machine without a sandbox.</param>
/// <param name="WritableDirectories">Directories of the mirror the compile writes to (its outputs' directories).</param>
public sealed record ConfinedCommand(
    SealedRoot? Root,
    string Program,
    IReadOnlyList<string> Args,
    JobWorkspace Workspace,
    string WorkingDirectory,
    IReadOnlyList<string> WritableDirectories,
    IReadOnlyDictionary<string, string> Environment);

/// <summary>
/// How a worker confines the compilers it runs, decided once when it starts. With the sandbox
/// (actorcompile.worker.sandbox = required, the default) a compile runs in bubblewrap in a root made of
/// nothing but its toolchain's sealed tree and the job's mirror (read-only but for the directories its
/// outputs go to), a private /tmp of bounded size and a minimal /dev, in new user, PID, IPC, UTS, network
/// and cgroup namespaces, in its own session, killed with the worker; prlimit bounds its address space,
/// file size, processes and CPU time. A worker where that does not work serves no job and says why.
/// With sandbox = off (an explicit choice) compilers run unconfined but for the limits.
/// </summary>
public sealed class JobConfinement
{
    private readonly string? _bwrap;
    private readonly string? _prlimit;
    private readonly JobResources _resources;

    /// <summary>Why this worker serves no job (the sandbox or the limits cannot work here), or null.</summary>
    public string? Refusal { get; }
    public bool Sandboxed => _bwrap is not null;
    /// <summary>For the log and status: "sandboxed (bubblewrap), memory 4 GiB ...", "unsandboxed (sandbox = off)", "unavailable: ...".</summary>
    public string Description { get; }

    private JobConfinement(string? bwrap, string? prlimit, JobResources resources, string? refusal, string description)
    {
        _bwrap = bwrap;
        _prlimit = prlimit;
        _resources = resources;
        Refusal = refusal;
        Description = description;
    }

    public static async Task<JobConfinement> ProbeAsync(SandboxMode mode, JobResources resources, CancellationToken cancellationToken = default)
    {
        var path = Environment.GetEnvironmentVariable("PATH");
        var prlimit = ExecutableSearch.Find("prlimit", path);
        var limits = Limits(resources);
        if (prlimit is null)
            return new JobConfinement(null, null, resources, "prlimit (util-linux) is not installed: compiles cannot be limited", "unavailable: prlimit (util-linux) is not installed");
        if (mode == SandboxMode.Off)
            return new JobConfinement(null, prlimit, resources, null, $"unsandboxed (actorcompile.worker.sandbox = off), {limits}");
        var bwrap = ExecutableSearch.Find("bwrap", path);
        if (bwrap is null)
            return Unavailable("bubblewrap (bwrap) is not installed");
        // The namespaces and mounts every job needs, on this machine's own root.
        var probe = await ProcessRunner.RunAsync(bwrap, new[]
        {
            "--unshare-all", "--die-with-parent", "--new-session", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
            "--tmpfs", "/tmp", "--", "true",
        }, cancellationToken: cancellationToken);
        if (probe.ExitCode != 0) return Unavailable($"bubblewrap does not work here: {probe.StderrText.Trim()}");
        return new JobConfinement(bwrap, prlimit, resources, null, $"sandboxed (bubblewrap, sealed roots), {limits}");

        JobConfinement Unavailable(string why) =>
            new(null, prlimit, resources, $"this worker requires a sandbox and {why}", $"unavailable: {why}");
    }

    private static string Limits(JobResources r) =>
        $"address space {(r.MemoryBytes > 0 ? $"{r.MemoryBytes >> 20} MiB" : "unlimited")}, files {r.FileBytes >> 20} MiB, "
        + $"{r.Processes} processes, {r.CpuTime.TotalSeconds:0} s of CPU";

    /// <summary>The program and arguments that run <paramref name="c"/> confined, and the environment to start it with.</summary>
    public (string Program, List<string> Args, IReadOnlyDictionary<string, string> Environment) Command(ConfinedCommand c)
    {
        if (Refusal is not null) throw new InvalidOperationException(Refusal);
        var command = new List<string>();
        command.Add(_prlimit!);
        if (_resources.MemoryBytes > 0) command.Add(Invariant($"--as={_resources.MemoryBytes}"));
        command.Add(Invariant($"--fsize={_resources.FileBytes}"));
        command.Add(Invariant($"--nproc={_resources.Processes}"));
        command.Add(Invariant($"--cpu={(long)Math.Ceiling(_resources.CpuTime.TotalSeconds)}"));
        command.Add("--core=0");
        command.Add("--");
        if (_bwrap is null)
        {
            command.Add(c.Program);
            command.AddRange(c.Args);
            return (command[0], command.Skip(1).ToList(), c.Environment);
        }
        var root = c.Root ?? throw new InvalidOperationException("a sandboxed compile needs its toolchain's sealed root");
        command.AddRange(new[] { _bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--clearenv" });
        foreach (var (name, value) in c.Environment) command.AddRange(new[] { "--setenv", name, value });
        foreach (var entry in root.TopLevel)
        {
            if (entry.LinkTarget is { } target) command.AddRange(new[] { "--symlink", target, "/" + entry.Name });
            else command.AddRange(new[] { "--ro-bind", Path.Combine(root.Tree, entry.Name), "/" + entry.Name });
        }
        command.AddRange(new[] { "--dev", "/dev", "--proc", "/proc", "--size", Invariant($"{_resources.FileBytes}"), "--tmpfs", "/tmp" });
        var ws = c.Workspace;
        command.AddRange(new[] { "--ro-bind", ws.Root, ws.VisibleRoot, "--bind", ws.Scratch, ws.VisibleScratch });
        foreach (var dir in c.WritableDirectories.Distinct(StringComparer.Ordinal))
            command.AddRange(new[] { "--bind", ws.Root + dir[ws.VisibleRoot.Length..], dir });
        command.AddRange(new[] { "--chdir", c.WorkingDirectory, "--", c.Program });
        command.AddRange(c.Args);
        return (command[0], command.Skip(1).ToList(), new Dictionary<string, string>());
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
