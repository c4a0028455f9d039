using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using ActorCompile.Protocol.Cluster;
using ActorCompile.Protocol.Messages;
using ActorCompile.Worker.Execution;
using ActorCompile.Worker.Toolchains;

namespace ActorCompile.Worker.Actors;

/// <summary>
/// The worker role (/user/worker). Answers coordinators with what it offers, and pulls work: one
/// RequestWork per free slot, spread round-robin over the coordinators that have work, so that it never
/// holds more jobs than its slots and two targets sharing it both make progress. Each job runs in a
/// <see cref="JobRunner"/> child.
/// </summary>
public sealed class WorkerActor : ReceiveActor, IWithTimers
{
    public const string Name = "worker";

    /// <summary>Asks the worker for its own report (for the status of this node).</summary>
    public sealed class GetReport : INoSerializationVerificationNeeded { public static readonly GetReport Instance = new(); }

    private sealed class Tick : INoSerializationVerificationNeeded { public static readonly Tick Instance = new(); }
    private sealed record LoadRead(double Load) : INoSerializationVerificationNeeded;

    private readonly WorkerSettings _settings;
    private readonly ToolchainStore _store;
    private readonly JobConfinement _confinement;
    private readonly ShippingPolicy _shipping;
    private readonly WorkerParts _parts;
    /// <summary>The machine's load average, read off this thread each tick.</summary>
    private double _load;
    /// <summary>Shipped toolchains whose files are on their way, with how many jobs fetch them.</summary>
    private readonly Dictionary<string, (string Fingerprint, long Bytes, int Jobs)> _transferring = new(StringComparer.Ordinal);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly string _address;
    private readonly WorkRequests<Address, IActorRef> _requests;
    private readonly Dictionary<string, IActorRef> _running = new(StringComparer.Ordinal);
    private readonly Queue<double> _recentSeconds = new();
    private long _completed;
    private long _failed;
    private string _lastFailure = "";
    private int _peakRunning;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="parts">Its stores, confinement and shipping policy, opened before the actor starts (they read disks and run programs).</param>
    public WorkerActor(WorkerParts parts)
    {
        _settings = parts.Settings;
        _store = parts.Store;
        _confinement = parts.Confinement;
        _shipping = parts.Shipping;
        _parts = parts;
        _requests = new WorkRequests<Address, IActorRef>(parts.Settings.Slots);
        _address = Cluster.Get(Context.System).SelfAddress.HostAndPort();

        Receive<CoordinatorHello>(hello => hello.Coordinator is not null, hello =>
        {
            // Admission happened at the transport (AdmittingTransport): a hello reaches this actor only over
            // a connection from an allowed network, judged by the socket's address. The address a
            // coordinator declares is a claim, so it is not checked again here.
            var address = FullAddress(hello.Coordinator);
            if (_requests.Serve(address, hello.Coordinator))
            {
                Context.Watch(hello.Coordinator);
                _log.Info("serving coordinator {0}", address);
            }
            hello.Coordinator.Tell(Capabilities());
            Pull();
        });
        Receive<WorkAvailable>(m => m.Coordinator is not null, m =>
        {
            _requests.WorkAvailable(FullAddress(m.Coordinator));
            Pull();
        });
        Receive<NoWork>(m =>
        {
            _requests.NoWork(m.RequestId);
            Pull();
        });
        Receive<CompileJob>(OnJob);
        // The runner acts only on its own supervisor's word: the sender travels with the forward.
        Receive<CancelJob>(m => m.JobId is not null, m =>
        {
            if (_running.TryGetValue(m.JobId, out var runner)) runner.Forward(m);
        });
        Receive<JobRunner.Finished>(f =>
        {
            _running.Remove(f.JobId);
            if (f.Succeeded)
            {
                _completed++;
                _recentSeconds.Enqueue(f.Milliseconds / 1000.0);
                while (_recentSeconds.Count > 50) _recentSeconds.Dequeue();
            }
            else if (!f.Cancelled)
            {
                _failed++;
                _lastFailure = f.FailureReason ?? "";
            }
            Pull();
        });
        Receive<Terminated>(t =>
        {
            var address = FullAddress(t.ActorRef);
            if (_requests.Gone(address))
            {
                _log.Info("coordinator {0} is gone", address);
                Pull();
            }
        });
        Receive<JobRunner.Transferring>(t =>
        {
            var jobs = _transferring.GetValueOrDefault(t.ToolchainId).Jobs + (t.Active ? 1 : -1);
            if (jobs <= 0) _transferring.Remove(t.ToolchainId);
            else _transferring[t.ToolchainId] = (t.Fingerprint, t.Bytes, jobs);
        });
        Receive<Tick>(_ => OnTick());
        Receive<LoadRead>(m =>
        {
            _load = m.Load;
            Context.System.EventStream.Publish(Report());
        });
        Receive<GetReport>(_ => Sender.Tell(Report()));
    }

