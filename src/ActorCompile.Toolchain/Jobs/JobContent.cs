using ActorCompile.Toolchain.Arguments;
using ActorCompile.Toolchain.Paths;

namespace ActorCompile.Toolchain.Jobs;

/// <summary>
/// What a job must be for a worker to run it, judged by what the job itself says: a distributable
/// command whose paths stay inside the job's directories, a safe working directory, absolute system
/// include directories, only the environment a job may carry, and mirror entries with safe paths, known
/// kinds, hashes and times a file system can hold. One rule for both ends: the target checks its own job
/// with it before the job leaves (a job that fails it compiles locally and counts against no worker), and
/// the worker checks every job again (a coordinator may be hostile), so a refusal a worker reports for a
/// job's content is a fault of the worker or of its coordinator, never of a user's job.
/// </summary>
public static class JobContent
{
    /// <summary>The most mirror entries a job may have.</summary>
    public const int MaximumMirrorEntries = 200_000;

    /// <summary>The range of modification times a mirror entry may carry: what .NET and the kernel's file times hold (years 1 to 9999).</summary>
    public static readonly long EarliestModified = DateTimeOffset.MinValue.ToUnixTimeMilliseconds();
    public static readonly long LatestModified = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    /// <summary>Why the job cannot run on a worker, or null.</summary>
    public static string? Problem(CompileCommand command, string workingDirectory, IReadOnlyList<string> systemIncludeDirectories,
        IEnumerable<KeyValuePair<string, string>> environment, IReadOnlyList<MirrorEntry> mirror)
    {
        if (!command.IsDistributable) return command.LocalReason;
        // The working directory first: the paths are judged against it.
        if (!workingDirectory.StartsWith('/') || workingDirectory.Contains('\0') || !MirrorPaths.IsSafeMirrorPath(MirrorPaths.Normalize(workingDirectory)))
            return $"working directory '{workingDirectory}' is not a safe absolute path";
        foreach (var path in PathArguments(command))
            if (MirrorPaths.ClimbsOutOfMirror(workingDirectory, path))
                return $"the path {path} leaves the job's directory";
        foreach (var dir in systemIncludeDirectories)
            if (!dir.StartsWith('/') || dir.Contains('\0'))
                return $"system include directory '{dir}' is not an absolute path";
        foreach (var (name, value) in environment)
            if (!CompileEnvironment.Forwarded.Contains(name) || value.Contains('\0'))
                return $"environment variable {name} is not one a job may set";
        return MirrorProblem(mirror);
    }

    /// <summary>Why the mirror entries cannot be built on a worker, or null (what the worker's own disk holds is judged there).</summary>
    public static string? MirrorProblem(IReadOnlyList<MirrorEntry> mirror)
    {
        if (mirror.Count > MaximumMirrorEntries) return $"the job has {mirror.Count} mirror entries, more than {MaximumMirrorEntries}";
        foreach (var e in mirror)
        {
            if (!MirrorPaths.IsSafeMirrorPath(e.Path)) return $"unsafe path in the job: {e.Path}";
            // The serializer takes any number for an enum: a kind nobody knows is refused here.
            if (!Enum.IsDefined(e.Kind)) return $"unknown mirror entry kind {(byte)e.Kind} for {e.Path}";
            if (e.Kind == MirrorEntryKind.File && !ContentHash.IsValid(e.Hash)) return $"file {e.Path} has no valid hash";
            if (e.Kind != MirrorEntryKind.Directory && e.Path == "/") return "the root cannot be a file";
            if (e.ModifiedUnixMilliseconds < EarliestModified || e.ModifiedUnixMilliseconds > LatestModified)
                return $"{e.Path} has a modification time no file can have ({e.ModifiedUnixMilliseconds} ms)";
        }
        return null;
    }

    /// <summary>A SHA-256 as jobs name contents: 64 lowercase hexadecimal digits.</summary>

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
}
