using System.Net;
using Akka.Actor;
using Akka.Cluster;
using Akka.TestKit.Xunit2;
using ActorCompile.Node.Cache;
using ActorCompile.Protocol;
using ActorCompile.Protocol.Cluster;
using ActorCompile.Protocol.Messages;
using ActorCompile.Tests;
using Xunit;

namespace ActorCompile.Node.Tests;

/// <summary>
/// The result cache's part on one node (the victim, this test's actor system) against another member
/// (a rogue one: a second actor system joined to the cluster over loopback, with the cluster's
/// serializer) and a peer that is no member. A member is trusted to compile, not to speak for others:
/// it stores only as itself, drops only what it stored or compiled, and only members are answered.
/// </summary>
public sealed class ResultCacheActorTests : TestKit
{
    private readonly TempDirectory _dir = new("ac-cache-actor");
    private readonly List<ActorSystem> _others = new();
    private readonly IActorRef _cache;
    private readonly string _self;
    private readonly CacheSettings _settings;
    // Lookups that miss here ask the key's owner, which may be the rogue (it runs no cache): 500 ms, not 10 s, before that counts as a miss.

    public ResultCacheActorTests() : base(ClusterTestConfig.Create())
    {
        var cluster = Cluster.Get(Sys);
        cluster.Join(cluster.SelfAddress);
        _self = cluster.SelfAddress.HostAndPort();
        var settings = new CacheSettings(true, _dir.Combine("cache"), 64L << 20, 0, TimeSpan.FromMilliseconds(500),
            new AllowedNetworks(new[] { IPNetwork.Parse("127.0.0.0/8") }), 16L << 20, TimeSpan.FromHours(1));
        _settings = settings;
        _cache = Sys.ActorOf(ResultCacheActor.Props(new ResultStore(settings.Directory, settings.SizeBytes), settings), ResultCacheActor.Name);
    }

    private static string Key(char c) => new(c, 64);

    private static CachedResult Result(string text, string producer, string keeper = "") =>
        new(Array.Empty<byte>(), Array.Empty<byte>(), new[] { Payload.ToOutput("object", System.Text.Encoding.UTF8.GetBytes(text)) }, producer, 0, keeper);

    private static string Text(CachedResult r) => System.Text.Encoding.UTF8.GetString(Payload.Decompress(r.Outputs[0].Compressed, r.Outputs[0].Length));

    /// <summary>Another actor system on loopback with the cluster's protocol: a member of the victim's cluster (up before this returns), or one that never joins.</summary>
    private async Task<ActorSystem> Peer(bool member)
    {
        var system = ActorSystem.Create(Sys.Name, ClusterTestConfig.Create());
        _others.Add(system);
        if (!member) return system;
        Cluster.Get(system).Join(Cluster.Get(Sys).SelfAddress);
        await Eventually.True(() => Cluster.Get(Sys).State.Members.Count(m => m.Status == MemberStatus.Up) == 2, TimeSpan.FromSeconds(60), "the rogue member to be up");
        return system;
    }

    /// <summary>The victim's cache as another system reaches it.</summary>
    private ActorSelection CacheFrom(ActorSystem peer) => peer.ActorSelection(new RootActorPath(Cluster.Get(Sys).SelfAddress) / "user" / ResultCacheActor.Name);

    private static string AddressOf(ActorSystem peer) => ((ExtendedActorSystem)peer).Provider.DefaultAddress.HostAndPort();

    /// <summary>What a session of the victim finds under a key.</summary>
    private Task<CacheFound> LookUp(string key) => _cache.Ask<CacheFound>(new CacheLookUp(key), TimeSpan.FromSeconds(30));

    private async Task<CacheFound> Found(string key, string what) =>
        await Eventually.Get(async () => await LookUp(key) is { Result: not null } f ? f : null, TimeSpan.FromSeconds(30), what);

