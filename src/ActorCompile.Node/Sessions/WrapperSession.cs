using Akka.Actor;
using Akka.Event;
using ActorCompile.LocalProtocol;
using ActorCompile.Coordinator;
using ActorCompile.LocalProtocol.Status;
using ActorCompile.Node.Cache;
using ActorCompile.Node.Status;
using ActorCompile.Protocol;
using ActorCompile.Toolchain.Cache;
using ActorCompile.Protocol.Messages;
using ActorCompile.Toolchain.Arguments;
using ActorCompile.Toolchain.Identity;
using ActorCompile.Toolchain.Jobs;
using ActorCompile.Toolchain.Paths;

namespace ActorCompile.Node.Sessions;

/// <summary>
/// One connection from a wrapper or the status CLI, as a state machine that follows the conversation in
/// <see cref="LocalMessage"/>. Anything out of order or malformed is answered with an error and the
/// connection is closed; the node carries on. The session knows its caller (the peer credentials of the
/// connection): what the wrapper says about its compiler is learned for that user only. When the session
/// stops, its local slot, its queued job and its pinned contents are released (the coordinator and the
/// job's supervisor watch it).
/// </summary>
public sealed class WrapperSession : ReceiveActor, IWithTimers
{
    /// <summary>Most entries a job's manifest may have.</summary>
    public const int MaximumManifestEntries = 200_000;

    /// <summary>Most default header directories a compiler may report, and the longest text a toolchain's description may have.</summary>
    private const int MaximumSystemDirectories = 1024, MaximumToolchainText = 1024, MaximumPathLength = 4096;

    private sealed class SendHeartbeat : INoSerializationVerificationNeeded { public static readonly SendHeartbeat Instance = new(); }

    private sealed record StatusAnswer(LocalMessage Reply) : INoSerializationVerificationNeeded;

    /// <summary>The upload was stored (hashed and compressed off this actor's thread), or why not.</summary>
    private sealed record Stored(string? Problem) : INoSerializationVerificationNeeded;

    private readonly ISessionConnection _connection;
    private readonly PeerCredentials _caller;
    private readonly IActorRef? _coordinator;
    private readonly IActorRef _statusView;
    private readonly BlobStore _blobs;
    private readonly long _maxJobBytes;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private CompileRequest? _request;
    private string _source = "?";
    private PreprocessGranted? _preprocess;
    private JobManifest? _manifest;
    private IReadOnlyList<string>? _systemDirectories;
    private IDisposable? _pins;
    private RemoteVerdict? _confirming;
    private readonly IActorRef? _cache;
    private readonly double _verifyRate;
    /// <summary>The job's key in the result cache, once its manifest is known; null when the cache is not used for it.</summary>
    private string? _key;
    /// <summary>A hit that a local compile is checking (verify-rate): the result it must equal.</summary>
    private CachedResult? _verifying;
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="cache">This node's result cache (null: off here).</param>
    /// <param name="verifyRate">The share of cache hits compiled locally instead, to compare.</param>
    public WrapperSession(ISessionConnection connection, PeerCredentials caller, IActorRef? coordinator, IActorRef statusView, BlobStore blobs, long maxJobBytes,
        IActorRef? cache = null, double verifyRate = 0)
    {
        _cache = cache;
        _verifyRate = verifyRate;
        _connection = connection;
        _caller = caller;
        _coordinator = coordinator;
        _statusView = statusView;
        _blobs = blobs;
        _maxJobBytes = maxJobBytes;
        Become(Start);
    }

    /// <summary>Heartbeats keep the wrapper waiting patiently, also while it queues for a local slot.</summary>
    protected override void PreStart() => Timers.StartPeriodicTimer("heartbeat", SendHeartbeat.Instance, TimeSpan.FromSeconds(5));

    public static Props Props(ISessionConnection connection, PeerCredentials caller, IActorRef? coordinator, IActorRef statusView, BlobStore blobs, long maxJobBytes,
        IActorRef? cache = null, double verifyRate = 0) =>
        Akka.Actor.Props.Create(() => new WrapperSession(connection, caller, coordinator, statusView, blobs, maxJobBytes, cache, verifyRate));

