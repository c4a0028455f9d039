using ActorCompile.LocalProtocol;
using ActorCompile.Toolchain.Jobs;
using ActorCompile.Toolchain.Paths;

namespace ActorCompile.Node.Sessions;

/// <summary>What a wrapper's manifest must be before the node acts on it: bounded, absolute normalised paths, one origin per file.</summary>
public static class ManifestCheck
{
    /// <summary>Most entries a job's manifest may have.</summary>
    public const int MaximumEntries = 200_000;

    /// <summary>Most default header directories a compiler may report.</summary>
    public const int MaximumSystemDirectories = 1024;

    public const int MaximumPathLength = 4096;

    /// <summary>Why the manifest is refused, or null. <paramref name="systemDirectoriesKnown"/>: the node already knows the compiler's directories.</summary>
    public static string? Problem(JobManifest manifest, bool systemDirectoriesKnown)
    {
        if (manifest.Entries.Count > MaximumEntries) return $"the manifest has more than {MaximumEntries} entries";
        if (manifest.SystemIncludeDirectories is null && !systemDirectoriesKnown)
            return "the manifest lacks the compiler's system include directories";
        if (manifest.SystemIncludeDirectories is { } dirs
            && (dirs.Count > MaximumSystemDirectories || dirs.Any(d => !d.StartsWith('/') || d.Length > MaximumPathLength || d.Contains('\0'))))
            return $"the system include directories must be at most {MaximumSystemDirectories} absolute paths"; // clang's are not normalised (/usr/bin/../lib/...)
        int files = 0;
        foreach (var e in manifest.Entries)
        {
            // Unknown kinds never get here: the frame's decoder refuses them.
            if (!MirrorPaths.IsSafeMirrorPath(e.Path)) return $"path {e.Path} is not absolute and normalised";
            if (e.Kind == MirrorEntryKind.File)
            {
                files++;
                if (e.Hash is not null) return $"file {e.Path} names a hash: the node hashes contents itself";
            }
        }
        if (manifest.Origins.Count != files) return $"the manifest names {manifest.Origins.Count} origins for {files} files";
        return null;
    }
}
