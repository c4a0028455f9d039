using ActorCompile.Protocol.Serialization;
using MemoryPack;
namespace ActorCompile.Protocol.Messages;

// Every node -> DistributedPubSub topic "actorcompile-status": what it is doing, about once a second and
// on every change of a job's phase. Every node keeps the latest report of every member, so that the
// status CLI on any machine shows the whole cluster. These are not the status CLI's schema
// (LocalProtocol's ClusterStatus): the node's ClusterStatusView maps one to the other, in one place, and
// says why there are two.

[MemoryPackable]
public sealed partial record ToolchainReport([property: WireString] string Name, [property: WireString] string Version, [property: WireString] string Target, [property: WireString] string Fingerprint) : IClusterMessage
{
    [MemoryPackOnDeserialized]
    private void CheckArrived() => WireCheck.Present(nameof(ToolchainReport), Name, Version, Target, Fingerprint);
}

/// <param name="PeakRunning">The most jobs this worker ever ran at once (never more than its slots).</param>
/// <param name="LastFailure">Why its latest failed job failed (what it told that job's coordinator), or "" when none has.</param>
[MemoryPackable]
public sealed partial record WorkerReport(
    int Slots,
    int Running,
    int PeakRunning,
    long Completed,
    long Failed,
    int Cores,
    double LoadAverage,
    double MeanCompileSeconds,
    ToolchainReport[] Toolchains,
    [property: WireString] string Sandbox,
    [property: WireString] string Shipping = "",
    ShippedToolchainReport[]? Shipped = null,
    [property: WireString] string LastFailure = "") : IClusterMessage
{
    [MemoryPackOnDeserialized]
    private void CheckArrived()
    {
        WireCheck.Present(nameof(WorkerReport), Toolchains, Sandbox, Shipping, LastFailure);
        WireCheck.NoNullItems(nameof(WorkerReport), Shipped);
        // A NaN or an infinity would make every node's status JSON unwritable.
        WireCheck.Finite(nameof(WorkerReport), LoadAverage, MeanCompileSeconds);
    }
}

/// <summary>A toolchain a target shipped to this worker: held (its root is built and kept) or transferring (its files are on their way).</summary>
[MemoryPackable]
public sealed partial record ShippedToolchainReport([property: WireString] string Id, [property: WireString] string Fingerprint, long Bytes, [property: WireString] string State) : IClusterMessage
{
    [MemoryPackOnDeserialized]
    private void CheckArrived() => WireCheck.Present(nameof(ShippedToolchainReport), Id, Fingerprint, State);
}

/// <summary>A coordinator's view, including what it knows about each worker (backed off, discrepancies) and the toolchains its wrappers asked for that no worker offers.</summary>
[MemoryPackable]
public sealed partial record CoordinatorReport(
    int Queued,
    int InFlight,
    int LocalSlots,
    int LocalSlotsBusy,
    long Distributed,
    long Local,
    WorkerHealth[] Workers,
    UnservedToolchain[] Unserved,
    long ToolchainBytesShipped = 0,
    CacheCounters? Cache = null,
    ScanCounters? Scans = null,
    LocalSlotUser[]? LocalSlotUsers = null) : IClusterMessage
{
    [MemoryPackOnDeserialized]
    private void CheckArrived()
    {
        WireCheck.Present(nameof(CoordinatorReport), Workers, Unserved);
        WireCheck.NoNullItems(nameof(CoordinatorReport), LocalSlotUsers);
    }
}

/// <summary>One local user's part of a coordinator's local slots: the slots its sessions hold and the sessions it has waiting.</summary>
[MemoryPackable]
public sealed partial record LocalSlotUser(uint User, int Held, int Waiting) : IClusterMessage;

/// <summary>How a coordinator's jobs found their inputs: by the include scanner, by the compiler after the scanner declined, and the scanner's misses (found by a remote failure, compiled again).</summary>
[MemoryPackable]
public sealed partial record ScanCounters(long Scanned, long Declined, long Missed) : IClusterMessage;

/// <summary>What the result cache did for a coordinator's jobs: hits (direct ones included), misses, hits verified by a local compile, discrepancies found so, bytes delivered from it.</summary>
[MemoryPackable]
public sealed partial record CacheCounters(long Hits, long DirectHits, long Misses, long Verified, long Discrepancies, long BytesServed) : IClusterMessage;

/// <summary>A node's own store of results: entries, bytes, its limit, entries found corrupt (and dropped) since it started.</summary>
[MemoryPackable]
public sealed partial record StoredResults(long Entries, long Bytes, long LimitBytes, long Corrupt) : IClusterMessage;

/// <summary>A toolchain wrappers asked for that no worker offers, and how many compiles therefore ran locally.</summary>
[MemoryPackable]
public sealed partial record UnservedToolchain([property: WireString] string Name, [property: WireString] string Version, [property: WireString] string Target, [property: WireString] string Fingerprint, long Compiles) : IClusterMessage
{
    [MemoryPackOnDeserialized]
    private void CheckArrived() => WireCheck.Present(nameof(UnservedToolchain), Name, Version, Target, Fingerprint);
}

/// <summary>What a coordinator holds against a worker.</summary>
[MemoryPackable]
public sealed partial record WorkerHealth([property: WireString] string Address, bool BackedOff, long Discrepancies, long Failures) : IClusterMessage
{
    [MemoryPackOnDeserialized]
    private void CheckArrived()
    {
        WireCheck.Present(nameof(WorkerHealth), Address);
        WireCheck.Booleans(nameof(WorkerHealth), BackedOff);
    }
}

/// <summary>A job in flight, or one that finished in the last seconds (phase "done", with the time it finished).</summary>
[MemoryPackable]
public sealed partial record JobReport([property: WireString] string Id, [property: WireString] string Source, [property: WireString] string Phase, [property: WireString] string? Worker, long StartedUnixMilliseconds, long FinishedUnixMilliseconds) : IClusterMessage
{
    [MemoryPackOnDeserialized]
    private void CheckArrived() => WireCheck.Present(nameof(JobReport), Id, Source, Phase);
}

/// <summary>Connections a node's transport refused from (or to) one address: outside its allowed networks.</summary>
[MemoryPackable]
public sealed partial record RefusedConnection([property: WireString] string Address, long Count, [property: WireString] string Reason) : IClusterMessage
{
    [MemoryPackOnDeserialized]
    private void CheckArrived() => WireCheck.Present(nameof(RefusedConnection), Address, Reason);
}

[MemoryPackable]
public sealed partial record NodeReport(
    [property: WireString] string Address,
    string[] Roles,
    long Sequence,
    long SentUnixMilliseconds,
    WorkerReport? Worker,
    CoordinatorReport? Coordinator,
    JobReport[] Jobs,
    RefusedConnection[] RefusedConnections,
    StoredResults? Cache = null) : IClusterMessage
{
    [MemoryPackOnDeserialized]
    private void CheckArrived() => WireCheck.Present(nameof(NodeReport), Address, Roles, Jobs, RefusedConnections);
}
