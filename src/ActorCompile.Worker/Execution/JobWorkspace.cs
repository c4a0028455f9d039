using ActorCompile.Protocol.Messages;
using ActorCompile.Toolchain.Jobs;
using ActorCompile.Toolchain.Paths;

namespace ActorCompile.Worker.Execution;

/// <summary>Why a job's inputs are unacceptable (an unsafe path, a conflict): a refusal, not a retryable failure.</summary>
public sealed class MirrorException(string message) : Exception(message);

/// <summary>
/// A job's private directory (mode 0700): <c>r/</c> is the mirror root holding the target's files at
/// their absolute paths, <c>w/</c> holds what the worker itself has the compiler write (its dependency
/// list), <c>tmp/</c> is the TMPDIR of an unsandboxed compile, <c>box/</c> stays empty on disk: a bounded
/// sandbox mounts the tmpfs that takes the job's writes there (see <see cref="JobConfinement"/>). Disposing removes all of it.
/// In the sandbox the compiler sees the directory at <see cref="Visible"/> (/actorcompile/JOB), a path
/// that tells nothing of the worker's own directories; without it, at its real place.
/// </summary>
public sealed class JobWorkspace : IDisposable
{
    /// <summary>Where jobs appear inside the sandbox. The sealed roots may not use this name (ToolchainStore).</summary>
    public const string SandboxJobs = "/actorcompile";

    /// <summary>Most entries (files, directories, placeholders) a job's mirror may have.</summary>
    public const int MaximumEntries = 200_000;

    public string Directory { get; }
    public string Root => System.IO.Path.Combine(Directory, "r");
    public string Scratch => System.IO.Path.Combine(Directory, "w");
    public string TemporaryDirectory => System.IO.Path.Combine(Directory, "tmp");
    public string Box => System.IO.Path.Combine(Directory, "box");

    /// <summary>The job's directory as the compiler sees it.</summary>
    public string Visible { get; }
    public string VisibleRoot => Visible + "/r";
    public string VisibleScratch => Visible + "/w";

    private JobWorkspace(string directory, string visible)
    {
        Directory = directory;
        Visible = visible;
    }

    /// <summary>Creates the job directory. The job id becomes a file name, so it is checked first.</summary>
    public static JobWorkspace Create(string jobsDirectory, string jobId, bool sandboxed = false)
    {
        if (jobId.Length is 0 or > 100 || !jobId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') || jobId.StartsWith('.'))
            throw new MirrorException($"job id '{jobId}' is not a safe name");
        var dir = System.IO.Path.Combine(jobsDirectory, jobId);
        Toolchains.PrivateDirectory.Create(jobsDirectory);
        if (System.IO.Directory.Exists(dir)) throw new MirrorException($"a job with the id {jobId} is already here");
        Toolchains.PrivateDirectory.Create(dir);
        var workspace = new JobWorkspace(dir, sandboxed ? $"{SandboxJobs}/{jobId}" : dir);
        System.IO.Directory.CreateDirectory(workspace.Root);
        System.IO.Directory.CreateDirectory(workspace.Scratch);
        System.IO.Directory.CreateDirectory(workspace.TemporaryDirectory);
        System.IO.Directory.CreateDirectory(workspace.Box);
        return workspace;
    }

    /// <summary>
    /// Builds the mirror: directories, then files copied from the blob cache with the target's
    /// modification times (gcc compares them for #pragma once), then empty placeholders.
    /// </summary>
    /// <param name="maxBytes">The most bytes the mirror may take on disk: every file counted as often as it
    /// appears, by the size of its content here (never by the size a job declares).</param>
    public void Materialize(IReadOnlyList<MirrorEntry> entries, BlobCache blobs, long maxBytes)
    {
        if (entries.Count > MaximumEntries) throw new MirrorException($"the job has {entries.Count} mirror entries, more than {MaximumEntries}");
        long bytes = 0;
        foreach (var e in entries)
        {
            if (!MirrorPaths.IsSafeMirrorPath(e.Path)) throw new MirrorException($"unsafe path in the job: {e.Path}");
            // The serializer takes any number for an enum: a kind this worker does not know is refused here.
            if (!Enum.IsDefined(e.Kind)) throw new MirrorException($"unknown mirror entry kind {(byte)e.Kind} for {e.Path}");
            if (e.Kind != MirrorEntryKind.File) continue;
            if (!ContentHash.IsValid(e.Hash)) throw new MirrorException($"file {e.Path} has no valid hash");
            bytes += blobs.SizeOf(e.Hash) ?? throw new MirrorException($"the content of {e.Path} is not on this worker");
            if (bytes > maxBytes)
                throw new MirrorException($"the job's files would take more than the largest job ({maxBytes >> 20} MiB) on disk");
        }
        try
        {
            foreach (var e in entries.Where(e => e.Kind == MirrorEntryKind.Directory))
                System.IO.Directory.CreateDirectory(MirrorPaths.Under(Root, e.Path));
            foreach (var e in entries.Where(e => e.Kind != MirrorEntryKind.Directory))
            {
                var target = MirrorPaths.Under(Root, e.Path);
                if (e.Path == "/") throw new MirrorException("the root cannot be a file");
                System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
                if (e.Kind == MirrorEntryKind.File)
                {
                    File.Copy(blobs.PathOf(e.Hash!), target, overwrite: false);
                }
                else
                {
                    File.WriteAllBytes(target, Array.Empty<byte>());
                }
                File.SetLastWriteTimeUtc(target, DateTimeOffset.FromUnixTimeMilliseconds(e.ModifiedUnixMilliseconds).UtcDateTime);
            }
        }
        catch (IOException ex)
        {
            throw new MirrorException($"cannot build the job's mirror: {ex.Message}");
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new MirrorException($"cannot build the job's mirror: {ex.Message}");
        }
    }

    /// <summary>Removes what jobs of an earlier run left (a worker killed mid-job): called once, before the actor system starts.</summary>
    public static void ClearAll(string jobsDirectory)
    {
        if (System.IO.Directory.Exists(jobsDirectory)) System.IO.Directory.Delete(jobsDirectory, recursive: true);
    }

    public void Dispose()
    {
        try
        {
            if (System.IO.Directory.Exists(Directory)) System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A compiler that is still being killed may hold a file, or one made a directory unwritable: the
            // worker sweeps its jobs directory at start-up and shutdown and says there what it could not remove.
        }
    }
}
