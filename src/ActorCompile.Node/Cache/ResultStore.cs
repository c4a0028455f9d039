using ActorCompile.Toolchain.Processes;
using System.Security.Cryptography;
using System.Text;
using ActorCompile.Protocol.Messages;
using ActorCompile.Protocol.Storage;

namespace ActorCompile.Node.Cache;

/// <summary>
/// The results this node keeps, on disk (actorcompile.cache.directory), least recently used out beyond
/// actorcompile.cache.size. One file per key under results/XX/KEY:
/// <code>"ACRESULT2\n" | SHA-256 of the body (32 bytes) | body</code>
/// (version 1, without the keeper, reads as nothing: a result whose keeper is unknown is not served).
/// An entry is written to a temporary file and renamed into place, so it becomes visible only when
/// complete; a node killed while writing leaves a temporary file that the next start removes. Every read
/// checks the body's hash: a truncated or altered entry is dropped and reads as a miss. Thread-safe (the
/// cache actor runs reads and writes on the thread pool, never on its own thread).
/// </summary>
public sealed class ResultStore
{
    private static readonly byte[] Magic = "ACRESULT2\n"u8.ToArray();
    private const int HashLength = 32;

    private readonly string _results;
    private readonly string _temporary;
    private readonly PinnedLru<string> _index;
    private long _corrupt;

    public ResultStore(string directory, long limitBytes)
    {
        Directory = directory;
        _results = Path.Combine(directory, "results");
        _temporary = Path.Combine(directory, "incoming");
        _index = new PinnedLru<string>(limitBytes);
        System.IO.Directory.CreateDirectory(directory);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        System.IO.Directory.CreateDirectory(_results);
        // What a node killed while writing left behind: never visible, removed now.
        if (System.IO.Directory.Exists(_temporary)) System.IO.Directory.Delete(_temporary, recursive: true);
        System.IO.Directory.CreateDirectory(_temporary);
        Load();
    }

    public string Directory { get; }
    public long Bytes => _index.Bytes;
    public int Count => _index.Count;
    public long Limit => _index.Limit;
    /// <summary>Entries found corrupt (and dropped) since the node started.</summary>
    public long Corrupt => Interlocked.Read(ref _corrupt);

    /// <summary>Indexes what an earlier run left, oldest use first (a hit touches the file's modification time).</summary>
    private void Load()
    {
        var files = new DirectoryInfo(_results).EnumerateFiles("*", SearchOption.AllDirectories)
            .Where(f => IsKey(f.Name))
            .OrderBy(f => f.LastWriteTimeUtc)
            .ToList();
        foreach (var f in files) Evict(_index.Add(f.Name, f.FullName, f.Length));
    }

    public static bool IsKey(string key) => ActorCompile.Toolchain.Jobs.ContentHash.IsValid(key);

    private string PathOf(string key) => Path.Combine(_results, key[..2], key);

    /// <summary>The result under a key, or null: absent, or found corrupt (then dropped).</summary>
    public CachedResult? TryRead(string key)
    {
        if (!IsKey(key) || !_index.TryGet(key, out var path)) return null;
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Forget(key);
            return null;
        }
        var result = Decode(bytes);
        if (result is null)
        {
            // An entry of the previous format is not corrupt, only unusable (no keeper): dropped without counting.
            if (!bytes.AsSpan().StartsWith("ACRESULT1\n"u8)) Interlocked.Increment(ref _corrupt);
            Forget(key);
            return null;
        }
        try { File.SetLastWriteTimeUtc(path, DateTime.UtcNow); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // the order of use after a restart is a detail
        return result;
    }

    public bool Contains(string key) => _index.Contains(key);

    /// <summary>Writes a result (temporary file, then rename); an entry already there stays as it is.</summary>
    public void Write(string key, CachedResult result)
    {
        if (!IsKey(key) || _index.Contains(key)) return;
        var bytes = Encode(result);
        if (bytes.LongLength > _index.Limit) return;
        var path = PathOf(key);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        try
        {
            AtomicFile.Write(path, bytes, temporaryDirectory: _temporary);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return; // a full disk costs a cache entry, never a compile
        }
        Evict(_index.Add(key, path, bytes.LongLength));
    }

    /// <summary>Drops a key and its file.</summary>
    public void Forget(string key)
    {
        if (_index.TryPeek(key, out var path) && _index.Remove(key)) TryDelete(path);
        else if (IsKey(key)) TryDelete(PathOf(key));
    }

    /// <summary>Drops every entry; returns how many and their bytes.</summary>
    public (long Entries, long Bytes) Clear()
    {
        var (count, bytes) = ((long)_index.Count, _index.Bytes);
        foreach (var (key, path) in _index.Snapshot())
        {
            _index.Remove(key);
            TryDelete(path);
        }
        return (count, bytes);
    }

    private void Evict(List<(string Key, string Path)> evicted)
    {
        foreach (var (_, path) in evicted) TryDelete(path);
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // the index forgot it; the next start's Load finds it and the LRU evicts it again
    }

    internal static byte[] Encode(CachedResult r)
    {
        using var body = new MemoryStream();
        using (var w = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(r.Producer);
            w.Write(r.Keeper);
            w.Write(r.ProducedUnixMilliseconds);
            w.Write(r.Stdout.Length); w.Write(r.Stdout);
            w.Write(r.Stderr.Length); w.Write(r.Stderr);
            w.Write(r.Outputs.Length);
            foreach (var o in r.Outputs)
            {
                w.Write(o.Path);
                w.Write(o.Length);
                w.Write(o.Compressed.Length); w.Write(o.Compressed);
            }
        }
        var bodyBytes = body.ToArray();
        var bytes = new byte[Magic.Length + HashLength + bodyBytes.Length];
        Magic.CopyTo(bytes, 0);
        SHA256.HashData(bodyBytes).CopyTo(bytes, Magic.Length);
        bodyBytes.CopyTo(bytes, Magic.Length + HashLength);
        return bytes;
    }

    /// <summary>The result in an entry's bytes, or null when they are not a whole, unaltered entry.</summary>
    internal static CachedResult? Decode(byte[] bytes)
    {
        if (bytes.Length < Magic.Length + HashLength || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic)) return null;
        var body = bytes.AsSpan(Magic.Length + HashLength);
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes.AsSpan(Magic.Length, HashLength))) return null;
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes, Magic.Length + HashLength, body.Length), Encoding.UTF8);
            var producer = r.ReadString();
            var keeper = r.ReadString();
            var produced = r.ReadInt64();
            var stdout = ReadBytes(r);
            var stderr = ReadBytes(r);
            var n = r.ReadInt32();
            if (n is < 0 or > 8) return null;
            var outputs = new JobOutput[n];
            for (int i = 0; i < n; i++)
            {
                var path = r.ReadString();
                var length = r.ReadInt32();
                outputs[i] = new JobOutput(path, ReadBytes(r), length);
            }
            return new CachedResult(stdout, stderr, outputs, producer, produced, keeper);
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or FormatException)
        {
            return null; // the hash matched but the body is not an entry: written by something else
        }
    }

    private static byte[] ReadBytes(BinaryReader r)
    {
        var n = r.ReadInt32();
        if (n < 0 || n > r.BaseStream.Length - r.BaseStream.Position) throw new FormatException("length beyond the entry");
        return r.ReadBytes(n);
    }
}
