using ActorCompile.Protocol.Messages;
using ActorCompile.Toolchain.Jobs;
using ActorCompile.Toolchain.Paths;

namespace ActorCompile.Worker.Execution;

/// <summary>Why a job's inputs are unacceptable (an unsafe path, a conflict): a refusal, not a retryable failure.</summary>
public sealed class MirrorException(string message) : Exception(message);

/// <summary>What a job's mirror takes in a tmpfs: the bytes of its files (in whole pages), and its files and directories.</summary>
public sealed record MirrorSize(long Bytes, int Entries);

/// <summary>
/// A job's private directory (mode 0700): <c>r/</c> is the mirror root holding the target's files at
/// their absolute paths, <c>w/</c> holds what the worker itself has the compiler write (its dependency
/// list), <c>tmp/</c> is the TMPDIR of an unsandboxed compile: all three on disk only without a bounded box.
/// <c>box/</c> stays empty on disk: a bounded box (<see cref="JobBox"/>) mounts there the tmpfs that holds the
/// mirror, the scratch and temporary directories and everything the job writes, and copies the outputs back
/// beside it (out0, out1, ...). Disposing removes all of it.
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

    /// <summary>The list of the mirror's entries a bounded box builds the mirror from (<see cref="WriteMirrorList"/>).</summary>
    public string MirrorList => System.IO.Path.Combine(Directory, "mirror");

    /// <summary>Where a bounded box copies the <paramref name="index"/>-th output the worker reads.</summary>
    public string OutputCopy(int index) => System.IO.Path.Combine(Directory, $"out{index}");

    /// <summary>Creates the job directory and its empty box directory. The job id becomes a file name, so it is checked first.
    /// The mirror, scratch and temporary directories are made on disk only by <see cref="Materialize"/>: a bounded box
    /// has them in its tmpfs.</summary>
    public static JobWorkspace Create(string jobsDirectory, string jobId, bool sandboxed = false)
    {
        if (jobId.Length is 0 or > 100 || !jobId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') || jobId.StartsWith('.'))
            throw new MirrorException($"job id '{jobId}' is not a safe name");
        var dir = System.IO.Path.Combine(jobsDirectory, jobId);
        Toolchains.PrivateDirectory.Create(jobsDirectory);
        if (System.IO.Directory.Exists(dir)) throw new MirrorException($"a job with the id {jobId} is already here");
        Toolchains.PrivateDirectory.Create(dir);
        var workspace = new JobWorkspace(dir, sandboxed ? $"{SandboxJobs}/{jobId}" : dir);
        System.IO.Directory.CreateDirectory(workspace.Box);
        return workspace;
    }

    /// <summary>Checks a job's entries: safe paths, known kinds, contents on this worker, and the bytes they take on
    /// disk (every file counted as often as it appears, by the size of its content here, never by the size a job
    /// declares) within <paramref name="maxBytes"/>. Returns the bytes a tmpfs holds them in: each file in whole pages.</summary>
    private static long Check(IReadOnlyList<MirrorEntry> entries, BlobCache? blobs, long maxBytes)
    {
        if (entries.Count > MaximumEntries) throw new MirrorException($"the job has {entries.Count} mirror entries, more than {MaximumEntries}");
        long page = Environment.SystemPageSize;
        long bytes = 0, pages = 0;
        foreach (var e in entries)
        {
            if (!MirrorPaths.IsSafeMirrorPath(e.Path)) throw new MirrorException($"unsafe path in the job: {e.Path}");
            // The serializer takes any number for an enum: a kind this worker does not know is refused here.
            if (!Enum.IsDefined(e.Kind)) throw new MirrorException($"unknown mirror entry kind {(byte)e.Kind} for {e.Path}");
            if (e.Kind != MirrorEntryKind.Directory && e.Path == "/") throw new MirrorException("the root cannot be a file");
            if (e.Kind != MirrorEntryKind.File) continue;
            if (!ContentHash.IsValid(e.Hash)) throw new MirrorException($"file {e.Path} has no valid hash");
            var size = blobs?.SizeOf(e.Hash) ?? throw new MirrorException($"the content of {e.Path} is not on this worker");
            bytes += size;
            pages += (size + page - 1) / page * page;
            if (bytes > maxBytes)
                throw new MirrorException($"the job's files would take more than the largest job ({maxBytes >> 20} MiB) on disk");
        }
        return pages;
    }

    /// <summary>
    /// Writes the list a bounded box builds the mirror from, in its tmpfs (see actorcompile-box.c): NUL-terminated
    /// fields, "d" PATH for a directory, "f" MTIME BLOB PATH for a file (its content's file in the blob cache, its
    /// modification time in milliseconds: gcc compares them for #pragma once), "e" MTIME PATH for an empty
    /// placeholder; directories first, then <paramref name="directories"/> (the working directory, the outputs'
    /// directories), then the files. Nothing else reaches the disk. Returns what the mirror takes.
    /// </summary>
    public MirrorSize WriteMirrorList(IReadOnlyList<MirrorEntry> entries, BlobCache? blobs, long maxBytes, IReadOnlyList<string> directories)
    {
        var size = new MirrorSize(Check(entries, blobs, maxBytes), Count(entries, directories));
        var list = new System.Text.StringBuilder();
        void Field(string value) => list.Append(value).Append('\0');
        foreach (var path in entries.Where(e => e.Kind == MirrorEntryKind.Directory).Select(e => e.Path).Concat(directories))
        {
            if (!MirrorPaths.IsSafeMirrorPath(path)) throw new MirrorException($"unsafe path in the job: {path}");
            Field("d");
            Field(path);
        }
        foreach (var e in entries.Where(e => e.Kind != MirrorEntryKind.Directory))
        {
            Field(e.Kind == MirrorEntryKind.File ? "f" : "e");
            Field(e.ModifiedUnixMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (e.Kind == MirrorEntryKind.File) Field(blobs!.PathOf(e.Hash!));
            Field(e.Path);
        }
        // Paths hold no NUL (a job's paths are checked as safe names): a field never holds its terminator.
        File.WriteAllText(MirrorList, list.ToString(), new System.Text.UTF8Encoding(false));
        return size;
    }

    /// <summary>
    /// The files (inodes) the mirror takes in a tmpfs, exactly: one for each file and each directory, those its paths pass
    /// through included, with the tmpfs's own root and the box's three directories. Counted in one pass over each path's parts (a directory is its
    /// parent's number and its name), so that a job of many deep paths costs the worker no more than its size; a mirror
    /// of more than <see cref="MaximumEntries"/> files and directories in all, a path listed twice, or one that is a file
    /// in one place and a directory in another is refused: the box would fail on it.
    /// </summary>
    private static int Count(IReadOnlyList<MirrorEntry> entries, IEnumerable<string> directories)
    {
        var directoryIds = new Dictionary<(int Parent, string Name), int>();
        var files = new HashSet<(int Parent, string Name)>();
        int Directory(string path, bool last)
        {
            int parent = 0; // the mirror's root
            var parts = path.AsSpan(1);
            while (parts.Length > 0)
            {
                int slash = parts.IndexOf('/');
                var name = (slash < 0 ? parts : parts[..slash]).ToString();
                parts = slash < 0 ? ReadOnlySpan<char>.Empty : parts[(slash + 1)..];
                if (slash < 0 && !last) return parent;
                var key = (parent, name);
                if (files.Contains(key)) throw new MirrorException($"the job's mirror holds {path} where a file of it lies");
                if (!directoryIds.TryGetValue(key, out var id))
                {
                    directoryIds[key] = id = directoryIds.Count + 1;
                    if (directoryIds.Count + files.Count > MaximumEntries) throw new MirrorException($"the job's mirror would make more than {MaximumEntries} files and directories");
                }
                parent = id;
            }
            return parent;
        }
        foreach (var path in entries.Where(e => e.Kind == MirrorEntryKind.Directory).Select(e => e.Path).Concat(directories))
            Directory(path, last: true);
        foreach (var e in entries.Where(e => e.Kind != MirrorEntryKind.Directory))
        {
            var key = (Directory(e.Path, last: false), e.Path[(e.Path.LastIndexOf('/') + 1)..]);
            if (directoryIds.ContainsKey(key) || !files.Add(key)) throw new MirrorException($"the job's mirror lists {e.Path} twice, or as a file and a directory");
            if (directoryIds.Count + files.Count > MaximumEntries) throw new MirrorException($"the job's mirror would make more than {MaximumEntries} files and directories");
        }
        return directoryIds.Count + files.Count + 4;
    }

    /// <summary>
    /// Builds the mirror on disk (without a bounded box): directories, then files copied from the blob cache with the
    /// target's modification times (gcc compares them for #pragma once), then empty placeholders.
    /// </summary>
    /// <param name="maxBytes">The most bytes the mirror may take on disk: every file counted as often as it
    /// appears, by the size of its content here (never by the size a job declares).</param>
    public void Materialize(IReadOnlyList<MirrorEntry> entries, BlobCache blobs, long maxBytes)
    {
        Check(entries, blobs, maxBytes);
        try
        {
            System.IO.Directory.CreateDirectory(Root);
            System.IO.Directory.CreateDirectory(Scratch);
            System.IO.Directory.CreateDirectory(TemporaryDirectory);
            foreach (var e in entries.Where(e => e.Kind == MirrorEntryKind.Directory))
                System.IO.Directory.CreateDirectory(MirrorPaths.Under(Root, e.Path));
            foreach (var e in entries.Where(e => e.Kind != MirrorEntryKind.Directory))
            {
                var target = MirrorPaths.Under(Root, e.Path);
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
