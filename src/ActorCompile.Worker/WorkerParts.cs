using ActorCompile.Worker.Execution;
using ActorCompile.Worker.Toolchains;

namespace ActorCompile.Worker;

/// <summary>
/// What a worker is made of besides its actor: its settings, its stores of contents and toolchains, how its
/// compilers are confined and which shipped toolchains it runs. Opened before the actor system starts (it
/// reads and makes directories, hashes a store's index, runs a probe), so the worker actor's constructor
/// touches no disk; its jobs' directory is removed after the system stopped (<see cref="RemoveJobs"/>).
/// </summary>
public sealed record WorkerParts(WorkerSettings Settings, BlobCache Blobs, ToolchainStore Store, JobConfinement Confinement, ShippingPolicy Shipping)
{
    /// <param name="confinement">How jobs are confined, probed already (it runs bwrap).</param>
    public static WorkerParts Open(WorkerSettings settings, JobConfinement confinement)
    {
        PrivateDirectory.Create(settings.WorkDirectory);
        PrivateDirectory.Create(settings.JobsDirectory);
        return new WorkerParts(settings,
            new BlobCache(settings.BlobsDirectory, settings.BlobCacheBytes),
            new ToolchainStore(settings.ToolchainsDirectory, settings.ToolchainCacheBytes),
            confinement,
            ShippingPolicy.Decide(settings.ShippedToolchains, confinement, settings.WorkDirectory));
    }

    /// <summary>Removes the jobs' directory once the worker stopped; null, or why it could not be (the next start removes it).</summary>
    public string? RemoveJobs()
    {
        try
        {
            if (Directory.Exists(Settings.JobsDirectory)) Directory.Delete(Settings.JobsDirectory, recursive: true);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return e.Message; // a compiler still being killed may hold a file
        }
    }
}
