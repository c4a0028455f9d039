using System.Globalization;
using ActorCompile.Toolchain.Identity;
using ActorCompile.Toolchain.Processes;
using ActorCompile.Worker.Toolchains;

namespace ActorCompile.Worker.Execution;

/// <summary>What one compile may use: address space, bytes per written file, processes, CPU seconds.</summary>
/// <param name="MemoryBytes">RLIMIT_AS; 0 for no limit.</param>
/// <param name="FileBytes">RLIMIT_FSIZE, and half the bytes a job may write in all (its /tmp, its output directories and
/// its scratch directory share one tmpfs with its mirror where the sandbox can make one): the largest job.</param>
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
/// <param name="Outputs">The files the worker reads after the compile, as the compiler sees them: in the writable directories or the scratch directory.
/// With a bounded box the i-th comes back to <see cref="JobWorkspace.OutputCopy"/>(i).</param>
/// <param name="Mirror">What the job's mirror takes, from the list written for a bounded box (<see cref="JobWorkspace.WriteMirrorList"/>); null without one.</param>
public sealed record ConfinedCommand(
    SealedRoot? Root,
    string Program,
    IReadOnlyList<string> Args,
    JobWorkspace Workspace,
    string WorkingDirectory,
    IReadOnlyList<string> WritableDirectories,
    IReadOnlyDictionary<string, string> Environment,
    IReadOnlyList<string> Outputs,
    MirrorSize? Mirror = null);

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
///
/// What a job writes is bounded in bytes and files in all, not only per file (<see cref="JobBox"/>). The sandbox
/// runs the job as an ordinary user without capabilities, in a user namespace that may make no other
/// (--disable-userns where bubblewrap has it): its root and /dev are read-only, and nothing it can do remounts them.
/// </summary>
public sealed class JobConfinement
{
    private readonly string? _bwrap;
    private readonly string? _prlimit;
    private readonly string? _unshare;
    private readonly JobBox? _box;
    private readonly bool _disableUserNamespaces;
    private readonly JobResources _resources;

    /// <summary>The user and group a job runs as inside its sandbox: an ordinary one, never root, whatever the worker runs as.</summary>
    /// Not 65534: that is the kernel's overflow id, which every file of an unmapped owner shows inside.
    public const string SandboxUser = "1000";


    /// <summary>Why this worker serves no job (the sandbox or the limits cannot work here), or null.</summary>
    public string? Refusal { get; }
    public bool Sandboxed => _bwrap is not null;
    public JobResources Resources => _resources;
    /// <summary>The mirror and everything a job writes share one tmpfs of the job's own, bounded (<see cref="JobBox"/>).</summary>
    public bool Bounded => _box is not null;
    /// <summary>For the log and status: "sandboxed (bubblewrap), memory 4 GiB ...", "unsandboxed (sandbox = off)", "unavailable: ...".</summary>
    public string Description { get; }

    private JobConfinement(string? bwrap, string? prlimit, JobResources resources, string? refusal, string description, string? unshare = null, JobBox? box = null,
        bool disableUserNamespaces = false)
    {
        _disableUserNamespaces = disableUserNamespaces;
        _bwrap = bwrap;
        _prlimit = prlimit;
        _unshare = unshare;
        _box = box;
        _resources = resources;
        Refusal = refusal;
        Description = description;
    }

