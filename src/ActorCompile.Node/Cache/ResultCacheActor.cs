using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Routing;
using Akka.Event;
using Akka.Routing;
using ActorCompile.Protocol;
using ActorCompile.Protocol.Cluster;
using ActorCompile.Protocol.Messages;

namespace ActorCompile.Node.Cache;

// The node's own sessions -> the node's result cache. Local only.

/// <summary>A session asks for the result of a key: answered with <see cref="CacheFound"/>.</summary>
public sealed record CacheLookUp(string Key) : INoSerializationVerificationNeeded;

/// <summary>The answer to <see cref="CacheLookUp"/>: a result this node may serve, or null; <paramref name="Distrusted"/> says a result was there but its producer or keeper is not trusted here.</summary>
/// <param name="Accountable">Who answers for the result ("host:port"): its producer when this node kept it from its own job (first-hand), else the member that stored it.</param>
/// <param name="Owner">The member whose answer it was ("host:port", as its connection says), when it came from another node: it vouches for the keeper it names.</param>
/// <param name="Files">The result's files, decompressed off the session's thread (paths as the result holds them).</param>
public sealed record CacheFound(string Key, CachedResult? Result, string? Distrusted = null, string? Accountable = null, string? Owner = null,
    IReadOnlyList<KeyValuePair<string, byte[]>>? Files = null) : INoSerializationVerificationNeeded;

/// <summary>A session's job compiled successfully: keep its result here and at the key's owner.</summary>
public sealed record CacheKeep(string Key, CachedResult Result) : INoSerializationVerificationNeeded;

/// <summary>A local compile disagreed with the cached result of a key: drop it here and at its owner, and trust no more
/// whoever answers for it (<see cref="CacheFound.Accountable"/>) nor the owner that served it (<see cref="CacheFound.Owner"/>):
/// the evidence cannot tell which of the two lied, and an owner that named another member as keeper must not frame it for nothing.</summary>
public sealed record CacheReject(string Key, string? Accountable, string? Owner = null) : INoSerializationVerificationNeeded;

/// <summary>Published on the node's event stream when the cache refuses a message from another node (for tests and status).</summary>
/// <param name="Kind">The message: CacheStore, CacheDrop or CacheLookup.</param>
public sealed record CacheMessageRefused(string Kind, string Sender, string Key, string Reason) : INoSerializationVerificationNeeded;

/// <summary>Empties this node's store (actorcompile cache clear): answered with the entries and bytes dropped.</summary>
public sealed class ClearCache : INoSerializationVerificationNeeded { public static readonly ClearCache Instance = new(); }

public sealed record CacheClearedHere(long Entries, long Bytes) : INoSerializationVerificationNeeded;

