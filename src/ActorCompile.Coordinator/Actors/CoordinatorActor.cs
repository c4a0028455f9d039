using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using ActorCompile.Coordinator.Scheduling;
using ActorCompile.Coordinator.Status;
using ActorCompile.Protocol.Cluster;
using ActorCompile.Protocol.Messages;
using ActorCompile.Toolchain.Identity;
using ActorCompile.Toolchain.Jobs;

namespace ActorCompile.Coordinator.Actors;

/// <summary>
/// The coordinator role (/user/coordinator): learns workers from cluster membership, decides for each
/// wrapper request between a remote job and a local compile, keeps the queue that workers pull from, and
/// hands out the target's local slots (what make -l limits). Each job is supervised by a
/// <see cref="JobSupervisor"/> child. When every worker is busy and a local slot is free, the target
/// compiles queued jobs itself; workers that keep failing are backed off for a while. The decisions are
/// plain classes it asks: <see cref="WorkerRegistry{TRef}"/> (workers and their health),
/// <see cref="Placement"/> (the cluster or local, and why), <see cref="WorkQueue{TRef}"/> (which job a
/// worker pulls) and <see cref="LocalSlotPool"/> (whose turn a free local slot is).
/// </summary>
public sealed class CoordinatorActor : ReceiveActor, IWithTimers
{
    public const string Name = "coordinator";

    private sealed class Tick : INoSerializationVerificationNeeded { public static readonly Tick Instance = new(); }
    private sealed class HelpTick : INoSerializationVerificationNeeded { public static readonly HelpTick Instance = new(); }

    /// <summary>
    /// How long a job waits for a worker with its own toolchain before one that needs it shipped may take
    /// it: a native worker is preferred (nothing to ship), but a busy cluster does not leave helpers idle.
    /// </summary>
    private static readonly TimeSpan PreferNativeFor = TimeSpan.FromMilliseconds(500);

    private sealed record ShippingPrepared(OpenJob Open, ToolchainIdentity Toolchain, Shippable Result) : INoSerializationVerificationNeeded;

    private readonly CoordinatorSettings _settings;
    private readonly ToolchainShipping _shipping;
    /// <summary>Toolchains this node found shippable, by fingerprint (only root's compilers; see ToolchainShipping).</summary>
    private readonly Dictionary<string, ShippableToolchain> _shippable = new(StringComparer.Ordinal);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private readonly WorkerRegistry<IActorRef> _workers;
    private readonly WorkerAdmission<Address> _admission = new();
    /// <summary>Actor tests play workers with local probes; a node never sets this.</summary>
    private readonly bool _localProbesAreWorkers;
    private readonly WorkQueue<IActorRef> _queue;
    private readonly LocalSlotPool _slots;
    /// <summary>Each open session's local user (uid), for the fair share of local slots.</summary>
    private readonly Dictionary<IActorRef, uint> _users = new();
    /// <summary>Toolchains by compiler key, as each user's wrappers identified them (never shared between users).</summary>
    private readonly CallerAnswers<ToolchainIdentity> _toolchains = new(perUser: 256);
    /// <summary>Default header directories by include key, as each user's wrappers reported them (never shared between users).</summary>
    private readonly CallerAnswers<IReadOnlyList<string>> _systemIncludes = new(perUser: 1024);
    private readonly Dictionary<IActorRef, OpenJob> _awaitingToolchain = new();
    private readonly JobBook<IActorRef> _book = new();
    private long _nextJob;

    public ITimerScheduler Timers { get; set; } = null!;

