using System.Globalization;
using ActorCompile.Toolchain.Identity;
using ActorCompile.Toolchain.Processes;
using ActorCompile.Worker.Toolchains;

namespace ActorCompile.Worker.Execution;

/// <summary>What one compile may use: address space, bytes per written file, processes, CPU seconds.</summary>
/// <param name="MemoryBytes">RLIMIT_AS; 0 for no limit.</param>
/// <param name="FileBytes">RLIMIT_FSIZE, and the bytes a job may write in all (its /tmp, its output directories and
/// its scratch directory share one tmpfs of this size where the sandbox can make one): the largest job.</param>
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
///
/// What a job writes is bounded in bytes, not only per file. In that same user namespace (mapped to this
/// user as its root, so that it may mount) a small shell script (<see cref="BoxScript"/>, this machine's sh,
/// mount, mkdir and cp, outside the sandbox) mounts a tmpfs of <see cref="JobResources.FileBytes"/> on the
/// job's empty box directory and, for each directory the compile writes to, an overlay whose lower layer is
/// that directory of the mirror and whose upper layer is in the tmpfs. The sandbox binds those overlays, the
/// scratch directory and /tmp from the tmpfs; its own root and /dev are read-only. Everything a job writes
/// therefore lands in one tmpfs of bounded size (a shipped toolchain's driver that wrote 3 x 100 MiB into
/// its output directory filled the helper's disk). When the sandbox has ended (bubblewrap's PID namespace
/// takes every process of the job with it), the script copies the regular files at the top of each upper
/// layer and of the scratch directory, symbolic links excepted, back to the mirror on disk, where the worker
/// reads them as before; the tmpfs goes with the namespace.
/// </summary>
public sealed class JobConfinement
{
    private readonly string? _bwrap;
    private readonly string? _prlimit;
    private readonly string? _unshare;
    private readonly BoxTools? _box;
    private readonly JobResources _resources;

    /// <summary>The exit code of <see cref="BoxScript"/> when it could not set the job's bounded workspace up (this machine's fault, not the source's).</summary>
    public const int BoxSetupFailed = 254;

    /// <summary>This machine's programs the box script runs (absolute paths, found when the worker starts).</summary>
    private sealed record BoxTools(string Shell, string Mount, string MakeDirectory, string Copy);

    /// <summary>
    /// The job's bounded workspace (see the class comment). Arguments: mount, mkdir, cp, the box directory, its
    /// size in bytes, the scratch directory on disk, the number N of output directories, those N directories of
    /// the mirror on disk, then the command to run (prlimit and bubblewrap). Overlay options name their layers
    /// relative to the box (lower layers are bound there first), so no path of the job is ever parsed as mount
    /// options: a lower layer whose path holds only letters, digits and "/._+-" is named as it is, any other is
    /// bound into the box first (the common case saves a mount). Copies back only regular files, at the top of each
    /// upper layer, after every process of the job has gone.
    /// </summary>
    private const string BoxScript = """
        m=$1 k=$2 c=$3 box=$4 size=$5 scratch=$6 n=$7
        shift 7
        fail() { echo "actorcompile: the job's bounded workspace: $1" >&2; exit 254; }
        "$m" -t tmpfs -o "size=$size,mode=0700,nosuid,nodev" actorcompile-job "$box" || fail "cannot mount its tmpfs"
        dirs="s tmp"
        i=0
        while [ "$i" -lt "$n" ]; do
          dirs="$dirs l$i u$i w$i m$i"
          i=$((i + 1))
        done
        cd "$box" && "$k" $dirs || fail "cannot make its directories"
        i=0
        while [ "$i" -lt "$n" ]; do
          case $1 in
            *[!A-Za-z0-9/._+-]*) "$m" --bind -- "$1" "l$i" || fail "cannot bind an output directory"; lower=l$i ;;
            *) lower=$1 ;;
          esac
          eval "out$i=\$1"
          "$m" -t overlay -o "lowerdir=$lower,upperdir=u$i,workdir=w$i" actorcompile-job "m$i" || fail "cannot mount an output directory"
          shift
          i=$((i + 1))
        done
        "$@"
        rc=$?
        back() {
          to=$1
          from=$2
          set --
          for f in "$from"/* "$from"/.[!.]* "$from"/..?*; do [ -f "$f" ] && [ ! -L "$f" ] && set -- "$@" "$f"; done
          [ $# -eq 0 ] || "$c" -- "$@" "$to/" 2>/dev/null
        }
        i=0
        while [ "$i" -lt "$n" ]; do
          eval "back \"\$out$i\" u$i"
          i=$((i + 1))
        done
        back "$scratch" s
        exit "$rc"
        """;

