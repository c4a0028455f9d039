using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Routing;
using Akka.Event;
using Akka.Routing;
using ActorCompile.Protocol.Cluster;
using ActorCompile.Protocol.Messages;

namespace ActorCompile.Node.Cache;

// The node's own sessions -> the node's result cache. Local only.

/// <summary>A session asks for the result of a key: answered with <see cref="CacheFound"/>.</summary>
public sealed record CacheLookUp(string Key) : INoSerializationVerificationNeeded;

/// <summary>The answer to <see cref="CacheLookUp"/>: a result this node may serve, or null; <paramref name="Distrusted"/> says a result was there but its producer is not trusted here.</summary>
public sealed record CacheFound(string Key, CachedResult? Result, string? Distrusted = null) : INoSerializationVerificationNeeded;

/// <summary>A session's job compiled successfully: keep its result here and at the key's owner.</summary>
public sealed record CacheKeep(string Key, CachedResult Result) : INoSerializationVerificationNeeded;

/// <summary>A local compile disagreed with the cached result of a key: drop it here and at its owner, and trust its producer no more.</summary>
public sealed record CacheReject(string Key, string Producer) : INoSerializationVerificationNeeded;

/// <summary>Empties this node's store (actorcompile cache clear): answered with the entries and bytes dropped.</summary>
public sealed class ClearCache : INoSerializationVerificationNeeded { public static readonly ClearCache Instance = new(); }

public sealed record CacheClearedHere(long Entries, long Bytes) : INoSerializationVerificationNeeded;

/// <summary>
/// The node's part of the cluster's result cache (/user/result-cache, on every node). It answers its
/// own sessions from its store first, then from the key's owner; it keeps what its sessions compiled
/// here and at the owner; as an owner it answers, keeps and drops for other nodes. The owner of a key
/// is chosen by Akka's cluster-aware consistent-hashing group over the members that are up (every node
/// runs this actor at the same path), so the share of a node that leaves moves to the others.
/// Disk work runs on the thread pool, never on this actor's thread.
/// </summary>
public sealed class ResultCacheActor : ReceiveActor
{
    public const string Name = "result-cache";
    public const string Path = "/user/" + Name;

    private readonly ResultStore? _store;
    private readonly CacheSettings _settings;
    private readonly IActorRef _owners;
    private readonly string _self;
    private readonly HashSet<string> _distrusted = new(StringComparer.Ordinal);
    private readonly ILoggingAdapter _log = Context.GetLogger();

    /// <summary>
    /// Results on their way to disk, served from memory until written: a rebuild that asks right after the
    /// compile (a busy disk, a loaded machine) must not miss. Bounded, so that a peer sending results faster
    /// than the disk takes them grows nothing: beyond the bound a result is not kept.
    /// </summary>
    private readonly Dictionary<string, CachedResult> _writing = new(StringComparer.Ordinal);
    private long _writingBytes;
    private const int MaxWriting = 64;
    private const long MaxWritingBytes = 256L << 20;
    /// <summary>Keys dropped (or cleared) while their write was under way: forgotten again once it lands.</summary>
    private readonly HashSet<string> _dropWhenWritten = new(StringComparer.Ordinal);

    private sealed record Written(string Key);

    public ResultCacheActor(ResultStore? store, CacheSettings settings)
    {
        _store = store;
        _settings = settings;
        _self = Cluster.Get(Context.System).SelfAddress.HostAndPort();
        _owners = Context.ActorOf(new ClusterRouterGroup(new ConsistentHashingGroup(new[] { Path }),
            new ClusterRouterGroupSettings(10_000, new[] { Path }, allowLocalRoutees: true)).Props(), "owners");

        Receive<CacheLookUp>(m => LookUp(m.Key, Sender));
        Receive<CacheKeep>(m =>
        {
            Write(m.Key, m.Result);
            _owners.Tell(new CacheStore(m.Key, m.Result));
        });
        Receive<CacheReject>(m =>
        {
            _distrusted.Add(m.Producer);
            Forget(m.Key);
            _owners.Tell(new CacheDrop(m.Key));
        });
        Receive<ClearCache>(_ =>
        {
            foreach (var key in _writing.Keys.ToList()) Forget(key);
            var (entries, bytes) = _store?.Clear() ?? (0, 0);
            Sender.Tell(new CacheClearedHere(entries, bytes));
        });
        Receive<Written>(m =>
        {
            if (_writing.Remove(m.Key, out var written)) _writingBytes -= written.Bytes;
            if (_dropWhenWritten.Remove(m.Key)) _store?.Forget(m.Key);
        });

        // As the owner of keys, for any member (this one included).
        Receive<CacheLookup>(m =>
        {
            var store = _store;
            var key = m.Key;
            if (store is null || !ResultStore.IsKey(key)) Sender.Tell(new CacheAnswer(key, null));
            else if (_writing.TryGetValue(key, out var pending)) Sender.Tell(new CacheAnswer(key, pending));
            else Task.Run(() => new CacheAnswer(key, ReadOrNothing(store, key))).PipeTo(Sender);
        });
        Receive<CacheStore>(m =>
        {
            if (_store is null) return;
            if (Invalid(m.Result) is { } problem)
            {
                _log.Warning("refused a result for the cache from {0}: {1}", Sender.Path.Address, problem);
                return;
            }
            Write(m.Key, m.Result);
        });
        Receive<CacheDrop>(m => Forget(m.Key));
    }

