using ActorCompile.Worker.Execution;

namespace ActorCompile.Worker;

/// <summary>What a worker offers and how it runs jobs.</summary>
/// <param name="Slots">Jobs it runs at once.</param>
/// <param name="Cores">The machine's cores (reported).</param>
/// <param name="Toolchains">The compilers it offers; nothing else is ever run.</param>
/// <param name="WorkDirectory">Private directory for job mirrors (jobs/) and the blob cache (blobs/).</param>
/// <param name="BlobCacheBytes">Size limit of the blob cache.</param>
/// <param name="JobTimeout">Longest a compile may run.</param>
public sealed record WorkerSettings(
    int Slots,
    int Cores,
    IReadOnlyList<WorkerToolchain> Toolchains,
    string WorkDirectory,
    long BlobCacheBytes,
    TimeSpan JobTimeout)
{
    public string JobsDirectory => Path.Combine(WorkDirectory, "jobs");
    public string BlobsDirectory => Path.Combine(WorkDirectory, "blobs");
}
