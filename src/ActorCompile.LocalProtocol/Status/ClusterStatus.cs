using System.Text.Json;
using System.Text.Json.Serialization;

namespace ActorCompile.LocalProtocol.Status;

/// <summary>
/// The whole cluster as one node sees it: the schema of <c>actorcompile status --json</c>. Names are
/// stable; new fields may be added, none renamed or removed. Times are seconds, sizes are counts.
/// <see cref="Rejoins"/>: how often the answering node started again (in place): after the cluster removed it, or after a TLS handshake it dialled failed.
/// <see cref="RefusedMessages"/>: the messages the answering node refused from the wire, by name: remote control (Kill,
/// Down, Leave, ...), "wire version N" (a node of another release), "an unknown kind of message", "malformed Type".
/// </summary>
public sealed record ClusterStatus(
    string Node,
    DateTimeOffset Time,
    IReadOnlyList<MemberStatus> Members,
    IReadOnlyList<WorkerStatus> Workers,
    IReadOnlyList<CoordinatorStatus> Coordinators,
    IReadOnlyList<JobStatus> Jobs,
    IReadOnlyList<RefusedConnectionStatus>? RefusedConnections = null,
    ClusterCacheStatus? Cache = null,
    SecurityStatus? Security = null,
    int Rejoins = 0,
    IReadOnlyList<RefusedMessageStatus>? RefusedMessages = null)
{
    /// <summary>The slots of reachable workers that are not backed off, plus the given local slots: what to give make -j.</summary>
    public int SuggestedJobs(int localSlots) =>
        Workers.Where(w => w.State == "up").Sum(w => w.Slots) + localSlots;
}

/// <summary>
/// How the viewing node's cluster connections are protected. A node talks only to members of its own kind
/// (TLS nodes and insecure nodes cannot connect), so this is the cluster's as far as this node can reach it.
/// </summary>
/// <param name="Transport">"mutual-tls" (every connection authenticated with the pinned cluster certificate), or "insecure" (no TLS: any process that reaches the port may join).</param>
/// <param name="Detail">What it rests on: the certificate's pin and where it comes from, or what insecure exposes.</param>
public sealed record SecurityStatus(string Transport, string Detail);

/// <summary>A remote control message this node refused to read (by its type name), and how often.</summary>
public sealed record RefusedMessageStatus(string Message, long Count);

/// <summary>A cluster member: address (host:port), roles, and state (up, joining, leaving, exiting, down, removed, unreachable).</summary>
public sealed record MemberStatus(string Address, IReadOnlyList<string> Roles, string State);

/// <summary>A worker as it last reported itself.</summary>
/// <param name="State">up, unreachable, leaving, backed-off.</param>
/// <param name="Slots">Job slots it offers.</param>
/// <param name="Running">Jobs it is compiling now.</param>
/// <param name="PeakRunning">The most jobs it ever ran at once (never more than its slots).</param>
/// <param name="Completed">Jobs it finished (any exit code).</param>
/// <param name="Failed">Jobs that failed for a reason other than the compiler's verdict (crash, timeout, missing input, refusal).</param>
/// <param name="MeanCompileSeconds">Mean time of its recent jobs.</param>
/// <param name="RefusedCoordinators">Kept for compatibility and empty: workers now refuse coordinators outside their
/// allowed networks at the transport, before any message; see <see cref="ClusterStatus.RefusedConnections"/>.</param>
/// <param name="Shipping">Whether it runs toolchains its targets ship: "on (x86_64, i386)", "off (...)", "unavailable: why".</param>
/// <param name="ShippedToolchains">The shipped toolchains it holds, and those whose files are on their way.</param>
/// <param name="Sandbox">How it confines compiles: "sandboxed (...)", "unsandboxed (...)" (sandbox = off), or "unavailable: why" (it serves no job).</param>
/// <param name="LastFailure">Why the latest of its <see cref="Failed"/> jobs failed ("" when none has): what backs a worker off.</param>
public sealed record WorkerStatus(
    string Address,
    string State,
    int Slots,
    int Running,
    int PeakRunning,
    long Completed,
    long Failed,
    long Discrepancies,
    int Cores,
    double LoadAverage,
    double MeanCompileSeconds,
    IReadOnlyList<ToolchainStatus> Toolchains,
    IReadOnlyList<string> RefusedCoordinators,
    string Sandbox,
    string Shipping = "",
    IReadOnlyList<ShippedToolchainStatus>? ShippedToolchains = null,
    string LastFailure = "");

