using Akka.Actor;
using Akka.Event;
using ActorCompile.Coordinator.Scheduling;
using ActorCompile.Protocol;
using ActorCompile.Protocol.Cluster;
using ActorCompile.Protocol.Messages;
using ActorCompile.Toolchain.Jobs;

namespace ActorCompile.Coordinator.Actors;

/// <summary>
/// Supervises one job from queue to result. Sends it to the worker it is assigned to, with the contents
/// that worker lacks; watches the worker and the clock; on a worker's failure (it refuses, crashes,
/// leaves, times out) requeues the job away from that worker, and after the last attempt hands the
/// wrapper a local compile. A compiler error from a worker is checked by one local compile, whose result
/// is the one the user gets. When the wrapper goes away the job is cancelled on its worker.
/// </summary>
public sealed class JobSupervisor : ReceiveActor, IWithTimers
{
    private sealed class Timeout : INoSerializationVerificationNeeded { public static readonly Timeout Instance = new(); }

    /// <summary>A batch of the toolchain's files read for the worker; <paramref name="Next"/> is where the next one starts.</summary>
    private sealed record ToolchainBatchRead(Blob[] Batch, int Next) : INoSerializationVerificationNeeded;
    private sealed record ToolchainReadFailed(string Reason) : INoSerializationVerificationNeeded;

    /// <summary>A worker's result, decompressed off this actor's thread, with the SHA-256 of what the compiler printed on stderr.</summary>
    private sealed record Unpacked(JobCompleted Result, IReadOnlyList<KeyValuePair<string, byte[]>> Outputs, string StderrHash) : INoSerializationVerificationNeeded;

    /// <summary>A worker's result that cannot be taken (it does not decompress as it says).</summary>
    private sealed record Malformed(string Reason) : INoSerializationVerificationNeeded;

    /// <summary>Contents for the worker, compressed off this actor's thread; <paramref name="Asker"/> is who gets them (null: with the job itself).</summary>
    private sealed record Packed(Blob[] Blobs, IActorRef? Asker) : INoSerializationVerificationNeeded;

    private readonly JobSpec _spec;
    private readonly CoordinatorSettings _settings;
    private readonly ToolchainShipping _shipping;
    /// <summary>The assignment whose contents are being gathered (from the spec, or read again by the session).</summary>
    private Assign? _assigning;
    /// <summary>Who asked for contents the session is reading again: null while none is asked for, Nobody for the job's own send.</summary>
    private IActorRef? _contentsFor;
    /// <summary>All the contents that request is for: those the job holds and those the session brings.</summary>
    private IReadOnlyList<string> _contentsWanted = Array.Empty<string>();
    private readonly ILoggingAdapter _log = Context.GetLogger();
    /// <summary>The toolchain shipped with the job to its current worker, or null when that worker has its own.</summary>
    private ShippableToolchain? _ship;
    /// <summary>Who asked for the toolchain's files (the worker's job runner), and which.</summary>
    private IActorRef? _shipTo;
    private string[] _shipHashes = Array.Empty<string>();
    /// <summary>Its tries on workers, whose failures count, and when it gives up (see <see cref="Retry"/>).</summary>
    private readonly JobAttempts _attempts;

    private IActorRef? _worker;
    private string? _workerAddress;
    private string? _workerId;
    private DateTime _assignedAt;
    private readonly DateTime _submittedAt = DateTime.UtcNow;

    public ITimerScheduler Timers { get; set; } = null!;

    public JobSupervisor(JobSpec spec, CoordinatorSettings settings, ToolchainShipping shipping)
    {
        _spec = spec;
        _settings = settings;
        _shipping = shipping;
        _attempts = new JobAttempts(settings.MaxAttempts);
        Context.Watch(spec.Session);
        Become(Queued);
    }

    public static Props Props(JobSpec spec, CoordinatorSettings settings, ToolchainShipping shipping) =>
        Akka.Actor.Props.Create(() => new JobSupervisor(spec, settings, shipping));

    private void Queued()
    {
        Receive<Assign>(OnAssign);
        Receive<NoEligibleWorker>(m => ToLocal(_attempts.NoWorker(m.Reason)));
        // The coordinator gave the wrapper a local slot for this job (every worker busy): nothing left to supervise.
        Receive<CompileHere>(_ => End(remote: false));
        Receive<MemberUnreachable>(_ => { });
        Receive<Terminated>(t => t.ActorRef.Equals(_spec.Session), _ => End(remote: false));
    }

