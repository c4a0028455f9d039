using Akka.Actor;
using ActorCompile.Protocol.Messages;
using ActorCompile.Toolchain.Identity;
using ActorCompile.Toolchain.Jobs;

namespace ActorCompile.Coordinator;

// Messages between the actors of one node (the node's wrapper sessions, the coordinator, job supervisors).
// They never cross the network, so they are not IClusterMessage and have no serializer. They speak of
// compiles in the coordinator's terms: the session (ActorCompile.Node.Sessions) maps the socket's messages
// to these and back.

/// <summary>A wrapper asks to compile: the coordinator decides between distributing it and a local compile.</summary>
/// <param name="CallerUid">The user the wrapper runs as (peer credentials): whose answers about compilers count for it.</param>
/// <param name="CompilerPath">The wrapper's compiler, for shipping its files to helpers that lack it.</param>
/// <param name="CompilerKey">What the wrapper's compiler is known by (path, canonical path, size, modification time).</param>
/// <param name="SystemIncludeKey">What the compiler's default header directories for this command are known by, if it asked.</param>
public sealed record OpenJob(IActorRef Session, uint CallerUid, string CompilerPath, string CompilerKey, string? SystemIncludeKey, string Source) : INoSerializationVerificationNeeded;

/// <summary>The coordinator needs the identity of the wrapper's compiler.</summary>
public sealed class AskToolchain : INoSerializationVerificationNeeded { public static readonly AskToolchain Instance = new(); }

/// <summary>A wrapper of user <paramref name="CallerUid"/> identified its compiler: learned for that user only.</summary>
public sealed record ToolchainLearned(IActorRef Session, uint CallerUid, string CompilerKey, ToolchainIdentity Identity) : INoSerializationVerificationNeeded;

/// <summary>A wrapper asks for a local slot (a command that stays local, or a fallback).</summary>
public sealed record RequestLocalSlot(IActorRef Session, string Reason, bool Quiet, string Source, RemoteVerdict? Confirm = null) : INoSerializationVerificationNeeded;

/// <summary>What a worker said about a compile that failed there, for the local compile that confirms it.</summary>
public sealed record RemoteVerdict(string WorkerId, string WorkerAddress, int ExitCode, string StderrHash) : INoSerializationVerificationNeeded;

/// <summary>A local compile disagreed with a worker's verdict on the same command.</summary>
public sealed record Discrepancy(string WorkerId, string WorkerAddress, string Source, string Details) : INoSerializationVerificationNeeded;

/// <summary>A member became unreachable: supervisors of jobs on its workers move them at once.</summary>
public sealed record MemberUnreachable(Address Node) : INoSerializationVerificationNeeded;

/// <summary>The coordinator hands a queued job back to its wrapper: every worker is busy and a local slot is free.</summary>
public sealed class CompileHere : INoSerializationVerificationNeeded { public static readonly CompileHere Instance = new(); }

/// <summary>The session may compile locally; it holds a local slot until it stops or sends <see cref="ReleaseLocalSlot"/>.</summary>
public sealed record LocalGranted(string Reason, bool Quiet, RemoteVerdict? Confirm = null) : INoSerializationVerificationNeeded;

/// <summary>The session may run the dependency scan (a local slot is held for it).</summary>
public sealed record PreprocessGranted(IReadOnlyList<string>? SystemIncludeDirectories, ToolchainIdentity Toolchain) : INoSerializationVerificationNeeded;

public sealed record ReleaseLocalSlot(IActorRef Session) : INoSerializationVerificationNeeded;

/// <summary>A local compile finished: its slot is free, and it counts as a local compile (its exit code and time decide nothing here).</summary>
public sealed record LocalFinished(IActorRef Session) : INoSerializationVerificationNeeded;

/// <summary>A wrapper of user <paramref name="CallerUid"/> reported its compiler's default header directories: learned for that user only.</summary>
public sealed record SystemIncludesLearned(uint CallerUid, string Key, IReadOnlyList<string> Directories) : INoSerializationVerificationNeeded;

/// <summary>
/// Everything a job needs. Its command, mirror and environment are CompileJob's fields again, copied in one
/// place (JobSupervisor): CompileJob is the wire message to workers.
/// </summary>
/// <param name="InputBytes">The bytes its mirror holds (every file entry's contents): what a worker's max-job-size must fit.</param>
/// <param name="Contents">The contents the wrapper sent for this job, by hash; the others the session has read
/// again when a worker lacks them (<see cref="ContentsWanted"/>). The node keeps no contents beyond its jobs.</param>
public sealed record JobSpec(
    string JobId,
    IActorRef Session,
    string Source,
    ToolchainIdentity Toolchain,
    string[] Args,
    string WorkingDirectory,
    MirrorEntry[] Mirror,
    string[] SystemIncludeDirectories,
    bool PreincludeStdcPredef,
    EnvironmentVariable[] Environment,
    bool ColorDiagnostics,
    long InputBytes,
    IReadOnlyDictionary<string, byte[]> Contents) : INoSerializationVerificationNeeded
{
    public IEnumerable<string> BlobHashes => Mirror.Where(m => m.Kind == MirrorEntryKind.File && m.Hash is not null).Select(m => m.Hash!).Distinct();
}