    /// <summary>
    /// A job runner that throws is stopped, never restarted: a restart would run the same job again, and a
    /// job that makes it throw would do so for ever. Its PostStop answers the job's supervisor.
    /// </summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    public static Props Props(WorkerParts parts) => Akka.Actor.Props.Create(() => new WorkerActor(parts));

    private Address FullAddress(IActorRef actor) => Cluster.Get(Context.System).NodeOf(actor);

    protected override void PreStart()
    {
        // Emptied and made before the actor system started (JobWorkspace.ClearAll, WorkerParts.Open): no disk on this thread.
        Timers.StartPeriodicTimer("tick", Tick.Instance, TimeSpan.FromSeconds(1));
        _log.Info("compilers run {0}", _confinement.Description);
        _log.Info("shipped toolchains: {0}", _shipping.Description);
        if (_confinement.Refusal is not null) _log.Error("this worker serves no job: {0}", _confinement.Refusal);
        _log.Info("worker ready: {0} slots, toolchains {1}", _settings.Slots,
            string.Join("; ", _settings.Toolchains.Select(t => $"{string.Join('/', t.Names)} = {t.Identity}")));
    }

    private WorkerCapabilities Capabilities() => new(
        Self,
        _address,
        _settings.Slots,
        _settings.Cores,
        _settings.Toolchains.Select(t => new OfferedToolchain(string.Join(",", t.Names), t.Identity.Fingerprint, t.Identity.Family,
            t.Identity.Version, t.Identity.Target, t.Identity.DriverLanguage)).ToArray(),
        _settings.MaxJobBytes,
        _confinement.Refusal,
        _shipping.Architectures.ToArray());

    /// <summary>One request per free slot, round-robin over coordinators that have work (<see cref="WorkRequests{TNode, TRef}"/>).</summary>
    private void Pull()
    {
        // A worker that cannot confine a compile asks for nothing (its capabilities say why).
        if (_confinement.Refusal is not null) return;
        foreach (var (coordinator, id) in _requests.Next(_running.Count, DateTime.UtcNow))
            coordinator.Tell(new RequestWork(Self, id));
    }

    /// <summary>
    /// A job is judged before anything reads it: a hostile coordinator's job (nulls where the serializer
    /// allows them, sizes that overflow) gets a refusal, and the worker keeps serving the others.
    /// </summary>
    private void OnJob(CompileJob job)
    {
        if (job.JobId is null || job.Supervisor is null)
        {
            _log.Warning("dropped a job without an id or a supervisor from {0}", Sender.Path);
            ForgetRequest(job.RequestId);
            return;
        }
        try
        {
            if (JobCheck.Problem(job) is { } problem)
            {
                _log.Warning("refused a malformed job {0} from {1}: {2}", job.JobId, Sender.Path, problem);
                ForgetRequest(job.RequestId);
                job.Supervisor.Tell(new JobFailed(job.JobId, $"refused: {problem}", Refused: true));
                return;
            }
            Accept(job);
        }
        catch (Exception e)
        {
            _log.Error(e, "refused job {0}, which the worker could not take", job.JobId);
            job.Supervisor.Tell(new JobFailed(job.JobId, $"refused: the worker could not take the job: {e.Message}", Refused: true));
        }
        finally
        {
            Pull();
        }
    }

