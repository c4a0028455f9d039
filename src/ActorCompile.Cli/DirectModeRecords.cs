namespace ActorCompile.Cli;

/// <summary>The user's direct-mode records (written by the wrapper as the user who builds).</summary>
public static class DirectModeRecords
{
    /// <summary>Removes every record; returns how many there were.</summary>
    public static int Clear()
    {
        var directory = ActorCompile.Toolchain.DirectMode.DirectStore.DefaultDirectory(Environment.GetEnvironmentVariable);
        if (directory is null || !System.IO.Directory.Exists(directory)) return 0;
        var n = 0;
        foreach (var f in System.IO.Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
        {
            try { File.Delete(f); n++; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return n;
    }
}
