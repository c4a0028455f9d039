namespace ActorCompile.Toolchain.Paths;

/// <summary>
/// Paths of the target as seen through the worker's mirror. A worker compiles in a private directory
/// ("the root") holding the target's files at their absolute paths below it, so that the original
/// command, run in root + cwd, reads the same files by the same relative names. Everything here is
/// lexical: the mirror holds real directories only, so the kernel resolves ".." in it lexically, and
/// the target places each file where the worker's lexical resolution will look for it.
/// </summary>
public static class MirrorPaths
{
    /// <summary>Makes a path absolute against <paramref name="cwd"/> without touching the file system.</summary>
    public static string Absolute(string path, string cwd) =>
        path.StartsWith('/') ? path : (cwd.EndsWith('/') ? cwd + path : cwd + "/" + path);

    /// <summary>
    /// Lexically normalises an absolute path: collapses "//" and ".", resolves ".." against the text
    /// ("/.." stays "/"). Adds to <paramref name="traversed"/> (when given) every directory that a ".."
    /// steps out of, since such a directory must exist in the mirror for the kernel to walk through it.
    /// </summary>
    public static string Normalize(string absolutePath, ICollection<string>? traversed = null)
    {
        if (!absolutePath.StartsWith('/'))
            throw new ArgumentException($"not an absolute path: {absolutePath}", nameof(absolutePath));
        var parts = new List<string>();
        foreach (var part in absolutePath.Split('/'))
        {
            if (part.Length == 0 || part == ".") continue;
            if (part == "..")
            {
                if (parts.Count > 0)
                {
                    traversed?.Add("/" + string.Join('/', parts));
                    parts.RemoveAt(parts.Count - 1);
                }
                continue;
            }
            parts.Add(part);
        }
        return "/" + string.Join('/', parts);
    }

    /// <summary>
    /// Whether a path received from another machine is one the mirror may hold: absolute, already
    /// normalised (no ".", "..", empty components), no NUL, and of sane length. Anything else could
    /// escape the root and is refused.
    /// </summary>
    public static bool IsSafeMirrorPath(string path)
    {
        if (path.Length is 0 or > 4096 || path[0] != '/' || path.Contains('\0')) return false;
        if (path == "/") return true;
        if (path.EndsWith('/')) return false;
        foreach (var part in path[1..].Split('/'))
        {
            if (part.Length is 0 or > 255 || part == "." || part == "..") return false;
        }
        return true;
    }

    /// <summary>The place of a target path under the root. The path must pass <see cref="IsSafeMirrorPath"/>.</summary>
    public static string Under(string root, string path)
    {
        if (!IsSafeMirrorPath(path)) throw new ArgumentException($"unsafe mirror path: {path}", nameof(path));
        return path == "/" ? root : root + path;
    }

    /// <summary>Maps a path argument of the original command into the mirror: absolute ones move under the root, relative ones stay (the worker runs in root + cwd).</summary>
    public static string MapArgument(string root, string path) => path.StartsWith('/') ? root + path : path;

    /// <summary>
    /// Whether a path argument, resolved by the kernel inside the mirror (root + cwd for a relative path,
    /// root for an absolute one), would climb above the mirror's root with "..". Lexical normalisation
    /// stops at "/", the kernel does not stop at the root: such paths are refused on the worker.
    /// </summary>
    public static bool ClimbsOutOfMirror(string workingDirectory, string path)
    {
        int depth = path.StartsWith('/') ? 0 : Normalize(workingDirectory).Split('/', StringSplitOptions.RemoveEmptyEntries).Length;
        foreach (var part in path.Split('/'))
        {
            if (part.Length == 0 || part == ".") continue;
            if (part == "..")
            {
                if (--depth < 0) return true;
            }
            else depth++;
        }
        return false;
    }
}
