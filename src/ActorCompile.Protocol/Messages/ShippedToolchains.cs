using ActorCompile.Protocol.Serialization;
using MemoryPack;
using ActorCompile.Toolchain.Identity;

namespace ActorCompile.Protocol.Messages;

// Coordinator <-> worker: the target's toolchain travels with a job to a worker that does not offer it.
// The job carries the toolchain's manifest; the worker asks for the files it lacks (by content hash)
// and builds a sealed root from them once, kept by the manifest's content id.

/// <summary>
/// A toolchain of the target, as its node found it: the identity the job's fingerprint names, and
/// every file of its sealed root (path, kind, SHA-256, executable bit, link target).
/// <paramref name="Id"/> is the manifest's content id (<see cref="ToolchainManifest.ContentId"/>); the
/// worker computes it again and refuses a manifest that does not match.
/// </summary>
[MemoryPackable]
public sealed partial record ShippedToolchain(
    [property: WireString] string Id,
    [property: WireString] string Fingerprint,
    [property: WireString] string Family,
    [property: WireString] string Version,
    [property: WireString] string Target,
    [property: WireString] string DriverLanguage,
    [property: WireString] string Driver,
    ToolchainFile[] Files) : IClusterMessage
{
    [MemoryPackOnDeserialized]
    private void CheckArrived() => WireCheck.Present(nameof(ShippedToolchain), Id, Fingerprint, Family, Version, Target, DriverLanguage, Driver, Files);

    [MemoryPackIgnore]
    public ToolchainManifest Manifest => new(Fingerprint, Driver, Files);
    [MemoryPackIgnore]
    public ToolchainIdentity Identity => new(Fingerprint, Family, Version, Target, DriverLanguage);
}

/// <summary>The worker lacks these files of the job's toolchain (by content hash).</summary>
[MemoryPackable]
public sealed partial record NeedToolchainFiles([property: WireString] string JobId, string[] Hashes) : IClusterMessage
{
    [MemoryPackOnDeserialized]
    private void CheckArrived() => WireCheck.Present(nameof(NeedToolchainFiles), JobId, Hashes);
}

/// <summary>Files of a job's toolchain, LZ4-compressed like any blob: one batch answers one <see cref="NeedToolchainFiles"/>, and the worker asks again for the rest; <paramref name="Last"/> says this batch holds all that was asked.</summary>
[MemoryPackable]
public sealed partial record ToolchainFileBatch([property: WireString] string JobId, Blob[] Blobs, bool Last) : IClusterMessage
{
    [MemoryPackOnDeserialized]
    private void CheckArrived()
    {
        WireCheck.Present(nameof(ToolchainFileBatch), JobId, Blobs);
        WireCheck.Booleans(nameof(ToolchainFileBatch), Last);
    }
}
