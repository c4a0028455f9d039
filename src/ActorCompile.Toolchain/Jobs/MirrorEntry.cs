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

/// <summary>
/// One path of the target that the worker's mirror reproduces: what the wrapper's manifest lists, what a
/// job carries to its worker (the same type on the socket, in the coordinator and between nodes).
/// Paths are absolute and lexically normalised.
/// </summary>
/// <param name="Hash">The SHA-256 of a file's content (lowercase hex); null for directories and placeholders.</param>
/// <param name="Size">The size the target declared; every side that stores or writes contents counts their real bytes instead.</param>
/// <param name="ModifiedUnixMilliseconds">The target's modification time, which the mirror reproduces (gcc compares them for #pragma once).</param>
public sealed record MirrorEntry(MirrorEntryKind Kind, string Path, string? Hash, long Size, long ModifiedUnixMilliseconds);

/// <summary>The files, directories and probes a compile needs; <paramref name="Origins"/> names, for each file entry in order, the path it is read from.</summary>
public sealed record JobInputs(
    IReadOnlyList<MirrorEntry> Entries,
    IReadOnlyList<string> Origins,
    bool PreincludeStdcPredef);
