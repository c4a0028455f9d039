using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;

namespace ActorCompile.Node.Hosting;

/// <summary>
/// What the node knows of its own membership when its actor system stops: its address, the members it
/// last saw while it was up (the seeds of a rejoin), and why the system stopped.
/// </summary>
public sealed class MembershipRecord
{
    private readonly object _gate = new();
    private Address? _self;
    private IReadOnlyList<Address> _others = Array.Empty<Address>();
    private CoordinatedShutdown.Reason? _reason;
    private string? _roleActorStopped;

    public Address? Self { get { lock (_gate) return _self; } }
    public IReadOnlyList<Address> LastKnownOthers { get { lock (_gate) return _others; } }

    /// <summary>The cluster removed this node (downed by the split-brain resolver, by another member, or made to leave by one).</summary>
    public bool RemovedFromCluster
    {
        get { lock (_gate) return _reason is CoordinatedShutdown.ClusterDowningReason or CoordinatedShutdown.ClusterLeavingReason; }
    }

    /// <summary>
    /// The host stopped the actor system (Akka.Hosting gives ClrExitReason): only its lifetime's SIGTERM or SIGINT
    /// stops the host, since the node itself never asks it to (a stop of its own has another reason, recorded first).
    /// The host's signal handler and <see cref="StopSignals"/>' run in no fixed order on the runtime's signal thread,
    /// and the host's may finish the whole stop before the other has run (seen under load): this is the other witness.
    /// </summary>
    public bool StoppedByHost
    {
        get { lock (_gate) return _reason is CoordinatedShutdown.ClrExitReason && _roleActorStopped is null; }
    }

    public string Describe()
    {
        lock (_gate)
            return _roleActorStopped is not null ? $"its {_roleActorStopped} actor stopped" : $"its actor system stopped ({_reason?.GetType().Name ?? "no reason given"})";
    }

    internal void SetSelf(Address self) { lock (_gate) _self = self; }

    internal void SetOthers(IReadOnlyList<Address> others) { lock (_gate) _others = others; }

    internal void SetShutdownReason(CoordinatedShutdown.Reason? reason) { lock (_gate) _reason ??= reason; }

    internal void SetRoleActorStopped(string name) { lock (_gate) _roleActorStopped ??= name; }
}

/// <summary>
/// Keeps the <see cref="MembershipRecord"/> current (/user/membership), and stops the node when one of its
/// role actors (worker, coordinator, status) stops while nothing asked it to: a node must not look up
/// while it serves nothing. Such a stop ends the process with exit code 1, for its service manager to
/// restart it.
/// </summary>
public sealed class MembershipWatch : ReceiveActor
{
    /// <summary>The reason given to CoordinatedShutdown when a role actor stopped on its own.</summary>
    public sealed class RoleActorStoppedReason : CoordinatedShutdown.Reason
    {
        public static readonly RoleActorStoppedReason Instance = new();

        public override int ExitCode => 1;
    }

    private readonly MembershipRecord _record;
    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<IActorRef, string> _roleActors = new();

    public MembershipWatch(MembershipRecord record, IReadOnlyDictionary<string, IActorRef> roleActors)
    {
        _record = record;
        foreach (var (name, actor) in roleActors)
        {
            _roleActors[actor] = name;
            Context.Watch(actor);
        }
        Receive<ClusterEvent.IMemberEvent>(_ => Remember());
        Receive<ClusterEvent.CurrentClusterState>(_ => Remember());
        Receive<Terminated>(t => OnRoleActorStopped(t.ActorRef));
    }

    public static Props Props(MembershipRecord record, IReadOnlyDictionary<string, IActorRef> roleActors) =>
        Akka.Actor.Props.Create(() => new MembershipWatch(record, roleActors));

    protected override void PreStart()
    {
        _record.SetSelf(_cluster.SelfAddress);
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot, typeof(ClusterEvent.IMemberEvent));
        // Runs in every stop, first of all phases: the reason is known before the actor system goes.
        var shutdown = CoordinatedShutdown.Get(Context.System);
        var record = _record;
        shutdown.AddTask(CoordinatedShutdown.PhaseBeforeServiceUnbind, "record-shutdown-reason", () =>
        {
            record.SetShutdownReason(shutdown.ShutdownReason);
            return Task.FromResult(Akka.Done.Instance);
        });
    }

    protected override void PostStop() => _cluster.Unsubscribe(Self);

    /// <summary>The other members, as long as this node is itself up: once it is down, the view is the others' verdict on it.</summary>
    private void Remember()
    {
        var state = _cluster.State;
        var self = state.Members.FirstOrDefault(m => m.UniqueAddress.Equals(_cluster.SelfUniqueAddress));
        if (self is null || self.Status != MemberStatus.Up) return;
        _record.SetOthers(state.Members
            .Where(m => !m.UniqueAddress.Equals(_cluster.SelfUniqueAddress) && m.Status is MemberStatus.Up or MemberStatus.Joining or MemberStatus.WeaklyUp or MemberStatus.Leaving)
            .Select(m => m.Address)
            .ToArray());
    }

    private void OnRoleActorStopped(IActorRef actor)
    {
        if (!_roleActors.TryGetValue(actor, out var name)) return;
        var shutdown = CoordinatedShutdown.Get(Context.System);
        if (shutdown.ShutdownReason is not null) return; // the node is stopping anyway
        _log.Error("the {0} actor stopped while the node was running; stopping the node (exit code 1) for its service manager to restart it", name);
        _record.SetRoleActorStopped(name);
        shutdown.Run(RoleActorStoppedReason.Instance);
    }
}

/// <summary>SIGTERM and SIGINT: the only ways this node stops with exit code 0 (see also <see cref="MembershipRecord.StoppedByHost"/>).</summary>
public sealed class StopSignals : IDisposable
{
    private readonly PosixSignalRegistration[] _registrations;
    private volatile bool _received;

    private StopSignals()
    {
        // Only noted here; the host's own handlers do the stopping (a graceful leave).
        _registrations = new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT }
            .Select(s => PosixSignalRegistration.Create(s, _ => _received = true))
            .ToArray();
    }

    public static StopSignals Watch() => new();

    public bool Received => _received;

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
    }
}
