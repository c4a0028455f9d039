namespace ActorCompile.Coordinator;

/// <summary>How the coordinator schedules.</summary>
/// <param name="LocalSlots">Local jobs at once (dependency scans, local compiles, links): mirrors make -l.</param>
/// <param name="MaxAttempts">Workers a job is tried on before it runs locally.</param>
/// <param name="JobTimeout">Longest a remote compile may take before it counts as failed.</param>
/// <param name="BlobStoreBytes">Size limit of the store of file contents.</param>
public sealed record CoordinatorSettings(int LocalSlots, int MaxAttempts, TimeSpan JobTimeout, long BlobStoreBytes);
