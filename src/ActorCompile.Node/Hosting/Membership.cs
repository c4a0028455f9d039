using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Akka.Remote;

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
    private ActorSystem? _system;

    public Address? Self { get { lock (_gate) return _self; } }
    public IReadOnlyList<Address> LastKnownOthers { get { lock (_gate) return _others; } }

    /// <summary>The cluster removed this node (downed by the split-brain resolver, by another member, or made to leave by one).</summary>
    public bool RemovedFromCluster
    {
        get { lock (_gate) return IsRemoval(_reason); }
    }

    /// <summary>
    /// A TLS handshake this node started with another node failed, and Akka.Remote stopped the actor system for it
    /// (it does so for every client-side handshake failure, since 1.5.50; a failure on the accepting side only closes
    /// that connection). The peer need not be at fault either: a member that shuts down or crashes while this node
    /// dials it closes the connection mid-handshake (seen when a downed coordinator started again and dialled the
    /// member that had downed it as that member left). Such a node starts again and rejoins, as a removed one does,
    /// instead of ending: one departing or hostile peer must not take a member out of the cluster.
    /// </summary>
    public bool LostATlsHandshake
    {
        get { lock (_gate) return IsTlsFailure(_reason); }
    }

    private static bool IsRemoval(CoordinatedShutdown.Reason? reason) =>
        reason is CoordinatedShutdown.ClusterDowningReason or CoordinatedShutdown.ClusterLeavingReason or MembershipWatch.QuarantinedByMemberReason;

    private static bool IsTlsFailure(CoordinatedShutdown.Reason? reason) => reason?.GetType().FullName == TlsHandshakeFailureReason;

    /// <summary>Akka.Remote's reason for that stop: an internal type, known here by its name (MembershipRecordTests finds it in Akka.Remote).</summary>
    public const string TlsHandshakeFailureReason = "Akka.Remote.Transport.DotNetty.TlsHandshakeFailureReason";

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

    /// <summary>The node's actor system, given as it starts (before the node's actors), for <see cref="CompleteFromSystem"/>.</summary>
    public void SetSystem(ActorSystem system) { lock (_gate) _system ??= system; }

    /// <summary>
    /// Whether the actor system began to stop for one of the reasons after which a node starts again (a removal, a
    /// dropped TLS handshake): a failure of the host's start is then that stop's. A hosted service that fails to
    /// start (a socket in a directory others may write to) has the host terminate the system, and stays an error.
    /// </summary>
    public bool SystemStoppedOnItsOwn => SystemsReason() is var reason && (IsRemoval(reason) || IsTlsFailure(reason));

    /// <summary>Why the actor system stopped, as it says itself (null while it runs, or before <see cref="SetSystem"/>).</summary>
    private CoordinatedShutdown.Reason? SystemsReason()
    {
        ActorSystem? system;
        lock (_gate) system = _system;
        return system is null ? null : CoordinatedShutdown.Get(system).ShutdownReason;
    }

    /// <summary>
    /// Takes what <see cref="MembershipWatch"/> had no chance to record from the stopped actor system itself: its
    /// cluster address and why it stopped. Akka joins the seeds as the system starts, before the node's actors do:
    /// a seed that dropped that first TLS handshake stopped the system before the watch registered its task, and
    /// such a node ended with exit code 1 instead of starting again. What the watch recorded stays first.
    /// </summary>
    public void CompleteFromSystem()
    {
        ActorSystem? system;
        lock (_gate) system = _system;
        if (system is null) return;
        var reason = SystemsReason();
        Address? self = system.HasExtension<Cluster>() ? Cluster.Get(system).SelfAddress : null;
        lock (_gate)
        {
            _self ??= self;
            _reason ??= reason;
        }
    }
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

    /// <summary>
    /// A member quarantined this node: it removed this node (in Akka's classic remoting a quarantine is final
    /// until this system starts again), usually while this node could not hear it (stopped, starved, cut off).
    /// </summary>
    public sealed class QuarantinedByMemberReason : CoordinatedShutdown.Reason
    {
        public static readonly QuarantinedByMemberReason Instance = new();

        public override int ExitCode => 1;
    }

    private readonly MembershipRecord _record;
    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<IActorRef, string> _roleActors = new();

    private readonly RememberedMembers? _remembered;

    public MembershipWatch(MembershipRecord record, IReadOnlyDictionary<string, IActorRef> roleActors, RememberedMembers? remembered = null)
    {
        _record = record;
        _remembered = remembered;
        foreach (var (name, actor) in roleActors)
        {
            _roleActors[actor] = name;
            Context.Watch(actor);
        }
        _known = new KnownMembers(_cluster.SelfAddress);
        Receive<ClusterEvent.IMemberEvent>(Remember);
        Receive<ClusterEvent.CurrentClusterState>(Remember);
        Receive<Terminated>(t => OnRoleActorStopped(t.ActorRef));
        Receive<ThisActorSystemQuarantinedEvent>(OnQuarantined);
        Receive<ClusterEvent.UnreachableMember>(m =>
        {
            _unreachable.Add(m.Member.Address);
            if (_quarantinedBy.Contains(m.Member.Address)) StartAgain(m.Member.Address);
        });
        Receive<ClusterEvent.ReachableMember>(m =>
        {
            ActorCompile.Protocol.Cluster.FailedDials.Process.Record(m.Member.Address, failed: false);
            // It talks to this node again: whatever it quarantined was an older incarnation of this address.
            _unreachable.Remove(m.Member.Address);
            _quarantinedBy.Remove(m.Member.Address);
        });
    }

    public static Props Props(MembershipRecord record, IReadOnlyDictionary<string, IActorRef> roleActors, RememberedMembers? remembered = null) =>
        Akka.Actor.Props.Create(() => new MembershipWatch(record, roleActors, remembered));

    protected override void PreStart()
    {
        _record.SetSelf(_cluster.SelfAddress);
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot, typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
        Context.System.EventStream.Subscribe(Self, typeof(ThisActorSystemQuarantinedEvent));
        // Runs in every stop, first of all phases: the reason is known before the actor system goes.
        var shutdown = CoordinatedShutdown.Get(Context.System);
        var record = _record;
        shutdown.AddTask(CoordinatedShutdown.PhaseBeforeServiceUnbind, "record-shutdown-reason", () =>
        {
            record.SetShutdownReason(shutdown.ShutdownReason);
            return Task.FromResult(Akka.Done.Instance);
        });
    }

    protected override void PostStop()
    {
        _cluster.Unsubscribe(Self);
        Context.System.EventStream.Unsubscribe(Self);
    }

    private readonly HashSet<Address> _quarantinedBy = new();
    private readonly HashSet<Address> _unreachable = new();

    /// <summary>
    /// A member refused this node's association because it quarantined it: the cluster removed this node while
    /// it could not hear (a node stopped with SIGSTOP, or starved, and resumed). Its own split-brain resolver
    /// may meanwhile have downed the others from its stale view and left it a cluster of one that looks up,
    /// so the quarantine is the verdict that counts: the node starts again in place and rejoins. Only a
    /// quarantine by a node this one knew as a member counts (anyone else is no verdict on membership), and
    /// only once that member is unreachable from here: a member that removes an older incarnation of this
    /// address (this node was killed and started again) may say "quarantined" about that one while it
    /// talks to this one (the event names no incarnation), and a member that still answers has not removed this node.
    /// </summary>
    private void OnQuarantined(ThisActorSystemQuarantinedEvent e)
    {
        if (!_known.Knows(e.RemoteAddress)) return;
        _quarantinedBy.Add(e.RemoteAddress);
        if (_unreachable.Contains(e.RemoteAddress)) StartAgain(e.RemoteAddress);
    }

    private void StartAgain(Address quarantinedBy)
    {
        var shutdown = CoordinatedShutdown.Get(Context.System);
        if (shutdown.ShutdownReason is not null) return;
        _log.Warning("member {0} quarantined this node and no longer answers it: the cluster removed it; starting again to rejoin", quarantinedBy);
        // Down in its own view first: a node that is down skips the graceful leave, which would otherwise wait
        // for members that no longer answer it (about 8 s, until its own resolver downed them all).
        _cluster.Down(_cluster.SelfAddress);
        shutdown.Run(QuarantinedByMemberReason.Instance);
    }

    private readonly KnownMembers _known;

    private void Remember(ClusterEvent.IMemberEvent change)
    {
        // A member up is reached, whichever side dialled: a dial that failed earlier no longer counts against it.
        if (change is ClusterEvent.MemberUp up) ActorCompile.Protocol.Cluster.FailedDials.Process.Record(up.Member.Address, failed: false);
        if (change is ClusterEvent.MemberRemoved removed) _known.Removed(removed.Member.Address, removed.PreviousStatus);
        else _known.Changed(change.Member.Address, change.Member.Status);
        Keep();
    }

    private void Remember(ClusterEvent.CurrentClusterState state)
    {
        _known.Snapshot(state.Members.Select(m => (m.Address, m.Status)));
        foreach (var m in state.Unreachable) _unreachable.Add(m.Address);
        Keep();
    }

    /// <summary>The rejoin seeds for a removal (in memory), and the members up now for a restart from nothing (on disk).</summary>
    private void Keep()
    {
        _record.SetOthers(_known.Others);
        if (_remembered is not null && _known.UpOthers is { } up)
        {
            var log = _log;
            _remembered.Save(up, problem => log.Warning(problem));
        }
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

/// <summary>
/// The members a node knows, from its own cluster events (never from Cluster.State, which another actor
/// updates later than this one hears the events): the current view, and the others it remembers as the
/// seeds of a rejoin. Others are remembered while this node is itself up (once it is down, the view is
/// the others' verdict on it). A member stays remembered when it is downed, since this node's own view
/// may be the stale one (it resumed after a stop and downed everyone it could not hear): dropping those
/// would leave a rejoin nowhere to go. Only a member that left (removed after exiting) is forgotten; a
/// dead address among the seeds costs nothing, Akka joins whichever seed answers.
/// </summary>
public sealed class KnownMembers
{
    /// <summary>Most addresses kept as the seeds of a rejoin; the most recently seen stay.</summary>
    public const int MaxRemembered = 16;

    private readonly Address _self;
    private readonly Dictionary<Address, MemberStatus> _view = new();
    private readonly List<Address> _others = new();

    public KnownMembers(Address self) => _self = self;

    /// <summary>The others to rejoin through, least recently seen first.</summary>
    public IReadOnlyList<Address> Others => _others.ToArray();

    /// <summary>The other members up now (joining, up or leaving) while this node is itself up; null while it is not.</summary>
    public IReadOnlyList<Address>? UpOthers =>
        _view.TryGetValue(_self, out var own) && own == MemberStatus.Up
            ? _view.Where(m => !m.Key.Equals(_self) && m.Value is MemberStatus.Up or MemberStatus.Joining or MemberStatus.WeaklyUp or MemberStatus.Leaving)
                .Select(m => m.Key).OrderBy(a => a.ToString(), StringComparer.Ordinal).Take(MaxRemembered).ToArray()
            : null;

    /// <summary>Whether the address is, or was while this node was up, a member of this node's cluster.</summary>
    public bool Knows(Address address) => _view.ContainsKey(address) || _others.Contains(address);

    public void Snapshot(IEnumerable<(Address Address, MemberStatus Status)> members)
    {
        _view.Clear();
        foreach (var (address, status) in members) _view[address] = status;
        Update();
    }

    public void Changed(Address address, MemberStatus status)
    {
        _view[address] = status;
        Update();
    }

    public void Removed(Address address, MemberStatus previous)
    {
        _view.Remove(address);
        if (previous == MemberStatus.Exiting) _others.Remove(address);
        Update();
    }

    private void Update()
    {
        if (!_view.TryGetValue(_self, out var own) || own != MemberStatus.Up) return;
        foreach (var (address, status) in _view)
        {
            if (address.Equals(_self) || status is not (MemberStatus.Up or MemberStatus.Joining or MemberStatus.WeaklyUp or MemberStatus.Leaving)) continue;
            _others.Remove(address);
            _others.Add(address);
        }
        if (_others.Count > MaxRemembered) _others.RemoveRange(0, _others.Count - MaxRemembered);
    }
}
