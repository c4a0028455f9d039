using System.Globalization;
using ActorCompile.Toolchain.Identity;
using ActorCompile.Toolchain.Jobs;
using ActorCompile.Toolchain.Processes;

namespace ActorCompile.Worker.Execution;

/// <summary>
/// A job's bounded workspace: the job's mirror and everything its compile writes (its /tmp, its scratch directory,
/// the directories its outputs go to) are in one tmpfs, made for the job alone, of the mirror's size plus
/// <see cref="SizeBytes"/> and a bounded number of files; only the files the worker reads come back to disk.
///
/// How: <c>actorcompile-box</c> (Box/actorcompile-box.c, beside the node), one process per job, makes a user and
/// mount namespace of its own (this user mapped to its root, so that it may mount), mounts the tmpfs on the job's
/// empty box directory, builds the mirror there from the list the worker wrote (<see cref="JobWorkspace.WriteMirrorList"/>),
/// and runs the sandbox (bubblewrap) as the first process of a PID namespace of its own, within the job's limits
/// (address space, file size, processes, CPU, no core; System V IPC and memfds refused by a seccomp filter, as memory those
/// limits do not count): when it returns, the kernel has ended every process of
/// the job, so nothing of the job runs while the outputs are read. Then it copies each named output (the object,
/// the dependency list the command asks for, the worker's own dependency list), if it is a regular file reached
/// without a link, to a new file in the job's directory on disk (<see cref="JobWorkspace.OutputCopy"/>), and
/// writes its verdict to a status file outside the sandbox's reach: "ok"; "full" when the compile failed with its
/// tmpfs full (it wrote more than its bound: the job's doing); or why this machine failed the job. The exit code
/// is the command's; a driver cannot forge the verdict. What reaches the disk is at most the object and two
/// dependency lists, each within the file size limit, whatever links the job made. The box dies with the worker
/// (parent-death signal), and the sandbox with the box.
///
/// Built once by a small C program instead of a dozen programs per job (a shell script with mount, mkdir, cp,
/// unshare, setpriv, prlimit and stat, and the mirror written to disk by the worker a file at a time): on the
/// helpers measured each program's start cost 2 to 6 ms of CPU, and together with the mirror on disk more than
/// the compile of a small unit (README, "Measured figures").
///
/// The sandbox itself (<see cref="JobConfinement"/>) runs the job without capabilities, as an ordinary user, in
/// a user namespace that may make no other: were it root in its namespace, it could remount any read-only bind
/// writable, the sealed toolchains that jobs share among them.
/// </summary>
public sealed class JobBox
{
    /// <summary>Files (and directories) the tmpfs may hold beyond the mirror's: a compile makes a handful; each costs kernel memory that the size does not count.</summary>
    public const int MaximumFiles = 4096;

    /// <summary>The program's name, beside the node's own.</summary>
    public const string ProgramName = "actorcompile-box";

    private readonly string _program;

    private JobBox(string program) => _program = program;

    /// <summary>Where the box writes its verdict: in the job's directory, which the sandbox never sees.</summary>
    public static string StatusFile(JobWorkspace ws) => Path.Combine(ws.Directory, "box-status");