    private void OnAssign(Assign m)
    {
        _worker = m.Worker;
        _workerAddress = m.WorkerAddress;
        _workerId = m.WorkerId;
        _ship = m.Ship;
        _attempts.Assigned();
        _assignedAt = DateTime.UtcNow;
        _assigning = m;
        Context.Watch(m.Worker);
        Phase("sending");
        Timers.StartSingleTimer("timeout", Timeout.Instance, _settings.JobTimeout + TimeSpan.FromSeconds(30));
        Become(Assigned);
        Gather(m.BlobsToSend, asker: null);
    }

    /// <summary>
    /// The contents a worker lacks: those the wrapper sent for this job are at hand; the others the session
    /// has the wrapper read again (the node keeps no contents beyond its jobs). Compressed off this thread.
    /// </summary>
    private void Gather(IReadOnlyList<string> hashes, IActorRef? asker)
    {
        var missing = hashes.Where(h => !_spec.Contents.ContainsKey(h)).ToList();
        if (missing.Count > 0)
        {
            _contentsFor = asker ?? ActorRefs.Nobody;
            _contentsWanted = hashes;
            _spec.Session.Tell(new ContentsWanted(_spec.JobId, missing));
            return;
        }
        Pack(hashes.Select(h => new KeyValuePair<string, byte[]>(h, _spec.Contents[h])).ToList(), asker);
    }

    private void Pack(IReadOnlyList<KeyValuePair<string, byte[]>> contents, IActorRef? asker)
    {
        if (contents.Count == 0)
        {
            Self.Tell(new Packed(Array.Empty<Blob>(), asker));
            return;
        }
        Task.Run(() => contents.Select(c => Payload.ToBlob(c.Key, c.Value)).ToArray()).PipeTo(Self, success: b => new Packed(b, asker));
    }

    private void SendJob(Blob[] blobs)
    {
        var m = _assigning!;
        _assigning = null;
        m.Worker.Tell(new CompileJob(
            m.RequestId,
            _spec.JobId,
            Self,
            _spec.Toolchain.Fingerprint,
            _spec.Args,
            _spec.WorkingDirectory,
            _spec.Mirror,
            _spec.SystemIncludeDirectories,
            _spec.PreincludeStdcPredef,
            _spec.Environment,
            _spec.ColorDiagnostics,
            blobs,
            (long)_settings.JobTimeout.TotalMilliseconds,
            m.Ship?.Toolchain));
    }

    private void Assigned()
    {
        // Every answer counts only from the worker the job is on now: anyone else asking for the job's
        // contents or sending a result for it is ignored (and a late answer from a worker it was taken from).
        Receive<JobStarted>(m => m.JobId == _spec.JobId && Sender.Equals(_worker), _ => Phase("compiling"));
        // The worker's job runner (a child of the worker actor) asks for missing contents itself.
        Receive<NeedJobBlobs>(m => m.JobId == _spec.JobId && (Sender.Equals(_worker) || Sender.Path.Parent.Equals(_worker?.Path)), m =>
        {
            var job = FileHashes();
            if (_contentsFor is not null || m.Hashes.Length == 0 || m.Hashes.Any(h => !job.Contains(h)))
            {
                Sender.Tell(new CancelJob(_spec.JobId));
                Retry("the worker asked for contents that are not the job's, or asked twice at once", refused: false);
                return;
            }
            Gather(m.Hashes.Distinct().ToList(), Sender);
        });
        Receive<ContentsFound>(m => m.JobId == _spec.JobId && _contentsFor is not null, m =>
        {
            var asker = _contentsFor!.Equals(ActorRefs.Nobody) ? null : _contentsFor;
            _contentsFor = null;
            var contents = new List<KeyValuePair<string, byte[]>>(_contentsWanted.Count);
            foreach (var h in _contentsWanted)
            {
                if (_spec.Contents.TryGetValue(h, out var held) || m.Contents.TryGetValue(h, out held)) contents.Add(new(h, held));
                else
                {
                    _worker?.Tell(new CancelJob(_spec.JobId));
                    ToLocal("the session did not bring every content asked for");
                    return;
                }
            }
            Pack(contents, asker);
        });
        Receive<ContentsLost>(m => m.JobId == _spec.JobId, m =>
        {
            _worker?.Tell(new CancelJob(_spec.JobId));
            ToLocal($"the contents of an input could not be had: {m.Reason}");
        });
        Receive<Packed>(m =>
        {
            if (m.Asker is null) { if (_assigning is not null) SendJob(m.Blobs); }
            else m.Asker.Tell(new JobBlobs(_spec.JobId, m.Blobs));
        });
        // The worker's job runner asks for the files of a shipped toolchain it lacks: each request gets one
        // batch (read and checked off this actor's thread), and the runner asks again for what it still
        // lacks once it has stored it. One batch in flight at a time keeps the connection free for the
        // heartbeats between them: a toolchain sent whole (30 MB) delayed them past the failure detector.
        Receive<NeedToolchainFiles>(m => m.JobId == _spec.JobId && (Sender.Equals(_worker) || Sender.Path.Parent.Equals(_worker?.Path)), m =>
        {
            if (_ship is null || m.Hashes.Length == 0 || m.Hashes.Any(h => !_ship.Sources.ContainsKey(h)))
            {
                Sender.Tell(new CancelJob(_spec.JobId));
                Retry("the worker asked for files that are not the job's toolchain's", refused: false);
                return;
            }
            _shipTo = Sender;
            _shipHashes = m.Hashes.Distinct().ToArray();
            Phase("shipping toolchain");
            ReadToolchainBatch();
        });
        Receive<ToolchainBatchRead>(m =>
        {
            if (_shipTo is null) return;
            bool last = m.Next >= _shipHashes.Length;
            _shipTo.Tell(new ToolchainFileBatch(_spec.JobId, m.Batch, last));
            if (last) Phase("sending");
        });
        Receive<ToolchainReadFailed>(m =>
        {
            _worker?.Tell(new CancelJob(_spec.JobId));
            ToLocal($"the toolchain could not be shipped: {m.Reason}");
        });
        Receive<JobCompleted>(m => m.JobId == _spec.JobId && Sender.Equals(_worker), OnCompleted);
        Receive<JobFailed>(m => m.JobId == _spec.JobId && Sender.Equals(_worker), m => Retry(m.Reason, m.Refused));
        Receive<Timeout>(_ =>
        {
            _worker?.Tell(new CancelJob(_spec.JobId));
            Retry($"no result within {_settings.JobTimeout.TotalSeconds:0} s", refused: false);
        });
        Receive<Terminated>(t =>
        {
            if (t.ActorRef.Equals(_spec.Session))
            {
                _worker?.Tell(new CancelJob(_spec.JobId));
                End(remote: false);
            }
            else if (t.ActorRef.Equals(_worker))
            {
                Retry($"worker {_workerAddress} left the cluster", refused: false);
            }
        });
        Receive<MemberUnreachable>(m => _worker is not null && WorkerNode() == m.Node, _ =>
        {
            _worker?.Tell(new CancelJob(_spec.JobId));
            Retry($"worker {_workerAddress} became unreachable", refused: false);
        });
        Receive<MemberUnreachable>(_ => { });
        Receive<CompileHere>(_ => { });
    }