public sealed record SubmitJob(JobSpec Spec) : INoSerializationVerificationNeeded;

/// <summary>Where a remote compile's time went, in milliseconds.</summary>
/// <param name="Queue">From submission to a worker taking the job.</param>
/// <param name="Remote">From a worker taking the job to its result arriving here.</param>
/// <param name="Worker">On the worker: from receiving the job to sending the result.</param>
/// <param name="Mirror">On the worker: building the mirror.</param>
/// <param name="Compiler">On the worker: the compiler's own run.</param>
public sealed record JobTimes(long Queue, long Remote, long Worker, long Mirror, long Compiler);

/// <summary>A remote compile's result: exit code, what the compiler printed, the files it wrote (by their paths in the command), where and how long.</summary>
public sealed record JobResult(int ExitCode, byte[] Stdout, byte[] Stderr, IReadOnlyList<KeyValuePair<string, byte[]>> Outputs, string Worker, long ElapsedMilliseconds, JobTimes Times);

/// <summary>
/// The remote result for the wrapper (its session maps it to the socket's message). <paramref name="Failed"/>:
/// the compiler failed on the worker; the session decides between the compiler's own scan (a scanner's
/// job) and a local compile that confirms it (distcc's rule).
/// </summary>
public sealed record JobResultReady(JobResult Result, RemoteVerdict? Failed = null) : INoSerializationVerificationNeeded;

/// <summary>A job's supervisor needs contents its worker lacks (by hash) from the job's session.</summary>
public sealed record ContentsWanted(string JobId, IReadOnlyCollection<string> Hashes) : INoSerializationVerificationNeeded;

/// <summary>The contents a supervisor asked for, each checked against its hash.</summary>
public sealed record ContentsFound(string JobId, IReadOnlyDictionary<string, byte[]> Contents) : INoSerializationVerificationNeeded;

/// <summary>The contents cannot be had (a file changed since the scan, the wrapper went away): the job compiles locally.</summary>
public sealed record ContentsLost(string JobId, string Reason) : INoSerializationVerificationNeeded;

/// <summary>How a job's inputs were found, for the coordinator's counters.</summary>
public enum ScanOutcome
{
    /// <summary>By the include scanner: no compiler ran on the target.</summary>
    Scanned,
    /// <summary>The scanner declined (a computed include it cannot follow, ...): the compiler's own scan ran.</summary>
    Declined,
    /// <summary>The scanner's job failed remotely and the compiler's scan found files the scanner had not: compiled again.</summary>
    Missed,
}

public sealed record ScanCounted(ScanOutcome Outcome) : INoSerializationVerificationNeeded;

// Supervisor <-> coordinator.

/// <param name="Ship">The target's toolchain, when the worker does not offer it itself.</param>
public sealed record Assign(IActorRef Worker, string WorkerId, string WorkerAddress, long RequestId, IReadOnlyList<string> BlobsToSend, ShippableToolchain? Ship = null) : INoSerializationVerificationNeeded;

public sealed record Requeue(string JobId, IActorRef Supervisor, string Fingerprint, IReadOnlyCollection<string> ExcludedWorkers) : INoSerializationVerificationNeeded;

public sealed record JobPhase(string JobId, string Phase, string? Worker) : INoSerializationVerificationNeeded;

/// <summary>A job ended: on a worker (with its verdict) or handed to a local compile. Its duration is the coordinator's own (JobInfo.Started).</summary>
public sealed record JobEnded(string JobId, string? WorkerId, bool Remote) : INoSerializationVerificationNeeded;

/// <summary>A worker failed a job for a reason other than the compiler's verdict.</summary>
public sealed record WorkerFailed(string WorkerId, string Reason) : INoSerializationVerificationNeeded;

/// <summary>What the coordinator publishes on the node's event stream about once a second, for the status of this node.</summary>
public sealed record CoordinatorSnapshot(CoordinatorReport Report, JobReport[] Jobs) : INoSerializationVerificationNeeded;

/// <summary>What the result cache did for one job of this coordinator's wrappers.</summary>
public enum CacheOutcome
{
    /// <summary>Found after the dependency scan.</summary>
    Hit,
    /// <summary>Found, and the wrapper read no file: the node remembered every one (ccache's "direct" hit).</summary>
    DirectHit,
    /// <summary>Not found (or not trusted): the job compiles, and its result is kept when it succeeds.</summary>
    Miss,
    /// <summary>Found, and compiled locally to compare (actorcompile.cache.verify-rate); the two agreed.</summary>
    Verified,
}

/// <summary>A session tells its coordinator what the cache did for its job (<paramref name="Bytes"/>: what a hit delivered).</summary>
public sealed record CacheCounted(CacheOutcome Outcome, long Bytes = 0) : INoSerializationVerificationNeeded;

/// <summary>A local compile disagreed with a cached result: the member that answers for it (its producer when this node kept it from its own job, else the member that stored it) is backed off when it is a worker, and the discrepancy counted.</summary>
public sealed record CacheDiscrepancy(string Accountable, string Source, string Details) : INoSerializationVerificationNeeded;

/// <summary>No worker that may take this job is left (all offering workers left or failed it): compile locally.</summary>
public sealed record NoEligibleWorker(string Reason) : INoSerializationVerificationNeeded;
