using ActorCompile.Toolchain.Identity;
using ActorCompile.Toolchain.Processes;

namespace ActorCompile.Worker.Toolchains;

/// <summary>
/// A shipped toolchain's manifest on disk, beside its tree, so that the tree is known (and verified) after
/// a restart. One line for the toolchain (fingerprint and driver), then one per path: kind, path, hash,
/// executable bit, link target, separated by tabs (none of which a path of a root can hold).
/// </summary>
internal static class ManifestFile
{
    public static void Write(string path, ToolchainManifest manifest)
    {
        var lines = new List<string> { $"actorcompile-toolchain\t1\t{manifest.Fingerprint}\t{manifest.Driver}" };
        lines.AddRange(manifest.Files.Select(f => $"{(byte)f.Kind}\t{f.Path}\t{f.Hash}\t{f.Size}\t{(f.Executable ? 1 : 0)}\t{f.LinkTarget}"));
        AtomicFile.WriteText(path, string.Concat(lines.Select(l => l + "\n")));
    }

    /// <summary>The manifest in a file, or null when the file is not one (left half-written, edited, or of another version).</summary>
    public static ToolchainManifest? Read(string path)
    {
        try
        {
            var lines = File.ReadAllLines(path);
            var head = lines.FirstOrDefault()?.Split('\t');
            if (head is not ["actorcompile-toolchain", "1", var fingerprint, var driver]) return null;
            var files = new List<ToolchainFile>();
            foreach (var line in lines.Skip(1))
            {
                var p = line.Split('\t');
                if (p.Length != 6 || !byte.TryParse(p[0], out var kind) || !long.TryParse(p[3], out var size)) return null;
                files.Add(new ToolchainFile((ToolchainFileKind)kind, p[1], p[2].Length == 0 ? null : p[2], size, p[4] == "1", p[5].Length == 0 ? null : p[5]));
            }
            return new ToolchainManifest(fingerprint, driver, files);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // unreadable: treated as absent, and removed with its tree
        }
    }
}
