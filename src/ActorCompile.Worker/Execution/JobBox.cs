using System.Globalization;
using ActorCompile.Toolchain.Identity;
using ActorCompile.Toolchain.Processes;

namespace ActorCompile.Worker.Execution;

/// <summary>
/// A job's bounded workspace: everything a compile writes (its /tmp, its scratch directory, the directories its
/// outputs go to) lands in one tmpfs of <see cref="JobResources.FileBytes"/> bytes and a bounded number of
/// files, made for the job alone, and only the files the worker reads come back to disk.
///
/// How: the job runs in a user and mount namespace of its own, mapped to this user as its root so that it may
/// mount. There a small script (<see cref="Script"/>: this machine's sh, mount, mkdir, cp, unshare and setpriv,
/// outside the sandbox) mounts the tmpfs on the job's empty box directory and, for each output directory, an
/// overlay whose lower layer is that directory of the mirror (bound into the box first, so no job path is ever
/// parsed as mount options) and whose upper layer is in the tmpfs. The sandbox binds those overlays, the scratch
/// directory and /tmp from the tmpfs. The command runs as PID 1's child of a PID namespace of its own
/// (<c>unshare --pid --fork --kill-child</c>): when it returns, the kernel has ended every process of the job,
/// so nothing of the job runs while the script copies back; bubblewrap's own PID namespace is not enough, its
/// init outlives the driver for a moment and a job can slow it down. Then the script copies each named output
/// (the object, the dependency list the command asks for, the worker's own dependency list), if it is a regular
/// file and not a link, to its place in the mirror on disk, replacing whatever is there, and writes its verdict
/// to a status file outside the sandbox's reach: "ok"; "full" when the compile failed with its tmpfs full (it
/// wrote more than its bound: the job's doing); or why this machine failed the job (a mount that does not work, a
/// disk too full for the object). The exit code is the command's; a driver cannot forge the verdict. The files
/// copied back are at most the object and two dependency lists, each within the file size limit, so what reaches
/// the disk is bounded by three times the largest job whatever links the job made.
/// Each level dies with the one above it (setpriv's parent-death signal), so a worker that dies takes its jobs.
///
/// The sandbox itself (<see cref="JobConfinement"/>) runs the job without capabilities, as an ordinary user, in
/// a user namespace that may make no other: were it root in its namespace, it could remount any read-only bind
/// writable, the sealed toolchains that jobs share among them.
/// </summary>
public sealed class JobBox
{
    /// <summary>Files (and directories) the tmpfs may hold: a compile makes a handful; each costs kernel memory that the size does not count.</summary>
    public const int MaximumFiles = 4096;

    private readonly string _shell, _mount, _makeDirectory, _copy, _unshare, _setpriv, _stat;

    private JobBox(string shell, string mount, string makeDirectory, string copy, string unshare, string setpriv, string stat)
    {
        _stat = stat;
        _shell = shell;
        _mount = mount;
        _makeDirectory = makeDirectory;
        _copy = copy;
        _unshare = unshare;
        _setpriv = setpriv;
    }