/// <summary>
/// The node's part of the cluster's result cache (/user/result-cache, on every node). It answers its
/// own sessions from its store first, then from the key's owner; it keeps what its sessions compiled
/// here and at the owner; as an owner it answers, keeps and drops for other nodes. The owner of a key
/// is chosen by Akka's cluster-aware consistent-hashing group over the members that are up (every node
/// runs this actor at the same path), so the share of a node that leaves moves to the others.
/// A member is trusted to compile, not to speak for others: it answers lookups of members only; what a
/// member stores is kept with that member as its keeper (from the sender's address, not from the
/// message), and a drop is honoured only from an entry's keeper or producer. A result is served only when
/// neither its producer nor its keeper is distrusted here, this node included.
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
    /// <summary>Producers and keepers whose results are refused here, until when (CacheSettings.DistrustFor).</summary>
    private readonly Dictionary<string, DateTime> _distrusted = new(StringComparer.Ordinal);
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
    private sealed record DropChecked(string Key, string Sender, string? Refusal);

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
            Write(m.Key, m.Result with { Keeper = _self });
            _owners.Tell(new CacheStore(m.Key, m.Result with { Keeper = "" }));
        });
        Receive<CacheReject>(m =>
        {
            foreach (var who in new[] { m.Accountable, m.Owner })
                if (!string.IsNullOrEmpty(who)) _distrusted[who] = DateTime.UtcNow + _settings.DistrustFor;
            Forget(m.Key);
            _owners.Tell(new CacheDrop(m.Key));
        });
        Receive<ClearCache>(_ =>
        {
            foreach (var key in _writing.Keys.ToList()) Forget(key);
            // Every entry's file deleted on the pool (a large cache took the actor from its lookups for as long);
            // the store is thread-safe, and a result written meanwhile is either cleared with the rest or kept after.
            var store = _store;
            if (store is null) Sender.Tell(new CacheClearedHere(0, 0));
            else Task.Run(() => store.Clear()).PipeTo(Sender, Self, success: c => new CacheClearedHere(c.Entries, c.Bytes));
        });
        Receive<Written>(m =>
        {
            if (_writing.Remove(m.Key, out var written)) _writingBytes -= written.Bytes;
            if (_dropWhenWritten.Remove(m.Key)) _store?.Forget(m.Key);
        });

        // As the owner of keys, for members (this one included).
        Receive<CacheLookup>(m =>
        {
            var store = _store;
            var key = m.Key;
            if (NotAMember(Sender) is { } why) Refuse(nameof(CacheLookup), key, why, answer: new CacheAnswer(key, null));
            else if (store is null || !ResultStore.IsKey(key)) Sender.Tell(new CacheAnswer(key, null));
            else if (_writing.TryGetValue(key, out var pending)) Sender.Tell(new CacheAnswer(key, pending));
            else Task.Run(() => new CacheAnswer(key, ReadOrNothing(store, key))).PipeTo(Sender, Self);
        });
        Receive<CacheStore>(m =>
        {
            if (_store is null) return;
            if (NotAMember(Sender) is { } why) { Refuse(nameof(CacheStore), m.Key, why); return; }
            if (Invalid(m.Result) is { } problem) { Refuse(nameof(CacheStore), m.Key, problem); return; }
            // Kept as the sender's: whatever keeper the message names is replaced by who sent it.
            Write(m.Key, m.Result with { Keeper = AddressOf(Sender) });
        });
        Receive<CacheDrop>(m => CheckDrop(m.Key, Sender));
        Receive<DropChecked>(m =>
        {
            if (m.Refusal is { } why) Refuse(nameof(CacheDrop), m.Key, why, sender: m.Sender);
            else Forget(m.Key);
        });
    }

    /// <summary>"host:port" of an actor's node; this node's own for a local actor.</summary>
    private string AddressOf(IActorRef actor) => actor.Path.Address.HasLocalScope ? _self : actor.Path.Address.HostAndPort();

    /// <summary>Why a sender may not use this node's share of the cache, or null: it must be this node or a member of the cluster.</summary>
    private string? NotAMember(IActorRef sender)
    {
        // A message from another node without a sender arrives with this node's dead letters as its sender: local, but no one.
        if (sender.IsAnonymous()) return "no sender";
        var address = sender.Path.Address;
        if (address.HasLocalScope) return null;
        var member = Cluster.Get(Context.System).State.Members.FirstOrDefault(m => m.Address == address);
        return member is not null && member.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Leaving or MemberStatus.Exiting
            ? null
            : "not a member of the cluster";
    }

    private void Refuse(string kind, string key, string why, CacheAnswer? answer = null, string? sender = null)
    {
        var from = sender ?? AddressOf(Sender);
        _log.Warning("refused a {0} for {1} from {2}: {3}", kind, key, from, why);
        Context.System.EventStream.Publish(new CacheMessageRefused(kind, from, key, why));
        if (answer is not null) Sender.Tell(answer);
    }

    /// <summary>A drop counts only from the entry's keeper or producer (read off this thread); an entry that is not here needs no drop.</summary>
    private void CheckDrop(string key, IActorRef sender)
    {
        var from = AddressOf(sender);
        if (NotAMember(sender) is { } why) { Refuse(nameof(CacheDrop), key, why); return; }
        static string? Refusal(CachedResult? entry, string from) =>
            entry is null || entry.Keeper == from || entry.Producer == from ? null : $"it neither stored ({entry.Keeper}) nor compiled ({entry.Producer}) that result";
        if (_writing.TryGetValue(key, out var pending)) { Self.Tell(new DropChecked(key, from, Refusal(pending, from))); return; }
        var store = _store;
        if (store is null || !ResultStore.IsKey(key)) return;
        Task.Run(() => new DropChecked(key, from, Refusal(ReadOrNothing(store, key), from))).PipeTo(Self);
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
        var now = DateTime.UtcNow;
        foreach (var expired in _distrusted.Where(d => d.Value <= now).Select(d => d.Key).ToList()) _distrusted.Remove(expired);
        var distrusted = _distrusted.Keys.ToHashSet(StringComparer.Ordinal);
        var settings = _settings;
        var self = _self;
        var provider = ((ExtendedActorSystem)Context.System).Provider;
        var cluster = Cluster.Get(Context.System);
        Task.Run(async () =>
        {
            var result = pending ?? (store is null ? null : ReadOrNothing(store, key));
            var local = result is not null;
            string? owner = null;
            if (result is null)
            {
                // Only a result cache of this node or of a member, answering this key, with a sender: a reply without one
                // arrives as this node's dead letters, and would pass for this node's own share.
                bool Owner(object m, IActorRef from) =>
                    m is CacheAnswer answered && answered.Key == key && !from.IsAnonymous() && from.Path.Elements is ["user", Name]
                    && (from.Path.Address.HasLocalScope || cluster.State.Members.Any(x => x.Address == from.Path.Address && x.Status is MemberStatus.Up or MemberStatus.WeaklyUp));
                var (answer, from) = await OwnerReply.AskAsync(provider, owners, new CacheLookup(key), timeout, Owner);
                // No owner answered in time (none yet, or it is leaving): a miss, the job compiles.
                if (answer is CacheAnswer { Result: { } found })
                {
                    result = found;
                    // Who answered, as its connection says (the transport binds a sender to its connection); this node's own share is no one else's word.
                    owner = from!.Path.Address.HasLocalScope ? null : from.Path.Address.HostAndPort();
                }
            }
            if (result is null) return new CacheFound(key, null);
            if (owner is not null)
            {
                if (distrusted.Contains(owner)) return new CacheFound(key, null, $"its owner {owner} served a result that differed from a local compile");
                if (!settings.Admits(owner)) return new CacheFound(key, null, $"its owner {owner} is not in this node's trusted networks");
            }
            if (Invalid(result) is { } problem) return new CacheFound(key, null, problem);
            // An owner's answer naming this node as keeper is a claim this node cannot check (its own result, evicted
            // here since?) and would make the owner answerable for nothing: a miss, the job compiles.
            if (!local && result.Keeper == self) return new CacheFound(key, null, "its owner names this node as its keeper, which this node cannot check");
            // Every producer and keeper is judged, this node included: a result naming this node is no more
            // trusted than its keeper (a member that stores as this node is kept as itself).
            foreach (var (role, who) in new[] { ("producer", result.Producer), ("keeper", result.Keeper) })
            {
                if (distrusted.Contains(who)) return new CacheFound(key, null, $"its {role} {who} gave a result that differed from a local compile");
                if (who != self && !settings.Admits(who)) return new CacheFound(key, null, $"its {role} {who} is not in this node's trusted networks");
            }
            // Kept here too, as the owner's word: what this node knows first-hand is who served it. (The keeper the owner
            // named is forgotten with it: a later distrust of that keeper, or its drop, no longer reaches this copy.)
            if (!local && store is not null)
            {
                try { store.Write(key, owner is null ? result : result with { Keeper = owner }); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // a full disk costs the local copy, not the hit
            }
            // Who answers for it: the owner that served it (the keeper it names is its word, which must frame no one);
            // its producer when this node kept it from its own job (first-hand); the member that stored it otherwise.
            var accountable = owner ?? (result.Keeper == self ? result.Producer : result.Keeper);
            // Decompressed here, on the lookup's task: the session that serves it does no CPU work on its actor's thread.
            KeyValuePair<string, byte[]>[] files;
            try
            {
                files = result.Outputs.Select(o => new KeyValuePair<string, byte[]>(o.Path, Payload.Decompress(o.Compressed, o.Length))).ToArray();
            }
            catch (Exception e) when (e is InvalidDataException or ArgumentException)
            {
                return new CacheFound(key, null, $"it does not decompress ({e.Message})");
            }
            return new CacheFound(key, result, Accountable: accountable, Owner: owner, Files: files);
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
        if (r.Keeper.Length > 300) return "a keeper beyond any address";
        if (r.Outputs.Any(o => o.Length < 0 || o.Length > _settings.MaxResultBytes || o.Path.Length is 0 or > 4096)) return "a file beyond the largest job";
        if (r.Bytes > 2 * _settings.MaxResultBytes) return "beyond the largest job";
        return null;
    }
}
