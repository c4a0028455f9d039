using ActorCompile.Protocol.Messages;
using ActorCompile.Toolchain.Identity;

namespace ActorCompile.Coordinator.Status;

/// <summary>A distributed job from its submission to its end.</summary>
/// <param name="Bytes">What the job's mirror holds.</param>
/// <param name="Blobs">The contents it needs on a worker.</param>
public sealed record BookedJob<TRef>(string Source, DateTime Started, TRef Supervisor, TRef Session, long Bytes, IReadOnlyCollection<string> Blobs)
{
    /// <summary>queued, sending, compiling, returning, ... as its supervisor reports.</summary>
    public string Phase { get; set; } = "queued";
    public string? Worker { get; set; }
}

/// <summary>Where a wrapper's session stands with the coordinator.</summary>
public enum SessionPhase
{
    /// <summary>Waiting for the coordinator's answer or for a local slot.</summary>
    Waiting,
    /// <summary>Holding a local slot to preprocess (scan) a job that will be distributed.</summary>
    Preprocessing,
    /// <summary>Holding a local slot to compile on the target.</summary>
    Local,
}

/// <summary>
/// What the coordinator shows of its work: the jobs in flight and their phase, the sessions and theirs, the
/// jobs that finished in the last seconds (so that short ones are seen), and its counters. No Akka here:
/// the coordinator actor records what it hears and publishes <see cref="Snapshot"/> once a second.
/// </summary>
public sealed class JobBook<TRef> where TRef : notnull
{
    private sealed record BookedSession(string Name, string Source, DateTime Since, SessionPhase Phase);

    private static readonly TimeSpan KeepFinished = TimeSpan.FromSeconds(3);
    private readonly Dictionary<string, BookedJob<TRef>> _jobs = new(StringComparer.Ordinal);
    private readonly Dictionary<TRef, BookedSession> _sessions = new();
    private readonly Queue<JobReport> _finished = new();
    private readonly Dictionary<string, (ToolchainIdentity Identity, long Compiles)> _unserved = new(StringComparer.Ordinal);
    private long _distributed, _local;
    private long _cacheHits, _cacheDirectHits, _cacheMisses, _cacheVerified, _cacheDiscrepancies, _cacheBytesServed;
    private long _scanned, _scanDeclined, _scanMissed;

    public bool TryGetJob(string id, out BookedJob<TRef> job) => _jobs.TryGetValue(id, out job!);

    public void Submitted(string id, BookedJob<TRef> job) => _jobs[id] = job;

    public void Phase(string id, string phase, string? worker)
    {
        if (!_jobs.TryGetValue(id, out var job)) return;
        job.Phase = phase;
        job.Worker = worker;
    }

    /// <summary>The job ended (a remote result, or handed back to a local compile); returns it when it was in the book.</summary>
    public BookedJob<TRef>? Ended(string id, bool remote, DateTime now)
    {
        if (remote) _distributed++;
        if (!_jobs.Remove(id, out var job)) return null;
        if (remote) Finish(id, job.Source, job.Worker, job.Started, now);
        return job;
    }

    public bool HasSession(TRef session) => _sessions.ContainsKey(session);

    /// <param name="name">How status names the session's job while it compiles locally.</param>
    public void SessionWaits(TRef session, string name, string source, DateTime now) => _sessions[session] = new BookedSession(name, source, now, SessionPhase.Waiting);

    /// <summary>The session was granted a local slot, to preprocess or to compile.</summary>
    public void SessionGranted(TRef session, SessionPhase phase, DateTime now)
    {
        if (_sessions.TryGetValue(session, out var s)) _sessions[session] = s with { Since = now, Phase = phase };
    }

    /// <summary>The session let go of the coordinator; a local compile it held a slot for is shown as finished.</summary>
    public void SessionEnded(TRef session, bool heldSlot, DateTime now)
    {
        if (_sessions.Remove(session, out var s) && s.Phase == SessionPhase.Local && heldSlot)
            Finish(s.Name, s.Source, null, s.Since, now);
    }

    public void LocalCompileFinished() => _local++;

    /// <summary>A compile of a toolchain no worker offers ran locally.</summary>
    public void Unserved(ToolchainIdentity toolchain) =>
        _unserved[toolchain.Fingerprint] = (toolchain, _unserved.GetValueOrDefault(toolchain.Fingerprint).Compiles + 1);

    public void Count(CacheOutcome outcome, long bytes)
    {
        switch (outcome)
        {
            case CacheOutcome.Hit: _cacheHits++; break;
            case CacheOutcome.DirectHit: _cacheHits++; _cacheDirectHits++; break;
            case CacheOutcome.Miss: _cacheMisses++; break;
            case CacheOutcome.Verified: _cacheVerified++; break;
        }
        _cacheBytesServed += bytes;
    }

    public void Count(ScanOutcome outcome)
    {
        switch (outcome)
        {
            case ScanOutcome.Scanned: _scanned++; break;
            case ScanOutcome.Declined: _scanDeclined++; break;
            case ScanOutcome.Missed: _scanMissed++; break;
        }
    }

    public void CacheDiscrepancy() => _cacheDiscrepancies++;

    private void Finish(string id, string source, string? worker, DateTime started, DateTime now) =>
        _finished.Enqueue(new JobReport(id, source, "done", worker, Unix(started), Unix(now)));

    private static long Unix(DateTime t) => new DateTimeOffset(t).ToUnixTimeMilliseconds();

    /// <summary>The coordinator's report and its jobs: in flight, compiling locally, and finished in the last seconds.</summary>
    /// <param name="queued">Jobs waiting in the queue (the others in the book run).</param>
    /// <param name="holdsSlot">Whether a session holds a local slot now.</param>
    /// <param name="offered">Whether some worker offers a toolchain (by fingerprint): then it is not reported unserved.</param>
    public CoordinatorSnapshot Snapshot(DateTime now, int queued, LocalSlotUser[] slotUsers, int slotCapacity, int slotsBusy, Func<TRef, bool> holdsSlot,
        WorkerHealth[] workers, Func<string, bool> offered, long bytesShipped)
    {
        var report = new CoordinatorReport(
            queued, _jobs.Count - queued, slotCapacity, slotsBusy, _distributed, _local, workers,
            _unserved.Values.Where(u => !offered(u.Identity.Fingerprint))
                .Select(u => new UnservedToolchain(u.Identity.DriverName, u.Identity.Version, u.Identity.Target, u.Identity.Fingerprint, u.Compiles)).ToArray(),
            bytesShipped,
            new CacheCounters(_cacheHits, _cacheDirectHits, _cacheMisses, _cacheVerified, _cacheDiscrepancies, _cacheBytesServed),
            new ScanCounters(_scanned, _scanDeclined, _scanMissed),
            slotUsers);
        var cutoff = Unix(now - KeepFinished);
        while (_finished.TryPeek(out var old) && old.FinishedUnixMilliseconds < cutoff) _finished.Dequeue();
        var jobs = _jobs.Select(j => new JobReport(j.Key, j.Value.Source, j.Value.Phase, j.Value.Worker, Unix(j.Value.Started), 0))
            .Concat(_sessions.Where(s => s.Value.Phase != SessionPhase.Waiting && holdsSlot(s.Key))
                .Select(s => new JobReport(s.Value.Name, s.Value.Source, s.Value.Phase == SessionPhase.Local ? "local" : "preprocessing", null, Unix(s.Value.Since), 0)))
            .Concat(_finished)
            .ToArray();
        return new CoordinatorSnapshot(report, jobs);
    }
}