/// <summary>
/// Connections a node's transport refused with one remote address (outside the node's allowed networks,
/// judged by the socket's address): the node that refused (this one even before it has joined a
/// cluster), the address, how many times, and why.
/// </summary>
public sealed record RefusedConnectionStatus(string Node, string Address, long Count, string Reason);

/// <summary>A toolchain a worker offers: its name(s) on that worker, version, target and fingerprint.</summary>
public sealed record ToolchainStatus(string Name, string Version, string Target, string Fingerprint);

/// <summary>A coordinator: its queue and local slots, and the toolchains no worker offers (install them on a helper).</summary>
public sealed record CoordinatorStatus(
    string Address,
    int Queued,
    int InFlight,
    int LocalSlots,
    int LocalSlotsBusy,
    long Distributed,
    long Local,
    IReadOnlyList<UnservedToolchainStatus> UnservedToolchains,
    long ToolchainBytesShipped = 0,
    CacheStatus? Cache = null,
    ScanStatus? Scans = null,
    IReadOnlyList<LocalSlotUserStatus>? LocalSlotUsers = null);

/// <summary>A local user's share of a coordinator's local slots: held by its sessions, and its sessions waiting (uid, as the kernel names the user).</summary>
public sealed record LocalSlotUserStatus(uint Uid, int Held, int Waiting);

/// <summary>
/// How a coordinator's jobs found their inputs: "scanned" by the include scanner (no compiler ran on the
/// target), "declined" by it (the compiler's -M scan ran), and "missed": a scanner's job failed remotely and the
/// compiler's scan found files the scanner had not (compiled again, correctly).
/// </summary>
public sealed record ScanStatus(long Scanned, long Declined, long Missed);

/// <summary>
/// What the result cache did for a coordinator's jobs (or, in <see cref="ClusterCacheStatus"/>, for all of
/// them): hits (direct hits, for which the node remembered every file and the wrapper read none, included), misses, hits compiled again
/// locally to check them (verify-rate) and the discrepancies that found, the bytes delivered from the cache,
/// and hits / (hits + misses).
/// </summary>
public sealed record CacheStatus(long Hits, long DirectHits, long Misses, long Verified, long Discrepancies, long BytesServed, double HitRate)
{
    public static double RateOf(long hits, long misses) => hits + misses == 0 ? 0 : Math.Round((double)hits / (hits + misses), 4);
}

/// <summary>The cluster's result cache: the coordinators' counters added up, and every node's store.</summary>
public sealed record ClusterCacheStatus(CacheStatus Totals, IReadOnlyList<CacheStoreStatus> Stores);

/// <summary>A node's store of results: entries, bytes, its limit (actorcompile.cache.size), entries found corrupt and dropped since it started.</summary>
public sealed record CacheStoreStatus(string Node, long Entries, long Bytes, long LimitBytes, long Corrupt);

/// <summary>A toolchain a target shipped to a worker: state "held" (its root is kept there) or "transferring".</summary>
public sealed record ShippedToolchainStatus(string Id, string Fingerprint, long Bytes, string State);

/// <summary>A toolchain this coordinator's wrappers use that no worker offers: its compiles ran locally.</summary>
public sealed record UnservedToolchainStatus(string Name, string Version, string Target, string Fingerprint, long Compiles);

/// <summary>A job in flight (phase queued, preprocessing, sending, compiling, returning, local), or one that finished in the last seconds (done; elapsed is then its duration).</summary>
public sealed record JobStatus(string Id, string Coordinator, string Source, string Phase, string? Worker, double ElapsedSeconds);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(ClusterStatus))]
[JsonSerializable(typeof(ClusterCacheStatus))]
public sealed partial class StatusJsonContext : JsonSerializerContext;

public static class StatusJson
{
    public static string Serialize(ClusterStatus status) => JsonSerializer.Serialize(status, StatusJsonContext.Default.ClusterStatus);

    public static string SerializeCache(ClusterCacheStatus cache) => JsonSerializer.Serialize(cache, StatusJsonContext.Default.ClusterCacheStatus);

    public static ClusterStatus Deserialize(string json) =>
        JsonSerializer.Deserialize(json, StatusJsonContext.Default.ClusterStatus)
        ?? throw new ProtocolException("status reply is empty");
}
