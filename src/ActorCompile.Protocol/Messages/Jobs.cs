using ActorCompile.Protocol.Serialization;
using MemoryPack;
using Akka.Actor;
using ActorCompile.Toolchain.Jobs;

namespace ActorCompile.Protocol.Messages;

// Job supervisor <-> worker: one job, from assignment to result.

/// <summary>A file's content, LZ4-compressed, named by the SHA-256 of the uncompressed bytes.</summary>
[MemoryPackable]
public sealed partial record Blob([property: WireString] string Hash, byte[] Compressed, int Length) : IClusterMessage
{
    [MemoryPackOnDeserialized]
    private void CheckArrived() => WireCheck.Present(nameof(Blob), Hash, Compressed);
}

/// <summary>An environment variable for the worker's compiler (only those in CompileEnvironment.Forwarded).</summary>
[MemoryPackable]
public sealed partial record EnvironmentVariable([property: WireString] string Name, [property: WireString] string Value) : IClusterMessage
{
    [MemoryPackOnDeserialized]
    private void CheckArrived() => WireCheck.Present(nameof(EnvironmentVariable), Name, Value);
}

/// <summary>
/// A job for a worker, in answer to its RequestWork. The worker runs the compiler whose fingerprint
/// this names (never a path) with <paramref name="Args"/> in its mirror of the target's paths
/// (<paramref name="Mirror"/>: Toolchain's MirrorEntry, written by its own formatter).
/// <paramref name="Blobs"/> holds the contents the coordinator believes the worker lacks.
/// <paramref name="Toolchain"/> is set when the job is sent to a worker that does not offer the toolchain
/// itself: the target's toolchain travels with it.
/// </summary>
[MemoryPackable]
public sealed partial record CompileJob(
    long RequestId,
    [property: WireString] string JobId,
    [property: MemoryPackAllowSerialize] IActorRef Supervisor,
    [property: WireString] string Fingerprint,
    string[] Args,
    [property: WireString] string WorkingDirectory,
    MirrorEntry[] Mirror,
    string[] SystemIncludeDirectories,
    bool PreincludeStdcPredef,
    EnvironmentVariable[] Environment,
    bool ColorDiagnostics,
    Blob[] Blobs,
    long TimeoutMilliseconds,
    ShippedToolchain? Toolchain = null) : IClusterMessage
{
    [MemoryPackOnDeserialized]
    private void CheckArrived()
    {
        WireCheck.Present(nameof(CompileJob), JobId, Supervisor, Fingerprint, Args, WorkingDirectory, Mirror, SystemIncludeDirectories, Environment, Blobs);
        WireCheck.Booleans(nameof(CompileJob), PreincludeStdcPredef, ColorDiagnostics);
    }
}

/// <summary>The worker is missing contents it needs (evicted from its cache, or the coordinator's guess was wrong).</summary>
[MemoryPackable]
public sealed partial record NeedJobBlobs([property: WireString] string JobId, string[] Hashes) : IClusterMessage
{
    [MemoryPackOnDeserialized]
    private void CheckArrived() => WireCheck.Present(nameof(NeedJobBlobs), JobId, Hashes);
}

/// <summary>The contents asked for by <see cref="NeedJobBlobs"/>.</summary>
[MemoryPackable]
public sealed partial record JobBlobs([property: WireString] string JobId, Blob[] Blobs) : IClusterMessage
{
    [MemoryPackOnDeserialized]
    private void CheckArrived() => WireCheck.Present(nameof(JobBlobs), JobId, Blobs);
}

/// <summary>The worker has started the compiler for this job.</summary>
[MemoryPackable]
public sealed partial record JobStarted([property: WireString] string JobId, [property: MemoryPackAllowSerialize] IActorRef Worker) : IClusterMessage
{
    [MemoryPackOnDeserialized]
    private void CheckArrived() => WireCheck.Present(nameof(JobStarted), JobId, Worker);
}

/// <summary>A file the compile wrote, by its path in the original command, LZ4-compressed.</summary>
[MemoryPackable]
public sealed partial record JobOutput([property: WireString] string Path, byte[] Compressed, int Length) : IClusterMessage
{
    [MemoryPackOnDeserialized]
    private void CheckArrived() => WireCheck.Present(nameof(JobOutput), Path, Compressed);
}

/// <summary>The compiler ran to the end: its exit code, what it printed, what it wrote, and where the worker's time went.</summary>
/// <param name="CompileMilliseconds">The compiler's own run.</param>
/// <param name="WorkerMilliseconds">From receiving the job to sending this: contents, mirror, compile, outputs.</param>
/// <param name="MirrorMilliseconds">Building the mirror.</param>
[MemoryPackable]
public sealed partial record JobCompleted(
    [property: WireString] string JobId,
    int ExitCode,
    byte[] Stdout,
    byte[] Stderr,
    JobOutput[] Outputs,
    long CompileMilliseconds,
    long WorkerMilliseconds = 0,
    long MirrorMilliseconds = 0) : IClusterMessage
{
    [MemoryPackOnDeserialized]
    private void CheckArrived() => WireCheck.Present(nameof(JobCompleted), JobId, Stdout, Stderr, Outputs);
}

/// <summary>
/// The job could not be compiled on this worker for a reason that is not the compiler's verdict:
/// refused (trust rules), the compiler could not run, inputs missing, a timeout, or the compile read a
/// file outside its mirror. <paramref name="Refused"/> marks refusals that no retry elsewhere will fix.
/// </summary>
[MemoryPackable]
public sealed partial record JobFailed([property: WireString] string JobId, [property: WireString] string Reason, bool Refused) : IClusterMessage
{
    [MemoryPackOnDeserialized]
    private void CheckArrived()
    {
        WireCheck.Present(nameof(JobFailed), JobId, Reason);
        WireCheck.Booleans(nameof(JobFailed), Refused);
    }
}

/// <summary>The supervisor no longer wants the job (the wrapper went away): kill the compiler, remove the job directory.</summary>
[MemoryPackable]
public sealed partial record CancelJob([property: WireString] string JobId) : IClusterMessage
{
    [MemoryPackOnDeserialized]
    private void CheckArrived() => WireCheck.Present(nameof(CancelJob), JobId);
}
