using Akka.Actor;
using Akka.Event;
using ActorCompile.Coordinator;
using ActorCompile.LocalProtocol;
using ActorCompile.LocalProtocol.Status;
using ActorCompile.Node.Cache;
using ActorCompile.Node.Status;
using ActorCompile.Protocol;
using ActorCompile.Protocol.Messages;
using ActorCompile.Toolchain.Arguments;
using ActorCompile.Toolchain.Cache;
using ActorCompile.Toolchain.Dependencies;
using ActorCompile.Toolchain.Identity;
using ActorCompile.Toolchain.Jobs;

namespace ActorCompile.Node.Sessions;

/// <summary>What every session of a node shares: its bounds, its result cache, and its memory of users' files.</summary>
/// <param name="Cache">This node's result cache (null: off here).</param>
/// <param name="VerifyRate">The share of cache hits compiled locally instead, to compare.</param>
/// <param name="LocalSlotBound">The longest a wrapper's local compile holds its local slot (the coordinator's job-timeout):
/// a wrapper that never reports back cannot keep a slot from everyone else. Null: no bound.</param>
public sealed record SessionSettings(long MaxJobBytes, FileMemo Files, IActorRef? Cache = null, double VerifyRate = 0, TimeSpan? LocalSlotBound = null);

/// <summary>
/// One connection from a wrapper or the status CLI, as a state machine that follows the conversation in
/// <see cref="LocalMessage"/>. Anything out of order or malformed is answered with an error and the
/// connection is closed; the node carries on. The session knows its caller (the peer credentials of the
/// connection): what the wrapper says about its compiler is learned for that user only, and the files of
/// its job are that user's (<see cref="JobFiles"/>). When the session stops, its local slot and its queued
/// job are released (the coordinator and the job's supervisor watch it), and the contents it held go.
/// </summary>
public sealed class WrapperSession : ReceiveActor, IWithTimers
{
    private sealed class SendHeartbeat : INoSerializationVerificationNeeded { public static readonly SendHeartbeat Instance = new(); }

    private sealed record StatusAnswer(LocalMessage Reply) : INoSerializationVerificationNeeded;

    /// <summary>A scan round was answered off this actor's thread (its contents hashed), or why not.</summary>
    private sealed record RoundDone(ScanAnswers? Answers, string? Problem) : INoSerializationVerificationNeeded;

    /// <summary>A manifest's contents were hashed off this actor's thread, and its files resolved to their versions, or why not.</summary>
    private sealed record ManifestTaken(JobManifest Manifest, MirrorEntry[]? Mirror, long Bytes, string? Problem, bool TooLarge = false) : INoSerializationVerificationNeeded;

    /// <summary>Contents a worker lacks, read again by the wrapper and checked off this actor's thread.</summary>
    private sealed record ContentsChecked(string JobId, IActorRef Supervisor, Dictionary<string, byte[]> Found, IReadOnlyCollection<string> Wanted) : INoSerializationVerificationNeeded;

    private readonly ISessionConnection _connection;
    private readonly PeerCredentials _caller;
    private readonly IActorRef? _coordinator;
    private readonly IActorRef _statusView;
    private readonly SessionSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private CompileRequest? _request;
    private CompileCommand? _command;
    private string _source = "?";
    private PreprocessGranted? _preprocess;
    private JobFiles? _files;
    private JobManifest? _manifest;
    private MirrorEntry[]? _mirror;
    private long _inputBytes;
    private IReadOnlyList<string>? _systemDirectories;
    private RemoteVerdict? _confirming;
    /// <summary>The job's key in the result cache, once its manifest is known; null when the cache is not used for it.</summary>
    private string? _key;
    /// <summary>A cache hit being checked by a local compile: the result, and its files under this command's paths.</summary>
    private (CachedResult Hit, List<KeyValuePair<string, byte[]>> Outputs, string? Accountable, string? Owner)? _verifying;
    /// <summary>The scanner's job failed remotely: the wrapper scans with the compiler; this was the verdict and the scanner's files.</summary>
    private (RemoteVerdict Verdict, HashSet<string> Files)? _rescan;
    /// <summary>A content request of the job's supervisor that waits for the wrapper to read files again.</summary>
    private (string JobId, IActorRef Supervisor, IReadOnlyCollection<string> Wanted)? _rereading;