    /// <summary>Bytes of toolchain files in one message (before compression): few enough that heartbeats pass between batches.</summary>
    private const long ToolchainBatchBytes = 8L << 20;

    private void ReadToolchainBatch()
    {
        // Half a frame at most per message: the batch travels with its envelope.
        _shipping.ReadBatchAsync(_ship!, _shipHashes, ToolchainBatchBytes, JobLimits.FrameBytes(_settings.MaxJobBytes) / 2)
            .PipeTo(Self, success: r => new ToolchainBatchRead(r.Batch, r.Next), failure: e => new ToolchainReadFailed(e.GetBaseException().Message));
    }

    private HashSet<string> FileHashes() => _spec.Mirror.Where(e => e.Kind == MirrorEntryKind.File).Select(e => e.Hash!).ToHashSet(StringComparer.Ordinal);

    private Akka.Actor.Address WorkerNode() => Akka.Cluster.Cluster.Get(Context.System).NodeOf(_worker!);

    private void OnCompleted(JobCompleted m)
    {
        Phase("returning");
        Timers.Cancel("timeout");
        if (Unacceptable(m, _settings.MaxJobBytes) is { } problem)
        {
            Retry($"malformed result: {problem}", refused: false);
            return;
        }
        // Decompressing up to max-job-size of outputs, and hashing up to 16 MiB of diagnostics, on the thread
        // pool: a big result never holds the dispatcher thread the coordinator and the other jobs share.
        Task.Run(() => Unpack(m)).PipeTo(Self, success: u => u, failure: e => new Malformed($"malformed result: {e.Message}"));
        Become(Returning);
    }

    /// <summary>
    /// Why a result cannot be taken, judged by what it declares before anything is decompressed (a declared
    /// length is what decompression allocates): every output, and all of them together, within this
    /// coordinator's max-job-size, as a job's inputs are.
    /// </summary>
    internal static string? Unacceptable(JobCompleted m, long maxJobBytes)
    {
        if (m.Outputs is null || m.Stdout is null || m.Stderr is null) return "it lacks its outputs or diagnostics";
        long total = 0;
        foreach (var o in m.Outputs)
        {
            if (o is null || o.Path is null || o.Compressed is null) return "an output lacks its path or content";
            if (o.Length < 0 || o.Length > maxJobBytes)
                return $"the output {o.Path} declares {o.Length} bytes, beyond this coordinator's max-job-size ({Sizes.Format(maxJobBytes)})";
            total += o.Length;
        }
        return total > maxJobBytes ? $"its outputs declare {Sizes.Format(total)}, beyond this coordinator's max-job-size ({Sizes.Format(maxJobBytes)})" : null;
    }

