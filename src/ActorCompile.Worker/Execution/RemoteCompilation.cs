using System.Text;
using ActorCompile.Protocol;
using ActorCompile.Protocol.Messages;
using ActorCompile.Toolchain.Arguments;
using ActorCompile.Toolchain.Dependencies;
using ActorCompile.Toolchain.Identity;
using ActorCompile.Toolchain.Jobs;
using ActorCompile.Toolchain.Paths;
using ActorCompile.Toolchain.Processes;
using ActorCompile.Worker.Toolchains;

namespace ActorCompile.Worker.Execution;

/// <summary>
/// A toolchain this worker offers: the names it answers to, the path it is run by here, its identity,
/// and its files (from which its sealed root is built on first use).
/// </summary>
/// <param name="Shipped">The toolchain came with the job from its target (its files are in the worker's store, not installed here).</param>
public sealed record WorkerToolchain(IReadOnlyList<string> Names, string Path, ToolchainIdentity Identity, ToolchainManifest? Manifest = null, bool Shipped = false);

public abstract record CompileOutcome;

/// <summary>The compiler ran; its verdict (any exit code) and what it wrote, with paths as in the original command.</summary>
public sealed record CompiledOutcome(int ExitCode, byte[] Stdout, byte[] Stderr, IReadOnlyList<(string Path, byte[] Data)> Outputs, long Milliseconds, long MirrorMilliseconds = 0) : CompileOutcome;

/// <summary>The job could not be compiled here. <paramref name="Refused"/>: it never will be (trust rules, malformed job).</summary>
public sealed record FailedOutcome(string Reason, bool Refused) : CompileOutcome;

/// <summary>One job as the worker runs it: the job, where, with what, within which bounds.</summary>
/// <param name="Root">The toolchain's sealed root; null only when the worker runs unsandboxed.</param>
/// <param name="MaxJobBytes">The largest job (actorcompile.max-job-size): caps the mirror on disk and every file the compile writes.</param>
public sealed record JobExecution(
    CompileJob Job,
    WorkerToolchain Toolchain,
    SealedRoot? Root,
    JobWorkspace Workspace,
    BlobCache Blobs,
    JobConfinement Confinement,
    long MaxJobBytes,
    TimeSpan Timeout);

/// <summary>
/// One job on a worker: rebuild the target's paths in a private mirror, run the original command there
/// with the compiler of the job's fingerprint (sealed in its own root), check that the compiler read
/// nothing outside the mirror, and hand back what it printed and wrote with the mirror's root taken out
/// again.
/// </summary>
public static class RemoteCompilation
{
    /// <summary>Limit on what a compiler may print (per stream); more is cut, the compiler killed, and the job fails.</summary>
    public const int MaximumDiagnosticsBytes = JobLimits.MaximumDiagnosticsBytes;

    /// <summary>The name of the dependency list the worker has the compiler write when the command asks for none.</summary>
    private const string CheckFile = "inputs.d";

    public static async Task<CompileOutcome> RunAsync(JobExecution x, CancellationToken cancellationToken)
    {
        if (x.Confinement.Refusal is { } refusal) return new FailedOutcome($"refused: {refusal}", Refused: true);
        var command = CompileCommand.Parse(x.Job.Args);
        if (Refusal(x.Job, command) is { } why) return new FailedOutcome($"refused: {why}", Refused: true);
        if (x.Confinement.Sandboxed && x.Root is null) return new FailedOutcome("the toolchain's sealed root is missing", Refused: false);

        var mirrorClock = System.Diagnostics.Stopwatch.StartNew();
        CompilePlan plan;
        MirrorSize? mirror = null;
        try
        {
            // A bounded box builds the mirror in its tmpfs from a list (one file on disk); without one it is built on disk here.
            if (x.Confinement.Bounded)
            {
                plan = Plan(x, command);
                mirror = x.Workspace.WriteMirrorList(x.Job.Mirror, x.Blobs, x.MaxJobBytes, plan.Directories);
            }
            else
            {
                x.Workspace.Materialize(x.Job.Mirror, x.Blobs, x.MaxJobBytes);
                plan = Plan(x, command);
                foreach (var dir in plan.Directories) Directory.CreateDirectory(MirrorPaths.Under(x.Workspace.Root, dir));
            }
        }
        catch (MirrorException e)
        {
            return new FailedOutcome($"refused: {e.Message}", Refused: true);
        }
        var mirrorMilliseconds = mirrorClock.ElapsedMilliseconds;

        ProcessResult result;
        try
        {
            result = await Execute(x, plan, mirror, cancellationToken);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new FailedOutcome($"the compiler did not finish within {x.Timeout.TotalSeconds:0} s", Refused: false);
        }
        catch (ProcessStartException e)
        {
            return new FailedOutcome(e.Message, Refused: false);
        }
        try
        {
            return Verify(x, command, plan, result) ?? Collect(x, command, plan, result, mirrorMilliseconds);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // An output left unreadable (a mode taken away, a disk that fails): named without this machine's paths.
            return new FailedOutcome($"the compile's outputs could not be read ({e.GetType().Name})", Refused: false);
        }
    }