    public ITimerScheduler Timers { get; set; } = null!;

    public WrapperSession(ISessionConnection connection, PeerCredentials caller, IActorRef? coordinator, IActorRef statusView, SessionSettings settings)
    {
        _connection = connection;
        _caller = caller;
        _coordinator = coordinator;
        _statusView = statusView;
        _settings = settings;
        Become(Start);
    }

    /// <summary>Heartbeats keep the wrapper waiting patiently, also while it queues for a local slot.</summary>
    protected override void PreStart() => Timers.StartPeriodicTimer("heartbeat", SendHeartbeat.Instance, TimeSpan.FromSeconds(5));

    public static Props Props(ISessionConnection connection, PeerCredentials caller, IActorRef? coordinator, IActorRef statusView, SessionSettings settings) =>
        Akka.Actor.Props.Create(() => new WrapperSession(connection, caller, coordinator, statusView, settings));

    private void Common()
    {
        Receive<SendHeartbeat>(_ => _connection.Send(new Heartbeat()));
        Receive<ConnectionClosed>(_ => Context.Stop(Self));
        Receive<FrameReceived>(f => Refuse($"unexpected {f.Message.Type} message at this point of the conversation"));
        // A supervisor's request for contents outside the job's running state: the job is gone or ends.
        Receive<ContentsWanted>(m => Sender.Tell(new ContentsLost(m.JobId, "the wrapper's session is not waiting for this job")));
        ReceiveAny(m => _log.Debug("session ignores {0}", m.GetType().Name));
    }

    private void Start()
    {
        Receive<FrameReceived>(f => f.Message is StatusRequest, _ =>
        {
            _statusView.Ask<ClusterStatus>(GetClusterStatus.Instance, TimeSpan.FromSeconds(5))
                .PipeTo(Self, success: s => new StatusAnswer(new StatusReply(StatusJson.Serialize(s))), failure: e => new StatusAnswer(new ErrorReply($"status unavailable: {e.Message}")));
            Become(AnsweringStatus);
        });
        Receive<FrameReceived>(f => f.Message is CompileRequest, f => OnCompileRequest((CompileRequest)f.Message));
        Receive<FrameReceived>(f => f.Message is CacheClearRequest, _ => OnCacheClear());
        Common();
    }

    /// <summary>Only the node's own user and root may empty its store: another user's clear would cost every user their hits.</summary>
    private void OnCacheClear()
    {
        if (_caller.Uid != 0 && _caller.Uid != ActorCompile.Toolchain.Processes.Native.UserId())
        {
            Refuse($"only root and the node's own user may clear its result cache (you are uid {_caller.Uid})");
            return;
        }
        _settings.Files.Clear();
        if (_settings.Cache is null)
        {
            _connection.Send(new CacheCleared(0, 0));
            Finish();
            return;
        }
        _settings.Cache.Ask<CacheClearedHere>(ClearCache.Instance, TimeSpan.FromSeconds(60))
            .PipeTo(Self, success: c => new StatusAnswer(new CacheCleared(c.Entries, c.Bytes)), failure: e => new StatusAnswer(new ErrorReply($"cannot clear the cache: {e.Message}")));
        Become(AnsweringStatus);
    }

    private void AnsweringStatus()
    {
        Receive<StatusAnswer>(m =>
        {
            _connection.Send(m.Reply);
            Finish();
        });
        Common();
    }

