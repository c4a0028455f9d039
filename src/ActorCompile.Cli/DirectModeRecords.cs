namespace ActorCompile.Cli;

/// <summary>The user's direct-mode records (written by the wrapper as the user who builds).</summary>
public static class DirectModeRecords
{
    private static string Directory()
    {
        if (Environment.GetEnvironmentVariable("ACTORCOMPILE_DIRECT_DIR") is { Length: > 0 } set) return set;
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var cache = xdg is { Length: > 0 } && xdg.StartsWith('/') ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(cache, "actorcompile", "direct");
    }

    /// <summary>Removes every record; returns how many there were.</summary>
    public static int Clear()
    {
        var directory = Directory();
        if (!System.IO.Directory.Exists(directory)) return 0;
        var n = 0;
        foreach (var f in System.IO.Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
        {
            try { File.Delete(f); n++; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return n;
    }
}