    /// <summary>Why a job must never run here (a hostile coordinator may send anything), or null.</summary>
    /// <summary>The same rule the target applied before it sent the job (<see cref="JobContent"/>), again: a coordinator may be hostile.</summary>
    private static string? Refusal(CompileJob job, CompileCommand command) =>
        JobContent.Problem(command, job.WorkingDirectory, job.SystemIncludeDirectories,
            job.Environment.Select(v => new KeyValuePair<string, string>(v.Name, v.Value)), job.Mirror);

    /// <summary>Where everything is, as the compiler sees it (under the visible root) and on this machine.</summary>
    /// <param name="Outputs">What the worker reads after the compile (the object and the dependency list), as the compiler sees them.</param>
    /// <param name="Directories">Directories of the mirror the compile needs whether or not the target listed them: its working
    /// directory and its outputs' directories (paths in the mirror).</param>
    private sealed record CompilePlan(string Root, string WorkingDirectory, List<string> Args, string DependencyFile, bool OwnDependencyFile, List<string> Writable, List<string> Outputs,
        List<string> Directories);

    private static CompilePlan Plan(JobExecution x, CompileCommand command)
    {
        var root = x.Workspace.VisibleRoot;
        var cwd = root + MirrorPaths.Normalize(x.Job.WorkingDirectory);
        var args = CommandRewriter.ForWorker(command, root, x.Job.SystemIncludeDirectories, x.Job.PreincludeStdcPredef);
        if (x.Job.ColorDiagnostics) args.Add("-fdiagnostics-color=always");
        string dependencyFile;
        bool own = command.Dependencies is null;
        if (own)
        {
            // The compile's own dependency list is how the worker knows it read nothing outside the mirror.
            dependencyFile = x.Workspace.VisibleScratch + "/" + CheckFile;
            args.AddRange(new[] { "-MD", "-MF", dependencyFile });
        }
        else dependencyFile = Path.Combine(cwd, MirrorPaths.MapArgument(root, command.Dependencies!.File));
        var objectFile = MirrorPaths.Normalize(Path.Combine(cwd, MirrorPaths.MapArgument(root, command.Output!)));
        var writable = new List<string> { DirectoryOf(objectFile) };
        if (!own) writable.Add(DirectoryOf(dependencyFile));
        var directories = new[] { cwd }.Concat(writable).Select(d => InMirror(x.Workspace, d)).Distinct(StringComparer.Ordinal).ToList();
        return new CompilePlan(root, cwd, args, dependencyFile, own, writable, new List<string> { objectFile, MirrorPaths.Normalize(dependencyFile) }, directories);

        static string DirectoryOf(string file) => MirrorPaths.Normalize(Path.GetDirectoryName(file)!);
    }

    /// <summary>The path in the mirror of a directory the compiler sees; a directory outside the mirror is refused.</summary>
    private static string InMirror(JobWorkspace ws, string visible)
    {
        try
        {
            return JobConfinement.MirrorPathOf(ws, visible);
        }
        catch (InvalidOperationException)
        {
            throw new MirrorException("a directory of the compile lies outside the job's mirror");
        }
    }

    /// <summary>Where the worker reads the <paramref name="index"/>-th output of the plan (0: the object, 1: the dependency
    /// list): the copy a bounded box made, or its place in the mirror on disk.</summary>
    private static string OnDisk(JobExecution x, CompilePlan plan, int index) =>
        x.Confinement.Bounded ? x.Workspace.OutputCopy(index) : HostPath(x.Workspace, plan.Outputs[index]);

