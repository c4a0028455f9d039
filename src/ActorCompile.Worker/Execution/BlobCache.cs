using System.Security.Cryptography;

namespace ActorCompile.Worker.Execution;

/// <summary>
/// The worker's store of file contents, by SHA-256, on disk (so that a mirror is filled by copying files).
/// Every blob is checked against its name when it arrives: a coordinator cannot plant content under
/// another file's hash. The least recently used blobs go when the store passes its size limit; a blob in
/// use by a job being set up is never removed while it is pinned.
/// </summary>
public sealed class BlobCache
{
    private readonly string _directory;
    private readonly long _limitBytes;
    private readonly object _gate = new();
    private readonly Dictionary<string, (long Size, long LastUse)> _index = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _pins = new(StringComparer.Ordinal);
    private long _bytes;
    private long _clock;

    public BlobCache(string directory, long limitBytes)
    {
        _directory = directory;
        _limitBytes = limitBytes;
        Toolchains.PrivateDirectory.Create(directory);
    }

    public long Bytes { get { lock (_gate) return _bytes; } }
    public int Count { get { lock (_gate) return _index.Count; } }

    public static bool IsHash(string hash) => hash.Length == 64 && hash.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    public string PathOf(string hash) => Path.Combine(_directory, hash);

    /// <summary>The size of a stored content, or null when it is not stored.</summary>
    public long? SizeOf(string hash)
    {
        lock (_gate) return _index.TryGetValue(hash, out var e) ? e.Size : null;
    }

    public bool Contains(string hash)
    {
        lock (_gate) return _index.ContainsKey(hash);
    }

    /// <summary>The hashes among <paramref name="hashes"/> that are not stored.</summary>
    public List<string> Missing(IEnumerable<string> hashes)
    {
        lock (_gate) return hashes.Where(h => !_index.ContainsKey(h)).Distinct().ToList();
    }

    /// <summary>Stores content after checking that it hashes to its name. Returns false (and stores nothing) if it does not.</summary>
    public bool Add(string hash, byte[] content)
    {
        if (!IsHash(hash)) return false;
        if (Convert.ToHexStringLower(SHA256.HashData(content)) != hash) return false;
        lock (_gate)
        {
            if (_index.ContainsKey(hash)) { Touch(hash); return true; }
        }
        var temporary = Path.Combine(_directory, $".{hash}.{Environment.CurrentManagedThreadId}.{Guid.NewGuid():N}");
        File.WriteAllBytes(temporary, content);
        File.Move(temporary, PathOf(hash), overwrite: true);
        lock (_gate)
        {
            if (!_index.ContainsKey(hash)) _bytes += content.Length;
            _index[hash] = (content.Length, ++_clock);
            Evict();
        }
        return true;
    }

    /// <summary>Keeps the blobs from eviction until the returned handle is disposed; returns null if one is missing.</summary>
    public IDisposable? Pin(IReadOnlyCollection<string> hashes)
    {
        lock (_gate)
        {
            if (hashes.Any(h => !_index.ContainsKey(h))) return null;
            foreach (var h in hashes)
            {
                _pins[h] = _pins.GetValueOrDefault(h) + 1;
                Touch(h);
            }
        }
        return new PinHandle(this, hashes.ToArray());
    }

    private void Unpin(string[] hashes)
    {
        lock (_gate)
        {
            foreach (var h in hashes)
            {
                if (!_pins.TryGetValue(h, out var n)) continue;
                if (n <= 1) _pins.Remove(h); else _pins[h] = n - 1;
            }
            Evict();
        }
    }

    private void Touch(string hash) => _index[hash] = (_index[hash].Size, ++_clock);

    private void Evict()
    {
        if (_bytes <= _limitBytes) return;
        foreach (var (hash, entry) in _index.OrderBy(e => e.Value.LastUse).ToList())
        {
            if (_bytes <= _limitBytes) break;
            if (_pins.ContainsKey(hash)) continue;
            _index.Remove(hash);
            _bytes -= entry.Size;
            try { File.Delete(PathOf(hash)); } catch (IOException) { }
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
