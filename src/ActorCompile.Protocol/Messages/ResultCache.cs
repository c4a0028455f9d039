using ActorCompile.Protocol.Serialization;
using MemoryPack;
using Akka.Routing;

namespace ActorCompile.Protocol.Messages;

// Node <-> node: the result cache the cluster shares. Every node runs /user/result-cache; a key's owner is
// the node Akka's cluster-aware consistent-hashing group picks for it among the members that are up, so a
// node that leaves takes its share with it and the keys it owned move to the others (they miss there at first).

/// <summary>A successful compile's result, as the cache keeps it: what the compiler printed and wrote, and who compiled it.</summary>
/// <param name="Outputs">The files it wrote, by their paths in the command, LZ4-compressed.</param>
/// <param name="Producer">The worker that compiled it ("host:port"), as the node that kept it says: a coordinator serves the result only when it admits that worker.</param>
/// <param name="Keeper">The member that stored it ("host:port"), set by the node that holds the entry from the sender's own
/// address, never from the message: a member stores only as itself. Empty in a CacheStore (whatever a sender puts there is replaced).</param>
[MemoryPackable]
public sealed partial record CachedResult(byte[] Stdout, byte[] Stderr, JobOutput[] Outputs, [property: WireString] string Producer, long ProducedUnixMilliseconds, [property: WireString] string Keeper = "") : IClusterMessage
{
    [MemoryPackOnDeserialized]
    private void CheckArrived() => WireCheck.Present(nameof(CachedResult), Stdout, Stderr, Outputs, Producer, Keeper);

    /// <summary>The bytes the result holds, compressed as it travels and as it is stored.</summary>
    [MemoryPackIgnore]
    public long Bytes
    {
        get
        {
            long bytes = Stdout.LongLength + Stderr.LongLength;
            foreach (var o in Outputs) bytes += o.Compressed.Length + o.Path.Length;
            return bytes;
        }
    }
}

/// <summary>Asks the key's owner for its result: answered with <see cref="CacheAnswer"/>.</summary>
[MemoryPackable]
public sealed partial record CacheLookup([property: WireString] string Key) : IClusterMessage, IConsistentHashable
{
    [MemoryPackOnDeserialized]
    private void CheckArrived() => WireCheck.Present(nameof(CacheLookup), Key);

    [MemoryPackIgnore]
    public object ConsistentHashKey => Key;
}

/// <summary>The owner's answer: the result, or null when it has none.</summary>
[MemoryPackable]
public sealed partial record CacheAnswer([property: WireString] string Key, CachedResult? Result) : IClusterMessage
{
    [MemoryPackOnDeserialized]
    private void CheckArrived() => WireCheck.Present(nameof(CacheAnswer), Key);
}

/// <summary>Keep this result under this key (sent to the key's owner).</summary>
[MemoryPackable]
public sealed partial record CacheStore([property: WireString] string Key, CachedResult Result) : IClusterMessage, IConsistentHashable
{
    [MemoryPackOnDeserialized]
    private void CheckArrived() => WireCheck.Present(nameof(CacheStore), Key, Result);

    [MemoryPackIgnore]
    public object ConsistentHashKey => Key;
}

/// <summary>Forget this key: its result was found to differ from a local compile (sent to the key's owner, which honours it only from the entry's keeper or producer).</summary>
[MemoryPackable]
public sealed partial record CacheDrop([property: WireString] string Key) : IClusterMessage, IConsistentHashable
{
    [MemoryPackOnDeserialized]
    private void CheckArrived() => WireCheck.Present(nameof(CacheDrop), Key);

    [MemoryPackIgnore]
    public object ConsistentHashKey => Key;
}