    private void Common()
    {
        Receive<SendHeartbeat>(_ => _connection.Send(new Heartbeat()));
        Receive<ConnectionClosed>(_ => Context.Stop(Self));
        Receive<FrameReceived>(f => Refuse($"unexpected {f.Message.Type} message at this point of the conversation"));
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
        if (_cache is null)
        {
            _connection.Send(new CacheCleared(0, 0));
            Finish();
            return;
        }
        _cache.Ask<CacheClearedHere>(ClearCache.Instance, TimeSpan.FromSeconds(60))
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
        var command = CompileCommand.Parse(request.Args);
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
            var info = (ToolchainInfo)f.Message;
            if (info.Fingerprint.Length != 64 || !info.Fingerprint.All(char.IsAsciiHexDigitLower))
            {
                Refuse("the toolchain fingerprint must be 64 lowercase hexadecimal digits");
                return;
            }
            if (new[] { info.Family, info.Version, info.Target, info.DriverLanguage }.Any(t => t.Length > MaximumToolchainText))
            {
                Refuse($"a toolchain's family, version, target and language are at most {MaximumToolchainText} characters each");
                return;
            }
            var identity = new ToolchainIdentity(info.Fingerprint, info.Family, info.Version, info.Target, info.DriverLanguage);
            _coordinator!.Tell(new ToolchainLearned(Self, _caller.Uid, _request!.CompilerKey, identity));
        });
        Receive<LocalGranted>(RunLocallyGranted);
        Receive<PreprocessGranted>(g =>
        {
            _preprocess = g;
            _connection.Send(new Preprocess(g.SystemIncludeDirectories));
            Become(Scanning);
        });
        Common();
    }

    private void Scanning()
    {
        Receive<FrameReceived>(f => f.Message is JobManifest, f =>
        {
            var manifest = (JobManifest)f.Message;
            _coordinator!.Tell(new ReleaseLocalSlot(Self));
            if (Validate(manifest) is { } problem)
            {
                Refuse(problem);
                return;
            }
            var size = manifest.Entries.Where(e => e.Kind == MirrorEntryKind.File).Sum(e => Math.Max(0, e.Size));
            if (size > _maxJobBytes)
            {
                _coordinator.Tell(new RequestLocalSlot(Self,
                    $"the job's inputs ({Sizes.Format(size)}) exceed the node's max-job-size ({Sizes.Format(_maxJobBytes)})", Quiet: false, _source));
                Become(AwaitingGrant);
                return;
            }
            _manifest = manifest;
            _systemDirectories = manifest.SystemIncludeDirectories ?? _preprocess!.SystemIncludeDirectories;
            if (manifest.SystemIncludeDirectories is { } dirs && _request!.SystemIncludeKey is { } key)
                _coordinator.Tell(new SystemIncludesLearned(_caller.Uid, key, dirs));
            if (_cache is not null && _request!.UseCache)
            {
                _key = KeyOf(_request, _preprocess!.Toolchain.Fingerprint, manifest, _systemDirectories ?? Array.Empty<string>());
                _cache.Tell(new CacheLookUp(_key));
                Become(LookingUp);
            }
            else FetchContents();
        });
        Receive<FrameReceived>(f => f.Message is LocalDone, _ =>
        {
            // The scan failed on the target: the wrapper compiled locally to show the compiler's own error.
            Finish();
        });
        Common();
    }

    /// <summary>The job's name in the result cache (see <see cref="ResultKey"/>).</summary>
    private static string KeyOf(CompileRequest request, string fingerprint, JobManifest manifest, IReadOnlyList<string> systemDirectories) =>
        ResultKey.Compute(fingerprint, request.Args, request.WorkingDirectory, request.Environment, request.ColorDiagnostics,
            systemDirectories, manifest.PreincludeStdcPredef, manifest.Entries);

    private void LookingUp()
    {
        Receive<CacheFound>(f =>
        {
            if (f.Result is not { } hit)
            {
                if (f.Distrusted is { } why) _log.Info("a cached result for {0} is not used: {1}", _source, why);
                _coordinator!.Tell(new CacheCounted(CacheOutcome.Miss));
                FetchContents();
                return;
            }
            if (_verifyRate > 0 && Random.Shared.NextDouble() < _verifyRate)
            {
                // Checked by the user's own compiler: the wrapper compiles locally and reports what it wrote.
                _verifying = hit;
                _coordinator!.Tell(new RequestLocalSlot(Self, "checking a cached result", Quiet: true, _source));
                Become(AwaitingGrant);
                return;
            }
            List<KeyValuePair<string, byte[]>> outputs;
            try
            {
                outputs = hit.Outputs.Select(o => new KeyValuePair<string, byte[]>(o.Path, Payload.Decompress(o.Compressed, o.Length))).ToList();
            }
            catch (Exception e) when (e is InvalidDataException or ArgumentException)
            {
                _log.Warning("a cached result for {0} does not decompress ({1}); compiling it", _source, e.Message);
                _coordinator!.Tell(new CacheCounted(CacheOutcome.Miss));
                FetchContents();
                return;
            }
            _coordinator!.Tell(new CacheCounted(_manifest!.Direct ? CacheOutcome.DirectHit : CacheOutcome.Hit, outputs.Sum(o => (long)o.Value.Length)));
            _connection.Send(new CompileResult(0, hit.Stdout, hit.Stderr, outputs, hit.Producer, _clock.ElapsedMilliseconds, null, Cached: true));
            Finish();
        });
        // The lookup failed (a disk error in the store, say): a miss, the job compiles.
        Receive<Akka.Actor.Status.Failure>(f =>
        {
            _log.Warning("the result cache failed a lookup for {0}: {1}", _source, f.Cause.Message);
            _coordinator!.Tell(new CacheCounted(CacheOutcome.Miss));
            FetchContents();
        });
        Common();
    }

    /// <summary>Asks the wrapper for the contents the node lacks, or submits the job when it has them all.</summary>
    private void FetchContents()
    {
        var missing = _blobs.Missing(FileHashes());
        if (missing.Count == 0) Submit();
        else
        {
            _connection.Send(new NeedBlobs(missing));
            Become(Uploading);
        }
    }

    private void Uploading()
    {
        Receive<FrameReceived>(f => f.Message is Blobs, f =>
        {
            // SHA-256 and LZ4 over up to max-job-size bytes: on the thread pool, so that a big upload never
            // holds this session's dispatcher thread (and the coordinator's and other sessions' with it).
            // The wrapper sends nothing before it is answered, so no frame arrives meanwhile.
            var items = ((Blobs)f.Message).Items;
            var blobs = _blobs;
            Task.Run(() => Store(items, blobs)).PipeTo(Self, success: problem => new Stored(problem),
                failure: e => new Stored($"the node could not store the contents: {e.Message}"));
            Become(Storing);
        });
        Common();
    }

    /// <summary>Stores each content whose SHA-256 is its name; stops at the first that is not, and says which.</summary>
    private static string? Store(IReadOnlyList<KeyValuePair<string, byte[]>> items, BlobStore blobs)
    {
        foreach (var (hash, content) in items)
            if (!blobs.Add(hash, content)) return $"content sent as {hash} does not have that SHA-256";
        return null;
    }

    private void Storing()
    {
        Receive<Stored>(s =>
        {
            if (s.Problem is { } problem)
            {
                Refuse(problem);
                return;
            }
            var missing = _blobs.Missing(FileHashes());
            if (missing.Count > 0)
            {
                Refuse($"{missing.Count} contents are still missing after the upload");
                return;
            }
            Submit();
        });
        Common();
    }

    private IEnumerable<string> FileHashes() =>
        _manifest!.Entries.Where(e => e.Kind == MirrorEntryKind.File).Select(e => e.Hash!);

    private void Submit()
    {
        var hashes = FileHashes().ToList();
        _pins = _blobs.Pin(hashes);
        if (_blobs.Missing(hashes).Count > 0)
        {
            // Evicted between upload and pin: ask again.
            _pins.Dispose();
            _pins = null;
            _connection.Send(new NeedBlobs(_blobs.Missing(hashes)));
            Become(Uploading);
            return;
        }
        var bytes = InputBytes();
        if (bytes > _maxJobBytes)
        {
            // The manifest declared less than the contents that came: the real bytes decide.
            _pins.Dispose();
            _pins = null;
            _coordinator!.Tell(new RequestLocalSlot(Self,
                $"the job's inputs ({Sizes.Format(bytes)}) exceed the node's max-job-size ({Sizes.Format(_maxJobBytes)})", Quiet: false, _source));
            Become(AwaitingGrant);
            return;
        }
        var request = _request!;
        var spec = new JobSpec(
            JobId: Guid.NewGuid().ToString("N")[..8],
            Session: Self,
            Source: _source,
            Toolchain: _preprocess!.Toolchain,
            Args: request.Args.ToArray(),
            WorkingDirectory: request.WorkingDirectory,
            Mirror: _manifest!.Entries.ToArray(),
            SystemIncludeDirectories: (_systemDirectories ?? Array.Empty<string>()).ToArray(),
            PreincludeStdcPredef: _manifest.PreincludeStdcPredef,
            Environment: request.Environment.Select(v => new EnvironmentVariable(v.Key, v.Value)).ToArray(),
            ColorDiagnostics: request.ColorDiagnostics,
            InputBytes: bytes);
        _coordinator!.Tell(new SubmitJob(spec));
        Become(Waiting);
    }

    /// <summary>What the job's mirror holds: the real length of every file entry's contents (entries that share contents count each time).</summary>
    private long InputBytes() =>
        _manifest!.Entries.Where(e => e.Kind == MirrorEntryKind.File).Sum(e => (long)(_blobs.Get(e.Hash!)?.Length ?? 0));

    private void Waiting()
    {
        Receive<JobResultReady>(r =>
        {
            _connection.Send(ToSocket(r.Result));
            if (r.Result.ExitCode == 0 && _key is not null) Keep(_key, r.Result);
            Finish();
        });
        Receive<LocalGranted>(RunLocallyGranted);
        Common();
    }

    /// <summary>
    /// Keeps a successful result in the cache, unless an input names __DATE__, __TIME__ or __TIMESTAMP__ (its
    /// object changes with the clock: the blob store noted that when the content came in; the job's inputs
    /// are still pinned there, since this session has not stopped yet). Compressing runs on the thread pool.
    /// </summary>
    private void Keep(string key, JobResult result)
    {
        var cache = _cache!;
        var blobs = _blobs;
        var hashes = FileHashes().Distinct().ToList();
        // Unknown (no longer stored) counts as time-dependent: not cached.
        if (hashes.Any(h => blobs.MentionsTimeMacros(h) != false)) return;
        Task.Run(() =>
        {
            var outputs = result.Outputs.Select(o => Payload.ToOutput(o.Key, o.Value)).ToArray();
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
        Become(RunningLocally);
    }

    /// <summary>Compares a local compile with the cached result it checks; a difference drops the entry and backs off its producer.</summary>
    private void CheckCachedResult(CachedResult cached, LocalDone done)
    {
        string Hash(byte[] data) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(data));
        List<KeyValuePair<string, string>> expected;
        try
        {
            expected = cached.Outputs.Select(o => new KeyValuePair<string, string>(o.Path, Hash(Payload.Decompress(o.Compressed, o.Length))))
                .OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
        }
        catch (InvalidDataException)
        {
            expected = new(); // a result that does not decompress differs from any compile
        }
        var got = (done.OutputHashes ?? Array.Empty<KeyValuePair<string, string>>()).OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
        string? details =
            done.ExitCode != 0 ? $"the cached result succeeded, the local compile exited with {done.ExitCode}"
            : !expected.SequenceEqual(got) ? "the local compile wrote other bytes than the cached result"
            : done.StderrHash is not null && done.StderrHash != Hash(cached.Stderr) ? "the local compile printed other diagnostics than the cached result"
            : null;
        if (details is null)
        {
            _coordinator!.Tell(new CacheCounted(CacheOutcome.Verified));
            return;
        }
        _cache!.Tell(new CacheReject(_key!, cached.Producer));
        _coordinator!.Tell(new CacheDiscrepancy(cached.Producer, _source, details));
    }

    private void RunningLocally()
    {
        Receive<FrameReceived>(f => f.Message is LocalDone, f =>
        {
            var done = (LocalDone)f.Message;
            _coordinator?.Tell(new LocalFinished(Self));
            if (_verifying is { } cached) CheckCachedResult(cached, done);
            if (_confirming is { } remote && (done.ExitCode != remote.ExitCode || (done.StderrHash is not null && done.StderrHash != remote.StderrHash)))
            {
                var details = done.ExitCode != remote.ExitCode
                    ? $"the worker's compiler exited with {remote.ExitCode}, the local one with {done.ExitCode}"
                    : "the worker's compiler printed other diagnostics than the local one";
                _coordinator?.Tell(new Discrepancy(remote.WorkerId, remote.WorkerAddress, _source, details));
            }
            Finish();
        });
        Common();
    }

    private string? Validate(JobManifest manifest)
    {
        if (manifest.Entries.Count > MaximumManifestEntries) return $"the manifest has more than {MaximumManifestEntries} entries";
        if (manifest.SystemIncludeDirectories is null && _preprocess!.SystemIncludeDirectories is null)
            return "the manifest lacks the compiler's system include directories";
        if (manifest.SystemIncludeDirectories is { } dirs
            && (dirs.Count > MaximumSystemDirectories || dirs.Any(d => !d.StartsWith('/') || d.Length > MaximumPathLength || d.Contains('\0'))))
            return $"the system include directories must be at most {MaximumSystemDirectories} absolute paths"; // clang's are not normalised (/usr/bin/../lib/...)
        foreach (var e in manifest.Entries)
        {
            // Unknown kinds never get here: the frame's decoder refuses them.
            if (!MirrorPaths.IsSafeMirrorPath(e.Path)) return $"path {e.Path} is not absolute and normalised";
            if (e.Kind == MirrorEntryKind.File && (e.Hash is null || e.Hash.Length != 64 || !e.Hash.All(char.IsAsciiHexDigitLower)))
                return $"file {e.Path} lacks a SHA-256";
        }
        return null;
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

    protected override void PostStop()
    {
        _pins?.Dispose();
        _connection.Close();
    }
}