    public CoordinatorActor(CoordinatorSettings settings, ToolchainShipping shipping, bool localProbesAreWorkers = false)
    {
        _settings = settings;
        _shipping = shipping;
        _localProbesAreWorkers = localProbesAreWorkers;
        _slots = new LocalSlotPool(settings.LocalSlots);
        _workers = new WorkerRegistry<IActorRef>(settings);
        _queue = new WorkQueue<IActorRef>(_workers, PreferNativeFor);

        Receive<ClusterEvent.MemberUp>(m => Greet(m.Member));
        Receive<ClusterEvent.MemberRemoved>(m => Forget(m.Member.Address));
        Receive<ClusterEvent.UnreachableMember>(m => SetReachable(m.Member.Address, false));
        Receive<ClusterEvent.ReachableMember>(m => SetReachable(m.Member.Address, true));
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<WorkerCapabilities>(OnCapabilities);
        Receive<Terminated>(OnTerminated);
        Receive<Tick>(_ => OnTick());
        Receive<HelpTick>(_ => HelpWithQueue());

        Receive<OpenJob>(m => Decide(m));
        Receive<ShippingPrepared>(m =>
        {
            if (!_book.HasSession(m.Open.Session)) return; // the wrapper went away meanwhile
            if (m.Result.Toolchain is { } ship) _shippable.TryAdd(m.Toolchain.Fingerprint, ship);
            else _log.Info("{0} is not shipped: {1}", m.Toolchain, m.Result.Reason);
            Decide(m.Open, m.Result);
        });
        Receive<ToolchainLearned>(m =>
        {
            _toolchains.Set(m.CallerUid, m.CompilerKey, m.Identity);
            if (_awaitingToolchain.Remove(m.Session, out var open)) Decide(open);
        });
        Receive<RequestLocalSlot>(m =>
        {
            _book.SessionWaits(m.Session, m.Session.Path.Name, m.Source, DateTime.UtcNow);
            GrantLocal(m.Session, new LocalGranted(m.Reason, m.Quiet, m.Confirm));
        });
        Receive<ReleaseLocalSlot>(m => ReleaseSlot(m.Session));
        Receive<LocalFinished>(m =>
        {
            _book.LocalCompileFinished();
            ReleaseSlot(m.Session);
        });
        Receive<SystemIncludesLearned>(m => _systemIncludes.Set(m.CallerUid, m.Key, m.Directories));
        Receive<SubmitJob>(m => Submit(m.Spec));
        Receive<Discrepancy>(m =>
        {
            _log.Warning("discrepancy on worker {0} for {1}: {2}", m.WorkerAddress, m.Source, m.Details);
            _workers.Discrepancy(m.WorkerId);
        });

        Receive<CacheCounted>(m => _book.Count(m.Outcome, m.Bytes));
        Receive<ScanCounted>(m => _book.Count(m.Outcome));
        Receive<CacheDiscrepancy>(m =>
        {
            _book.CacheDiscrepancy();
            _log.Warning("discrepancy in the result cache for {0}: {1}; the result is dropped and {2}, which answers for it, is trusted no more", m.Source, m.Details, m.Accountable);
            _workers.Distrust(m.Accountable, DateTime.UtcNow);
        });

        Receive<RequestWork>(OnRequestWork);
        Receive<Requeue>(m =>
        {
            if (!_book.TryGetJob(m.JobId, out var job)) return;
            Enqueue(new QueuedJob(m.JobId, m.Fingerprint, job.Bytes, m.ExcludedWorkers, job.Blobs, DateTime.UtcNow, _shippable.GetValueOrDefault(m.Fingerprint)));
            DropJobsWithoutWorkers();
        });
        Receive<JobPhase>(m => _book.Phase(m.JobId, m.Phase, m.Worker));
        Receive<JobEnded>(m =>
        {
            if (_book.Ended(m.JobId, m.Remote, DateTime.UtcNow) is not null) _queue.Remove(m.JobId);
            if (m.Remote) _workers.Succeeded(m.WorkerId);
        });
        Receive<WorkerFailed>(m =>
        {
            if (_workers.Failed(m.WorkerId, DateTime.UtcNow) is not { } w) return;
            _log.Warning("worker {0} failed {1} jobs in a row ({2}); no work for it for {3:0} s",
                w.Address, _settings.BackoffAfterFailures, m.Reason, _settings.BackoffDuration.TotalSeconds);
        });
    }

    public static Props Props(CoordinatorSettings settings, ToolchainShipping shipping) =>
        Akka.Actor.Props.Create(() => new CoordinatorActor(settings, shipping, false));

    /// <summary>For actor tests whose workers are local probes: any local actor that names itself may register as a worker.</summary>
    internal static Props PropsWithLocalProbesAsWorkers(CoordinatorSettings settings, ToolchainShipping? shipping = null) =>
        Akka.Actor.Props.Create(() => new CoordinatorActor(settings, shipping ?? new ToolchainShipping(), true));

    protected override void PreStart()
    {
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
        Timers.StartPeriodicTimer("tick", Tick.Instance, TimeSpan.FromSeconds(1));
    }

    /// <summary>
    /// The help timer runs only while jobs wait in the queue: an idle target does not wake every 75 ms for
    /// nothing (measured: ./build.sh bench --only footprint, idle wake-ups of the coordinator).
    /// </summary>
    private void StartHelpTimer()
    {
        if (!Timers.IsTimerActive("help"))
            Timers.StartPeriodicTimer("help", HelpTick.Instance, TimeSpan.FromMilliseconds(Math.Max(20, _settings.HelpDelay.TotalMilliseconds / 2)));
    }

    protected override void PostStop() => _cluster.Unsubscribe(Self);

    /// <summary>
    /// A job's supervisor that throws is stopped, never restarted: a restart would keep its name and lose its
    /// state (the worker, the phase), and its wrapper would wait for nothing. Stopped, it hands the job to a
    /// local compile (JobSupervisor.PostStop).
    /// </summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    private Address FullAddress(IActorRef actor) => _cluster.NodeOf(actor);

    // ---- workers ----