    private void OnCompileRequest(CompileRequest request)
    {
        _request = request;
        var command = _command = CompileCommand.Parse(request.Args);
        _source = command.Source ?? request.Args.FirstOrDefault(a => !a.StartsWith('-')) ?? "(no source)";
        if (!request.WorkingDirectory.StartsWith('/'))
        {
            Refuse("the working directory must be an absolute path");
            return;
        }
        if (_coordinator is null)
        {
            _connection.Send(new RunLocally("this node has no coordinator role", Quiet: request.LocalReason is not null));
            Become(RunningLocally);
            return;
        }
        if (request.LocalReason is not null)
            _coordinator.Tell(new RequestLocalSlot(Self, request.LocalReason, Quiet: true, _source));
        else if (!command.IsDistributable)
            _coordinator.Tell(new RequestLocalSlot(Self, command.LocalReason!, Quiet: false, _source));
        else
            _coordinator.Tell(new OpenJob(Self, _caller.Uid, request.CompilerPath, request.CompilerKey, request.SystemIncludeKey, _source));
        Become(AwaitingGrant);
    }

    private void AwaitingGrant()
    {
        Receive<AskToolchain>(_ => _connection.Send(new NeedToolchain()));
        Receive<FrameReceived>(f => f.Message is ToolchainInfo, f =>
        {
            var (identity, problem) = ToolchainInfoCheck.Read((ToolchainInfo)f.Message);
            if (identity is null)
            {
                Refuse(problem!);
                return;
            }
            _coordinator!.Tell(new ToolchainLearned(Self, _caller.Uid, _request!.CompilerKey, identity));
        });
        Receive<LocalGranted>(RunLocallyGranted);
        Receive<PreprocessGranted>(g =>
        {
            _preprocess = g;
            _files = new JobFiles(_caller.Uid, _request!.WorkingDirectory, _settings.Files, _settings.MaxJobBytes);
            // The include scanner follows gcc's search rules; clang's units use clang's own scan.
            _connection.Send(new Preprocess(g.SystemIncludeDirectories, Scan: g.Toolchain.Family == "gcc", _settings.MaxJobBytes));
            Become(Scanning);
        });
        Common();
    }

    private void Scanning()
    {
        Receive<FrameReceived>(f => f.Message is ScanRound, f =>
        {
            var round = (ScanRound)f.Message;
            var files = _files!;
            if (round.Uploads.Count == 0)
            {
                // Only questions about remembered versions (a warm build's every round): lookups, answered here.
                // Handing them to the thread pool cost two thread hops per round for microseconds of work.
                ScanAnswers answers;
                try
                {
                    answers = files.Round(round);
                }
                catch (InvalidDataException e)
                {
                    Refuse($"a scan round was refused: {e.Message}");
                    return;
                }
                _connection.Send(answers);
                return;
            }
            // Hashing what the wrapper sent is CPU: never on this actor's thread.
            Task.Run(() => files.Round(round)).PipeTo(Self,
                success: a => new RoundDone(a, null),
                failure: e => new RoundDone(null, e.GetBaseException() is JobTooLargeException t ? t.Message : $"a scan round was refused: {e.GetBaseException().Message}"));
            Become(Answering);
        });
        Receive<FrameReceived>(f => f.Message is JobManifest, f => OnManifest((JobManifest)f.Message));
        Receive<FrameReceived>(f => f.Message is LocalDone, _ =>
        {
            // The compiler's scan failed on the target: the wrapper compiled locally to show the compiler's own error.
            Finish();
        });
        Common();
    }

    private void Answering()
    {
        Receive<RoundDone>(r =>
        {
            if (r.Answers is null)
            {
                Refuse(r.Problem!);
                return;
            }
            _connection.Send(r.Answers);
            Become(Scanning);
        });
        Common();
    }