    /// <param name="jobsDirectory">Where jobs run (the box is tried there, on the same file system); null: the temporary directory.</param>
    public static async Task<JobConfinement> ProbeAsync(SandboxMode mode, JobResources resources, string? jobsDirectory = null, CancellationToken cancellationToken = default)
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
        var help = await ProcessRunner.RunAsync(bwrap, new[] { "--help" }, cancellationToken: cancellationToken);
        var disable = help.StdoutText.Contains("--disable-userns", StringComparison.Ordinal);
        // The namespaces and mounts every job needs, on this machine's own root.
        var sandbox = SandboxOptions(bwrap, disable).Concat(new[]
        {
            "--ro-bind", "/", "/", "--dev", "/dev", "--remount-ro", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--remount-ro", "/", "--", "true",
        }).ToArray();
        var nesting = disable ? "" : "; a job may make user namespaces of its own (this bubblewrap has no --disable-userns)";
        // First as every job runs: in a user namespace of its own, with the job's writes in a bounded tmpfs and the
        // limit set inside (the class comment says why). Then without the bounded tmpfs, then bubblewrap alone, to
        // tell a sandbox that does not work from one whose bounds are weaker, and say which.
        var unshare = ExecutableSearch.Find("unshare", path);
        string perJob = "unshare (util-linux) is not installed";
        if (unshare is not null)
        {
            var (box, unbounded) = await JobBox.ProbeAsync(resources, (ws, output) => SandboxOptions(bwrap, disable)
                .Concat(new[]
                {
                    "--ro-bind", "/", "/", "--dev", "/dev", "--remount-ro", "/dev", "--proc", "/proc", "--bind", ws.Box + "/tmp", "/tmp",
                    "--bind", output, output, "--remount-ro", "/", "--",
                }), disable, path, jobsDirectory ?? Path.GetTempPath(), Path.Combine(AppContext.BaseDirectory, JobBox.ProgramName), cancellationToken);
            if (box is not null)
                return new JobConfinement(bwrap, prlimit, resources, null,
                    $"sandboxed (bubblewrap, sealed roots), {limits}, {JobBox.SizeBytes(resources) >> 20} MiB and {JobBox.MaximumFiles} files written in all{nesting}", unshare, box, disable);
            var nested = await ProcessRunner.RunAsync(unshare, UnshareArgs(prlimit, resources).Concat(sandbox).ToArray(), cancellationToken: cancellationToken);
            if (nested.ExitCode == 0)
                return new JobConfinement(bwrap, prlimit, resources, null,
                    $"sandboxed (bubblewrap, sealed roots), {limits}; what a job writes into its output directories is bounded per file only: {unbounded}{nesting}", unshare,
                    disableUserNamespaces: disable);
            perJob = $"a user namespace of its own does not work here ({nested.StderrText.Trim()})";
        }
        var probe = await ProcessRunner.RunAsync(sandbox[0], sandbox[1..], cancellationToken: cancellationToken);
        if (probe.ExitCode != 0) return Unavailable($"bubblewrap does not work here: {probe.StderrText.Trim()}");
        return new JobConfinement(bwrap, prlimit, resources, null,
            $"sandboxed (bubblewrap, sealed roots), {limits}; the process limit counts every process of the node's user: {perJob}; "
            + $"what a job writes into its output directories is bounded per file only{nesting}", disableUserNamespaces: disable);

