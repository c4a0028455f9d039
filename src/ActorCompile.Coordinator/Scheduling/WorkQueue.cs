using ActorCompile.Toolchain.Identity;
using ActorCompile.Toolchain.Jobs;

namespace ActorCompile.Coordinator.Scheduling;

/// <summary>A job waiting for a worker to pull it.</summary>
/// <param name="Bytes">What the job's mirror holds: only a worker whose max-job-size fits it may take it.</param>
/// <param name="Excluded">The workers (by id) that failed it already.</param>
/// <param name="Blobs">The contents it needs on the worker.</param>
/// <param name="Since">When it entered the queue.</param>
/// <param name="Ship">The target's toolchain, for workers that do not offer it (null: it cannot be shipped).</param>
public sealed record QueuedJob(string JobId, string Fingerprint, long Bytes, IReadOnlyCollection<string> Excluded, IReadOnlyCollection<string> Blobs, DateTime Since, ShippableToolchain? Ship)
{
    /// <summary>The worker runs the job with its own toolchain.</summary>
    public bool Native<TRef>(KnownWorker<TRef> w) where TRef : notnull => w.Fingerprints.Contains(Fingerprint);

    /// <summary>The worker may run the job: with its own toolchain or the one shipped to it, within its max-job-size, and it has not failed the job.</summary>
    public bool FitsOn<TRef>(KnownWorker<TRef> w) where TRef : notnull => RunsOn(w) && Bytes <= w.MaxJobBytes && !Excluded.Contains(w.Id);

    /// <summary>The worker runs the job's toolchain (its own, or shipped), whatever the job's size.</summary>
    public bool RunsOn<TRef>(KnownWorker<TRef> w) where TRef : notnull =>
        Native(w) || (Ship is { } ship && w.ShippedArchitectures.Contains(ToolchainIdentity.ArchitectureOf(ship.Toolchain.Target)));
}

/// <summary>A job a worker pulled: <paramref name="Send"/> are the contents it was not sent before.</summary>
public sealed record Pulled(QueuedJob Job, bool Native, IReadOnlyList<string> Send);

/// <summary>
/// The queue that workers pull from, oldest first. A worker takes the oldest job it fits; one that would
/// need the toolchain shipped lets a job wait up to <paramref name="preferNativeFor"/> for a worker with
/// its own (nothing to ship), so a busy cluster does not leave helpers idle either. A worker that finds
/// nothing is idle until a job it fits arrives. No Akka here: the coordinator actor sends what it answers.
/// </summary>
public sealed class WorkQueue<TRef>(WorkerRegistry<TRef> workers, TimeSpan preferNativeFor) where TRef : notnull
{
    private readonly LinkedList<QueuedJob> _queue = new();

    public int Count => _queue.Count;

    /// <summary>Queues the job and returns the idle workers to wake: those that may take it now (they are idle no more).</summary>
    public List<TRef> Add(QueuedJob job, DateTime now)
    {
        _queue.AddLast(job);
        var wake = workers.All.Where(w => w.Idle && !w.BackedOff(now) && job.FitsOn(w)).ToList();
        foreach (var w in wake) w.Idle = false;
        return wake.Select(w => w.Ref).ToList();
    }

    public bool Remove(string jobId)
    {
        for (var node = _queue.First; node is not null; node = node.Next)
            if (node.Value.JobId == jobId) { _queue.Remove(node); return true; }
        return false;
    }

    /// <summary>
    /// The job the worker takes now, or null: then it is idle (when it may take work at all: known,
    /// reachable and not backed off).
    /// </summary>
    public Pulled? Pull(TRef worker, DateTime now)
    {
        if (!workers.TryGet(worker, out var w) || !w.Reachable || w.BackedOff(now)) return null;
        for (var node = _queue.First; node is not null; node = node.Next)
        {
            var job = node.Value;
            if (!job.FitsOn(w)) continue;
            bool native = job.Native(w);
            if (!native && now - job.Since < preferNativeFor && workers.Native(job.Fingerprint, now).Any(job.FitsOn)) continue;
            _queue.Remove(node);
            var send = job.Blobs.Where(h => !w.KnownBlobs.Contains(h)).ToList();
            foreach (var h in send) w.KnownBlobs.Add(h);
            return new Pulled(job, native, send);
        }
        w.Idle = true;
        return null;
    }

    /// <summary>Why no worker that may take jobs now could take this one any more, or null when one may.</summary>
    public string? NoWorkerFor(QueuedJob job, DateTime now)
    {
        var serving = workers.Serving(now).Where(w => !job.Excluded.Contains(w.Id)).ToList();
        if (serving.Any(job.FitsOn)) return null;
        var bySize = serving.Where(job.RunsOn).ToList();
        if (bySize.Count > 0)
            return $"the job's inputs ({Sizes.Format(job.Bytes)}) exceed the max-job-size of every worker that could take it"
                + $" (largest {Sizes.Format(bySize.Max(w => w.MaxJobBytes))})";
        var failed = workers.All.Where(w => job.Excluded.Contains(w.Id)).Select(w => w.Address).Distinct().ToList();
        return failed.Count == 0
            ? "no worker offering its toolchain is available"
            : $"every available worker offering its toolchain failed it ({string.Join(", ", failed)})";
    }

    /// <summary>Takes out the jobs that no worker may take any more, each with the reason (they compile locally).</summary>
    public List<(QueuedJob Job, string Why)> TakeStranded(DateTime now)
    {
        var stranded = new List<(QueuedJob, string)>();
        for (var node = _queue.First; node is not null;)
        {
            var next = node.Next;
            if (NoWorkerFor(node.Value, now) is { } why)
            {
                _queue.Remove(node);
                stranded.Add((node.Value, why));
            }
            node = next;
        }
        return stranded;
    }

    /// <summary>Takes out the oldest job when it has waited at least <paramref name="delay"/> (every worker busy), or returns null.</summary>
    public QueuedJob? TakeWaitingLongerThan(TimeSpan delay, DateTime now)
    {
        if (_queue.First is not { } first || now - first.Value.Since < delay) return null;
        _queue.RemoveFirst();
        return first.Value;
    }
}