    /// <summary>Why this worker serves no job (the sandbox or the limits cannot work here), or null.</summary>
    public string? Refusal { get; }
    public bool Sandboxed => _bwrap is not null;
    /// <summary>Everything a job writes shares one tmpfs of the largest job's size (see the class comment).</summary>
    public bool Bounded => _box is not null;
    /// <summary>For the log and status: "sandboxed (bubblewrap), memory 4 GiB ...", "unsandboxed (sandbox = off)", "unavailable: ...".</summary>
    public string Description { get; }

    private JobConfinement(string? bwrap, string? prlimit, JobResources resources, string? refusal, string description, string? unshare = null, BoxTools? box = null)
    {
        _bwrap = bwrap;
        _prlimit = prlimit;
        _unshare = unshare;
        _box = box;
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
            bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--ro-bind", "/", "/", "--dev", "/dev", "--remount-ro", "/dev",
            "--proc", "/proc", "--tmpfs", "/tmp", "--remount-ro", "/", "--", "true",
        };
        // First as every job runs: in a user namespace of its own, with the job's writes in a bounded tmpfs and the
        // limit set inside (the class comment says why). Then without the bounded tmpfs, then bubblewrap alone, to
        // tell a sandbox that does not work from one whose bounds are weaker, and say which.
        var unshare = ExecutableSearch.Find("unshare", path);
        string perJob = "unshare (util-linux) is not installed";
        if (unshare is not null)
        {
            var (box, unbounded) = await ProbeBox(unshare, prlimit, bwrap, resources, path, cancellationToken);
            if (box is not null)
                return new JobConfinement(bwrap, prlimit, resources, null, $"sandboxed (bubblewrap, sealed roots), {limits}, {resources.FileBytes >> 20} MiB written in all", unshare, box);
            var nested = await ProcessRunner.RunAsync(unshare, UnshareArgs(prlimit, resources).Concat(sandbox).ToArray(), cancellationToken: cancellationToken);
            if (nested.ExitCode == 0)
                return new JobConfinement(bwrap, prlimit, resources, null,
                    $"sandboxed (bubblewrap, sealed roots), {limits}; what a job writes into its output directories is bounded per file only: {unbounded}", unshare);
            perJob = $"a user namespace of its own does not work here ({nested.StderrText.Trim()})";
        }
        var probe = await ProcessRunner.RunAsync(sandbox[0], sandbox[1..], cancellationToken: cancellationToken);
        if (probe.ExitCode != 0) return Unavailable($"bubblewrap does not work here: {probe.StderrText.Trim()}");
        return new JobConfinement(bwrap, prlimit, resources, null,
            $"sandboxed (bubblewrap, sealed roots), {limits}; the process limit counts every process of the node's user: {perJob}; "
            + "what a job writes into its output directories is bounded per file only");

