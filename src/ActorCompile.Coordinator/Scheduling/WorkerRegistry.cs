using ActorCompile.Protocol.Messages;

namespace ActorCompile.Coordinator.Scheduling;

/// <summary>What the coordinator knows of one worker: what it offers and how it has done.</summary>
/// <typeparam name="TRef">How the worker is reached (an actor reference on a node; a name in unit tests).</typeparam>
public sealed class KnownWorker<TRef>(TRef reference, string node, string address, string id) where TRef : notnull
{
    public TRef Ref { get; } = reference;
    /// <summary>The worker's node (its full address); several workers share one only in tests, where probes play workers.</summary>
    public string Node { get; } = node;
    /// <summary>host:port, as status and log lines name it.</summary>
    public string Address { get; } = address;
    /// <summary>Unique per worker actor: what a job's exclusions name.</summary>
    public string Id { get; } = id;
    public int Slots { get; set; }
    /// <summary>The largest job it takes (its max-job-size).</summary>
    public long MaxJobBytes { get; set; }
    /// <summary>The toolchains it runs with its own compilers.</summary>
    public IReadOnlySet<string> Fingerprints { get; set; } = new HashSet<string>(StringComparer.Ordinal);
    /// <summary>The architectures of the toolchains it runs when shipped (x86_64, i386); empty: it runs none.</summary>
    public IReadOnlySet<string> ShippedArchitectures { get; set; } = new HashSet<string>(StringComparer.Ordinal);
    /// <summary>Why the worker serves no job at all (its sandbox does not work there), or null.</summary>
    public string? Refusal { get; set; }
    public bool Reachable { get; set; } = true;
    /// <summary>It asked for work and got none: it is told when a job it fits arrives.</summary>
    public bool Idle { get; set; }
    /// <summary>Contents it was sent (or holds): never sent to it twice.</summary>
    public HashSet<string> KnownBlobs { get; } = new(StringComparer.Ordinal);
    public long Failures { get; set; }
    public int FailuresInARow { get; set; }
    public DateTime BackedOffUntil { get; set; }
    public long Discrepancies { get; set; }

    public bool BackedOff(DateTime now) => now < BackedOffUntil;
    /// <summary>It may take jobs now: reachable, serving, and not backed off.</summary>
    public bool Serving(DateTime now) => Reachable && Refusal is null && !BackedOff(now);
}

/// <summary>
/// The workers of the cluster and their health: who offers what, who is reachable, and who is backed off
/// after failing <see cref="CoordinatorSettings.BackoffAfterFailures"/> jobs in a row or after a result of
/// theirs proved wrong. No Akka here: the coordinator actor feeds it what it hears and acts on its answers.
/// </summary>
public sealed class WorkerRegistry<TRef>(CoordinatorSettings settings) where TRef : notnull
{
    private readonly Dictionary<TRef, KnownWorker<TRef>> _workers = new();

    public int Count => _workers.Count;
    public IEnumerable<KnownWorker<TRef>> All => _workers.Values;

    public bool TryGet(TRef worker, out KnownWorker<TRef> known) => _workers.TryGetValue(worker, out known!);
    public KnownWorker<TRef>? ById(string? id) => _workers.Values.FirstOrDefault(w => w.Id == id);
    public bool OnNode(string node) => _workers.Values.Any(w => w.Node == node);

    /// <summary>Records what a worker offers (its first offer registers it); <paramref name="isNew"/> says which.</summary>
    public KnownWorker<TRef> Offer(TRef worker, string node, string address, string id, WorkerOffer offer, out bool isNew)
    {
        isNew = !_workers.TryGetValue(worker, out var known);
        if (known is null) _workers[worker] = known = new KnownWorker<TRef>(worker, node, address, id);
        known.Slots = offer.Slots;
        known.MaxJobBytes = offer.MaxJobBytes;
        known.Fingerprints = offer.Fingerprints.ToHashSet(StringComparer.Ordinal);
        known.ShippedArchitectures = offer.ShippedArchitectures.ToHashSet(StringComparer.Ordinal);
        known.Refusal = offer.Refusal;
        return known;
    }