    [Fact]
    public async Task Clearing_the_cache_deletes_every_entry_and_says_how_many_and_how_big()
    {
        _cache.Tell(new CacheKeep(Key('d'), Result("first", producer: "127.0.0.1:2")));
        _cache.Tell(new CacheKeep(Key('e'), Result("second", producer: "127.0.0.1:2")));
        await Found(Key('d'), "the first result to be kept");
        await Found(Key('e'), "the second result to be kept");
        var files = () => Directory.GetFiles(_dir.Combine("cache"), "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".tmp", StringComparison.Ordinal)).ToList();
        await Eventually.True(() => files().Count == 2, TimeSpan.FromSeconds(30), "both results on disk");
        long onDisk = files().Sum(f => new FileInfo(f).Length);
        var cleared = await _cache.Ask<CacheClearedHere>(ClearCache.Instance, TimeSpan.FromSeconds(30));
        Assert.Equal(2, cleared.Entries);
        Assert.Equal(onDisk, cleared.Bytes);
        Assert.Empty(files());
        Assert.Null((await LookUp(Key('d'))).Result);
        // Still serving: a result kept after the clear is found.
        _cache.Tell(new CacheKeep(Key('f'), Result("third", producer: "127.0.0.1:2")));
        Assert.Equal("third", Text((await Found(Key('f'), "a result kept after the clear")).Result!));
    }

    [Fact]
    public async Task A_member_stores_only_as_itself_and_answers_for_what_it_stored()
    {
        var rogue = await Peer(member: true);
        var rogueAddress = AddressOf(rogue);
        // The rogue names the victim as producer and keeper: a result the victim would have trusted as its own.
        CacheFrom(rogue).Tell(new CacheStore(Key('a'), Result("poisoned", producer: _self, keeper: _self)));
        var found = await Found(Key('a'), "the rogue's result to be kept");
        Assert.Equal(rogueAddress, found.Result!.Keeper);
        Assert.Equal(rogueAddress, found.Accountable);

        // A local compile disagreed: the keeper is distrusted, not the producer it named (this node).
        _cache.Tell(new CacheReject(Key('a'), found.Accountable!));
        CacheFrom(rogue).Tell(new CacheStore(Key('b'), Result("poisoned too", producer: "127.0.0.1:1")));
        var refused = await Eventually.Get(async () => await LookUp(Key('b')) is { Distrusted: { } why } ? why : null, TimeSpan.FromSeconds(30), "the rogue's next result to be refused");
        Assert.Contains($"keeper {rogueAddress}", refused);
        Assert.Null((await LookUp(Key('a'))).Result);

        // This node's own results stay usable, and are first-hand: their producer answers for them.
        _cache.Tell(new CacheKeep(Key('c'), Result("honest", producer: "127.0.0.1:2")));
        var own = await Found(Key('c'), "the node's own result");
        Assert.Equal(_self, own.Result!.Keeper);
        Assert.Equal("127.0.0.1:2", own.Accountable);
        Assert.Equal("honest", Text(own.Result));
    }

    [Fact]
    public async Task Distrust_ends_after_its_time_and_the_producers_results_are_served_again()
    {
        // A cache of its own on this node whose distrust lasts 5 s (a wrapper's report is the evidence: it expires).
        // Keys are hex, as the store keeps only such (a key it refuses is served only while it is being written).
        var settings = _settings with { Directory = _dir.Combine("short"), DistrustFor = TimeSpan.FromSeconds(5) };
        var cache = Sys.ActorOf(ResultCacheActor.Props(new ResultStore(settings.Directory, settings.SizeBytes), settings), "result-cache-short");
        Task<CacheFound> LookUpThere(string key) => cache.Ask<CacheFound>(new CacheLookUp(key), TimeSpan.FromSeconds(30));
        const string producer = "127.0.0.1:3";
        cache.Tell(new CacheKeep(Key('1'), Result("first", producer)));
        await Eventually.Get(async () => (await LookUpThere(Key('1'))).Result, TimeSpan.FromSeconds(30), "the first result");
        cache.Tell(new CacheReject(Key('1'), producer));
        cache.Tell(new CacheKeep(Key('2'), Result("second", producer)));
        Assert.Contains($"producer {producer}", (await LookUpThere(Key('2'))).Distrusted);
        // Results of the producer are served again once the distrust ended.
        // (A key of its own each time: a result looked up while its producer is distrusted is dropped.)
        var attempt = 0;
        var served = await Eventually.Get(async () =>
        {
            var key = (++attempt).ToString("x").PadLeft(64, 'c');
            cache.Tell(new CacheKeep(key, Result("third", producer)));
            return (await LookUpThere(key)).Result;
        }, TimeSpan.FromSeconds(30), "the producer's result to be served once its distrust ended");
        Assert.Equal("third", Text(served));
        Assert.Null((await LookUpThere(Key('1'))).Result); // the rejected result itself stays dropped, here and at its owner
    }

    [Fact]
    public async Task A_drop_counts_only_from_the_member_that_stored_or_compiled_the_result()
    {
        var rogue = await Peer(member: true);
        var rogueAddress = AddressOf(rogue);
        var refusals = CreateTestProbe();
        Sys.EventStream.Subscribe(refusals.Ref, typeof(CacheMessageRefused));

        _cache.Tell(new CacheKeep(Key('d'), Result("kept here", producer: "127.0.0.1:2")));
        await Found(Key('d'), "the node's own result");
        CacheFrom(rogue).Tell(new CacheDrop(Key('d')));
        var refusal = refusals.ExpectMsg<CacheMessageRefused>(m => m.Kind == nameof(CacheDrop));
        Assert.Equal(rogueAddress, refusal.Sender);
        Assert.Equal("kept here", Text((await LookUp(Key('d'))).Result!));

        // What the rogue stored itself it may drop.
        CacheFrom(rogue).Tell(new CacheStore(Key('e'), Result("its own", producer: rogueAddress)));
        await Found(Key('e'), "the rogue's own result");
        CacheFrom(rogue).Tell(new CacheDrop(Key('e')));
        await Eventually.True(() => LookUp(Key('e')).Result.Result is null, TimeSpan.FromSeconds(30), "the rogue's drop of its own result");
    }

    [Fact]
    public async Task A_message_without_a_sender_is_no_ones_not_this_nodes()
    {
        // A message from another node without a sender arrives with this node's dead letters as its sender, a local
        // actor: taken as this node's own, a result stored so was kept as this node's, and a drop removed this node's.
        var rogue = await Peer(member: true);
        var refusals = CreateTestProbe();
        Sys.EventStream.Subscribe(refusals.Ref, typeof(CacheMessageRefused));
        _cache.Tell(new CacheKeep(Key('7'), Result("kept here", producer: "127.0.0.1:2")));
        await Found(Key('7'), "the node's own result");

        // Straight to the actor (a reference is an address and a path): a selection without a sender does not get here.
        var cache = ((ExtendedActorSystem)rogue).Provider.ResolveActorRef(new RootActorPath(Cluster.Get(Sys).SelfAddress) / "user" / ResultCacheActor.Name);
        cache.Tell(new CacheStore(Key('8'), Result("poisoned", producer: _self)), ActorRefs.NoSender);
        var stored = refusals.ExpectMsg<CacheMessageRefused>(m => m.Kind == nameof(CacheStore));
        Assert.Equal("no sender", stored.Reason);
        cache.Tell(new CacheDrop(Key('7')), ActorRefs.NoSender);
        Assert.Equal("no sender", refusals.ExpectMsg<CacheMessageRefused>(m => m.Kind == nameof(CacheDrop)).Reason);
        Assert.Null((await LookUp(Key('8'))).Result);
        Assert.Equal("kept here", Text((await LookUp(Key('7'))).Result!));
    }

    /// <summary>A rogue member's own "result cache": it answers every lookup with a result it made up, naming as keeper whoever <paramref name="keeper"/> says.</summary>
    /// <param name="anonymous">Answer without a sender: it arrives as the asking node's own dead letters, a local actor.</param>
    private sealed class ForgingOwner : ReceiveActor
    {
        public ForgingOwner(Func<string, string> keeper, bool anonymous = false) =>
            Receive<CacheLookup>(m => Sender.Tell(new CacheAnswer(m.Key, Result("forged", producer: "127.0.0.1:9", keeper: keeper(m.Key))), anonymous ? ActorRefs.NoSender : Self));
    }

    [Fact]
    public async Task An_owner_answers_for_what_it_serves_and_cannot_hide_behind_this_node_or_another_member()
    {
        // The rogue member owns part of the keys (it runs a result cache the router routes to). It used to name this
        // node as keeper (then nobody was blamed) or another member (then that member was blamed for its lie).
        var rogue = await Peer(member: true);
        var rogueAddress = AddressOf(rogue);
        // First it answers without a sender, which would pass for this node's own share: its answers are not taken.
        var silent = rogue.ActorOf(Props.Create(() => new ForgingOwner(_ => "127.0.0.1:8", true)), ResultCacheActor.Name);
        for (int i = 0; i < 20; i++)
        {
            var found = await LookUp(i.ToString("x").PadLeft(64, '0'));
            Assert.Null(found.Result);
            Assert.Null(found.Distrusted);
        }
        await silent.GracefulStop(TimeSpan.FromSeconds(10));
        rogue.ActorOf(Props.Create(() => new ForgingOwner(key => key.StartsWith('0') ? "127.0.0.1:8" : _self, false)), ResultCacheActor.Name);
        // Keys the rogue owns (the router's choice): found by asking, each key once.
        var owned = new List<(string Key, CacheFound Found)>();
        for (int i = 0; owned.Count < 3 && i < 200; i++)
        {
            var key = i.ToString("x").PadLeft(64, '0');
            var found = await LookUp(key);
            if (found.Result is not null || found.Distrusted is not null) owned.Add((key, found));
        }
        Assert.True(owned.Count == 3, "the rogue owns some of 200 keys");
        foreach (var (_, found) in owned)
        {
            Assert.Equal("forged", Text(found.Result!));
            Assert.Equal(rogueAddress, found.Owner);
            // The owner answers for what it serves: the keeper it names is only its word.
            Assert.Equal(rogueAddress, found.Accountable);
        }
        // An answer naming this node as keeper (keys not starting with 0 here) is a miss: a claim this node cannot check.
        var self = await Eventually.Get(async () =>
        {
            for (int i = 0; i < 200; i++)
            {
                var key = i.ToString("x").PadLeft(64, 'e');
                if ((await LookUp(key)).Distrusted is { } why && why.Contains("names this node as its keeper", StringComparison.Ordinal)) return why;
            }
            return null;
        }, TimeSpan.FromSeconds(30), "an answer naming this node as keeper to be refused");
        Assert.Contains("cannot check", self);
        // A local compile disagreed: the owner that served it is trusted no more, as well as the keeper it named.
        _cache.Tell(new CacheReject(owned[0].Key, owned[0].Found.Accountable, owned[0].Found.Owner));
        // (Each result it served is kept here too, as the rogue's: the owner's word is what this node knows first-hand.)
        var refused = await LookUp(owned[1].Key);
        Assert.Null(refused.Result);
        Assert.Contains($"keeper {rogueAddress}", refused.Distrusted);
        var unseen = await Eventually.Get(async () =>
        {
            for (int i = 300; i < 600; i++)
            {
                var found = await LookUp(i.ToString("x").PadLeft(64, '0'));
                if (found.Distrusted is { } why && why.Contains("owner", StringComparison.Ordinal)) return why;
            }
            return null;
        }, TimeSpan.FromSeconds(30), "a key the rogue owns and never served to be refused");
        Assert.Contains($"its owner {rogueAddress} served a result that differed", unseen);

    }

    [Fact]
    public async Task A_peer_that_is_no_member_gets_nothing_and_stores_nothing()
    {
        var member = await Peer(member: true);
        var outsider = await Peer(member: false);
        var refusals = CreateTestProbe();
        Sys.EventStream.Subscribe(refusals.Ref, typeof(CacheMessageRefused));
        _cache.Tell(new CacheKeep(Key('f'), Result("secret", producer: "127.0.0.1:2")));
        await Found(Key('f'), "the node's own result");

        var answer = await CacheFrom(outsider).Ask<CacheAnswer>(new CacheLookup(Key('f')), TimeSpan.FromSeconds(30));
        Assert.Null(answer.Result);
        Assert.Equal(nameof(CacheLookup), refusals.ExpectMsg<CacheMessageRefused>().Kind);
        CacheFrom(outsider).Tell(new CacheStore(Key('g'), Result("planted", producer: "127.0.0.1:2")));
        Assert.Equal(nameof(CacheStore), refusals.ExpectMsg<CacheMessageRefused>().Kind);
        Assert.Null((await LookUp(Key('g'))).Result);

        // A member asks the same and gets it.
        var served = await CacheFrom(member).Ask<CacheAnswer>(new CacheLookup(Key('f')), TimeSpan.FromSeconds(30));
        Assert.Equal("secret", Text(served.Result!));
    }

    protected override void AfterAll()
    {
        foreach (var system in _others) system.Terminate().Wait(TimeSpan.FromSeconds(20));
        base.AfterAll();
        _dir.Dispose();
    }
}