    public static Props Props(ResultStore? store, CacheSettings settings) => Akka.Actor.Props.Create(() => new ResultCacheActor(store, settings));

    /// <summary>Keeps a result in this node's store, off this thread; it is served from memory until written.</summary>
    private void Write(string key, CachedResult result)
    {
        var store = _store;
        if (store is null || _writing.ContainsKey(key)) return; // the same key's result is already on its way
        if (_writing.Count > 0 && (_writing.Count >= MaxWriting || _writingBytes + result.Bytes > MaxWritingBytes))
        {
            _log.Debug("the disk is behind ({0} results being written): result {1} not kept here", _writing.Count, key);
            return;
        }
        _writing[key] = result;
        _writingBytes += result.Bytes;
        _dropWhenWritten.Remove(key);
        Task.Run(() =>
        {
            WriteOrNothing(store, key, result);
            return new Written(key);
        }).PipeTo(Self, failure: _ => new Written(key));
    }

    private void Forget(string key)
    {
        if (_writing.Remove(key, out var pending))
        {
            _writingBytes -= pending.Bytes;
            _dropWhenWritten.Add(key);
        }
        _store?.Forget(key);
    }

    /// <summary>This node's store first, then the key's owner; a hit from the owner is kept here too, so that the next build on this machine finds it even if the owner leaves.</summary>
    private void LookUp(string key, IActorRef session)
    {
        var store = _store;
        var pending = _writing.GetValueOrDefault(key);
        var owners = _owners;
        var timeout = _settings.LookupTimeout;
        var distrusted = _distrusted.ToHashSet(StringComparer.Ordinal);
        var settings = _settings;
        var self = _self;
        Task.Run(async () =>
        {
            var result = pending ?? (store is null ? null : ReadOrNothing(store, key));
            var local = result is not null;
            if (result is null)
            {
                try
                {
                    result = (await owners.Ask<CacheAnswer>(new CacheLookup(key), timeout)).Result;
                }
                catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
                {
                    result = null; // no owner answered in time (none yet, or it is leaving): a miss, the job compiles
                }
            }
            if (result is null) return new CacheFound(key, null);
            if (Invalid(result) is { } problem) return new CacheFound(key, null, problem);
            if (result.Producer != self && (distrusted.Contains(result.Producer) || !settings.Admits(result.Producer)))
                return new CacheFound(key, null, $"its producer {result.Producer} is not trusted here");
            if (!local && store is not null)
            {
                try { store.Write(key, result); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // a full disk costs the local copy, not the hit
            }
            return new CacheFound(key, result);
        }).PipeTo(session);
    }

    private static void WriteOrNothing(ResultStore store, string key, CachedResult result)
    {
        try { store.Write(key, result); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // a full or broken disk costs the entry, never a compile
    }

    /// <summary>A read that fails for any reason of the disk is a miss: a cache never fails a compile.</summary>
    private static CachedResult? ReadOrNothing(ResultStore store, string key)
    {
        try
        {
            return store.TryRead(key);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>What makes a result from another node unusable: more files than a compile writes, sizes that do not add up.</summary>
    private string? Invalid(CachedResult r)
    {
        if (r.Outputs.Length is 0 or > 8) return $"{r.Outputs.Length} files";
        if (r.Producer.Length is 0 or > 300) return "no producer";
        if (r.Outputs.Any(o => o.Length < 0 || o.Length > _settings.MaxResultBytes || o.Path.Length is 0 or > 4096)) return "a file beyond the largest job";
        if (r.Bytes > 2 * _settings.MaxResultBytes) return "beyond the largest job";
        return null;
    }
}
