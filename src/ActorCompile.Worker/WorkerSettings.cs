using ActorCompile.Worker.Execution;

namespace ActorCompile.Worker;

/// <summary>What a worker offers and how it runs jobs.</summary>
/// <param name="Slots">Jobs it runs at once.</param>
/// <param name="Cores">The machine's cores (reported).</param>
/// <param name="Toolchains">The compilers it offers; nothing else is ever run.</param>
/// <param name="WorkDirectory">Private directory for job mirrors (jobs/) and the blob cache (blobs/).</param>
/// <param name="BlobCacheBytes">Size limit of the blob cache.</param>
/// <param name="JobTimeout">Longest a compile may run.</param>
/// <param name="JobMemoryBytes">Memory a compiler may allocate (RLIMIT_DATA through prlimit); 0: no limit.</param>
/// <param name="Sandbox">How compilers are confined (bubblewrap).</param>
/// <param name="MaxJobBytes">The largest job (actorcompile.max-job-size): caps the bytes a job's mirror and its compile may write.</param>
/// <param name="ShippedToolchains">Whether it runs toolchains its targets ship (actorcompile.worker.shipped-toolchains).</param>
/// <param name="ToolchainCacheBytes">Size limit of the shipped toolchains it keeps (actorcompile.worker.toolchain-cache-size).</param>
public sealed record WorkerSettings(
    int Slots,
    int Cores,
    IReadOnlyList<WorkerToolchain> Toolchains,
    string WorkDirectory,
    long BlobCacheBytes,
    TimeSpan JobTimeout,
    long JobMemoryBytes = 0,
    SandboxMode Sandbox = SandboxMode.Required,
    long MaxJobBytes = 128L * 1024 * 1024,
    bool ShippedToolchains = true,
    long ToolchainCacheBytes = 2L << 30)
{
    public string JobsDirectory => Path.Combine(WorkDirectory, "jobs");
    public string BlobsDirectory => Path.Combine(WorkDirectory, "blobs");
    public string ToolchainsDirectory => Path.Combine(WorkDirectory, "toolchains");

    /// <summary>What one compile may use.</summary>
    public JobResources Resources => new(JobMemoryBytes, MaxJobBytes, JobResources.DefaultProcesses, JobTimeout);
}

/// <summary>Whether compilers run inside bubblewrap: always (required: a worker where it does not work serves no job), or never (off: an explicit choice, shown in status).</summary>
public enum SandboxMode
{
    Required,
    Off,
}
