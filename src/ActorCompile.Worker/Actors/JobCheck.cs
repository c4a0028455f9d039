using ActorCompile.Protocol.Messages;
using ActorCompile.Worker.Toolchains;

namespace ActorCompile.Worker.Actors;

/// <summary>
/// The shape of a job as it arrives: the serializer gives back whatever the sender wrote, nulls included,
/// where the records promise a value. Everything past this check may read any field of the job; what
/// the values mean (paths, options, hashes, the toolchain's files) is judged further on, each by its owner.
/// </summary>
public static class JobCheck
{
    /// <summary>What is missing or out of range in a job, or null when it is whole.</summary>
    public static string? Problem(CompileJob job)
    {
        if (job.Fingerprint is null || job.Args is null || job.WorkingDirectory is null || job.Mirror is null
            || job.SystemIncludeDirectories is null || job.Environment is null || job.Blobs is null)
            return "the job lacks one of its parts";
        if (job.Args.Any(a => a is null) || job.SystemIncludeDirectories.Any(d => d is null))
            return "the job's command or include directories hold a null";
        if (job.Mirror.Any(e => e?.Path is null)) return "the job's mirror holds an entry without a path";
        if (job.Environment.Any(v => v?.Name is null || v.Value is null)) return "the job's environment holds a null";
        if (job.Blobs.Any(b => b?.Hash is null || b.Compressed is null || b.Length < 0)) return "the job holds a malformed content";
        return job.Toolchain is { } shipped ? ToolchainProblem(shipped) : null;
    }

    private static string? ToolchainProblem(ShippedToolchain t)
    {
        if (t.Id is null || t.Fingerprint is null || t.Family is null || t.Version is null || t.Target is null
            || t.DriverLanguage is null || t.Driver is null || t.Files is null)
            return "the shipped toolchain lacks one of its parts";
        // Bounded before it is walked (the store checks the rest, off this thread).
        if (t.Files.Length > ToolchainManifestCheck.MaximumEntries)
            return $"the shipped toolchain lists {t.Files.Length} entries, more than {ToolchainManifestCheck.MaximumEntries}";
        return t.Files.Any(f => f?.Path is null) ? "the shipped toolchain lists an entry without a path" : null;
    }
}
