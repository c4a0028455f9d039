namespace ActorCompile.Toolchain.Jobs;

public enum MirrorEntryKind : byte
{
    /// <summary>A file the compile reads: its content travels as a blob named by its SHA-256.</summary>
    File = 1,
    /// <summary>A directory that exists on the target (the working directory, include directories, directories a ".." walks through).</summary>
    Directory = 2,
    /// <summary>A file that exists on the target but is never read: it only has to exist (a __has_include probe).</summary>
    Placeholder = 3,
}

/// <summary>One path of the target that the worker's mirror reproduces. Paths are absolute and lexically normalised.</summary>
public sealed record MirrorEntry(MirrorEntryKind Kind, string Path, string? Hash, long Size, long ModifiedUnixMilliseconds);

/// <summary>The files, directories and probes a compile needs, with the contents of the files by hash.</summary>
public sealed record JobInputs(
    IReadOnlyList<MirrorEntry> Entries,
    IReadOnlyDictionary<string, byte[]> Contents,
    bool PreincludeStdcPredef)
{
    public long TotalBytes => Contents.Values.Sum(c => (long)c.Length);
}