    private void OnManifest(JobManifest manifest)
    {
        if (_rescan is null) _coordinator!.Tell(new ReleaseLocalSlot(Self));
        if (ManifestCheck.Problem(manifest, _preprocess!.SystemIncludeDirectories is not null || _systemDirectories is not null) is { } problem)
        {
            Refuse(problem);
            return;
        }
        var files = _files!;
        if (manifest.Uploads.Count == 0)
        {
            // Nothing to hash: every file's version is known already; resolved here (lookups), without two thread hops.
            Self.Tell(Resolve(files, manifest));
            Become(TakingManifest);
            return;
        }
        Task.Run(() => Resolve(files, manifest)).PipeTo(Self, success: t => t,
            failure: e => e.GetBaseException() is JobTooLargeException t
                ? new ManifestTaken(manifest, null, t.Bytes, t.Message, TooLarge: true)
                : new ManifestTaken(manifest, null, 0, e.GetBaseException().Message));
        Become(TakingManifest);
    }

    private static ManifestTaken Resolve(JobFiles files, JobManifest manifest)
    {
        var (mirror, bytes, problem) = files.Resolve(manifest);
        return new ManifestTaken(manifest, mirror, bytes, problem);
    }

    private void TakingManifest()
    {
        Receive<ManifestTaken>(t =>
        {
            if (t.TooLarge || t.Bytes > _settings.MaxJobBytes)
            {
                _coordinator!.Tell(new RequestLocalSlot(Self,
                    $"the job's inputs ({(t.TooLarge ? "over " : "")}{Sizes.Format(t.Bytes)}) exceed the node's max-job-size ({Sizes.Format(_settings.MaxJobBytes)})", Quiet: false, _source));
                Become(AwaitingGrant);
                return;
            }
            if (t.Mirror is null)
            {
                Refuse(t.Problem!);
                return;
            }
            var manifest = t.Manifest;
            if (_rescan is { } rescan)
            {
                OnRescanned(manifest, t.Mirror, rescan.Verdict, rescan.Files);
                return;
            }
            Count(manifest);
            _manifest = manifest;
            _mirror = t.Mirror;
            _inputBytes = t.Bytes;
            _systemDirectories = manifest.SystemIncludeDirectories ?? _preprocess!.SystemIncludeDirectories;
            if (manifest.SystemIncludeDirectories is { } dirs && _request!.SystemIncludeKey is { } key)
                _coordinator!.Tell(new SystemIncludesLearned(_caller.Uid, key, dirs));
            if (_settings.Cache is not null && _request!.UseCache)
            {
                _key = ResultKey.Compute(_preprocess!.Toolchain.Fingerprint, _command!, _request.WorkingDirectory, _request.Environment,
                    _request.ColorDiagnostics, _systemDirectories ?? Array.Empty<string>(), manifest.PreincludeStdcPredef, _mirror);
                _settings.Cache.Tell(new CacheLookUp(_key));
                Become(LookingUp);
            }
            else Submit();
        });
        Common();
    }

    private void Count(JobManifest manifest)
    {
        if (manifest.Scan == InputScan.Scanner) _coordinator!.Tell(new ScanCounted(ScanOutcome.Scanned));
        else if (manifest.Declined is { } why)
        {
            _log.Debug("the include scanner declined {0}: {1}", _source, why);
            _coordinator!.Tell(new ScanCounted(ScanOutcome.Declined));
        }
    }

