using Akka.Actor;
using Akka.Event;
using ActorCompile.Protocol;
using ActorCompile.Protocol.Messages;
using ActorCompile.Toolchain.Jobs;
using ActorCompile.Worker.Execution;

namespace ActorCompile.Worker.Actors;

/// <summary>
/// Runs one job on the worker and reports to its supervisor: stores the contents that came with it,
/// asks for those still missing, builds the mirror, runs the compiler, returns the result. A CancelJob
/// or the death of the supervisor kills the compiler; the job directory is removed in every case.
/// </summary>
public sealed class JobRunner : ReceiveActor, IWithTimers
{
    public sealed record Finished(string JobId, bool Succeeded, bool Cancelled, long Milliseconds, string? FailureReason) : INoSerializationVerificationNeeded;

    private sealed record Outcome(CompileOutcome Result) : INoSerializationVerificationNeeded;
    private sealed record Crashed(Exception Error);
    private sealed class BlobsTimeout : INoSerializationVerificationNeeded { public static readonly BlobsTimeout Instance = new(); }

    private readonly CompileJob _job;
    private readonly WorkerToolchain _toolchain;
    private readonly WorkerSettings _settings;
    private readonly BlobCache _blobs;
    private readonly JobConfinement? _confinement;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly CancellationTokenSource _cancel = new();
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private IDisposable? _pin;
    private JobWorkspace? _workspace;
    private bool _reported;

    public ITimerScheduler Timers { get; set; } = null!;

    public JobRunner(CompileJob job, WorkerToolchain toolchain, WorkerSettings settings, BlobCache blobs, JobConfinement? confinement)
    {
        _job = job;
        _toolchain = toolchain;
        _settings = settings;
        _blobs = blobs;
        _confinement = confinement;
        Context.Watch(job.Supervisor);
        Become(AwaitingInputs);
    }

    /// <summary>In every state: the supervisor may cancel the job or go away.</summary>
    private void Cancellation()
    {
        Receive<Terminated>(t => t.ActorRef.Equals(_job.Supervisor), _ => Cancel("its coordinator went away"));
        Receive<CancelJob>(_ => Cancel("cancelled by its coordinator"));
    }

    public static Props Props(CompileJob job, WorkerToolchain toolchain, WorkerSettings settings, BlobCache blobs, JobConfinement? confinement = null) =>
        Akka.Actor.Props.Create(() => new JobRunner(job, toolchain, settings, blobs, confinement));

    protected override void PreStart()
    {
        foreach (var blob in _job.Blobs)
        {
            byte[] content;
            try
            {
                content = Payload.Decompress(blob.Compressed, blob.Length);
            }
            catch (InvalidDataException e)
            {
                Fail($"refused: content {blob.Hash} is malformed: {e.Message}", refused: true);
                return;
            }
            if (!_blobs.Add(blob.Hash, content))
            {
                Fail($"refused: content sent as {blob.Hash} does not have that SHA-256", refused: true);
                return;
            }
        }
        var missing = MissingBlobs();
        if (missing.Count == 0) { Start(); return; }
        _job.Supervisor.Tell(new NeedJobBlobs(_job.JobId, missing.ToArray()), Self);
        Timers.StartSingleTimer("inputs", BlobsTimeout.Instance, TimeSpan.FromSeconds(60));
    }

    private List<string> MissingBlobs() =>
        _blobs.Missing(_job.Mirror.Where(e => e.Kind == (byte)MirrorEntryKind.File && e.Hash is not null).Select(e => e.Hash!));

    private void AwaitingInputs()
    {
        Receive<JobBlobs>(m =>
        {
            foreach (var blob in m.Blobs)
            {
                byte[] content;
                try { content = Payload.Decompress(blob.Compressed, blob.Length); }
                catch (InvalidDataException e) { Fail($"refused: content {blob.Hash} is malformed: {e.Message}", refused: true); return; }
                if (!_blobs.Add(blob.Hash, content)) { Fail($"refused: content sent as {blob.Hash} does not have that SHA-256", refused: true); return; }
            }
            var missing = MissingBlobs();
            if (missing.Count == 0) Start();
            else Fail($"inputs still missing after they were sent: {string.Join(", ", missing.Take(3))}", refused: false);
        });
        Receive<BlobsTimeout>(_ => Fail("the job's inputs did not arrive within 60 s", refused: false));
        Cancellation();
    }

    private void Start()
    {
        var hashes = _job.Mirror.Where(e => e.Kind == (byte)MirrorEntryKind.File && e.Hash is not null).Select(e => e.Hash!).Distinct().ToList();
        _pin = _blobs.Pin(hashes);
        if (_pin is null) { Fail("inputs were evicted from the cache before the job started", refused: false); return; }
        try
        {
            _workspace = JobWorkspace.Create(_settings.JobsDirectory, _job.JobId);
        }
        catch (MirrorException e)
        {
            Fail($"refused: {e.Message}", refused: true);
            return;
        }
        _job.Supervisor.Tell(new JobStarted(_job.JobId, Context.Parent), Context.Parent);
        var timeout = TimeSpan.FromMilliseconds(Math.Clamp(_job.TimeoutMilliseconds, 1000, (long)_settings.JobTimeout.TotalMilliseconds));
        RemoteCompilation.RunAsync(_job, _toolchain, _workspace, _blobs, timeout, _cancel.Token, _confinement)
            .PipeTo(Self, success: r => new Outcome(r), failure: e => new Crashed(e));
        Become(Compiling);
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