    private void Greet(Member member)
    {
        if (!member.HasRole("worker") || _workers.OnNode(member.Address.ToString())) return;
        _admission.Greet(member.Address);
        Context.ActorSelection(new RootActorPath(member.Address) / "user" / "worker").Tell(new CoordinatorHello(Self));
    }

    private void OnCapabilities(WorkerCapabilities m)
    {
        var address = FullAddress(Sender);
        bool admitted = _localProbesAreWorkers && Sender.Path.Address.HasLocalScope && Sender.Equals(m.Worker)
            || _admission.Admits(address, Sender.Equals(m.Worker), Sender.Path.Elements is ["user", "worker"],
                _cluster.State.Members.Any(x => x.Address == address && x.HasRole("worker")));
        if (!admitted)
        {
            if (_admission.LogRefusal(address))
                _log.Warning("ignored worker capabilities from {0}: not the worker actor of a member with the worker role that this coordinator greeted", Sender.Path);
            return;
        }
        bool refusedBefore = _workers.TryGet(m.Worker, out var before) && before.Refusal is not null;
        var offer = new WorkerOffer(m.Slots, m.MaxJobBytes, m.Toolchains.Select(t => t.Fingerprint).ToArray(), m.ShippedArchitectures ?? Array.Empty<string>(), m.Refusal);
        var entry = _workers.Offer(m.Worker, address.ToString(), address.HostAndPort(), m.Worker.Path.ToStringWithAddress(address), offer, out bool isNew);
        if (isNew)
        {
            Context.Watch(m.Worker);
            _log.Info("worker {0} offers {1} slots for jobs up to {2}: {3}", entry.Address, m.Slots, Sizes.Format(m.MaxJobBytes),
                string.Join("; ", m.Toolchains.Select(t => $"{t.Names} {t.Version} {t.Target} {t.Fingerprint[..12]}")));
        }
        if (m.Refusal is not null && !refusedBefore) _log.Warning("worker {0} serves no job: {1}", entry.Address, m.Refusal);
        if (_queue.Count > 0) m.Worker.Tell(new WorkAvailable(Self));
    }

    private void Forget(Address address)
    {
        _admission.Left(address);
        foreach (var w in _workers.ForgetNode(address.ToString())) Left(w);
    }

    private void Left(KnownWorker<IActorRef> w)
    {
        _log.Info("worker {0} left", w.Address);
        DropJobsWithoutWorkers();
    }

    private void SetReachable(Address address, bool reachable)
    {
        _workers.SetReachable(address.ToString(), reachable);
        if (reachable) return;
        // Jobs on an unreachable worker move now, not when the member is finally removed.
        foreach (var child in Context.GetChildren()) child.Tell(new MemberUnreachable(address));
        DropJobsWithoutWorkers();
    }

    private void OnTerminated(Terminated t)
    {
        if (_workers.Forget(t.ActorRef) is { } w)
        {
            Left(w);
            return;
        }
        // A wrapper session went away: its slot and its place in the slot queue are free again.
        _awaitingToolchain.Remove(t.ActorRef);
        _users.Remove(t.ActorRef);
        ReleaseSlot(t.ActorRef);
    }

    private void OnTick()
    {
        // Members come up before their worker actor exists: greet again until the worker answers.
        foreach (var address in _admission.Unanswered)
            Context.ActorSelection(new RootActorPath(address) / "user" / "worker").Tell(new CoordinatorHello(Self));
        DropJobsWithoutWorkers();
        Context.System.EventStream.Publish(Snapshot());
    }

    // ---- wrapper requests ----

    /// <param name="shipping">The answer to "can the node ship this compiler", once it is known.</param>
    private void Decide(OpenJob open, Shippable? shipping = null)
    {
        Context.Watch(open.Session);
        _users[open.Session] = open.CallerUid;
        _book.SessionWaits(open.Session, open.Session.Path.Name, open.Source, DateTime.UtcNow);
        if (_toolchains.Get(open.CallerUid, open.CompilerKey) is not { } toolchain)
        {
            _awaitingToolchain[open.Session] = open;
            open.Session.Tell(AskToolchain.Instance);
            return;
        }
        switch (Placement.Decide(toolchain, _workers, DateTime.UtcNow, _shippable.ContainsKey(toolchain.Fingerprint), asked: shipping is not null, shipping?.Reason))
        {
            case PlacementDecision.FindWhetherShippable:
                // Helpers would take it shipped: the node finds the compiler's files first (once per compiler).
                _shipping.PrepareAsync(open.CompilerPath, toolchain)
                    .PipeTo(Self, success: r => new ShippingPrepared(open, toolchain, r), failure: e => new ShippingPrepared(open, toolchain, new Shippable(null, e.Message)));
                return;
            case PlacementDecision.Local local:
                if (!_workers.AnyOffers(toolchain.Fingerprint)) _book.Unserved(toolchain);
                GrantLocal(open.Session, new LocalGranted(local.Why, Quiet: false));
                return;
        }
        var dirs = open.SystemIncludeKey is { } key ? _systemIncludes.Get(open.CallerUid, key) : null;
        GrantLocal(open.Session, new PreprocessGranted(dirs, toolchain));
    }

