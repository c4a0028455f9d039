using Akka.Actor;
using Akka.Event;
using AkkaCluster = Akka.Cluster.Cluster;
using Akka.Cluster;

namespace ActorCompile.Protocol.Cluster;

/// <summary>
/// The cluster's downing rule for a build cluster: every node downs the members it has not reached for
/// actorcompile.cluster.down-unreachable-after, and never itself. A build cluster holds no state that
/// two halves could disagree on (no singletons, no shards), so both sides of a partition carry on; a
/// crashed worker is removed soon after it stops answering, and a coordinator never stops because
/// workers vanished. (Akka's split-brain resolver either stops the smaller side, which can be a lone
/// coordinator, or with a quorum of one downs everything once there are two members.)
/// </summary>
public sealed class DownUnreachableMembers : IDowningProvider
{
    private readonly TimeSpan _after;

    public DownUnreachableMembers(ActorSystem system)
    {
        _after = system.Settings.Config.GetTimeSpan("actorcompile.cluster.down-unreachable-after", TimeSpan.FromSeconds(7));
    }

    public DownUnreachableMembers(ActorSystem system, AkkaCluster cluster) : this(system) { _ = cluster; }

    public TimeSpan DownRemovalMargin => TimeSpan.Zero;

    public Props DowningActorProps => Props.Create(() => new Downer(_after));

    private sealed class Downer : ReceiveActor, IWithTimers
    {
        private sealed class Tick : INoSerializationVerificationNeeded { public static readonly Tick Instance = new(); }

        private readonly TimeSpan _after;
        private readonly AkkaCluster _cluster = AkkaCluster.Get(Context.System);
        private readonly ILoggingAdapter _log = Context.GetLogger();
        private readonly Dictionary<UniqueAddress, DateTime> _since = new();

        public ITimerScheduler Timers { get; set; } = null!;

        public Downer(TimeSpan after)
        {
            _after = after;
            Receive<ClusterEvent.UnreachableMember>(m => _since.TryAdd(m.Member.UniqueAddress, DateTime.UtcNow));
            Receive<ClusterEvent.ReachableMember>(m => _since.Remove(m.Member.UniqueAddress));
            Receive<ClusterEvent.MemberRemoved>(m => _since.Remove(m.Member.UniqueAddress));
            Receive<ClusterEvent.IClusterDomainEvent>(_ => { });
            Receive<Tick>(_ =>
            {
                var now = DateTime.UtcNow;
                foreach (var (member, since) in _since.ToList())
                {
                    if (now - since < _after || member.Equals(_cluster.SelfUniqueAddress)) continue;
                    _log.Warning("downing {0}: unreachable for {1:0} s", member.Address, (now - since).TotalSeconds);
                    _cluster.Down(member.Address);
                    _since.Remove(member);
                }
            });
        }

        protected override void PreStart()
        {
            _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
                typeof(ClusterEvent.IReachabilityEvent), typeof(ClusterEvent.MemberRemoved));
            Timers.StartPeriodicTimer("tick", Tick.Instance, TimeSpan.FromSeconds(1));
        }

        protected override void PostStop() => _cluster.Unsubscribe(Self);
    }
}
