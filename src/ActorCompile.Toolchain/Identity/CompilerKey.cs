using ActorCompile.Toolchain.Processes;

namespace ActorCompile.Toolchain.Identity;

/// <summary>
/// What identifies a compiler binary cheaply: the path it is called by, where that really leads, and
/// the size and modification time of the file there. The target's node remembers each compiler's
/// fingerprint under this key (for each user separately), so that a compiler is probed again only when
/// it changes.
/// </summary>
public static class CompilerKey
{
    /// <summary>The key of a compiler path, or null when it does not exist.</summary>
    public static string? Of(string path)
    {
        var canonical = Native.RealPath(path);
        if (canonical is null) return null;
        var info = new FileInfo(canonical);
        if (!info.Exists) return null;
        return $"{path}\u001f{canonical}\u001f{info.Length}\u001f{info.LastWriteTimeUtc.Ticks}";
    }
}