    /// <summary>
    /// Arguments: mount, mkdir, cp, unshare, setpriv, stat, the box directory, its size in bytes and files, the status
    /// file, the scratch directory on disk, the number N of output directories and those N directories of the
    /// mirror on disk, the number W of outputs and W pairs (where: an output directory's index or "s" for
    /// scratch; the file's name), then the command. Every value is used quoted or by reference, never evaluated.
    /// </summary>
    private const string Script = """
        m=$1 k=$2 c=$3 u=$4 p=$5 f=$6 box=$7 size=$8 files=$9 status=${10} scratch=${11} n=${12}
        shift 12
        fail() { printf '%s\n' "$1" > "$status"; exit 1; }
        "$m" -t tmpfs -o "size=$size,nr_inodes=$files,mode=0700,nosuid,nodev" actorcompile-job "$box" || fail "cannot mount its tmpfs"
        dirs="s tmp"
        i=0
        while [ "$i" -lt "$n" ]; do
          dirs="$dirs l$i u$i w$i m$i"
          i=$((i + 1))
        done
        cd "$box" && "$k" $dirs || fail "cannot make its directories"
        i=0
        while [ "$i" -lt "$n" ]; do
          "$m" --bind -- "$1" "l$i" || fail "cannot bind an output directory"
          "$m" -t overlay -o "lowerdir=l$i,upperdir=u$i,workdir=w$i" actorcompile-job "m$i" || fail "cannot mount an output directory"
          shift
          i=$((i + 1))
        done
        w=$1
        shift
        i=0
        while [ "$i" -lt "$w" ]; do
          eval "from$i=\$1 name$i=\$2"
          shift 2
          i=$((i + 1))
        done
        "$p" --pdeathsig KILL -- "$u" --pid --fork --kill-child -- "$@"
        rc=$?
        verdict=ok
        if [ "$rc" -ne 0 ] && [ "$("$f" -f -c %a "$box")" = 0 ]; then verdict=full; fi
        i=0
        while [ "$i" -lt "$w" ]; do
          eval "from=\$from$i name=\$name$i"
          if [ "$from" = s ]; then src=s/$name dst=$scratch/$name; else src=u$from/$name dst=l$from/$name; fi
          if [ -f "$src" ] && [ ! -L "$src" ]; then "$c" --no-preserve=all --remove-destination -- "$src" "$dst" || fail "cannot copy an output back to disk"; fi
          i=$((i + 1))
        done
        printf '%s\n' "$verdict" > "$status"
        exit "$rc"
        """;

    /// <summary>Where the script writes its verdict: in the job's directory, which the sandbox never sees.</summary>
    public static string StatusFile(JobWorkspace ws) => Path.Combine(ws.Directory, "box-status");

    /// <summary>What the box says of a job: it did its part; the compile filled its tmpfs and failed (the job's own
    /// doing: it wrote more than its bound); or this machine failed the job, and why.</summary>
    public abstract record BoxVerdict
    {
        public sealed record Done : BoxVerdict;
        public sealed record Full : BoxVerdict;
        public sealed record Failed(string Why) : BoxVerdict;
    }

    public static BoxVerdict Verdict(JobWorkspace ws)
    {
        string text;
        try
        {
            text = File.ReadAllText(StatusFile(ws));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new BoxVerdict.Failed("the job's bounded workspace left no verdict");
        }
        return text.Trim() switch
        {
            "ok" => new BoxVerdict.Done(),
            "full" => new BoxVerdict.Full(),
            var why => new BoxVerdict.Failed($"the job's bounded workspace {TerminalText.Printable(why.Length > 200 ? why[..200] : why)}"),
        };
    }

    /// <summary>The tmpfs's size: twice the largest file, so that a compile whose every file fits the file size limit
    /// (an assembler's input beside its object, each under it) fits as before.</summary>
    public static long SizeBytes(JobResources r) => 2 * r.FileBytes;

    /// <summary>The programs that run a job's box, up to the command it runs (prlimit, then bubblewrap).</summary>
    /// <param name="lowers">The output directories of the mirror on disk, in the order the sandbox binds their overlays (Box/m0, m1, ...).</param>
    /// <param name="outputs">What comes back: an index into <paramref name="lowers"/> or "s" for the scratch directory, and the file's name.</param>
    public IEnumerable<string> Prefix(JobResources r, JobWorkspace ws, IReadOnlyList<string> lowers, IReadOnlyList<(string Where, string Name)> outputs)
    {
        var args = new List<string>
        {
            _setpriv, "--pdeathsig", "KILL", "--", _unshare, "--user", "--map-root-user", "--mount", "--", _shell, "-c", Script, "actorcompile-job",
            _mount, _makeDirectory, _copy, _unshare, _setpriv, _stat, ws.Box, Invariant($"{SizeBytes(r)}"), Invariant($"{MaximumFiles}"), StatusFile(ws), ws.Scratch,
            Invariant($"{lowers.Count}"),
        };
        args.AddRange(lowers);
        args.Add(Invariant($"{outputs.Count}"));
        foreach (var (where, name) in outputs) args.AddRange(new[] { where, name });
        return args;
    }