    /// <summary>What the box says of a job: it did its part; the compile filled its tmpfs and failed (the job's own
    /// doing: it wrote more than its bound); the job left as an output something other than a file it wrote (a link, a
    /// pipe, a file of holes: its own doing too); or this machine failed the job, and why.</summary>
    public abstract record BoxVerdict
    {
        public sealed record Done : BoxVerdict;
        public sealed record Full : BoxVerdict;
        public sealed record Refused(string Why) : BoxVerdict;
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
            var refused when refused.StartsWith("refused: ", StringComparison.Ordinal) => new BoxVerdict.Refused(TerminalText.Printable(refused["refused: ".Length..])),
            var why => new BoxVerdict.Failed($"the job's bounded workspace {TerminalText.Printable(why.Length > 200 ? why[..200] : why)}"),
        };
    }

    /// <summary>What a job may write in all: twice the largest file, so that a compile whose every file fits the file size
    /// limit (an assembler's input beside its object, each under it) fits as before.</summary>
    public static long SizeBytes(JobResources r) => 2 * r.FileBytes;

    /// <summary>The box's command up to the program it runs (bubblewrap): its tmpfs sized for <paramref name="mirror"/> and
    /// what the job may write, the job's limits, and the outputs that come back (a path in the box: r/... in the mirror,
    /// s/NAME in the scratch directory; the i-th to <see cref="JobWorkspace.OutputCopy"/>(i)).</summary>
    public IEnumerable<string> Prefix(JobResources r, JobWorkspace ws, MirrorSize mirror, IReadOnlyList<string> outputs)
    {
        // The tmpfs holds the mirror (measured as the tmpfs counts it) and what the job may write beside it; so do its files.
        var args = new List<string>
        {
            _program, "--status", StatusFile(ws), "--box", ws.Box, "--mirror", ws.MirrorList,
            "--size", Invariant($"{mirror.Bytes + SizeBytes(r)}"), "--files", Invariant($"{mirror.Entries + MaximumFiles}"),
            "--fsize", Invariant($"{r.FileBytes}"), "--nproc", Invariant($"{r.Processes}"), "--cpu", Invariant($"{(long)Math.Ceiling(r.CpuTime.TotalSeconds)}"),
        };
        if (r.MemoryBytes > 0) args.AddRange(new[] { "--as", Invariant($"{r.MemoryBytes}") });
        for (int i = 0; i < outputs.Count; i++) args.AddRange(new[] { "--output", outputs[i], ws.OutputCopy(i) });
        args.Add("--");
        return args;
    }

    /// <summary>
    /// Runs a box as a job would, in <paramref name="directory"/> (the jobs directory: the same file system):
    /// a file written into the job's output directory must come back to disk, and the sandboxed program must hold
    /// no capability. The box, or why it does not work here.
    /// </summary>
    /// <param name="sandbox">The sandbox's command up to the program, given the box directory and the output directory as the program sees it.</param>
    /// <param name="disableUserNamespaces">Whether the sandbox forbids further user namespaces (then the probe checks it does).</param>
    /// <param name="program">Where actorcompile-box is (beside the node).</param>
    public static async Task<(JobBox? Box, string Why)> ProbeAsync(JobResources r, Func<JobWorkspace, string, IEnumerable<string>> sandbox, bool disableUserNamespaces,
        string? path, string directory, string program, CancellationToken cancellationToken)
    {
        if (!File.Exists(program)) return (null, $"{ProgramName} is not beside the node ({program})");
        var names = new[] { "sh", "cp", "unshare" };
        var found = names.Select(n => ExecutableSearch.Find(n, path)).ToArray();
        if (Array.IndexOf(found, null) is var missing and >= 0) return (null, $"{names[missing]} (coreutils or util-linux) is not installed");
        var box = new JobBox(program);
        // A directory of its own: the one given may be the temporary directory, whose mode is not ours to change.
        Directory.CreateDirectory(directory);
        var probe = Path.Combine(directory, $"box-probe-{Guid.NewGuid():N}");
        Toolchains.PrivateDirectory.Create(probe);
        try
        {
            var ws = JobWorkspace.Create(probe, "probe", sandboxed: true);
            var mirror = ws.WriteMirrorList(Array.Empty<MirrorEntry>(), blobs: null, maxBytes: 0, directories: new[] { "/out" });
            // The sandbox runs in the box's mount namespace: the tmpfs is at the box directory's own path there.
            var output = ws.Box + "/r/out";
            var command = box.Prefix(r, ws, mirror, new[] { "r/out/status" }).ToList();
            command.AddRange(sandbox(ws, output));
            // The program: a shell that copies its own /proc/self/status (its user and capabilities) into the output
            // directory and says whether it could make a user namespace of its own.
            command.AddRange(new[]
            {
                found[0]!, "-c", "\"$1\" /proc/self/status \"$2\" && if \"$3\" --user true 2>/dev/null; then echo 'Nested: yes' >> \"$2\"; fi",
                "probe", found[1]!, output + "/status", found[2]!,
            });
            var run = await ProcessRunner.RunAsync(command[0], command.Skip(1), ws.Directory, cancellationToken: cancellationToken);
            var verdict = Verdict(ws);
            if (run.ExitCode != 0 || verdict is not BoxVerdict.Done)
                return (null, $"a tmpfs for the job's writes does not work here ({(verdict as BoxVerdict.Failed)?.Why ?? run.StderrText.Trim()})");
            var status = ws.OutputCopy(0);
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