    private void LookingUp()
    {
        Receive<CacheFound>(f =>
        {
            // The result's files were decompressed by the cache, off this thread.
            var style = _preprocess!.Toolchain.Family == "clang" ? DependencyStyle.Clang : DependencyStyle.Gcc;
            switch (CacheHitPolicy.Use(f, _command!, style, _settings.VerifyRate, Random.Shared.NextDouble()))
            {
                case CacheAnswerUse.Compile miss:
                    if (miss.Why is { } why)
                    {
                        if (miss.Unexpected) _log.Warning("a cached result for {0} is not used: {1}; compiling it", _source, why);
                        else _log.Info("a cached result for {0} is not used: {1}", _source, why);
                    }
                    _coordinator!.Tell(new CacheCounted(CacheOutcome.Miss));
                    Submit();
                    return;
                case CacheAnswerUse.Verify verify:
                    // Checked by the user's own compiler: the wrapper compiles locally and reports what it wrote.
                    _verifying = (verify.Hit, verify.Outputs, verify.Accountable, verify.Owner);
                    _coordinator!.Tell(new RequestLocalSlot(Self, "checking a cached result", Quiet: true, _source));
                    Become(AwaitingGrant);
                    return;
                case CacheAnswerUse.Serve serve:
                    // A hit for which the wrapper read no file: every version was remembered (ccache's "direct" hit).
                    bool direct = _files!.Uploaded == 0;
                    _coordinator!.Tell(new CacheCounted(direct ? CacheOutcome.DirectHit : CacheOutcome.Hit, serve.Bytes));
                    _connection.Send(new CompileResult(0, serve.Hit.Stdout, serve.Hit.Stderr, serve.Outputs, serve.Hit.Producer, _clock.ElapsedMilliseconds, null, Cached: true));
                    Finish();
                    return;
            }
        });
        // The lookup failed (a disk error in the store, say): a miss, the job compiles.
        Receive<Akka.Actor.Status.Failure>(f =>
        {
            _log.Warning("the result cache failed a lookup for {0}: {1}", _source, f.Cause.Message);
            _coordinator!.Tell(new CacheCounted(CacheOutcome.Miss));
            Submit();
        });
        Common();
    }

    private void Submit()
    {
        var request = _request!;
        var files = _files!;
        // The worker's own rule, applied here first: a job refused for what it says never reaches a worker, so a
        // user's malformed job compiles locally and backs off no worker for anyone.
        if (JobContent.Problem(_command!, request.WorkingDirectory, _systemDirectories ?? Array.Empty<string>(), request.Environment, _mirror!) is { } problem)
        {
            _coordinator!.Tell(new RequestLocalSlot(Self, $"the job cannot run on a worker: {problem}", Quiet: false, _source));
            Become(AwaitingGrant);
            return;
        }
        var spec = new JobSpec(
            JobId: Guid.NewGuid().ToString("N")[..8],
            Session: Self,
            Source: _source,
            Toolchain: _preprocess!.Toolchain,
            Args: request.Args.ToArray(),
            WorkingDirectory: request.WorkingDirectory,
            Mirror: _mirror!,
            SystemIncludeDirectories: (_systemDirectories ?? Array.Empty<string>()).ToArray(),
            PreincludeStdcPredef: _manifest!.PreincludeStdcPredef,
            Environment: request.Environment.Select(v => new EnvironmentVariable(v.Key, v.Value)).ToArray(),
            ColorDiagnostics: request.ColorDiagnostics,
            InputBytes: _inputBytes,
            Contents: files.Held(_mirror!.Where(e => e.Kind == MirrorEntryKind.File).Select(e => e.Hash!)));
        _coordinator!.Tell(new SubmitJob(spec));
        Become(Waiting);
    }

    private void Waiting()
    {
        Receive<ContentsWanted>(OnContentsWanted);
        Receive<FrameReceived>(f => f.Message is FileContents && _rereading is not null, f =>
        {
            var (jobId, supervisor, wanted) = _rereading!.Value;
            _rereading = null;
            var files = _files!;
            var again = (FileContents)f.Message;
            Task.Run(() => files.Verify(again, wanted)).PipeTo(Self,
                success: found => new ContentsChecked(jobId, supervisor, found, wanted),
                failure: _ => new ContentsChecked(jobId, supervisor, new(), wanted));
        });
        Receive<ContentsChecked>(c =>
        {
            if (c.Found.Count == c.Wanted.Count) c.Supervisor.Tell(new ContentsFound(c.JobId, c.Found));
            else c.Supervisor.Tell(new ContentsLost(c.JobId, "an input changed since it was scanned"));
        });
        Receive<JobResultReady>(r =>
        {
            if (r.Failed is { } verdict && _manifest!.Scan == InputScan.Scanner)
            {
                // The include scanner's files may have missed one: the compiler's own scan decides.
                _rescan = (verdict, FilePaths(_mirror!));
                _connection.Send(new Rescan());
                Become(Scanning);
                return;
            }
            if (r.Failed is { } failed)
            {
                // distcc's rule: a compiler error from a helper is confirmed by a local compile, whose result the user gets.
                _coordinator!.Tell(new RequestLocalSlot(Self, $"the compile failed on {failed.WorkerAddress}; compiling locally to confirm", Quiet: true, _source, failed));
                Become(AwaitingGrant);
                return;
            }
            _connection.Send(ToSocket(r.Result));
            if (r.Result.ExitCode == 0 && _key is not null) Keep(_key, r.Result);
            Finish();
        });
        Receive<LocalGranted>(RunLocallyGranted);
        Common();
    }