    private void ForgetRequest(long requestId) => _requests.Answered(requestId, FullAddress(Sender));

    private void Accept(CompileJob job)
    {
        // Only answers to this worker's own requests, from the coordinator asked: nobody else hands it work.
        if (!_requests.Answered(job.RequestId, FullAddress(Sender)))
        {
            _log.Warning("refused an unsolicited job {0} from {1}", job.JobId, FullAddress(Sender));
            job.Supervisor.Tell(new JobFailed(job.JobId, "refused: this worker did not ask for this job", Refused: true));
            return;
        }
        if (_running.ContainsKey(job.JobId))
        {
            job.Supervisor.Tell(new JobFailed(job.JobId, "this worker already runs a job with that id", Refused: true));
            return;
        }
        if (_running.Count >= _settings.Slots)
        {
            // Only possible if a request timed out here and was answered late: never exceed the slots.
            job.Supervisor.Tell(new JobFailed(job.JobId, "the worker has no free slot", Refused: false));
            return;
        }
        // Its own toolchain of that fingerprint first (nothing to ship); else the one the job brings.
        var toolchain = _settings.Toolchains.FirstOrDefault(t => t.Identity.Fingerprint == job.Fingerprint);
        if (toolchain is null && job.Toolchain is { } shipped)
        {
            if (_shipping.Refusal(shipped, job.Fingerprint) is { } why)
            {
                job.Supervisor.Tell(new JobFailed(job.JobId, $"refused: {why}", Refused: true));
                return;
            }
            toolchain = new WorkerToolchain(new[] { shipped.Identity.DriverName }, shipped.Driver, shipped.Identity, shipped.Manifest, Shipped: true);
        }
        if (toolchain is null)
        {
            job.Supervisor.Tell(new JobFailed(job.JobId, $"refused: this worker offers no toolchain with fingerprint {job.Fingerprint}", Refused: true));
            return;
        }
        var runner = Context.ActorOf(JobRunner.Props(job, toolchain, _parts));
        _running[job.JobId] = runner;
        _peakRunning = Math.Max(_peakRunning, _running.Count);
    }

    private void OnTick()
    {
        _requests.Tick(_running.Count, DateTime.UtcNow);
        Pull();
        // /proc is a file system: read on the thread pool, and the report published when the answer comes.
        Task.Run(LoadAverage).PipeTo(Self, success: l => new LoadRead(l));
    }

    private WorkerReport Report() => new(
        _settings.Slots,
        _running.Count,
        _peakRunning,
        _completed,
        _failed,
        _settings.Cores,
        _load,
        _recentSeconds.Count == 0 ? 0 : _recentSeconds.Average(),
        _settings.Toolchains.Select(t => new ToolchainReport(string.Join(",", t.Names), t.Identity.Version, t.Identity.Target, t.Identity.Fingerprint)).ToArray(),
        _confinement.Description,
        _shipping.Description,
        _store.Held().Select(h => new ShippedToolchainReport(h.Id, h.Fingerprint, h.Bytes, "held"))
            .Concat(_transferring.Select(t => new ShippedToolchainReport(t.Key, t.Value.Fingerprint, t.Value.Bytes, "transferring")))
            .ToArray(),
        _lastFailure);

    private static double LoadAverage()
    {
        try
        {
            var text = File.ReadAllText("/proc/loadavg");
            return double.Parse(text.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            return 0; // no /proc here: status shows a load of 0, and nothing decides by it
        }
    }
}
