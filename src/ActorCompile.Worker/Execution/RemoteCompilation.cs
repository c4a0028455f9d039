using System.Text;
using ActorCompile.Protocol;
using ActorCompile.Protocol.Messages;
using ActorCompile.Toolchain.Arguments;
using ActorCompile.Toolchain.Dependencies;
using ActorCompile.Toolchain.Identity;
using ActorCompile.Toolchain.Jobs;
using ActorCompile.Toolchain.Paths;
using ActorCompile.Toolchain.Processes;

namespace ActorCompile.Worker.Execution;

/// <summary>A toolchain this worker offers: the names it answers to, the path it is run by, and its identity.</summary>
public sealed record WorkerToolchain(IReadOnlyList<string> Names, string Path, ToolchainIdentity Identity);

public abstract record CompileOutcome;

/// <summary>The compiler ran; its verdict (any exit code) and what it wrote, with paths as in the original command.</summary>
public sealed record CompiledOutcome(int ExitCode, byte[] Stdout, byte[] Stderr, IReadOnlyList<(string Path, byte[] Data)> Outputs, long Milliseconds, long MirrorMilliseconds = 0) : CompileOutcome;

/// <summary>The job could not be compiled here. <paramref name="Refused"/>: it never will be (trust rules, malformed job).</summary>
public sealed record FailedOutcome(string Reason, bool Refused) : CompileOutcome;

/// <summary>
/// One job on a worker: rebuild the target's paths in a private mirror, run the original command there
/// with the worker's own compiler for the job's fingerprint, check that the compiler read nothing outside
/// the mirror, and hand back what it printed and wrote with the mirror's root taken out again.
/// </summary>
public static class RemoteCompilation
{
    /// <summary>Limit on what a compiler may print (per stream); more is cut and the job fails.</summary>
    public const int MaximumDiagnosticsBytes = JobLimits.MaximumDiagnosticsBytes;

    public static async Task<CompileOutcome> RunAsync(
        CompileJob job,
        WorkerToolchain toolchain,
        JobWorkspace workspace,
        BlobCache blobs,
        TimeSpan timeout,
        CancellationToken cancellationToken,
        JobConfinement? confinement = null)
    {
        if (confinement?.Refusal is { } refusal) return new FailedOutcome(refusal, Refused: true);
        var command = CompileCommand.Parse(job.Args);
        if (!command.IsDistributable) return new FailedOutcome($"refused: {command.LocalReason}", Refused: true);
        foreach (var path in PathArguments(command))
            if (MirrorPaths.ClimbsOutOfMirror(job.WorkingDirectory, path))
                return new FailedOutcome($"refused: the path {path} leaves the job's directory", Refused: true);
        if (!job.WorkingDirectory.StartsWith('/') || !MirrorPaths.IsSafeMirrorPath(MirrorPaths.Normalize(job.WorkingDirectory)))
            return new FailedOutcome($"refused: working directory '{job.WorkingDirectory}' is not a safe absolute path", Refused: true);
        foreach (var dir in job.SystemIncludeDirectories)
            if (!dir.StartsWith('/') || dir.Contains('\0'))
                return new FailedOutcome($"refused: system include directory '{dir}' is not an absolute path", Refused: true);
        foreach (var v in job.Environment)
            if (!CompileEnvironment.Forwarded.Contains(v.Name) || v.Value.Contains('\0'))
                return new FailedOutcome($"refused: environment variable {v.Name} is not one a job may set", Refused: true);

        var mirrorClock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            workspace.Materialize(job.Mirror, blobs);
        }
        catch (MirrorException e)
        {
            return new FailedOutcome($"refused: {e.Message}", Refused: true);
        }

        var mirrorMilliseconds = mirrorClock.ElapsedMilliseconds;
        var root = workspace.Root;
        var cwd = root + MirrorPaths.Normalize(job.WorkingDirectory);
        Directory.CreateDirectory(cwd);
        var args = CommandRewriter.ForWorker(command, root, job.SystemIncludeDirectories, job.PreincludeStdcPredef);
        if (job.ColorDiagnostics) args.Add("-fdiagnostics-color=always");
        string? checkFile = null;
        if (command.Dependencies is null)
        {
            // The compile's own dependency list is how the worker knows it read nothing outside the mirror.
            checkFile = Path.Combine(workspace.Directory, "inputs.d");
            args.AddRange(new[] { "-MD", "-MF", checkFile });
        }

