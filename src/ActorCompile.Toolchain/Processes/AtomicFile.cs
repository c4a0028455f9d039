namespace ActorCompile.Toolchain.Processes;

/// <summary>
/// A file replaced whole: written under a temporary name of its own and renamed over the target, so that a
/// reader sees the old content or the new, never a part, and a crash leaves at most a stray temporary file.
/// The temporary name is random and created exclusively (O_EXCL): a file or symbolic link planted under a
/// guessed name is never written through, only skipped for another name.
/// </summary>
public static class AtomicFile
{
    /// <param name="mode">The file's permissions: created with them (the umask may only narrow them, so never wider in between),
    /// then set exactly, whatever the umask (a configuration file another user's service reads must be 0644); null: the process's default.</param>
    /// <param name="temporaryDirectory">Where the temporary file goes (on the same file system); null: beside <paramref name="path"/>.</param>
    /// <param name="beforeRename">Runs on the complete temporary file just before the rename (e.g. to give it to another user).</param>
    public static void Write(string path, ReadOnlySpan<byte> content, UnixFileMode? mode = null, string? temporaryDirectory = null, Action<string>? beforeRename = null)
    {
        var (temporary, file) = CreateTemporary(path, mode, temporaryDirectory);
        try
        {
            using (file)
            {
                if (mode is { } exact) File.SetUnixFileMode(file.SafeFileHandle, exact);
                file.Write(content);
            }
            beforeRename?.Invoke(temporary);
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            try { File.Delete(temporary); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // the original error is the one to report
            throw;
        }
    }

    public static void WriteText(string path, string text, UnixFileMode? mode = null) =>
        Write(path, System.Text.Encoding.UTF8.GetBytes(text), mode);

    private static (string Path, FileStream File) CreateTemporary(string path, UnixFileMode? mode, string? temporaryDirectory)
    {
        var directory = temporaryDirectory ?? Path.GetDirectoryName(Path.GetFullPath(path))!;
        for (int attempt = 0; ; attempt++)
        {
            var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.actorcompile-{Random.Shared.NextInt64():x16}{Random.Shared.Next():x8}.tmp");
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
                if (mode is { } m) options.UnixCreateMode = m;
                return (temporary, new FileStream(temporary, options));
            }
            catch (IOException) when (attempt < 16 && Taken(temporary))
            {
                // Taken (by chance, or planted): another name.
            }
        }
    }

    private static bool Taken(string path) => File.Exists(path) || Directory.Exists(path) || new FileInfo(path).LinkTarget is not null;
}
