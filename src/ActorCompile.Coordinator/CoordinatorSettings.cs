namespace ActorCompile.Coordinator;

/// <summary>How the coordinator schedules.</summary>
/// <param name="LocalSlots">Local jobs at once (dependency scans, local compiles, links): mirrors make -l.</param>
/// <param name="MaxAttempts">Workers a job is tried on before it runs locally.</param>
/// <param name="JobTimeout">Longest a remote compile may take before it counts as failed.</param>
/// <param name="BackoffAfterFailures">Infrastructure failures in a row after which a worker is backed off.</param>
/// <param name="Backoff">How long a backed-off worker gets no work.</param>
/// <param name="HelpAfter">How long a job may wait in the queue (every worker busy) before a free local slot compiles it here.</param>
/// <param name="MaxJobBytes">Largest total size of a job's inputs; bigger jobs compile locally.</param>
public sealed record CoordinatorSettings(
    int LocalSlots,
    int MaxAttempts,
    TimeSpan JobTimeout,
    int BackoffAfterFailures = 3,
    TimeSpan? Backoff = null,
    TimeSpan? HelpAfter = null,
    long MaxJobBytes = 128L * 1024 * 1024)
{
    public TimeSpan BackoffDuration => Backoff ?? TimeSpan.FromSeconds(60);
    public TimeSpan HelpDelay => HelpAfter ?? TimeSpan.FromMilliseconds(150);
}
