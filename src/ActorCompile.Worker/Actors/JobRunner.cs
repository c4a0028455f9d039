using Akka.Actor;
using Akka.Event;
using ActorCompile.Protocol;
using ActorCompile.Protocol.Messages;
using ActorCompile.Toolchain.Identity;
using ActorCompile.Toolchain.Jobs;
using ActorCompile.Worker.Execution;
using ActorCompile.Worker.Toolchains;

namespace ActorCompile.Worker.Actors;

/// <summary>
/// Runs one job on the worker and reports to its supervisor: takes in the contents that came with it
/// (each checked against its hash), asks for those still missing, builds the mirror, runs the compiler
/// in its toolchain's sealed root, returns the result. Hashing, disk writes and the compile itself run
/// off the actor's thread and come back as messages. A CancelJob or the death of the supervisor kills
/// the compiler; the job directory is removed in every case.
/// </summary>
public sealed class JobRunner : ReceiveActor, IWithTimers
{
    public sealed record Finished(string JobId, bool Succeeded, bool Cancelled, long Milliseconds, string? FailureReason) : INoSerializationVerificationNeeded;

    private sealed record Outcome(CompileOutcome Result) : INoSerializationVerificationNeeded;
    private sealed record Crashed(Exception Error) : INoSerializationVerificationNeeded;
    /// <summary>Contents taken in: why the job is refused, or null and the contents still missing.</summary>
    private sealed record TakenIn(string? Refusal, List<string> Missing) : INoSerializationVerificationNeeded;
    /// <summary>
    /// A shipped toolchain reserved in the store, and the files of it the store lacks (empty: its root can
    /// be built), with the size and modes the manifest declares for each content.
    /// </summary>
    private sealed record ToolchainMissing(List<string> Hashes, Dictionary<string, (long Size, bool[] Modes)> Contents) : INoSerializationVerificationNeeded;
    /// <summary>A batch of toolchain files taken in: null, or why the job is refused.</summary>
    private sealed record ToolchainTakenIn(string? Refusal, bool Last) : INoSerializationVerificationNeeded;
    /// <summary>The shipped toolchain cannot be taken (its manifest is refused): why.</summary>
    private sealed record ToolchainRefused(string Reason) : INoSerializationVerificationNeeded;
    private sealed class ToolchainTimeout : INoSerializationVerificationNeeded { public static readonly ToolchainTimeout Instance = new(); }

    /// <summary>Tells the worker that this job fetches (or stopped fetching) a shipped toolchain, for status.</summary>
    public sealed record Transferring(string ToolchainId, string Fingerprint, long Bytes, bool Active) : INoSerializationVerificationNeeded;

    /// <summary>Longest a toolchain's files may take to arrive (a first job on a fresh helper moves hundreds of MB).</summary>
    private static readonly TimeSpan ToolchainTransferTimeout = TimeSpan.FromMinutes(5);
    private sealed class BlobsTimeout : INoSerializationVerificationNeeded { public static readonly BlobsTimeout Instance = new(); }

    private readonly CompileJob _job;
    private readonly WorkerToolchain _toolchain;
    private readonly WorkerParts _parts;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly CancellationTokenSource _cancel = new();
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    /// <summary>The job's contents in the worker's cache, held from their arrival until the job ends.</summary>
    private BlobCache.Hold? _hold;
    /// <summary>The shipped toolchain's place in the store, held from before its files are fetched until the job ends.</summary>
    private readonly OffThreadSlot<ToolchainReservation> _reservation = new();
    /// <summary>The job's directory, made by the compile's task.</summary>
    private readonly OffThreadSlot<JobWorkspace> _workspace = new();
    /// <summary>The compile was started: a cancellation now waits for its task to end.</summary>
    private bool _started;
    private bool _reported;
    private bool _askedForBlobs;
    /// <summary>While a shipped toolchain's files arrive: what was asked for and what waits to be stored.</summary>
    private ToolchainTransfer? _transfer;
    private bool _transferReported;

    public ITimerScheduler Timers { get; set; } = null!;

    public JobRunner(CompileJob job, WorkerToolchain toolchain, WorkerParts parts)
    {
        _job = job;
        _toolchain = toolchain;
        _parts = parts;
        Context.Watch(job.Supervisor);
        Become(TakingIn);
    }

