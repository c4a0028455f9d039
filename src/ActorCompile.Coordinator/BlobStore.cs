using System.Security.Cryptography;
using ActorCompile.Protocol;
using ActorCompile.Protocol.Messages;
using ActorCompile.Protocol.Storage;

namespace ActorCompile.Coordinator;

/// <summary>
/// The coordinator's store of file contents (LZ4-compressed, by SHA-256) that jobs ship to workers.
/// Contents come from wrappers; the hash is checked here, so one local user cannot plant content under
/// the name of another's header. Contents of jobs in flight are pinned; the least recently used of the
/// rest go when the store passes its limit (counted in compressed bytes, what it holds in memory).
/// </summary>
public sealed class BlobStore(long limitBytes)
{
    private readonly PinnedLru<Blob> _index = new(limitBytes);
    /// <summary>Which stored contents name __DATE__, __TIME__ or __TIMESTAMP__, found while their bytes are at hand; an entry goes with its blob.</summary>
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<Blob, object> _timeDependent = new();

    public long Bytes => _index.Bytes;
    public int Count => _index.Count;

    public List<string> Missing(IEnumerable<string> hashes) => _index.Missing(hashes);

    /// <summary>Stores content if it hashes to <paramref name="hash"/>; false (and nothing stored) otherwise.</summary>
    public bool Add(string hash, byte[] content)
    {
        if (Convert.ToHexStringLower(SHA256.HashData(content)) != hash) return false;
        if (_index.TryGet(hash, out _)) return true;
        var blob = Payload.ToBlob(hash, content);
        if (ActorCompile.Toolchain.Jobs.TimeMacros.Mentioned(content)) _timeDependent.AddOrUpdate(blob, true);
        _index.Add(hash, blob, blob.Compressed.Length);
        return true;
    }

    /// <summary>Whether a stored content names the time of the compile (then no result built from it is cached); null when it is not stored.</summary>
    public bool? MentionsTimeMacros(string hash) => _index.TryPeek(hash, out var blob) ? _timeDependent.TryGetValue(blob, out _) : null;

    public Blob? Get(string hash) => _index.TryGet(hash, out var blob) ? blob : null;

    /// <summary>The real (uncompressed) size of a stored content, or null when it is not stored.</summary>
    public long? SizeOf(string hash) => _index.TryGet(hash, out var blob) ? blob.Length : null;

    /// <summary>Keeps these contents until the handle is disposed. Missing hashes are ignored.</summary>
    public IDisposable Pin(IEnumerable<string> hashes)
    {
        var present = hashes.Distinct().Where(_index.Contains).ToArray();
        // Pinned all or none; a hash evicted between the check and the pin is simply not pinned (the
        // session asks for it again before it submits).
        if (!_index.Pin(present)) present = present.Where(h => _index.Pin(new[] { h })).ToArray();
        return new Handle(this, present);
    }

    private sealed class Handle(BlobStore store, string[] hashes) : IDisposable
    {
        private int _disposed;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) store._index.Unpin(hashes);
        }
    }
}