        JobConfinement Unavailable(string why) =>
            new(null, prlimit, resources, $"this worker requires a sandbox and {why}", $"unavailable: {why}");
    }

    /// <summary>
    /// bubblewrap up to its mounts: every namespace, an ordinary user without capabilities (as root in its
    /// namespace a job could remount a read-only bind writable, the sealed toolchains that jobs share among
    /// them), no further user namespaces where bubblewrap can forbid them (in one of its own a job would be
    /// root again and could mount a tmpfs of any size), killed with its parent, in a session of its own.
    /// </summary>
    private static IEnumerable<string> SandboxOptions(string bwrap, bool disableUserNamespaces)
    {
        yield return bwrap;
        foreach (var o in new[] { "--unshare-all", "--unshare-user", "--uid", SandboxUser, "--gid", SandboxUser, "--cap-drop", "ALL", "--die-with-parent", "--new-session" })
            yield return o;
        if (disableUserNamespaces) yield return "--disable-userns";
    }

    /// <summary>prlimit with the job's limits, up to the program it runs.</summary>
    private static IEnumerable<string> LimitCommand(string prlimit, JobResources r) => new[] { prlimit }.Concat(LimitArgs(r));

    private static string Limits(JobResources r) =>
        $"address space {(r.MemoryBytes > 0 ? $"{r.MemoryBytes >> 20} MiB" : "unlimited")}, files {r.FileBytes >> 20} MiB, "
        + $"{r.Processes} processes, {r.CpuTime.TotalSeconds:0} s of CPU";

    /// <summary>unshare's arguments for a job's own user namespace (this user mapped to itself) and PID namespace (when the
    /// command returns, every process of the job has ended: none races the worker's reading of the outputs), then
    /// prlimit's inside it, up to the sandbox's program.</summary>
    private static IEnumerable<string> UnshareArgs(string prlimit, JobResources r) =>
        new[] { "--user", "--map-current-user", "--pid", "--fork", "--kill-child", "--", prlimit }.Concat(LimitArgs(r));

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
        var ws = c.Workspace;
        // Parents before the directories inside them: each bind covers what was bound at and below its place before it.
        var writable = c.WritableDirectories.Distinct(StringComparer.Ordinal).OrderBy(d => d.Length).ToList();
        if (_box is not null && _bwrap is not null)
        {
            command.AddRange(_box.Prefix(_resources, ws, c.Mirror ?? throw new InvalidOperationException("a bounded box builds the mirror from its list"), BoxOutputs(c, writable)));
        }
        else if (_unshare is not null && _bwrap is not null)
        {
            command.Add(_unshare);
            command.AddRange(UnshareArgs(_prlimit!, _resources));
        }
        else
        {
            command.AddRange(LimitCommand(_prlimit!, _resources));
        }
        if (_bwrap is null)
        {
            command.Add(c.Program);
            command.AddRange(c.Args);
            return (command[0], command.Skip(1).ToList(), c.Environment);
        }
        var root = c.Root ?? throw new InvalidOperationException("a sandboxed compile needs its toolchain's sealed root");
        command.AddRange(SandboxOptions(_bwrap, _disableUserNamespaces));
        command.Add("--clearenv");
        foreach (var (name, value) in c.Environment) command.AddRange(new[] { "--setenv", name, value });
        foreach (var entry in root.TopLevel)
        {
            if (entry.LinkTarget is { } target) command.AddRange(new[] { "--symlink", target, "/" + entry.Name });
            else command.AddRange(new[] { "--ro-bind", Path.Combine(root.Tree, entry.Name), "/" + entry.Name });
        }
        command.AddRange(new[] { "--dev", "/dev", "--remount-ro", "/dev", "--proc", "/proc" });
        if (_box is not null)
        {
            // Everything from the box's tmpfs: the mirror read-only but for the outputs' directories, the scratch directory, /tmp.
            command.AddRange(new[] { "--bind", ws.Box + "/tmp", "/tmp", "--ro-bind", ws.Box + "/r", ws.VisibleRoot, "--bind", ws.Box + "/s", ws.VisibleScratch });
            foreach (var dir in writable) command.AddRange(new[] { "--bind", ws.Box + "/r" + MirrorPathOf(ws, dir), dir });
        }
        else
        {
            command.AddRange(new[] { "--size", Invariant($"{_resources.FileBytes}"), "--tmpfs", "/tmp" });
            command.AddRange(new[] { "--ro-bind", ws.Root, ws.VisibleRoot, "--bind", ws.Scratch, ws.VisibleScratch });
            foreach (var dir in writable) command.AddRange(new[] { "--bind", ws.Root + MirrorPathOf(ws, dir), dir });
        }
        // The sandbox's own root (bubblewrap's tmpfs) and /dev would take any number of bytes: read-only, once every mount is made.
        command.AddRange(new[] { "--remount-ro", "/", "--chdir", c.WorkingDirectory, "--", c.Program });
        command.AddRange(c.Args);
        return (command[0], command.Skip(1).ToList(), new Dictionary<string, string>());
    }

    /// <summary>The path in the mirror of a directory the compiler sees under the mirror's root ("/" for the root itself).</summary>
    public static string MirrorPathOf(JobWorkspace ws, string visible)
    {
        if (visible == ws.VisibleRoot) return "/";
        if (!visible.StartsWith(ws.VisibleRoot + "/", StringComparison.Ordinal)) throw new InvalidOperationException($"{visible} is not in the job's mirror");
        return visible[ws.VisibleRoot.Length..];
    }

    /// <summary>Where each file the worker reads after the job lies in the box: r/PATH in an output directory of the mirror,
    /// s/NAME in the scratch directory.</summary>
    private static List<string> BoxOutputs(ConfinedCommand c, List<string> writable)
    {
        var ws = c.Workspace;
        var outputs = new List<string>();
        foreach (var file in c.Outputs)
        {
            var directory = Path.GetDirectoryName(file) ?? "";
            var name = Path.GetFileName(file);
            if (directory == ws.VisibleScratch) outputs.Add("s/" + name);
            else if (writable.Contains(directory)) outputs.Add("r" + MirrorPathOf(ws, directory).TrimEnd('/') + "/" + name);
            else throw new InvalidOperationException($"the output {file} is in no directory the compile may write to");
        }
        return outputs;
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