    public KnownWorker<TRef>? Forget(TRef worker) => _workers.Remove(worker, out var known) ? known : null;

    /// <summary>Forgets every worker of a node that left the cluster and returns them.</summary>
    public List<KnownWorker<TRef>> ForgetNode(string node)
    {
        var gone = _workers.Values.Where(w => w.Node == node).ToList();
        foreach (var w in gone) _workers.Remove(w.Ref);
        return gone;
    }

    public void SetReachable(string node, bool reachable)
    {
        foreach (var w in _workers.Values.Where(w => w.Node == node)) w.Reachable = reachable;
    }

    /// <summary>The workers that may take jobs now.</summary>
    public IEnumerable<KnownWorker<TRef>> Serving(DateTime now) => _workers.Values.Where(w => w.Serving(now));

    /// <summary>The workers that may take jobs of this toolchain now with their own compiler.</summary>
    public IEnumerable<KnownWorker<TRef>> Native(string fingerprint, DateTime now) => Serving(now).Where(w => w.Fingerprints.Contains(fingerprint));

    /// <summary>The workers that may take jobs of this architecture now if the toolchain is shipped to them.</summary>
    public IEnumerable<KnownWorker<TRef>> TakingShipped(string architecture, DateTime now) => Serving(now).Where(w => w.ShippedArchitectures.Contains(architecture));

    /// <summary>Whether any worker, serving or not, offers the toolchain with its own compiler.</summary>
    public bool AnyOffers(string fingerprint) => _workers.Values.Any(w => w.Fingerprints.Contains(fingerprint));

    /// <summary>A job ran on the worker: its failures in a row start again.</summary>
    public void Succeeded(string? id)
    {
        if (ById(id) is { } w) w.FailuresInARow = 0;
    }

    /// <summary>
    /// A job failed on the worker through no fault of the job. Returns the worker when this failure backed it
    /// off (the <see cref="CoordinatorSettings.BackoffAfterFailures"/>th in a row), otherwise null.
    /// </summary>
    public KnownWorker<TRef>? Failed(string id, DateTime now)
    {
        if (ById(id) is not { } w) return null;
        w.Failures++;
        if (++w.FailuresInARow < settings.BackoffAfterFailures) return null;
        w.FailuresInARow = 0;
        BackOff(w, now);
        return w;
    }

    /// <summary>A worker's result differed from the target's own (verify-rate): it counts against the worker.</summary>
    public void Discrepancy(string id)
    {
        if (ById(id) is { } w) w.Discrepancies++;
    }

    /// <summary>
    /// A cached result that the worker at <paramref name="address"/> produced proved wrong: the discrepancy
    /// counts against it and it gets no work for the back-off time, whatever its failures in a row.
    /// </summary>
    public KnownWorker<TRef>? Distrust(string address, DateTime now)
    {
        if (_workers.Values.FirstOrDefault(w => w.Address == address) is not { } w) return null;
        w.Discrepancies++;
        BackOff(w, now);
        return w;
    }

    private void BackOff(KnownWorker<TRef> w, DateTime now)
    {
        w.BackedOffUntil = now + settings.BackoffDuration;
        w.Idle = false;
    }

    public WorkerHealth[] Health(DateTime now) =>
        _workers.Values.Select(w => new WorkerHealth(w.Address, w.BackedOff(now), w.Discrepancies, w.Failures)).ToArray();
}

/// <summary>What a worker says it offers (its capabilities, less how it is reached).</summary>
public sealed record WorkerOffer(int Slots, long MaxJobBytes, IReadOnlyCollection<string> Fingerprints, IReadOnlyCollection<string> ShippedArchitectures, string? Refusal);