    private static Unpacked Unpack(JobCompleted m) => new(
        m,
        m.Outputs.Select(o => new KeyValuePair<string, byte[]>(o.Path, Payload.Decompress(o.Compressed, o.Length))).ToList(),
        ContentHash.Of(m.Stderr));

    /// <summary>The worker's answer is in: only the wrapper leaving changes anything now.</summary>
    private void Returning()
    {
        Receive<Unpacked>(Deliver);
        Receive<Malformed>(m => Retry(m.Reason, refused: false));
        Receive<Terminated>(t => t.ActorRef.Equals(_spec.Session), _ => End(remote: false));
        Receive<Terminated>(_ => { });
        Receive<MemberUnreachable>(_ => { });
        Receive<CompileHere>(_ => { });
    }

    private void Deliver(Unpacked u)
    {
        var m = u.Result;
        var elapsed = (long)(DateTime.UtcNow - _assignedAt).TotalMilliseconds;
        var times = new JobTimes((long)(_assignedAt - _submittedAt).TotalMilliseconds, elapsed, m.WorkerMilliseconds, m.MirrorMilliseconds, m.CompileMilliseconds);
        // A compiler error goes to the session with the worker's verdict: it decides between the compiler's own
        // scan (a scanner's job) and a local compile that confirms it (distcc's rule).
        var failed = m.ExitCode == 0 ? null : new RemoteVerdict(_workerId!, _workerAddress!, m.ExitCode, u.StderrHash);
        _spec.Session.Tell(new JobResultReady(new JobResult(m.ExitCode, m.Stdout, m.Stderr, u.Outputs, _workerAddress ?? "?", elapsed, times), failed));
        // Another worker ran what these refused: the refusal was theirs, not the job's.
        foreach (var (refuser, reason) in _attempts.RefusalsToCharge())
            Context.Parent.Tell(new WorkerFailed(refuser, $"refused a job that {_workerAddress} ran: {reason}"));
        End(remote: true);
    }

    /// <summary>
    /// The job failed on its worker: it goes back to the queue for another worker, or compiles locally after the
    /// last attempt; whose failure counts, and when, is <see cref="JobAttempts"/>'s rule.
    /// </summary>
    private void Retry(string reason, bool refused)
    {
        _log.Warning("job {0} ({1}) {2} on {3}: {4}", _spec.JobId, _spec.Source, refused ? "was refused" : "failed", _workerAddress, reason);
        var (charge, giveUp) = _attempts.Failed(_workerId, reason, refused);
        if (charge is not null) Context.Parent.Tell(new WorkerFailed(charge, reason));
        if (_worker is not null) Context.Unwatch(_worker);
        _worker = null;
        _assigning = null;
        _contentsFor = null;
        Timers.Cancel("timeout");
        if (giveUp)
        {
            ToLocal($"the job failed on {_attempts.Count} worker(s), last on {_workerAddress}: {reason}");
            return;
        }
        Phase("queued");
        Context.Parent.Tell(new Requeue(_spec.JobId, Self, _spec.Toolchain.Fingerprint, _attempts.Excluded.ToArray()));
        Become(Queued);
    }

    private void ToLocal(string reason)
    {
        Context.Parent.Tell(new RequestLocalSlot(_spec.Session, reason, Quiet: false, _spec.Source));
        End(remote: false);
    }

    private void Phase(string phase) => Context.Parent.Tell(new JobPhase(_spec.JobId, phase, _workerAddress));

    private void End(bool remote)
    {
        _ended = true;
        Context.Parent.Tell(new JobEnded(_spec.JobId, _workerId, remote));
        Context.Stop(Self);
    }

    /// <summary>Whether this job reached an end (a result, a local compile, or its wrapper gone).</summary>
    private bool _ended;

    /// <summary>
    /// A supervisor that stops without an end failed (the coordinator stops a failed supervisor rather than
    /// restart it with its state lost): its wrapper compiles locally, so that it never waits for a job that
    /// no one runs any more. (When the whole node stops, these go nowhere.)
    /// </summary>
    protected override void PostStop()
    {
        if (_ended) return;
        Context.Parent.Tell(new JobEnded(_spec.JobId, _workerId, Remote: false));
        Context.Parent.Tell(new RequestLocalSlot(_spec.Session, "the job's supervisor stopped after an error", Quiet: false, _spec.Source));
    }
}
