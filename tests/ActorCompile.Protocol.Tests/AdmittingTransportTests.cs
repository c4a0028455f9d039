using System.Net;
using Akka.Actor;
using Akka.Remote.Transport;
using ActorCompile.Protocol.Cluster;
using Google.Protobuf;
using Xunit;

namespace ActorCompile.Protocol.Tests;

/// <summary>
/// A worker's admission by network at the transport (<see cref="AdmittingTransport"/>), on its own: the transport
/// wraps Akka's in-memory TestTransport, whose addresses can be any host, so connections from and to addresses
/// outside 127.0.0.0/8 (10.0.0.5 here) are made in this process without a network. TrustTests checks the same
/// through real nodes, where only loopback addresses can be reached.
/// </summary>
public sealed class AdmittingTransportTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private readonly ActorSystem _system = ActorSystem.Create("admission-tests", "akka.loglevel = WARNING\nakka.stdout-loglevel = WARNING");
    private readonly AssociationRegistry _registry = new();

    public void Dispose() => _system.Terminate().Wait(Bound);

    private static Address At(string host, int port) => new("test", "sys", host, port);

    /// <summary>Collects what a transport announces: inbound connections, or what arrives on one.</summary>
    private sealed class Events : IAssociationEventListener, IHandleEventListener
    {
        public readonly List<object> Seen = new();
        public readonly TaskCompletionSource<object> First = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Notify(IAssociationEvent ev)
        {
            // As Akka's protocol layer does: it reads what an admitted connection brings (the dialler's Associate
            // completes only once both ends read).
            if (ev is InboundAssociation inbound) inbound.Association.ReadHandlerSource.TrySetResult(new Events());
            Add(ev);
        }

        public void Notify(IHandleEvent ev) => Add(ev);

        private void Add(object ev)
        {
            lock (Seen) Seen.Add(ev);
            First.TrySetResult(ev);
        }
    }

    /// <summary>A worker's transport on 127.0.0.1:7000 that admits only <paramref name="allowed"/> (null: a node without the worker role).</summary>
    private async Task<(AdmittingTransport Transport, Events Upstream)> Worker(AllowedNetworks? allowed)
    {
        var transport = new AdmittingTransport(new TestTransport(At("127.0.0.1", 7000), _registry), _system, allowed, ConnectionRefusals.Get(_system));
        var (_, listener) = await transport.Listen().WaitAsync(Bound);
        var upstream = new Events();
        listener.SetResult(upstream);
        return (transport, upstream);
    }

    /// <summary>A peer's plain transport at <paramref name="host"/>, listening (the registry needs both ends); <paramref name="inbound"/> is what it is told of connections to it.</summary>
    private async Task<TestTransport> Peer(string host, int port, Events? inbound = null)
    {
        var peer = new TestTransport(At(host, port), _registry);
        var (_, listener) = await peer.Listen().WaitAsync(Bound);
        listener.SetResult(inbound ?? new Events());
        return peer;
    }

    private static readonly AllowedNetworks OnlyLoopback = new(new[] { IPNetwork.Parse("127.0.0.0/8") });

    private ConnectionRefusals.Entry? RefusalOf(string address) =>
        ConnectionRefusals.Get(_system).Snapshot().SingleOrDefault(e => e.Address == address);

    [Fact]
    public async Task A_connection_from_outside_the_allowed_networks_never_reaches_Akka_and_closes_at_its_first_message()
    {
        var (_, upstream) = await Worker(OnlyLoopback);
        var peer = await Peer("10.0.0.5", 2000);

        var handle = await peer.Associate(At("127.0.0.1", 7000)).WaitAsync(Bound);
        var peerSide = new Events();
        handle.ReadHandlerSource.SetResult(peerSide);
        var refusal = RefusalOf("10.0.0.5");
        Assert.NotNull(refusal);
        Assert.Contains("10.0.0.5 is not in this worker's allowed networks (127.0.0.0/8); open them with --allow CIDR", refusal.Reason);
        // Open until it speaks (a TLS handshake must finish, or the dialling node would stop itself), then closed.
        Assert.False(peerSide.First.Task.IsCompleted);
        handle.Write(ByteString.CopyFromUtf8("a first message"));
        var ev = await peerSide.First.Task.WaitAsync(Bound);
        Assert.IsType<Disassociated>(ev);
        lock (upstream.Seen) Assert.Empty(upstream.Seen); // Akka never heard of it
    }

    [Fact]
    public async Task A_connection_from_an_allowed_address_reaches_Akka_bound_to_its_sender()
    {
        var (_, upstream) = await Worker(OnlyLoopback);
        var peer = await Peer("127.0.0.9", 2001);

        await peer.Associate(At("127.0.0.1", 7000)).WaitAsync(Bound);
        var ev = await upstream.First.Task.WaitAsync(Bound);
        var inbound = Assert.IsType<InboundAssociation>(ev);
        Assert.IsType<BoundSenderHandle>(inbound.Association);
        Assert.Null(RefusalOf("127.0.0.9"));
    }

    [Fact]
    public async Task A_worker_never_opens_a_connection_to_an_address_outside_its_networks()
    {
        var (transport, _) = await Worker(OnlyLoopback);
        var peerSide = new Events();
        await Peer("10.0.0.5", 2002, peerSide);

        var e = await Assert.ThrowsAsync<InvalidAssociationException>(() => transport.Associate(At("10.0.0.5", 2002)));
        Assert.Contains("this worker does not connect to 10.0.0.5: not in its allowed networks", e.Message);
        Assert.NotNull(RefusalOf("10.0.0.5"));
        // The wrapped transport was never asked to connect: the peer was told of no connection (an in-memory
        // transport announces one to the other end within Associate itself).
        lock (peerSide.Seen) Assert.Empty(peerSide.Seen);
    }

    [Fact]
    public async Task A_node_without_the_worker_role_admits_any_address_and_still_binds_the_sender()
    {
        var (transport, upstream) = await Worker(allowed: null);
        var peer = await Peer("10.0.0.5", 2003);

        await peer.Associate(At("127.0.0.1", 7000)).WaitAsync(Bound);
        var inbound = Assert.IsType<InboundAssociation>(await upstream.First.Task.WaitAsync(Bound));
        Assert.IsType<BoundSenderHandle>(inbound.Association);
        Assert.IsType<BoundSenderHandle>(await transport.Associate(At("10.0.0.5", 2003)).WaitAsync(Bound));
        Assert.Empty(ConnectionRefusals.Get(_system).Snapshot());
    }
}
