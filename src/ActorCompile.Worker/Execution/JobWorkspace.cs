using ActorCompile.Protocol.Messages;
using ActorCompile.Toolchain.Jobs;
using ActorCompile.Toolchain.Paths;

namespace ActorCompile.Worker.Execution;

/// <summary>Why a job's inputs are unacceptable (an unsafe path, a conflict): a refusal, not a retryable failure.</summary>
public sealed class MirrorException(string message) : Exception(message);

/// <summary>
/// A job's private directory (mode 0700): <c>r/</c> is the mirror root holding the target's files at
/// their absolute paths, <c>tmp/</c> is the compiler's TMPDIR. Disposing removes all of it.
/// </summary>
public sealed class JobWorkspace : IDisposable
{
    public string Directory { get; }
    public string Root => System.IO.Path.Combine(Directory, "r");
    public string TemporaryDirectory => System.IO.Path.Combine(Directory, "tmp");

    private JobWorkspace(string directory) => Directory = directory;

    /// <summary>Creates the job directory. The job id becomes a file name, so it is checked first.</summary>
    public static JobWorkspace Create(string jobsDirectory, string jobId)
    {
        if (jobId.Length is 0 or > 100 || !jobId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') || jobId.StartsWith('.'))
            throw new MirrorException($"job id '{jobId}' is not a safe name");
        var dir = System.IO.Path.Combine(jobsDirectory, jobId);
        System.IO.Directory.CreateDirectory(jobsDirectory);
        var info = System.IO.Directory.CreateDirectory(dir);
        info.UnixFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        var workspace = new JobWorkspace(dir);
        System.IO.Directory.CreateDirectory(workspace.Root);
        System.IO.Directory.CreateDirectory(workspace.TemporaryDirectory);
        return workspace;
    }

    /// <summary>
    /// Builds the mirror: directories, then files copied from the blob cache with the target's
    /// modification times (gcc compares them for #pragma once), then empty placeholders.
    /// </summary>
    public void Materialize(IReadOnlyList<MirrorPath> entries, BlobCache blobs)
    {
        foreach (var e in entries)
        {
            if (!MirrorPaths.IsSafeMirrorPath(e.Path)) throw new MirrorException($"unsafe path in the job: {e.Path}");
            if (!Enum.IsDefined((MirrorEntryKind)e.Kind)) throw new MirrorException($"unknown mirror entry kind {e.Kind} for {e.Path}");
        }
        try
        {
            foreach (var e in entries.Where(e => e.Kind == (byte)MirrorEntryKind.Directory))
                System.IO.Directory.CreateDirectory(MirrorPaths.Under(Root, e.Path));
            foreach (var e in entries.Where(e => e.Kind != (byte)MirrorEntryKind.Directory))
            {
                var target = MirrorPaths.Under(Root, e.Path);
                if (e.Path == "/") throw new MirrorException("the root cannot be a file");
                System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
                if (e.Kind == (byte)MirrorEntryKind.File)
                {
                    if (e.Hash is null || !BlobCache.IsHash(e.Hash)) throw new MirrorException($"file {e.Path} has no valid hash");
                    File.Copy(blobs.PathOf(e.Hash), target, overwrite: false);
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

    public void Dispose()
    {
        try
        {
            if (System.IO.Directory.Exists(Directory)) System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A compiler that is still being killed may hold a file; the sweep at start-up and shutdown removes it.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
