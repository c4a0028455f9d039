using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using ActorCompile.Coordinator;
using ActorCompile.Protocol.Cluster;
using ActorCompile.LocalProtocol.Status;
using MemberStatus = ActorCompile.LocalProtocol.Status.MemberStatus;
using ActorCompile.Protocol.Messages;

namespace ActorCompile.Node.Status;

/// <summary>Asks the node's status view for the whole cluster (answered with a LocalProtocol ClusterStatus).</summary>
public sealed class GetClusterStatus : INoSerializationVerificationNeeded { public static readonly GetClusterStatus Instance = new(); }

/// <summary>
/// Every node's view of the whole cluster. It publishes this node's report (worker and coordinator
/// state, jobs in flight) on a DistributedPubSub topic about once a second, keeps the latest report of
/// every member, and answers the status CLI from them, so that a helper and a target show the same.
/// </summary>
public sealed class StatusHub : ReceiveActor, IWithTimers
{
    public const string Topic = "actorcompile-status";

    private sealed class Publish : INoSerializationVerificationNeeded { public static readonly Publish Instance = new(); }

    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private readonly IActorRef _mediator = DistributedPubSub.Get(Context.System).Mediator;
    private readonly NodeReports _reports = new();
    private readonly string _self;
    private WorkerReport? _worker;
    private CoordinatorSnapshot? _coordinator;
    private long _sequence;
    private readonly ActorCompile.Node.Cache.ResultStore? _results;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="results">This node's store of results (null: the cache is off here), whose size the report carries.</param>
    private readonly SecurityStatus? _security;
    private readonly int _rejoins = ActorCompile.Node.Hosting.RejoinPlan.Count();

    public StatusHub(ActorCompile.Node.Cache.ResultStore? results = null, SecurityStatus? security = null)
    {
        _security = security;
        _results = results;
        _self = _cluster.SelfAddress.HostAndPort();
        Receive<WorkerReport>(r => _worker = r);
        Receive<CoordinatorSnapshot>(s => _coordinator = s);
        Receive<NodeReport>(r =>
        {
            // A new member's first report may come before its membership does: the next one, a second later, is kept.
            if (r.Address != _self) _reports.Offer(r, address => _cluster.State.Members.Any(m => m.Address.HostAndPort() == address));
        });
        Receive<Publish>(_ => PublishReport());
        Receive<ClusterEvent.MemberRemoved>(m => _reports.Remove(m.Member.Address.HostAndPort()));
        Receive<ClusterEvent.IClusterDomainEvent>(_ => { });
        Receive<SubscribeAck>(_ => { });
        Receive<GetClusterStatus>(_ => Sender.Tell(Build()));
    }

    public static Props Props(ActorCompile.Node.Cache.ResultStore? results = null, SecurityStatus? security = null) => Akka.Actor.Props.Create(() => new StatusHub(results, security));

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(WorkerReport));
        Context.System.EventStream.Subscribe(Self, typeof(CoordinatorSnapshot));
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.MemberRemoved));
        _mediator.Tell(new Subscribe(Topic, Self));
        Timers.StartPeriodicTimer("publish", Publish.Instance, TimeSpan.FromSeconds(1));
    }

    protected override void PostStop()
    {
        Context.System.EventStream.Unsubscribe(Self);
        _cluster.Unsubscribe(Self);
    }

    private NodeReport Own() => new(
        _self,
        _cluster.SelfRoles.ToArray(),
        ++_sequence,
        DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
        _worker,
        _coordinator?.Report,
        _coordinator?.Jobs ?? Array.Empty<JobReport>(),
        ConnectionRefusals.Get(Context.System).Snapshot().Select(r => new RefusedConnection(r.Address, r.Count, r.Reason)).ToArray(),
        _results is { } store ? new StoredResults(store.Count, store.Bytes, store.Limit, store.Corrupt) : null);

    private void PublishReport()
    {
        var own = Own();
        _reports.Own(own);
        _mediator.Tell(new Akka.Cluster.Tools.PublishSubscribe.Publish(Topic, own));
    }

    private ClusterStatus Build()
    {
        // This node's own part is always fresh.
        _reports.Own(Own());
        var state = _cluster.State;
        var unreachable = state.Unreachable.Select(m => m.Address).ToHashSet();
        var members = state.Members.Select(m => new MemberStatus(m.Address.HostAndPort(), m.Roles.ToArray(),
            unreachable.Contains(m.Address) ? "unreachable" : m.Status.ToString().ToLowerInvariant()));
        return ClusterStatusView.Build(_self, DateTimeOffset.UtcNow, members, _reports.All, _security, _rejoins,
            RefusedMessages.Get(Context.System).Snapshot().Select(r => new RefusedMessageStatus(r.Message, r.Count)).ToArray());
    }
}
