using ActorCompile.LocalProtocol.Status;
using ActorCompile.Protocol.Messages;

namespace ActorCompile.Node.Status;

/// <summary>
/// The one mapping from what the nodes publish (Protocol's <see cref="NodeReport"/>) to what the status
/// CLI shows (LocalProtocol's <see cref="ClusterStatus"/>), with what only the viewing node knows filled in:
/// each member's state, a worker backed off by a coordinator, the discrepancies coordinators hold against
/// it, and each job's elapsed time. Two models on purpose: the reports are cluster messages (arrays,
/// allow-listed, raw times, the per-worker health only coordinators keep), and the status records are the
/// documented JSON schema of <c>actorcompile status --json</c> that the Native AOT CLI reads, whose names
/// never change; the coordinator, which publishes reports, knows nothing of the socket's protocol.
/// </summary>
public static class ClusterStatusView
{
    /// <param name="self">This node (host:port): its refusals show even before it has joined.</param>
    /// <param name="members">The cluster's members as this node sees them, with their states.</param>
    /// <param name="reports">The latest report of every node, this one's included.</param>
    /// <param name="security">How this node's cluster connections are protected.</param>
    public static ClusterStatus Build(string self, DateTimeOffset now, IEnumerable<MemberStatus> members, IEnumerable<NodeReport> reports, SecurityStatus? security = null, int rejoins = 0,
        IReadOnlyList<RefusedMessageStatus>? refusedMessages = null)
    {
        var shownMembers = members
            .Select(m => m with { Roles = m.Roles.Order(StringComparer.Ordinal).ToArray() })
            .OrderBy(m => m.Address, StringComparer.Ordinal)
            .ToList();
        var memberState = shownMembers.ToDictionary(m => m.Address, m => m.State);
        var ordered = reports.OrderBy(r => r.Address, StringComparer.Ordinal).ToList();
        var health = HealthByWorker(ordered);
        var nowMilliseconds = now.ToUnixTimeMilliseconds();

        var workers = new List<WorkerStatus>();
        var coordinators = new List<CoordinatorStatus>();
        var jobs = new List<JobStatus>();
        var refused = new List<RefusedConnectionStatus>();
        var stores = new List<CacheStoreStatus>();
        foreach (var report in ordered)
        {
            var address = report.Address;
            // This node's refusals show even before it has joined: a worker whose seed it refuses never joins.
            if (memberState.ContainsKey(address) || address == self)
                refused.AddRange(report.RefusedConnections.Select(r => new RefusedConnectionStatus(address, r.Address, r.Count, r.Reason)));
            if (!memberState.TryGetValue(address, out var state)) continue;
            if (report.Worker is { } w) workers.Add(Worker(address, state, w, health.GetValueOrDefault(address)));
            if (report.Coordinator is { } c) coordinators.Add(Coordinator(address, c));
            if (report.Cache is { } store) stores.Add(new CacheStoreStatus(address, store.Entries, store.Bytes, store.LimitBytes, store.Corrupt));
            jobs.AddRange(report.Jobs.Select(j => Job(address, j, nowMilliseconds)));
        }
        return new ClusterStatus(self, now, shownMembers, workers, coordinators, jobs, refused, ClusterCache(coordinators, stores), security, rejoins,
            refusedMessages ?? Array.Empty<RefusedMessageStatus>());
    }

    private static ClusterCacheStatus ClusterCache(List<CoordinatorStatus> coordinators, List<CacheStoreStatus> stores)
    {
        var all = coordinators.Select(c => c.Cache).OfType<CacheStatus>().ToList();
        long Sum(Func<CacheStatus, long> f) => all.Sum(f);
        var totals = new CacheStatus(Sum(c => c.Hits), Sum(c => c.DirectHits), Sum(c => c.Misses), Sum(c => c.Verified), Sum(c => c.Discrepancies), Sum(c => c.BytesServed),
            CacheStatus.RateOf(Sum(c => c.Hits), Sum(c => c.Misses)));
        return new ClusterCacheStatus(totals, stores);
    }

    private static CacheStatus? Cache(CacheCounters? c) => c is null ? null
        : new CacheStatus(c.Hits, c.DirectHits, c.Misses, c.Verified, c.Discrepancies, c.BytesServed, CacheStatus.RateOf(c.Hits, c.Misses));

    /// <summary>What the coordinators hold against each worker, by its address: backed off by any, discrepancies of all.</summary>
    private static Dictionary<string, (bool BackedOff, long Discrepancies)> HealthByWorker(IEnumerable<NodeReport> reports) =>
        reports.Where(r => r.Coordinator is not null)
            .SelectMany(r => r.Coordinator!.Workers)
            .GroupBy(h => h.Address)
            .ToDictionary(g => g.Key, g => (g.Any(h => h.BackedOff), g.Sum(h => h.Discrepancies)));

    private static WorkerStatus Worker(string address, string memberState, WorkerReport w, (bool BackedOff, long Discrepancies) health) => new(
        address,
        memberState == "up" && health.BackedOff ? "backed-off" : memberState,
        w.Slots, w.Running, w.PeakRunning, w.Completed, w.Failed, health.Discrepancies, w.Cores, w.LoadAverage, w.MeanCompileSeconds,
        w.Toolchains.Select(t => new ToolchainStatus(t.Name, t.Version, t.Target, t.Fingerprint)).ToArray(),
        RefusedCoordinators: Array.Empty<string>(), // kept in the schema for compatibility; refusals are RefusedConnections now
        w.Sandbox, w.Shipping,
        (w.Shipped ?? Array.Empty<ShippedToolchainReport>()).Select(t => new ShippedToolchainStatus(t.Id, t.Fingerprint, t.Bytes, t.State)).ToArray(),
        w.LastFailure ?? "");

    private static CoordinatorStatus Coordinator(string address, CoordinatorReport c) => new(
        address, c.Queued, c.InFlight, c.LocalSlots, c.LocalSlotsBusy, c.Distributed, c.Local,
        c.Unserved.Select(u => new UnservedToolchainStatus(u.Name, u.Version, u.Target, u.Fingerprint, u.Compiles)).ToArray(), c.ToolchainBytesShipped, Cache(c.Cache),
        c.Scans is { } scans ? new ScanStatus(scans.Scanned, scans.Declined, scans.Missed) : null,
        c.LocalSlotUsers?.Select(u => new LocalSlotUserStatus(u.User, u.Held, u.Waiting)).ToArray());

    /// <summary>A job in flight has been going on until now; a finished one (phase done) took until it finished.</summary>
    private static JobStatus Job(string coordinator, JobReport j, long nowMilliseconds) => new(
        j.Id, coordinator, j.Source, j.Phase, j.Worker,
        Math.Max(0, ((j.FinishedUnixMilliseconds > 0 ? j.FinishedUnixMilliseconds : nowMilliseconds) - j.StartedUnixMilliseconds) / 1000.0));
}