    /// <summary>The place on this machine of a path the compiler sees.</summary>
    private static string HostPath(JobWorkspace ws, string visible) =>
        visible.StartsWith(ws.Visible, StringComparison.Ordinal) ? ws.Directory + visible[ws.Visible.Length..] : visible;

    private static async Task<ProcessResult> Execute(JobExecution x, CompilePlan plan, MirrorSize? mirror, CancellationToken cancellationToken)
    {
        var sandboxed = x.Confinement.Sandboxed;
        var env = new Dictionary<string, string>
        {
            ["PATH"] = sandboxed ? "/usr/local/bin:/usr/bin:/bin" : Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin",
            ["TMPDIR"] = sandboxed ? "/tmp" : x.Workspace.TemporaryDirectory,
            ["PWD"] = plan.WorkingDirectory,
        };
        foreach (var v in x.Job.Environment) env[v.Name] = v.Value;
        var program = sandboxed ? x.Root!.Driver : x.Toolchain.Path;
        var (file, args, environment) = x.Confinement.Command(new ConfinedCommand(x.Root, program, plan.Args, x.Workspace, plan.WorkingDirectory, plan.Writable, env, plan.Outputs, mirror));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(x.Timeout);
        // Unsandboxed, the compile starts in its directory on this machine; in the sandbox, bwrap changes to it.
        var start = sandboxed ? x.Workspace.Directory : plan.WorkingDirectory;
        return await ProcessRunner.RunAsync(file, args, start, environment, maxOutputBytes: MaximumDiagnosticsBytes, cancellationToken: timeout.Token);
    }

    /// <summary>A reason the compiler's run is not a verdict on the source, or null when it is.</summary>
    private static FailedOutcome? Verify(JobExecution x, CompileCommand command, CompilePlan plan, ProcessResult result)
    {
        if (result.OutputExceeded)
            return new FailedOutcome($"the compiler printed more than {MaximumDiagnosticsBytes >> 20} MiB on one stream and was stopped", Refused: false);
        // The box's verdict (written where the job cannot reach), whatever the compiler said.
        if (x.Confinement.Bounded)
        {
            switch (JobBox.Verdict(x.Workspace))
            {
                case JobBox.BoxVerdict.Failed failed:
                    return new FailedOutcome(failed.Why, Refused: false);
                case JobBox.BoxVerdict.Refused refused:
                    return new FailedOutcome($"refused: {refused.Why}", Refused: true);
                case JobBox.BoxVerdict.Full:
                    return new FailedOutcome($"refused: the compile wrote more than its bound ({JobBox.SizeBytes(x.Confinement.Resources) >> 20} MiB in all)", Refused: true);
            }
        }
        // A compiler killed by a signal (exit 128 + N) is this machine's failure, not a verdict on the source.
        if (result.ExitCode > 128)
            return new FailedOutcome($"the compiler was killed by signal {result.ExitCode - 128}", Refused: false);
        var dependencies = OnDisk(x, plan, 1);
        if (new FileInfo(dependencies).LinkTarget is not null || Native.Status(dependencies) is { IsRegularFile: false })
            return new FailedOutcome("refused: the compile left something other than a file as its dependency list", Refused: true);
        if (File.Exists(dependencies))
        {
            var outside = FindInputOutsideMirror(File.ReadAllText(dependencies), plan.Root, plan.WorkingDirectory);
            if (outside is not null)
                return new FailedOutcome($"refused: the compile read {outside}, which is outside the job's mirror", Refused: true);
        }
        else if (result.ExitCode == 0)
        {
            return new FailedOutcome("the compiler succeeded but wrote no dependency list", Refused: false);
        }
        if (result.ExitCode != 0 && MentionsPathOutsideMirror(Encoding.UTF8.GetString(result.Stderr), plan.Root))
            return new FailedOutcome("refused: the compiler's messages name files outside the job's mirror", Refused: true);
        return null;
    }