        JobConfinement Unavailable(string why) =>
            new(null, prlimit, resources, $"this worker requires a sandbox and {why}", $"unavailable: {why}");
    }

    /// <summary>
    /// Runs the box script as a job would, on this machine's root: a file written into an overlaid directory must
    /// come back to it on disk. The tools, or why the box does not work here.
    /// </summary>
    private static async Task<(BoxTools? Tools, string Why)> ProbeBox(string unshare, string prlimit, string bwrap, JobResources resources, string? path, CancellationToken cancellationToken)
    {
        var names = new[] { "sh", "mount", "mkdir", "cp" };
        var found = names.Select(n => ExecutableSearch.Find(n, path)).ToArray();
        if (Array.IndexOf(found, null) is var missing and >= 0) return (null, $"{names[missing]} is not installed");
        var tools = new BoxTools(found[0]!, found[1]!, found[2]!, found[3]!);
        var dir = Directory.CreateTempSubdirectory("actorcompile-box-probe-").FullName;
        try
        {
            var box = Directory.CreateDirectory(Path.Combine(dir, "box")).FullName;
            var lower = Directory.CreateDirectory(Path.Combine(dir, "out")).FullName;
            var scratch = Directory.CreateDirectory(Path.Combine(dir, "w")).FullName;
            var command = BoxArgs(tools, resources, box, scratch, new[] { lower }).ToList();
            command.Add(prlimit);
            command.AddRange(LimitArgs(resources));
            command.AddRange(new[]
            {
                bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--ro-bind", "/", "/", "--dev", "/dev", "--remount-ro", "/dev",
                "--proc", "/proc", "--bind", box + "/tmp", "/tmp", "--bind", box + "/m0", lower, "--remount-ro", "/",
                "--", tools.Copy, "/proc/self/stat", lower + "/written",
            });
            var r = await ProcessRunner.RunAsync(unshare, command, cancellationToken: cancellationToken);
            if (r.ExitCode != 0) return (null, $"a tmpfs for the job's writes does not work here ({r.StderrText.Trim()})");
            if (!File.Exists(Path.Combine(lower, "written"))) return (null, "what a job wrote in its bounded tmpfs did not come back");
            return (tools, "");
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>unshare's arguments for a job's own user and mount namespaces (this user as its root), then the box script's, up to the command it runs.</summary>
    private static IEnumerable<string> BoxArgs(BoxTools t, JobResources r, string box, string scratch, IReadOnlyList<string> lowers) =>
        new[]
        {
            "--user", "--map-root-user", "--mount", "--", t.Shell, "-c", BoxScript, "actorcompile-job",
            t.Mount, t.MakeDirectory, t.Copy, box, Invariant($"{r.FileBytes}"), scratch, Invariant($"{lowers.Count}"),
        }.Concat(lowers);

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
        var ws = c.Workspace;
        // Parents before the directories inside them: each bind covers what was bound at and below its place before it.
        var writable = c.WritableDirectories.Distinct(StringComparer.Ordinal).OrderBy(d => d.Length).ToList();
        if (_box is not null && _bwrap is not null)
        {
            command.Add(_unshare!);
            command.AddRange(BoxArgs(_box, _resources, ws.Box, ws.Scratch, writable.Select(d => ws.Root + d[ws.VisibleRoot.Length..]).ToList()));
            command.Add(_prlimit!);
            command.AddRange(LimitArgs(_resources));
        }
        else if (_unshare is not null && _bwrap is not null)
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
        command.AddRange(new[] { "--dev", "/dev", "--remount-ro", "/dev", "--proc", "/proc" });
        command.AddRange(_box is not null
            ? new[] { "--bind", ws.Box + "/tmp", "/tmp" }
            : new[] { "--size", Invariant($"{_resources.FileBytes}"), "--tmpfs", "/tmp" });
        command.AddRange(new[] { "--ro-bind", ws.Root, ws.VisibleRoot, "--bind", _box is not null ? ws.Box + "/s" : ws.Scratch, ws.VisibleScratch });
        for (int i = 0; i < writable.Count; i++)
            command.AddRange(new[] { "--bind", _box is not null ? Invariant($"{ws.Box}/m{i}") : ws.Root + writable[i][ws.VisibleRoot.Length..], writable[i] });
        // The sandbox's own root (bubblewrap's tmpfs) and /dev would take any number of bytes: read-only, once every mount is made.
        command.AddRange(new[] { "--remount-ro", "/", "--chdir", c.WorkingDirectory, "--", c.Program });
        command.AddRange(c.Args);
        return (command[0], command.Skip(1).ToList(), new Dictionary<string, string>());
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
