namespace ActorCompile.Coordinator.Scheduling;

/// <summary>
/// One job's tries on workers: how many, which workers it must not go back to, and whose failures count.
/// A failure counts against its worker at once (its back-off); a refusal (the worker says the job is at fault:
/// it broke a rule, wrote more than its bound, left a link as its object) does not, or one build user's jobs
/// would back off every worker for everyone. Nor is a refusal taken on the refusing worker's word: should
/// another worker run the job, each refusal counts against its worker then. After
/// <see cref="CoordinatorSettings.MaxAttempts"/> tries the job compiles locally. No Akka here.
/// </summary>
public sealed class JobAttempts(int maxAttempts)
{
    private readonly HashSet<string> _excluded = new(StringComparer.Ordinal);
    private readonly List<(string WorkerId, string Reason)> _refusers = new();

    /// <summary>Workers the job was assigned to so far.</summary>
    public int Count { get; private set; }

    /// <summary>Why the last try failed, or null.</summary>
    public string? LastFailure { get; private set; }

    /// <summary>The workers (by id) that failed or refused it: it is not queued for them again.</summary>
    public IReadOnlyCollection<string> Excluded => _excluded;

    public void Assigned() => Count++;

    /// <summary>The try on <paramref name="workerId"/> failed (or was refused).</summary>
    /// <returns>The worker to charge with the failure now (null for a refusal, judged later), and whether the job is out of tries.</returns>
    public (string? Charge, bool GiveUp) Failed(string? workerId, string reason, bool refused)
    {
        LastFailure = reason;
        string? charge = null;
        if (workerId is not null)
        {
            if (refused) _refusers.Add((workerId, reason));
            else charge = workerId;
            _excluded.Add(workerId);
        }
        return (charge, Count >= maxAttempts);
    }

    /// <summary>The job ran on a worker: each refusal before was its refuser's fault, to be charged now.</summary>
    public IReadOnlyList<(string WorkerId, string Reason)> RefusalsToCharge() => _refusers;

    /// <summary>Why the job compiles locally when no worker may take it, with the last failure when there was one.</summary>
    public string NoWorker(string reason) => LastFailure is null ? reason : $"{reason}; last: {LastFailure}";
}