    public static Props Props(CompileJob job, WorkerToolchain toolchain, WorkerParts parts) =>
        Akka.Actor.Props.Create(() => new JobRunner(job, toolchain, parts));

    protected override void PreStart() => TakeIn(_job.Blobs);

    /// <summary>In every state: the supervisor may cancel the job or go away.</summary>
    private void Cancellation()
    {
        Receive<Terminated>(t => t.ActorRef.Equals(_job.Supervisor), _ => Cancel("its coordinator went away"));
        // Only its own supervisor's word counts: another coordinator could name this job's id.
        Receive<CancelJob>(m => m.JobId == _job.JobId && Sender.Equals(_job.Supervisor), _ => Cancel("cancelled by its coordinator"));
    }

    private void TakeIn(IReadOnlyList<Blob> blobs)
    {
        bool first = _hold is null;
        var hold = _hold ??= _parts.Blobs.NewHold();
        var limit = _parts.Settings.MaxJobBytes;
        var hashes = JobHashes().ToList();
        // The blob cache is files (holding may evict, and evicting deletes): all of it on the pool.
        Task.Run(() =>
        {
            // Keep what the cache has of this job before storing what came with it, which could evict it.
            if (first) hold.KeepAndFindMissing(hashes);
            return Store(blobs, hold, limit) is { } refusal ? new TakenIn(refusal, new List<string>()) : new TakenIn(null, hold.KeepAndFindMissing(hashes));
        }).PipeTo(Self, failure: e => new Crashed(e));
    }

    /// <summary>Decompresses and stores contents (off the actor's thread); the cache checks each against its hash.</summary>
    private static string? Store(IReadOnlyList<Blob> blobs, BlobCache.Hold hold, long limit)
    {
        foreach (var blob in blobs)
        {
            if (blob.Length > limit) return $"content {blob.Hash} is larger than the largest job";
            byte[] content;
            try
            {
                content = Payload.Decompress(blob.Compressed, blob.Length);
            }
            catch (InvalidDataException e)
            {
                return $"content {blob.Hash} is malformed: {e.Message}";
            }
            if (!hold.Add(blob.Hash, content)) return $"content sent as {blob.Hash} does not have that SHA-256";
        }
        return null;
    }

    private void TakingIn()
    {
        Receive<TakenIn>(t =>
        {
            if (t.Refusal is { } refusal) { Fail($"refused: {refusal}", refused: true); return; }
            var missing = t.Missing;
            if (missing.Count == 0) { Prepare(); return; }
            if (_askedForBlobs) { Fail($"inputs still missing after they were sent: {string.Join(", ", missing.Take(3))}", refused: false); return; }
            _askedForBlobs = true;
            _job.Supervisor.Tell(new NeedJobBlobs(_job.JobId, missing.ToArray()), Self);
            Timers.StartSingleTimer("inputs", BlobsTimeout.Instance, TimeSpan.FromSeconds(60));
        });
        Receive<JobBlobs>(m => _askedForBlobs && m.JobId == _job.JobId && Sender.Equals(_job.Supervisor), m =>
        {
            Timers.Cancel("inputs");
            TakeIn(m.Blobs);
        });
        Receive<BlobsTimeout>(_ => Fail("the job's inputs did not arrive within 60 s", refused: false));
        Receive<Crashed>(c => Fail($"the worker could not store the job's inputs: {c.Error.Message}", refused: false));
        Cancellation();
    }

    /// <summary>
    /// With a shipped toolchain, its files come next (those the store lacks); then the compile. The manifest
    /// is checked, its id computed and its room reserved in the store before anything is fetched, off the
    /// actor's thread (a manifest may list tens of thousands of entries).
    /// </summary>
    private void Prepare()
    {
        if (!_toolchain.Shipped) { Start(); return; }
        var store = _parts.Store;
        var manifest = _toolchain.Manifest!;
        var id = _job.Toolchain!.Id;
        var slot = _reservation;
        Task.Run(async () =>
        {
            try
            {
                slot.Hold(store.Reserve(manifest, id));
                var contents = manifest.Files.Where(f => f.Kind == ToolchainFileKind.File).GroupBy(f => f.Hash!, StringComparer.Ordinal)
                    .ToDictionary(g => g.Key, g => (g.First().Size, g.Select(f => f.Executable).Distinct().ToArray()), StringComparer.Ordinal);
                return (object)new ToolchainMissing(await store.MissingAsync(manifest), contents);
            }
            catch (ToolchainStoreException e)
            {
                return new ToolchainRefused(e.Message);
            }
        }).PipeTo(Self, failure: e => new Crashed(e));
        Become(FetchingToolchain);
    }

