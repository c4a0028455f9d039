using ActorCompile.Protocol;
using ActorCompile.Protocol.Messages;

namespace ActorCompile.Worker.Toolchains;

/// <summary>
/// The files of a shipped toolchain as they arrive for one job: only files asked for, each once, with the
/// length its manifest declares and no more compressed bytes than that length can take, so what waits to
/// be stored is bounded by the toolchain's declared size. Batches are stored one at a time and in order.
/// No Akka here: the job's runner feeds it what arrives and stores what it hands out off its thread.
/// </summary>
/// <param name="missing">The files the store lacks: those asked for.</param>
/// <param name="contents">The size and modes (executable or not) the manifest declares for each content.</param>
public sealed class ToolchainTransfer(IEnumerable<string> missing, IReadOnlyDictionary<string, (long Size, bool[] Modes)> contents)
{
    private readonly HashSet<string> _requested = missing.ToHashSet(StringComparer.Ordinal);
    private readonly Queue<ToolchainFileBatch> _batches = new();
    private bool _storing;
    private bool _lastReceived;

    /// <summary>The files asked for that have not come yet.</summary>
    public IReadOnlyCollection<string> Outstanding => _requested;

    /// <summary>Takes a batch to be stored, or says why it is refused (then the job fails); its files count as received.</summary>
    public string? Accept(ToolchainFileBatch batch)
    {
        if (_lastReceived) return "toolchain files came that were not asked for";
        if (batch.Blobs is null || batch.Blobs.Any(x => x?.Hash is null || x.Compressed is null)) return "a batch of toolchain files is malformed";
        if (batch.Blobs.Length == 0 && !batch.Last) return "an empty batch of toolchain files";
        foreach (var blob in batch.Blobs)
        {
            if (!_requested.Remove(blob.Hash)) return $"file {blob.Hash} was not asked for, or was sent twice";
            var declared = contents[blob.Hash].Size;
            if (blob.Length != declared) return $"file {blob.Hash} is {blob.Length} bytes, but the toolchain declares {declared}";
            if (blob.Compressed.LongLength > blob.Length + blob.Length / 255L + 64) return $"file {blob.Hash} is larger compressed than its content can be";
        }
        _lastReceived = batch.Last;
        _batches.Enqueue(batch);
        return null;
    }

    /// <summary>The next batch to store with each file's modes, or null while one is being stored or none waits.</summary>
    public (ToolchainFileBatch Batch, Dictionary<string, bool[]> Modes)? NextToStore()
    {
        if (_storing || _batches.Count == 0) return null;
        _storing = true;
        var batch = _batches.Dequeue();
        return (batch, batch.Blobs.ToDictionary(b => b.Hash, b => contents[b.Hash].Modes, StringComparer.Ordinal));
    }

    /// <summary>The batch handed out was stored; whether more wait to be.</summary>
    public bool Stored()
    {
        _storing = false;
        return _batches.Count > 0;
    }

    /// <summary>Decompresses and stores a batch's files (call it off an actor's thread), each checked against its hash; null, or why not.</summary>
    /// <param name="limit">The worker's max-job-size: a toolchain's file may be larger (libLLVM is), but not beyond reason.</param>
    public static string? Store(IReadOnlyList<Blob> blobs, ToolchainStore store, Dictionary<string, bool[]> modes, long limit, CancellationToken token)
    {
        foreach (var blob in blobs)
        {
            if (token.IsCancellationRequested) return "the job ended";
            if (blob.Length > Math.Max(limit, 1L << 30)) return $"file {blob.Hash} is larger than any toolchain file may be";
            byte[] content;
            try
            {
                content = Payload.Decompress(blob.Compressed, blob.Length);
            }
            catch (InvalidDataException e)
            {
                return $"file {blob.Hash} is malformed: {e.Message}";
            }
            foreach (var executable in modes[blob.Hash])
                if (!store.Add(blob.Hash, content, executable)) return $"file sent as {blob.Hash} does not have that SHA-256";
        }
        return null;
    }
}