    private void GrantLocal(IActorRef session, object grant)
    {
        Context.Watch(session);
        // A session unknown here (none should be) shares one anonymous user's turn.
        if (_slots.Request(session, _users.GetValueOrDefault(session, uint.MaxValue), grant)) Granted(session, grant);
    }

    private void Granted(IActorRef session, object grant)
    {
        _book.SessionGranted(session, grant is PreprocessGranted ? SessionPhase.Preprocessing : SessionPhase.Local, DateTime.UtcNow);
        session.Tell(grant);
    }

    private void ReleaseSlot(IActorRef session)
    {
        _book.SessionEnded(session, _slots.Holds(session), DateTime.UtcNow);
        foreach (var (next, grant) in _slots.Release(session)) Granted(next, grant);
        HelpWithQueue();
    }

    private void Submit(JobSpec spec)
    {
        ReleaseSlot(spec.Session);
        var id = $"{spec.JobId}-{++_nextJob}";
        var supervisor = Context.ActorOf(JobSupervisor.Props(spec with { JobId = id }, _settings, _shipping), "job-" + id);
        var blobs = spec.BlobHashes.ToArray();
        _book.Submitted(id, new BookedJob<IActorRef>(spec.Source, DateTime.UtcNow, supervisor, spec.Session, spec.InputBytes, blobs));
        var job = new QueuedJob(id, spec.Toolchain.Fingerprint, spec.InputBytes, Array.Empty<string>(), blobs, DateTime.UtcNow,
            _shippable.GetValueOrDefault(spec.Toolchain.Fingerprint));
        // A job that no worker can take compiles locally now, not after a timeout.
        if (_queue.NoWorkerFor(job, DateTime.UtcNow) is { } why) supervisor.Tell(new NoEligibleWorker(why));
        else Enqueue(job);
    }

    // ---- the queue that workers pull from ----

    private void Enqueue(QueuedJob job)
    {
        foreach (var idle in _queue.Add(job, DateTime.UtcNow)) idle.Tell(new WorkAvailable(Self));
        StartHelpTimer();
    }

    /// <summary>Jobs that no available worker may take any more go back to their wrappers as local compiles.</summary>
    private void DropJobsWithoutWorkers()
    {
        foreach (var (job, why) in _queue.TakeStranded(DateTime.UtcNow))
            if (_book.TryGetJob(job.JobId, out var info)) info.Supervisor.Tell(new NoEligibleWorker(why));
    }

    /// <summary>
    /// The target is a helper for itself: while a local slot is free, nobody waits for one, and the oldest
    /// job has waited in the queue (every worker busy) longer than the help delay, its wrapper compiles it.
    /// </summary>
    private void HelpWithQueue()
    {
        if (_queue.Count == 0)
        {
            Timers.Cancel("help");
            return;
        }
        var now = DateTime.UtcNow;
        while (_slots.Busy < _slots.Capacity && _slots.Waiting == 0 && _queue.TakeWaitingLongerThan(_settings.HelpDelay, now) is { } first)
        {
            if (!_book.TryGetJob(first.JobId, out var job)) continue;
            job.Supervisor.Tell(CompileHere.Instance);
            _book.SessionWaits(job.Session, job.Session.Path.Name, job.Source, now);
            GrantLocal(job.Session, new LocalGranted("every worker is busy: the target compiles this one", Quiet: true));
        }
    }

    private void OnRequestWork(RequestWork m)
    {
        // A worker asks for itself: a request naming another actor could steer a job there, so it gets no answer.
        if (!Sender.Equals(m.Worker)) return;
        if (_queue.Pull(m.Worker, DateTime.UtcNow) is { } pulled && _book.TryGetJob(pulled.Job.JobId, out var job)
            && _workers.TryGet(m.Worker, out var worker))
        {
            job.Supervisor.Tell(new Assign(m.Worker, worker.Id, worker.Address, m.RequestId, pulled.Send, pulled.Native ? null : pulled.Job.Ship));
            return;
        }
        m.Worker.Tell(new NoWork(m.RequestId));
    }

    // ---- status ----

    private CoordinatorSnapshot Snapshot() =>
        _book.Snapshot(DateTime.UtcNow, _queue.Count, _slots.ByUser().Select(u => new LocalSlotUser(u.User, u.Held, u.Waiting)).ToArray(),
            _slots.Capacity, _slots.Busy, _slots.Holds, _workers.Health(DateTime.UtcNow), _workers.AnyOffers, _shipping.BytesSent);
}
