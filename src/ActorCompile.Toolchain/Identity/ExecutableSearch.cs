using ActorCompile.Toolchain.Processes;

namespace ActorCompile.Toolchain.Identity;

/// <summary>Finding programs on PATH the way a shell does.</summary>
public static class ExecutableSearch
{
    /// <summary>
    /// The first executable file named <paramref name="name"/> in the directories of
    /// <paramref name="pathVariable"/>, skipping any whose canonical path is in <paramref name="skip"/>
    /// (the wrapper skips itself so that a masquerade link named gcc finds the real gcc).
    /// </summary>
    public static string? Find(string name, string? pathVariable, Func<string, bool>? skip = null)
    {
        if (name.Contains('/')) return IsExecutableFile(name) ? name : null;
        foreach (var dir in (pathVariable ?? "").Split(':'))
        {
            var d = dir.Length == 0 ? "." : dir;
            var candidate = Path.Combine(d, name);
            if (!IsExecutableFile(candidate)) continue;
            if (skip is not null && skip(candidate)) continue;
            return candidate;
        }
        return null;
    }

    public static bool IsExecutableFile(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) return false;
            var mode = File.GetUnixFileMode(path);
            return (mode & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The canonical path of a program (symlinks resolved), or the path itself if that fails.</summary>
    public static string Canonical(string path) => Native.RealPath(path) ?? Path.GetFullPath(path);
}
