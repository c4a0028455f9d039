using ActorCompile.Protocol.Storage;
using ActorCompile.Toolchain.Jobs;

namespace ActorCompile.Worker.Execution;

/// <summary>
/// The worker's store of file contents, by SHA-256, on disk (so that a mirror is filled by copying files).
/// Every blob is checked against its name when it arrives: a coordinator cannot plant content under
/// another file's hash. The least recently used blobs go when the store passes its size limit; a blob in
/// use by a job being set up is never removed while it is pinned. A blob whose file cannot be deleted
/// when it is evicted is remembered and deleted at the next eviction, never forgotten on disk.
/// </summary>
public sealed class BlobCache
{
    private readonly string _directory;
    private readonly PinnedLru<string> _index;
    private readonly object _gate = new();
    /// <summary>Evicted blobs whose files could not be deleted yet.</summary>
    private readonly Dictionary<string, string> _undeleted = new(StringComparer.Ordinal);

    public BlobCache(string directory, long limitBytes)
    {
        _directory = directory;
        _index = new PinnedLru<string>(limitBytes);
        Toolchains.PrivateDirectory.Create(directory);
        // Whatever an earlier run left is not in the index: remove it, so the limit counts every byte here.
        foreach (var stale in Directory.EnumerateFiles(directory)) File.Delete(stale);
    }

    public long Bytes => _index.Bytes;
    public int Count => _index.Count;

    /// <summary>Files evicted but not deleted yet (a failed delete is retried at every eviction).</summary>
    public int Undeleted { get { lock (_gate) return _undeleted.Count; } }

    public string PathOf(string hash) => Path.Combine(_directory, hash);

    /// <summary>The size of a stored content, or null when it is not stored.</summary>
    public long? SizeOf(string hash) => _index.SizeOf(hash);

    public bool Contains(string hash) => _index.Contains(hash);

    /// <summary>The hashes among <paramref name="hashes"/> that are not stored.</summary>
    public List<string> Missing(IEnumerable<string> hashes) => _index.Missing(hashes);

    /// <summary>Stores content after checking that it hashes to its name. Returns false (and stores nothing) if it does not.</summary>
    public bool Add(string hash, byte[] content) => Add(hash, content, hold: null);

    private bool Add(string hash, byte[] content, Hold? hold)
    {
        if (!ContentHash.Matches(content, hash)) return false;
        if (hold is not null && hold.Holds(hash)) return true;
        if (hold is null ? _index.TryGet(hash, out _) : _index.Pin(new[] { hash }))
        {
            hold?.Record(hash);
            return true;
        }
        var path = PathOf(hash);
        var temporary = Path.Combine(_directory, $".{hash}.{Guid.NewGuid():N}");
        File.WriteAllBytes(temporary, content);
        List<(string Key, string Value)> evicted;
        // The file and its index entry appear together under the lock that deletes evicted files: another
        // thread that has just evicted an older copy of this content would otherwise delete the new file
        // between the move and the index entry (seen under load: a job's mirror lacked a content the index
        // said was stored).
        lock (_gate)
        {
            File.Move(temporary, path, overwrite: true);
            _undeleted.Remove(hash);
            evicted = _index.Add(hash, path, content.Length, pin: hold is not null);
        }
        Delete(evicted);
        hold?.Record(hash);
        return true;
    }

    /// <summary>A job's hold on the contents it needs: each one it adds or keeps stays stored until the hold is disposed.</summary>
    public Hold NewHold() => new(this);

    /// <summary>
    /// What one job holds. Contents are held from the moment they arrive, not only when the job starts: a
    /// cache smaller than a job's inputs (or busy with other jobs) would otherwise evict the first ones
    /// while the last arrive, and the job would find its inputs missing. While jobs hold them, the cache
    /// may exceed its size by what they hold (at most the slots times the largest job).
    /// </summary>
    public sealed class Hold : IDisposable
    {
        private readonly BlobCache _cache;
        private readonly HashSet<string> _held = new(StringComparer.Ordinal);
        private bool _disposed;

        internal Hold(BlobCache cache) => _cache = cache;

        /// <summary>Stores content, checked against its hash, and holds it.</summary>
        public bool Add(string hash, byte[] content) => _cache.Add(hash, content, this);

        /// <summary>Holds those of <paramref name="hashes"/> that are stored now; returns those that are not.</summary>
        public List<string> KeepAndFindMissing(IEnumerable<string> hashes)
        {
            var missing = new List<string>();
            foreach (var hash in hashes.Distinct())
            {
                if (Holds(hash)) continue;
                if (_cache._index.Pin(new[] { hash })) Record(hash);
                else missing.Add(hash);
            }
            return missing;
        }

        internal bool Holds(string hash) { lock (_held) return _held.Contains(hash); }

        internal void Record(string hash)
        {
            lock (_held)
            {
                // A hold disposed meanwhile (the job ended) lets go at once.
                if (_disposed || !_held.Add(hash)) _cache.Unpin(new[] { hash });
            }
        }

        public void Dispose()
        {
            string[] held;
            lock (_held)
            {
                if (_disposed) return;
                _disposed = true;
                held = _held.ToArray();
                _held.Clear();
            }
            _cache.Unpin(held);
        }
    }

    /// <summary>Keeps the blobs from eviction until the returned handle is disposed; returns null if one is missing.</summary>
    public IDisposable? Pin(IReadOnlyCollection<string> hashes)
    {
        var distinct = hashes.Distinct().ToArray();
        return _index.Pin(distinct) ? new PinHandle(this, distinct) : null;
    }

    private void Unpin(string[] hashes) => Delete(_index.Unpin(hashes));

    private void Delete(List<(string Key, string Value)> evicted)
    {
        lock (_gate)
        {
            foreach (var (hash, path) in evicted) _undeleted[hash] = path;
            if (_undeleted.Count == 0) return;
            foreach (var (hash, path) in _undeleted.ToList())
            {
                // A blob added again since it was evicted is in use: its file stays.
                if (_index.Contains(hash)) { _undeleted.Remove(hash); continue; }
                try
                {
                    File.Delete(path);
                    _undeleted.Remove(hash);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Kept in _undeleted: the next eviction tries again.
                }
            }
        }
    }

    private sealed class PinHandle(BlobCache cache, string[] hashes) : IDisposable
    {
        private int _disposed;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) cache.Unpin(hashes);
        }
    }
}