    private void FetchingToolchain()
    {
        Receive<ToolchainRefused>(r => Fail($"refused: {r.Reason}", refused: true));
        Receive<ToolchainMissing>(m =>
        {
            if (m.Hashes.Count == 0) { Start(); return; }
            _transfer = new ToolchainTransfer(m.Hashes, m.Contents);
            Transfer(true);
            _job.Supervisor.Tell(new NeedToolchainFiles(_job.JobId, m.Hashes.ToArray()), Self);
            Timers.StartSingleTimer("toolchain", ToolchainTimeout.Instance, ToolchainTransferTimeout);
        });
        Receive<ToolchainFileBatch>(b => b.JobId == _job.JobId && Sender.Equals(_job.Supervisor), b =>
        {
            if (_transfer is null) { Fail("refused: toolchain files came that were not asked for", refused: true); return; }
            if (_transfer.Accept(b) is { } problem) { Fail($"refused: {problem}", refused: true); return; }
            StoreNextBatch();
        });
        Receive<ToolchainTakenIn>(t =>
        {
            bool more = _transfer!.Stored();
            if (t.Refusal is { } refusal) { Fail($"refused: {refusal}", refused: true); return; }
            if (more) { StoreNextBatch(); return; }
            if (!t.Last)
            {
                // One batch answers one request (the coordinator sends no more until asked, so heartbeats
                // pass between batches): ask for the rest.
                _job.Supervisor.Tell(new NeedToolchainFiles(_job.JobId, _transfer.Outstanding.ToArray()), Self);
                Timers.StartSingleTimer("toolchain", ToolchainTimeout.Instance, ToolchainTransferTimeout);
                return;
            }
            Timers.Cancel("toolchain");
            if (_transfer.Outstanding.Count > 0) { Fail($"the coordinator ended the toolchain's files without {_transfer.Outstanding.Count} of them", refused: false); return; }
            Start();
        });
        Receive<ToolchainTimeout>(_ => Fail($"the toolchain's files did not arrive within {ToolchainTransferTimeout.TotalMinutes:0} min", refused: false));
        Receive<Crashed>(c => Fail($"the worker could not store the toolchain's files: {c.Error.Message}", refused: false));
        Cancellation();
    }

    /// <summary>Stores the next batch that arrived, one at a time and in order, off the actor's thread.</summary>
    private void StoreNextBatch()
    {
        if (_transfer!.NextToStore() is not { } next) return;
        var store = _parts.Store;
        var limit = _parts.Settings.MaxJobBytes;
        var token = _cancel.Token;
        Task.Run(() => ToolchainTransfer.Store(next.Batch.Blobs, store, next.Modes, limit, token))
            .PipeTo(Self, success: r => new ToolchainTakenIn(r, next.Batch.Last), failure: e => new Crashed(e));
    }

    private void Transfer(bool active)
    {
        if (_transferReported == active) return;
        _transferReported = active;
        Context.Parent.Tell(new Transferring(_job.Toolchain!.Id, _toolchain.Identity.Fingerprint, (_reservation.Value?.Bytes ?? 0), active));
    }

    private IEnumerable<string> JobHashes() =>
        _job.Mirror.Where(e => e.Kind == MirrorEntryKind.File && e.Hash is not null).Select(e => e.Hash!);

    private void Start()
    {
        Transfer(false);
        _started = true;
        _job.Supervisor.Tell(new JobStarted(_job.JobId, Context.Parent), Context.Parent);
        var timeout = TimeSpan.FromMilliseconds(Math.Clamp(_job.TimeoutMilliseconds, 1000, (long)_parts.Settings.JobTimeout.TotalMilliseconds));
        var token = _cancel.Token;
        Task.Run(() => Execute(timeout, token)).PipeTo(Self, success: r => new Outcome(r), failure: e => new Crashed(e));
        Become(Compiling);
    }

