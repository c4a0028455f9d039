using ActorCompile.Toolchain.Identity;
using ActorCompile.Toolchain.Jobs;

namespace ActorCompile.Worker.Toolchains;

/// <summary>What a toolchain's manifest must be before a worker builds a sealed root from it (a shipped one comes from a target, which may be hostile).</summary>
public static class ToolchainManifestCheck
{
    /// <summary>Most entries a toolchain may list (gcc with every locale has a few thousand).</summary>
    public const int MaximumEntries = 50_000;

    /// <summary>Most names a path of a toolchain may have (gcc's deepest are about a dozen).</summary>
    public const int MaximumDepth = 64;

    /// <summary>Top-level names a root may not use: the sandbox mounts its own there.</summary>
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal) { "dev", "proc", "tmp", "actorcompile" };

    /// <summary>
    /// A manifest must describe a tree that cannot reach outside itself while it is built: absolute,
    /// normalised paths without control characters; every parent a directory of the manifest (never a
    /// symlink, which building would follow); no name the sandbox mounts over. Each kind carries its own
    /// fields only (a file its SHA-256 and size, a symlink its target), so that a manifest's content id
    /// says everything it holds. Bounded in entries and depth, so that checking it is bounded too.
    /// Returns the bytes of its files, summed without overflow.
    /// </summary>
    /// <param name="hashed">Whether every file must carry its hash (a shipped toolchain; the worker's own are hashed as their roots are built).</param>
    public static long Check(ToolchainManifest manifest, bool hashed = true)
    {
        if (manifest.Fingerprint is null || manifest.Driver is null || manifest.Files is null)
            throw new ToolchainStoreException("the toolchain's manifest lacks its fingerprint, driver or files");
        if (manifest.Files.Count > MaximumEntries)
            throw new ToolchainStoreException($"the toolchain lists {manifest.Files.Count} entries, more than {MaximumEntries}");
        var kinds = new Dictionary<string, ToolchainFileKind>(StringComparer.Ordinal);
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
        long total = 0;
        foreach (var f in manifest.Files)
        {
            if (f?.Path is null) throw new ToolchainStoreException("the toolchain lists an entry without a path");
            if (!IsNormalAbsolute(f.Path) || f.Path == "/")
                throw new ToolchainStoreException($"the toolchain's path '{Printable(f.Path)}' is not absolute and normalised (without control characters, {MaximumDepth} names deep at most)");
            if (!Enum.IsDefined(f.Kind)) throw new ToolchainStoreException($"{f.Path} is of an unknown kind");
            if (!kinds.TryAdd(f.Path, f.Kind)) throw new ToolchainStoreException($"the toolchain lists {f.Path} twice");
            if (Reserved.Contains(f.Path.Split('/')[1])) throw new ToolchainStoreException($"the toolchain's path {f.Path} is reserved for the sandbox");
            if (FieldsProblem(f, hashed) is { } problem) throw new ToolchainStoreException($"{f.Path} {problem}");
            if (f.Kind != ToolchainFileKind.File) continue;
            if (f.Hash is { } hash && !sizes.TryAdd(hash, f.Size) && sizes[hash] != f.Size)
                throw new ToolchainStoreException($"the toolchain declares two sizes for the content of {f.Path}");
            try { total = checked(total + f.Size); }
            catch (OverflowException) { throw new ToolchainStoreException("the toolchain's sizes add up beyond any disk"); }
        }
        foreach (var f in manifest.Files)
        {
            for (var parent = Path.GetDirectoryName(f.Path); parent is not null && parent != "/"; parent = Path.GetDirectoryName(parent))
            {
                if (!kinds.TryGetValue(parent, out var kind) || kind != ToolchainFileKind.Directory)
                    throw new ToolchainStoreException($"{f.Path} lies under {parent}, which the toolchain does not list as a directory");
            }
        }
        if (!kinds.ContainsKey(manifest.Driver)) throw new ToolchainStoreException($"the toolchain's driver {Printable(manifest.Driver)} is not among its files");
        return total;
    }

    /// <summary>Why an entry's fields do not fit its kind, or null.</summary>
    private static string? FieldsProblem(ToolchainFile f, bool hashed) => f.Kind switch
    {
        ToolchainFileKind.File when (f.Hash is null ? hashed : !ContentHash.IsValid(f.Hash)) => "has no valid SHA-256",
        ToolchainFileKind.File when f.Size < 0 => "has a negative size",
        ToolchainFileKind.File when f.LinkTarget is not null => "is a file with a link target",
        ToolchainFileKind.Directory when f.Hash is not null || f.LinkTarget is not null || f.Size != 0 || f.Executable =>
            "is a directory with a file's or a symlink's fields",
        ToolchainFileKind.Symlink when string.IsNullOrEmpty(f.LinkTarget) || f.LinkTarget.Length > 4096 || HasControl(f.LinkTarget) =>
            "is a symlink without a valid target",
        ToolchainFileKind.Symlink when f.Hash is not null || f.Size != 0 || f.Executable => "is a symlink with a file's fields",
        _ => null,
    };

    private static bool IsNormalAbsolute(string path) =>
        path.Length <= 4096 && path.StartsWith('/') && !HasControl(path) && !path.EndsWith('/') &&
        path.Count(c => c == '/') <= MaximumDepth &&
        path[1..].Split('/').All(part => part.Length is > 0 and <= 255 && part is not "." and not "..");

    /// <summary>Control characters (NUL, tab, newline, DEL...) have no place in a toolchain's path or link target.</summary>
    private static bool HasControl(string text) => text.Any(c => c < 0x20 || c == 0x7f);

    private static string Printable(string text) =>
        new(text.Take(200).Select(c => c < 0x20 || c == 0x7f ? '?' : c).ToArray());

}