    private static CompileOutcome Collect(JobExecution x, CompileCommand command, CompilePlan plan, ProcessResult result, long mirrorMilliseconds)
    {
        var outputs = new List<(string, byte[])>();
        if (result.ExitCode == 0)
        {
            var objectPath = OnDisk(x, plan, 0);
            var info = new FileInfo(objectPath);
            // Nothing of the job runs any more (it had a PID namespace of its own): what is checked here stays so while it is read.
            if (!info.Exists || info.LinkTarget is not null || Native.Status(objectPath) is not { IsRegularFile: true })
                return new FailedOutcome("the compiler succeeded but wrote no output", Refused: false);
            if (info.Length > x.MaxJobBytes) return new FailedOutcome($"the object is larger than the largest job ({x.MaxJobBytes >> 20} MiB)", Refused: false);
            outputs.Add((command.Output!, File.ReadAllBytes(objectPath)));
            if (command.Dependencies is { } dep)
            {
                var text = File.ReadAllText(OnDisk(x, plan, 1));
                var style = x.Toolchain.Identity.Family == "clang" ? DependencyStyle.Clang : DependencyStyle.Gcc;
                var rewritten = MakeDependencies.Rewrite(text, name => name.Replace(plan.Root, "", StringComparison.Ordinal), style);
                outputs.Add((dep.File, Encoding.UTF8.GetBytes(rewritten)));
            }
        }
        return new CompiledOutcome(result.ExitCode, RemoveRoot(result.Stdout, plan.Root), RemoveRoot(result.Stderr, plan.Root), outputs,
            (long)result.Elapsed.TotalMilliseconds, mirrorMilliseconds);
    }

    /// <summary>The first prerequisite in a dependency list that does not lie inside the mirror, or null.</summary>
    public static string? FindInputOutsideMirror(string dependencyText, string root, string cwd)
    {
        foreach (var dep in MakeDependencies.ParsePrerequisites(dependencyText))
        {
            var absolute = MirrorPaths.Normalize(MirrorPaths.Absolute(dep, cwd));
            if (!absolute.StartsWith(root + "/", StringComparison.Ordinal)) return dep;
        }
        return null;
    }

    /// <summary>Whether diagnostics name an absolute path that is not in the mirror (file:line: or "from file:line").</summary>
    public static bool MentionsPathOutsideMirror(string stderr, string root)
    {
        foreach (var raw in stderr.Split('\n'))
        {
            var line = StripAnsi(raw).TrimStart();
            foreach (var prefix in new[] { "In file included from ", "from " })
                if (line.StartsWith(prefix, StringComparison.Ordinal)) line = line[prefix.Length..];
            if (!line.StartsWith('/')) continue;
            int colon = line.IndexOf(':');
            if (colon <= 0) continue;
            var path = line[..colon];
            if (!path.StartsWith(root + "/", StringComparison.Ordinal)) return true;
        }
        return false;
    }

    private static string StripAnsi(string s)
    {
        if (!s.Contains('\u001b')) return s;
        var sb = new StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '\u001b' && i + 1 < s.Length && s[i + 1] == '[')
            {
                i += 2;
                while (i < s.Length && !char.IsAsciiLetter(s[i])) i++;
                continue;
            }
            if (s[i] == '\u001b' && i + 1 < s.Length && s[i + 1] == ']')
            {
                // OSC (URLs): ends with BEL or ESC backslash.
                i += 2;
                while (i < s.Length && s[i] != '\a' && !(s[i] == '\u001b' && i + 1 < s.Length && s[i + 1] == '\\')) i++;
                if (i < s.Length && s[i] == '\u001b') i++;
                continue;
            }
            sb.Append(s[i]);
        }
        return sb.ToString();
    }

    /// <summary>Takes the mirror's root out of text the compiler printed, so that paths read as on the target.</summary>
    public static byte[] RemoveRoot(byte[] text, string root)
    {
        var needle = Encoding.UTF8.GetBytes(root);
        if (text.AsSpan().IndexOf(needle) < 0) return text;
        using var buffer = new MemoryStream(text.Length);
        var rest = text.AsSpan();
        int at;
        while ((at = rest.IndexOf(needle)) >= 0)
        {
            buffer.Write(rest[..at]);
            rest = rest[(at + needle.Length)..];
        }
        buffer.Write(rest);
        return buffer.ToArray();
    }

    public static JobCompleted ToMessage(string jobId, CompiledOutcome outcome, long workerMilliseconds) => new(
        jobId,
        outcome.ExitCode,
        outcome.Stdout,
        outcome.Stderr,
        outcome.Outputs.Select(o => Payload.ToOutput(o.Path, o.Data)).ToArray(),
        outcome.Milliseconds,
        workerMilliseconds,
        outcome.MirrorMilliseconds);
}