    /// <summary>The job's supervisor needs contents its worker lacks: those sent for this job now, the others read again by the wrapper.</summary>
    private void OnContentsWanted(ContentsWanted m)
    {
        var files = _files!;
        var held = files.Held(m.Hashes);
        if (held.Count == m.Hashes.Count)
        {
            Sender.Tell(new ContentsFound(m.JobId, held));
            return;
        }
        if (_rereading is not null)
        {
            Sender.Tell(new ContentsLost(m.JobId, "another request for contents is still being read"));
            return;
        }
        var paths = files.PathsOf(m.Hashes);
        _rereading = (m.JobId, Sender, m.Hashes.ToHashSet(StringComparer.Ordinal));
        _connection.Send(new NeedFiles(paths));
    }

    private static HashSet<string> FilePaths(IEnumerable<MirrorEntry> mirror) =>
        mirror.Where(e => e.Kind == MirrorEntryKind.File).Select(e => e.Path).ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// The compiler's scan after the scanner's job failed: a file the scanner did not list is a miss (counted),
    /// and the job is submitted again with the compiler's list; with nothing missed, the failure is the
    /// compiler's own verdict, confirmed by a local compile as any other.
    /// </summary>
    private void OnRescanned(JobManifest manifest, MirrorEntry[] mirror, RemoteVerdict verdict, HashSet<string> scanned)
    {
        _rescan = null;
        var missed = FilePaths(mirror).Where(p => !scanned.Contains(p)).ToList();
        if (missed.Count == 0)
        {
            _coordinator!.Tell(new RequestLocalSlot(Self, $"the compile failed on {verdict.WorkerAddress}; compiling locally to confirm", Quiet: true, _source, verdict));
            Become(AwaitingGrant);
            return;
        }
        _log.Warning("the include scanner missed {0} file(s) of {1} ({2}); compiling it again with the compiler's list", missed.Count, _source, string.Join(", ", missed.Take(3)));
        _coordinator!.Tell(new ScanCounted(ScanOutcome.Missed));
        _manifest = manifest;
        _mirror = mirror;
        _key = null; // a job whose first list was wrong is not kept: its key named the scanner's list
        Submit();
    }

    /// <summary>
    /// Keeps a successful result in the cache, unless an input names __DATE__, __TIME__ or __TIMESTAMP__ (its
    /// object changes with the clock). Compressing runs on the thread pool.
    /// </summary>
    private void Keep(string key, JobResult result)
    {
        var cache = _settings.Cache!;
        var files = _files!;
        if (!files.Keepable(_manifest!.Origins)) return;
        // Kept by what each file is, not by this command's paths (the key leaves them out).
        if (ResultOutputs.ToKept(_command!, result.Outputs) is not { } kept) return;
        Task.Run(() =>
        {
            var outputs = kept.Select(o => Payload.ToOutput(o.Key, o.Value)).ToArray();
            cache.Tell(new CacheKeep(key, new CachedResult(result.Stdout, result.Stderr, outputs, result.Worker, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())));
        });
    }

    /// <summary>The coordinator's result as the wrapper's protocol has it.</summary>
    private static CompileResult ToSocket(JobResult r) =>
        new(r.ExitCode, r.Stdout, r.Stderr, r.Outputs, r.Worker, r.ElapsedMilliseconds,
            new JobTiming(r.Times.Queue, r.Times.Remote, r.Times.Worker, r.Times.Mirror, r.Times.Compiler));

