using System.Security.Cryptography;
using ActorCompile.Protocol;
using ActorCompile.Protocol.Messages;

namespace ActorCompile.Coordinator;

/// <summary>
/// The coordinator's store of file contents (LZ4-compressed, by SHA-256) that jobs ship to workers.
/// Contents come from wrappers; the hash is checked here, so one local user cannot plant content under
/// the name of another's header. Contents of jobs in flight are pinned; the least recently used of the
/// rest go when the store passes its limit.
/// </summary>
public sealed class BlobStore(long limitBytes)
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private long _bytes;
    private long _clock;

    private sealed class Entry(Blob blob)
    {
        public Blob Blob { get; } = blob;
        public int Pins { get; set; }
        public long LastUse { get; set; }
    }

    public long Bytes { get { lock (_gate) return _bytes; } }
    public int Count { get { lock (_gate) return _entries.Count; } }

    public List<string> Missing(IEnumerable<string> hashes)
    {
        lock (_gate) return hashes.Where(h => !_entries.ContainsKey(h)).Distinct().ToList();
    }

    /// <summary>Stores content if it hashes to <paramref name="hash"/>; false (and nothing stored) otherwise.</summary>
    public bool Add(string hash, byte[] content)
    {
        if (Convert.ToHexStringLower(SHA256.HashData(content)) != hash) return false;
        lock (_gate)
        {
            if (_entries.TryGetValue(hash, out var existing)) { existing.LastUse = ++_clock; return true; }
        }
        var blob = Payload.ToBlob(hash, content);
        lock (_gate)
        {
            if (!_entries.ContainsKey(hash))
            {
                _entries[hash] = new Entry(blob) { LastUse = ++_clock };
                _bytes += blob.Compressed.Length;
                Evict();
            }
        }
        return true;
    }

    public Blob? Get(string hash)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(hash, out var e)) return null;
            e.LastUse = ++_clock;
            return e.Blob;
        }
    }

    /// <summary>Keeps these contents until the handle is disposed. Missing hashes are ignored.</summary>
    public IDisposable Pin(IEnumerable<string> hashes)
    {
        var pinned = new List<string>();
        lock (_gate)
        {
            foreach (var h in hashes.Distinct())
            {
                if (!_entries.TryGetValue(h, out var e)) continue;
                e.Pins++;
                pinned.Add(h);
            }
        }
        return new Handle(this, pinned);
    }

    private void Unpin(List<string> hashes)
    {
        lock (_gate)
        {
            foreach (var h in hashes)
                if (_entries.TryGetValue(h, out var e) && e.Pins > 0) e.Pins--;
            Evict();
        }
    }

    private void Evict()
    {
        if (_bytes <= limitBytes) return;
        foreach (var (hash, e) in _entries.Where(e => e.Value.Pins == 0).OrderBy(e => e.Value.LastUse).ToList())
        {
            if (_bytes <= limitBytes) break;
            _entries.Remove(hash);
            _bytes -= e.Blob.Compressed.Length;
        }
    }

    private sealed class Handle(BlobStore store, List<string> hashes) : IDisposable
    {
        private int _disposed;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) store.Unpin(hashes);
        }
    }
}