        var env = new Dictionary<string, string>
        {
            ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin",
            ["TMPDIR"] = workspace.TemporaryDirectory,
            ["PWD"] = cwd,
        };
        foreach (var v in job.Environment) env[v.Name] = v.Value;

        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        var (program, programArgs) = confinement is null ? (toolchain.Path, args) : confinement.Wrap(toolchain.Path, args, workspace.Directory, cwd);
        ProcessResult result;
        try
        {
            result = await ProcessRunner.RunAsync(program, programArgs, cwd, env, cancellationToken: timeoutSource.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new FailedOutcome($"the compiler did not finish within {timeout.TotalSeconds:0} s", Refused: false);
        }
        catch (ProcessStartException e)
        {
            return new FailedOutcome(e.Message, Refused: false);
        }
        if (result.Stdout.Length > MaximumDiagnosticsBytes || result.Stderr.Length > MaximumDiagnosticsBytes)
            return new FailedOutcome("the compiler printed more than the diagnostics limit", Refused: false);
        // A compiler killed by a signal (exit 128 + N) is this machine's failure, not a verdict on the source.
        if (result.ExitCode > 128)
            return new FailedOutcome($"the compiler was killed by signal {result.ExitCode - 128}", Refused: false);

        var mirroredDeps = command.Dependencies is { } d ? Path.Combine(cwd, MirrorPaths.MapArgument(root, d.File)) : checkFile!;
        if (File.Exists(mirroredDeps))
        {
            var outside = FindInputOutsideMirror(File.ReadAllText(mirroredDeps), root, cwd);
            if (outside is not null)
                return new FailedOutcome($"refused: the compile read {outside}, which is outside the job's mirror", Refused: true);
        }
        else if (result.ExitCode == 0)
        {
            return new FailedOutcome("the compiler succeeded but wrote no dependency list", Refused: false);
        }
        var stderr = RemoveRoot(result.Stderr, root);
        if (result.ExitCode != 0 && MentionsPathOutsideMirror(Encoding.UTF8.GetString(result.Stderr), root))
            return new FailedOutcome("refused: the compiler's messages name files outside the job's mirror", Refused: true);

        var outputs = new List<(string, byte[])>();
        if (result.ExitCode == 0)
        {
            var objectPath = Path.Combine(cwd, MirrorPaths.MapArgument(root, command.Output!));
            if (!File.Exists(objectPath)) return new FailedOutcome("the compiler succeeded but wrote no output", Refused: false);
            outputs.Add((command.Output!, File.ReadAllBytes(objectPath)));
            if (command.Dependencies is { } dep)
            {
                var text = File.ReadAllText(mirroredDeps);
                var style = toolchain.Identity.Family == "clang" ? DependencyStyle.Clang : DependencyStyle.Gcc;
                var rewritten = MakeDependencies.Rewrite(text, name => name.Replace(root, "", StringComparison.Ordinal), style);
                outputs.Add((dep.File, Encoding.UTF8.GetBytes(rewritten)));
            }
        }
        return new CompiledOutcome(result.ExitCode, RemoveRoot(result.Stdout, root), stderr, outputs, (long)result.Elapsed.TotalMilliseconds, mirrorMilliseconds);
    }

    /// <summary>Every argument that names a file or directory: inputs, outputs, include paths, dependency files.</summary>
    private static IEnumerable<string> PathArguments(CompileCommand command)
    {
        foreach (var p in command.Parsed)
        {
            if (p.IsInput) yield return p.Token;
            else if (p.Role is OptionRole.Output or OptionRole.IncludeDirectory or OptionRole.IncludeFile or OptionRole.DependencyFile && p.Value is { } v) yield return v;
            else if (p.Role == OptionRole.PreprocessorOptions && p.Value is { } wp && wp.Contains(',')) yield return wp[(wp.IndexOf(',') + 1)..];
        }
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
