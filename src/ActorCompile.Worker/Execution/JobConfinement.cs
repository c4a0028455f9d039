using System.Globalization;
using ActorCompile.Toolchain.Identity;
using ActorCompile.Toolchain.Processes;
using ActorCompile.Worker.Toolchains;

namespace ActorCompile.Worker.Execution;

/// <summary>What one compile may use: address space, bytes per written file, processes, CPU seconds.</summary>
/// <param name="MemoryBytes">RLIMIT_AS; 0 for no limit.</param>
/// <param name="FileBytes">RLIMIT_FSIZE, and the size of the sandbox's /tmp: the largest job.</param>
/// <param name="Processes">RLIMIT_NPROC, counted for the job alone where user namespaces allow (see <see cref="JobConfinement"/>;
/// root is exempt: the kernel does not count it).</param>
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
///
/// The process limit counts the job's processes only. RLIMIT_NPROC alone counts every process and thread of
/// the node's user: a 10-slot worker under its service user (the node's ~40 threads, ten jobs of a few
/// processes each) failed jobs with "bwrap: Creating new namespace failed" or "Can't fork". Since Linux 5.14
/// the count is kept per user namespace, and at each level up it is compared with the limit its creator had
/// when it made that namespace. So each job first gets a user namespace of its own made with the node's
/// limit (unshare, from util-linux like prlimit), and the limit is set inside it, before bubblewrap: the
/// job's processes are counted against it there, and against the node's own limit above. Where unprivileged
/// user namespaces are off (and bubblewrap works only setuid), the limit counts the node's user as a whole,
/// as the description says.
/// </summary>
public sealed class JobConfinement
{
    private readonly string? _bwrap;
    private readonly string? _prlimit;
    private readonly string? _unshare;
    private readonly JobResources _resources;

    /// <summary>Why this worker serves no job (the sandbox or the limits cannot work here), or null.</summary>
    public string? Refusal { get; }
    public bool Sandboxed => _bwrap is not null;
    /// <summary>For the log and status: "sandboxed (bubblewrap), memory 4 GiB ...", "unsandboxed (sandbox = off)", "unavailable: ...".</summary>
    public string Description { get; }

    private JobConfinement(string? bwrap, string? prlimit, JobResources resources, string? refusal, string description, string? unshare = null)
    {
        _bwrap = bwrap;
        _prlimit = prlimit;
        _unshare = unshare;
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
        string[] sandbox =
        {
            bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
            "--tmpfs", "/tmp", "--", "true",
        };
        // First as every job runs: in a user namespace of its own with the limit set inside (the class comment says
        // why). Only when that fails, bubblewrap alone, to tell a sandbox that does not work from a limit that counts
        // the node's user as a whole.
        var unshare = ExecutableSearch.Find("unshare", path);
        string perJob = "unshare (util-linux) is not installed";
        if (unshare is not null)
        {
            var nested = await ProcessRunner.RunAsync(unshare, UnshareArgs(prlimit, resources).Concat(sandbox).ToArray(), cancellationToken: cancellationToken);
            if (nested.ExitCode == 0)
                return new JobConfinement(bwrap, prlimit, resources, null, $"sandboxed (bubblewrap, sealed roots), {limits}", unshare);
            perJob = $"a user namespace of its own does not work here ({nested.StderrText.Trim()})";
        }
        var probe = await ProcessRunner.RunAsync(sandbox[0], sandbox[1..], cancellationToken: cancellationToken);
        if (probe.ExitCode != 0) return Unavailable($"bubblewrap does not work here: {probe.StderrText.Trim()}");
        return new JobConfinement(bwrap, prlimit, resources, null,
            $"sandboxed (bubblewrap, sealed roots), {limits}; the process limit counts every process of the node's user: {perJob}");

        JobConfinement Unavailable(string why) =>
            new(null, prlimit, resources, $"this worker requires a sandbox and {why}", $"unavailable: {why}");
    }

    private static string Limits(JobResources r) =>
        $"address space {(r.MemoryBytes > 0 ? $"{r.MemoryBytes >> 20} MiB" : "unlimited")}, files {r.FileBytes >> 20} MiB, "
        + $"{r.Processes} processes, {r.CpuTime.TotalSeconds:0} s of CPU";

    /// <summary>unshare's arguments for a job's own user namespace (this user mapped to itself), then prlimit's inside it, up to the sandbox's program.</summary>
    private static IEnumerable<string> UnshareArgs(string prlimit, JobResources r) =>
        new[] { "--user", "--map-current-user", "--", prlimit }.Concat(LimitArgs(r));

    private static IEnumerable<string> LimitArgs(JobResources r)
    {
        if (r.MemoryBytes > 0) yield return Invariant($"--as={r.MemoryBytes}");
        yield return Invariant($"--fsize={r.FileBytes}");
        yield return Invariant($"--nproc={r.Processes}");
        yield return Invariant($"--cpu={(long)Math.Ceiling(r.CpuTime.TotalSeconds)}");
        yield return "--core=0";
        yield return "--";
    }

    /// <summary>The program and arguments that run <paramref name="c"/> confined, and the environment to start it with.</summary>
    public (string Program, List<string> Args, IReadOnlyDictionary<string, string> Environment) Command(ConfinedCommand c)
    {
        if (Refusal is not null) throw new InvalidOperationException(Refusal);
        var command = new List<string>();
        if (_unshare is not null && _bwrap is not null)
        {
            command.Add(_unshare);
            command.AddRange(UnshareArgs(_prlimit!, _resources));
        }
        else
        {
            command.Add(_prlimit!);
            command.AddRange(LimitArgs(_resources));
        }
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
