namespace ActorCompile.Node.Cache;

/// <summary>
/// A node's hold on its cache directory: one node per directory, since two would each index the same
/// files and evict each other's entries without knowing. The lock is the kernel's (.NET takes flock for
/// FileShare.None), so it goes with the process, also when the process is killed.
/// </summary>
public sealed class ResultStoreLock : IDisposable
{
    private readonly FileStream _lock;

    public ResultStore Store { get; }

    private ResultStoreLock(FileStream held, ResultStore store)
    {
        _lock = held;
        Store = store;
    }

    /// <summary>The store in the settings' directory, held by this process; null with the reason when another node holds it or it cannot be made.</summary>
    public static ResultStoreLock? Open(CacheSettings settings, out string? problem)
    {
        problem = null;
        FileStream? held = null;
        try
        {
            Directory.CreateDirectory(settings.Directory);
            held = new FileStream(Path.Combine(settings.Directory, "lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            return new ResultStoreLock(held, new ResultStore(settings.Directory, settings.SizeBytes));
        }
        catch (IOException e) when (held is null)
        {
            problem = $"{settings.Directory} is in use by another node ({e.Message}); give this node its own actorcompile.cache.directory";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            held?.Dispose();
            problem = $"cannot use {settings.Directory}: {e.Message}";
        }
        return null;
    }

    public void Dispose() => _lock.Dispose();
}
