using Akka.Actor;
using Akka.Event;
using ActorCompile.Protocol;
using ActorCompile.Protocol.Messages;
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

    /// <summary>The worker's parts a job uses.</summary>
    public sealed record Tools(WorkerSettings Settings, BlobCache Blobs, ToolchainStore Store, JobConfinement Confinement);

    private sealed record Outcome(CompileOutcome Result) : INoSerializationVerificationNeeded;
    private sealed record Crashed(Exception Error) : INoSerializationVerificationNeeded;
    /// <summary>Contents taken in: null, or why the job is refused.</summary>
    private sealed record TakenIn(string? Refusal) : INoSerializationVerificationNeeded;
    private sealed class BlobsTimeout : INoSerializationVerificationNeeded { public static readonly BlobsTimeout Instance = new(); }

    private readonly CompileJob _job;
    private readonly WorkerToolchain _toolchain;
    private readonly Tools _tools;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly CancellationTokenSource _cancel = new();
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private IDisposable? _pin;
    private JobWorkspace? _workspace;
    private bool _reported;
    private bool _askedForBlobs;

    public ITimerScheduler Timers { get; set; } = null!;

    public JobRunner(CompileJob job, WorkerToolchain toolchain, Tools tools)
    {
        _job = job;
        _toolchain = toolchain;
        _tools = tools;
        Context.Watch(job.Supervisor);
        Become(TakingIn);
    }

    public static Props Props(CompileJob job, WorkerToolchain toolchain, Tools tools) =>
        Akka.Actor.Props.Create(() => new JobRunner(job, toolchain, tools));

    protected override void PreStart() => TakeIn(_job.Blobs);

    /// <summary>In every state: the supervisor may cancel the job or go away.</summary>
    private void Cancellation()
    {
        Receive<Terminated>(t => t.ActorRef.Equals(_job.Supervisor), _ => Cancel("its coordinator went away"));
        Receive<CancelJob>(_ => Cancel("cancelled by its coordinator"));
    }

    private void TakeIn(IReadOnlyList<Blob> blobs)
    {
        var cache = _tools.Blobs;
        var limit = _tools.Settings.MaxJobBytes;
        Task.Run(() => Store(blobs, cache, limit)).PipeTo(Self, success: r => new TakenIn(r), failure: e => new Crashed(e));
    }

    /// <summary>Decompresses and stores contents (off the actor's thread); the cache checks each against its hash.</summary>
    private static string? Store(IReadOnlyList<Blob> blobs, BlobCache cache, long limit)
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
            if (!cache.Add(blob.Hash, content)) return $"content sent as {blob.Hash} does not have that SHA-256";
        }
        return null;
    }

    private void TakingIn()
    {
        Receive<TakenIn>(t =>
        {
            if (t.Refusal is { } refusal) { Fail($"refused: {refusal}", refused: true); return; }
            var missing = MissingBlobs();
            if (missing.Count == 0) { Start(); return; }
            if (_askedForBlobs) { Fail($"inputs still missing after they were sent: {string.Join(", ", missing.Take(3))}", refused: false); return; }
            _askedForBlobs = true;
            _job.Supervisor.Tell(new NeedJobBlobs(_job.JobId, missing.ToArray()), Self);
            Timers.StartSingleTimer("inputs", BlobsTimeout.Instance, TimeSpan.FromSeconds(60));
        });
        Receive<JobBlobs>(m => _askedForBlobs && m.JobId == _job.JobId, m =>
        {
            Timers.Cancel("inputs");
            TakeIn(m.Blobs);
        });
        Receive<BlobsTimeout>(_ => Fail("the job's inputs did not arrive within 60 s", refused: false));
        Receive<Crashed>(c => Fail($"the worker could not store the job's inputs: {c.Error.Message}", refused: false));
        Cancellation();
    }

    private List<string> MissingBlobs() =>
        _tools.Blobs.Missing(_job.Mirror.Where(e => e.Kind == MirrorEntryKind.File && e.Hash is not null).Select(e => e.Hash!));

    private void Start()
    {
        var hashes = _job.Mirror.Where(e => e.Kind == MirrorEntryKind.File && e.Hash is not null).Select(e => e.Hash!).Distinct().ToList();
        _pin = _tools.Blobs.Pin(hashes);
        if (_pin is null) { Fail("inputs were evicted from the cache before the job started", refused: false); return; }
        try
        {
            _workspace = JobWorkspace.Create(_tools.Settings.JobsDirectory, _job.JobId, _tools.Confinement.Sandboxed);
        }
        catch (MirrorException e)
        {
            Fail($"refused: {e.Message}", refused: true);
            return;
        }
        _job.Supervisor.Tell(new JobStarted(_job.JobId, Context.Parent), Context.Parent);
        var timeout = TimeSpan.FromMilliseconds(Math.Clamp(_job.TimeoutMilliseconds, 1000, (long)_tools.Settings.JobTimeout.TotalMilliseconds));
        Execute(_workspace, timeout, _cancel.Token).PipeTo(Self, success: r => new Outcome(r), failure: e => new Crashed(e));
        Become(Compiling);
    }

    private async Task<CompileOutcome> Execute(JobWorkspace workspace, TimeSpan timeout, CancellationToken cancellationToken)
    {
        SealedRoot? root = null;
        if (_tools.Confinement.Sandboxed)
        {
            if (_toolchain.Manifest is not { } manifest) return new FailedOutcome("the toolchain's files are not known on this worker", Refused: false);
            try
            {
                root = await _tools.Store.RootAsync(manifest, file => file.Path);
            }
            catch (ToolchainStoreException e)
            {
                return new FailedOutcome(e.Message, Refused: false);
            }
        }
        var execution = new JobExecution(_job, _toolchain, root, workspace, _tools.Blobs, _tools.Confinement, _tools.Settings.MaxJobBytes, timeout);
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
        if (_workspace is null)
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
        _cancel.Cancel();
        _pin?.Dispose();
        _workspace?.Dispose();
        if (!_reported) Context.Parent.Tell(new Finished(_job.JobId, false, true, 0, "stopped"));
        _cancel.Dispose();
    }
}
