using ActorCompile.Toolchain.Processes;

namespace ActorCompile.Toolchain.Identity;

/// <summary>
/// Whether only root can change what a path names: every directory on the way, every symlink followed
/// (and every directory on the way to its target) and the file itself belong to root, and none is
/// writable by others (a sticky directory such as /tmp may be, for the entries in it that root owns).
/// The target's node runs a compiler that a build user named, and ships its files to helpers, only when
/// this holds: otherwise the user could swap the file, or a symlink on the way, between the node's check
/// and its use, and have the node run their program or ship another compiler's files under this one's
/// fingerprint. Checking the canonical path alone is not enough for that reason.
/// </summary>
public static class RootOwnedPath
{
    private const uint SymlinkType = 0xa000, DirectoryType = 0x4000, OthersWritable = 0x12, Sticky = 0x200;
    private const int MaxSymlinks = 40; // as the kernel's path resolution

    /// <summary>Why someone other than root could change what <paramref name="path"/> names, or null when no one can.</summary>
    public static string? Problem(string path)
    {
        if (!Path.IsPathRooted(path)) return $"{path} is not an absolute path";
        var pending = new Stack<string>(Components(path).Reverse());
        var current = "/";
        if (Check("/", last: false) is { } rootProblem) return rootProblem;
        int symlinks = 0;
        while (pending.Count > 0)
        {
            var name = pending.Pop();
            if (name is "" or ".") continue;
            if (name == "..") { current = Path.GetDirectoryName(current) ?? "/"; continue; }
            var next = current == "/" ? "/" + name : current + "/" + name;
            if (Native.OwnerAndMode(next) is not { } info) return $"{next} does not exist or cannot be inspected";
            if (info.Uid != 0) return $"{next} belongs to uid {info.Uid}, not root; only compilers that root installed are shipped";
            if ((info.Mode & Native.FileTypeMask) == SymlinkType)
            {
                if (++symlinks > MaxSymlinks) return $"{path}: too many symlinks";
                var target = new FileInfo(next).LinkTarget ?? "";
                foreach (var part in Components(target).Reverse()) pending.Push(part);
                if (target.StartsWith('/')) current = "/";
                continue;
            }
            if (Check(next, last: pending.All(p => p is "" or ".")) is { } problem) return problem;
            current = next;
        }
        return null;
    }

    private static string? Check(string path, bool last)
    {
        if (Native.OwnerAndMode(path) is not { } info) return $"{path} cannot be inspected";
        if (info.Uid != 0) return $"{path} belongs to uid {info.Uid}, not root; only compilers that root installed are shipped";
        bool stickyDirectory = (info.Mode & Native.FileTypeMask) == DirectoryType && (info.Mode & Sticky) != 0;
        if ((info.Mode & OthersWritable) != 0 && (last || !stickyDirectory))
            return $"{path} is writable by users other than root; only compilers that root installed are shipped";
        return null;
    }

    private static string[] Components(string path) => path.Split('/');
}