    /// <summary>The compile, off the actor's thread: the job's directory made (held in its slot), the root, the run.</summary>
    private async Task<CompileOutcome> Execute(TimeSpan timeout, CancellationToken cancellationToken)
    {
        JobWorkspace workspace;
        try
        {
            workspace = JobWorkspace.Create(_parts.Settings.JobsDirectory, _job.JobId, _parts.Confinement.Sandboxed);
        }
        catch (MirrorException e)
        {
            return new FailedOutcome($"refused: {e.Message}", Refused: true);
        }
        _workspace.Hold(workspace);
        SealedRoot? root = null;
        if (_parts.Confinement.Sandboxed)
        {
            if (_toolchain.Manifest is not { } manifest) return new FailedOutcome("the toolchain's files are not known on this worker", Refused: false);
            try
            {
                root = _toolchain.Shipped ? await _parts.Store.ShippedRootAsync(manifest) : await _parts.Store.NativeRootAsync(manifest);
            }
            catch (ToolchainStoreException e)
            {
                return new FailedOutcome(e.Message, Refused: false);
            }
        }
        var execution = new JobExecution(_job, _toolchain, root, workspace, _parts.Blobs, _parts.Confinement, _parts.Settings.MaxJobBytes, timeout);
        return await RemoteCompilation.RunAsync(execution, cancellationToken);
    }

    private void Compiling()
    {
        Receive<Outcome>(o =>
        {
            switch (o.Result)
            {
                case CompiledOutcome c:
                    _job.Supervisor.Tell(RemoteCompilation.ToMessage(_job.JobId, c, _clock.ElapsedMilliseconds), Context.Parent);
                    Report(new Finished(_job.JobId, true, false, c.Milliseconds, null));
                    break;
                case FailedOutcome f:
                    Fail(f.Reason, f.Refused);
                    break;
            }
            Context.Stop(Self);
        });
        Receive<Crashed>(c =>
        {
            if (_cancel.IsCancellationRequested) Report(new Finished(_job.JobId, false, true, 0, "cancelled"));
            else
            {
                _log.Error(c.Error, "job {0} failed on this worker", _job.JobId);
                Fail($"the worker could not run the job: {c.Error.Message}", refused: false);
            }
            Context.Stop(Self);
        });
        Cancellation();
    }

    private void Cancel(string why)
    {
        _log.Info("job {0} {1}: killing the compiler", _job.JobId, why);
        _cancel.Cancel();
        if (!_started)
        {
            Report(new Finished(_job.JobId, false, true, 0, why));
            Context.Stop(Self);
        }
        // Otherwise the compile task ends (its process tree killed) and Compiling stops the runner.
    }

    private void Fail(string reason, bool refused)
    {
        _log.Warning("job {0} failed: {1}", _job.JobId, reason);
        _job.Supervisor.Tell(new JobFailed(_job.JobId, reason, refused), Context.Parent);
        Report(new Finished(_job.JobId, false, false, 0, reason));
        Context.Stop(Self);
    }

    private void Report(Finished finished)
    {
        if (_reported) return;
        _reported = true;
        Context.Parent.Tell(finished);
    }

    protected override void PostStop()
    {
        Transfer(false);
        _cancel.Cancel();
        // Releasing the contents may delete evicted files, and the job's directory is a tree: both on the pool.
        var (reservation, hold, workspace) = (_reservation, _hold, _workspace);
        Task.Run(() =>
        {
            reservation.Dispose();
            hold?.Dispose();
            workspace.Dispose();
        });
        if (!_reported)
        {
            // Stopped without an answer (the worker stops, or the runner threw): the supervisor moves on now.
            _job.Supervisor.Tell(new JobFailed(_job.JobId, "the worker stopped the job", Refused: false), Context.Parent);
            Context.Parent.Tell(new Finished(_job.JobId, false, true, 0, "stopped"));
        }
        _cancel.Dispose();
    }
}