    private void RunLocallyGranted(LocalGranted g)
    {
        _confirming = g.Confirm;
        _connection.Send(new RunLocally(g.Reason, g.Quiet, Confirm: g.Confirm is not null || _verifying is not null));
        if (_settings.LocalSlotBound is { } bound) Timers.StartSingleTimer(LocalSlotBoundReached.Instance, LocalSlotBoundReached.Instance, bound);
        Become(RunningLocally);
    }

    /// <summary>The wrapper's local compile has held its local slot for <see cref="SessionSettings.LocalSlotBound"/>.</summary>
    private sealed class LocalSlotBoundReached
    {
        public static readonly LocalSlotBoundReached Instance = new();
    }

    /// <summary>A local compile compared with the cached result it checks, off this actor's thread (it hashes the result's files).</summary>
    private sealed record CachedResultChecked(string? Difference, string? Problem = null) : INoSerializationVerificationNeeded;

    /// <summary>The comparison runs on the pool; the session waits for it, also when the wrapper has closed the connection meanwhile.</summary>
    private void CheckingCachedResult()
    {
        Receive<CachedResultChecked>(c =>
        {
            if (c.Problem is { } problem) _log.Warning("a cached result for {0} could not be checked: {1}", _source, problem);
            else Verified(_verifying!.Value, c.Difference);
            Finish();
        });
        Receive<ConnectionClosed>(_ => { }); // the wrapper is done; the check is not
        ReceiveAny(m => _log.Debug("session ignores {0} while checking a cached result", m.GetType().Name));
    }

    /// <summary>A difference drops the entry and backs off its producer; agreement counts as verified.</summary>
    private void Verified((CachedResult Hit, List<KeyValuePair<string, byte[]>> Outputs, string? Accountable, string? Owner) verifying, string? details)
    {
        if (details is null)
        {
            _coordinator!.Tell(new CacheCounted(CacheOutcome.Verified));
            return;
        }
        // Blamed: the producer when this node kept the result from its own job, else the member that stored it
        // (no one when that cannot be named: the entry still goes).
        _settings.Cache!.Tell(new CacheReject(_key!, verifying.Accountable, verifying.Owner));
        _coordinator!.Tell(new CacheDiscrepancy(verifying.Accountable ?? "", _source, details));
    }

    private void RunningLocally()
    {
        // The slot goes to the next waiter; the compile itself carries on, and its report is still taken.
        Receive<LocalSlotBoundReached>(_ =>
        {
            _log.Warning("the local compile of {0} has held its local slot for {1:0} s without a report: the slot is released", _source, _settings.LocalSlotBound!.Value.TotalSeconds);
            _coordinator?.Tell(new ReleaseLocalSlot(Self));
        });
        Receive<FrameReceived>(f => f.Message is LocalDone, f =>
        {
            var done = (LocalDone)f.Message;
            _coordinator?.Tell(new LocalFinished(Self));
            if (_confirming is { } remote && RemoteVerdictCheck.Difference(remote, done) is { } details)
                _coordinator?.Tell(new Discrepancy(remote.WorkerId, remote.WorkerAddress, _source, details));
            if (_verifying is { } cached)
            {
                Task.Run(() => CachedResultCheck.Difference(cached.Outputs, cached.Hit.Stderr, done))
                    .PipeTo(Self, success: d => new CachedResultChecked(d), failure: e => new CachedResultChecked(null, e.GetBaseException().Message));
                Become(CheckingCachedResult);
                return;
            }
            Finish();
        });
        Common();
    }

    private void Refuse(string problem)
    {
        _log.Warning("refused a wrapper request: {0}", problem);
        _connection.Send(new ErrorReply(problem));
        Finish();
    }

    private void Finish()
    {
        _connection.Close();
        Context.Stop(Self);
    }

    protected override void PostStop() => _connection.Close();
}