    /// <summary>
    /// Runs a box as a job would, in <paramref name="directory"/> (the jobs directory: the same file system):
    /// a file written into an overlaid directory must come back to disk, and the sandboxed program must hold
    /// no capability. The box, or why it does not work here.
    /// </summary>
    /// <param name="sandbox">The confinement's command from prlimit on, up to the program, with "{box}" and "{out}" in place of the box and output directories.</param>
    /// <param name="disableUserNamespaces">Whether the sandbox forbids further user namespaces (then the probe checks it does).</param>
    public static async Task<(JobBox? Box, string Why)> ProbeAsync(JobResources r, Func<string, string, IEnumerable<string>> sandbox, bool disableUserNamespaces,
        string? path, string directory, CancellationToken cancellationToken)
    {
        var names = new[] { "sh", "mount", "mkdir", "cp", "unshare", "setpriv", "stat" };
        var found = names.Select(n => ExecutableSearch.Find(n, path)).ToArray();
        if (Array.IndexOf(found, null) is var missing and >= 0) return (null, $"{names[missing]} (util-linux or coreutils) is not installed");
        var box = new JobBox(found[0]!, found[1]!, found[2]!, found[3]!, found[4]!, found[5]!, found[6]!);
        // A directory of its own: the one given may be the temporary directory, whose mode is not ours to change.
        Directory.CreateDirectory(directory);
        var probe = Path.Combine(directory, $"box-probe-{Guid.NewGuid():N}");
        Toolchains.PrivateDirectory.Create(probe);
        try
        {
            var ws = JobWorkspace.Create(probe, "probe");
            var lower = Directory.CreateDirectory(Path.Combine(ws.Root, "out")).FullName;
            var command = box.Prefix(r, ws, new[] { lower }, new[] { ("0", "status") }).ToList();
            command.AddRange(sandbox(ws.Box, lower));
            // The program: a shell that copies its own /proc/self/status (its user and capabilities) into the output
            // directory and says whether it could make a user namespace of its own.
            command.AddRange(new[]
            {
                found[0]!, "-c", "\"$1\" /proc/self/status \"$2\" && if \"$3\" --user true 2>/dev/null; then echo 'Nested: yes' >> \"$2\"; fi",
                "probe", found[3]!, lower + "/status", found[4]!,
            });
            var run = await ProcessRunner.RunAsync(command[0], command.Skip(1), cancellationToken: cancellationToken);
            var verdict = Verdict(ws);
            if (run.ExitCode != 0 || verdict is not BoxVerdict.Done)
                return (null, $"a tmpfs for the job's writes does not work here ({(verdict as BoxVerdict.Failed)?.Why ?? run.StderrText.Trim()})");
            var status = Path.Combine(lower, "status");
            if (!File.Exists(status)) return (null, "what a job wrote in its bounded tmpfs did not come back");
            var lines = File.ReadAllLines(status);
            if (lines.FirstOrDefault(l => l.StartsWith("Cap", StringComparison.Ordinal) && l.Split(':')[1].Trim().Trim('0').Length != 0) is { } kept)
                return (null, $"the sandboxed program kept capabilities ({kept})");
            if (lines.FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal)) is not { } uid || uid.Split('\t', StringSplitOptions.RemoveEmptyEntries).Skip(1).Any(id => id == "0"))
                return (null, "the sandboxed program ran as root");
            if (disableUserNamespaces && lines.Contains("Nested: yes"))
                return (null, "the sandboxed program could make a user namespace of its own despite --disable-userns");
            return (box, "");
        }
        finally
        {
            try { Directory.Delete(probe, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
