using ActorCompile.Protocol.Serialization;
using MemoryPack;
using Akka.Actor;

namespace ActorCompile.Protocol.Messages;

// Coordinator <-> worker: how a coordinator learns what a worker offers.
// The coordinator sees the worker's member come up and greets its worker actor; the worker answers with
// its capabilities. (A worker's transport refuses coordinators outside its allowed networks before any
// message: see ActorCompile.Protocol.Cluster.AdmittingTransport.)

/// <summary>A coordinator introduces itself to a worker (sent to /user/worker of a member with role worker).</summary>
[MemoryPackable]
public sealed partial record CoordinatorHello([property: MemoryPackAllowSerialize] IActorRef Coordinator) : IClusterMessage
{
    [MemoryPackOnDeserialized]
    private void CheckArrived() => WireCheck.Present(nameof(CoordinatorHello), Coordinator);
}

/// <summary>A toolchain as offered by a worker: the names it answers to there, and its identity.</summary>
[MemoryPackable]
public sealed partial record OfferedToolchain(
    [property: WireString] string Names,
    [property: WireString] string Fingerprint,
    [property: WireString] string Family,
    [property: WireString] string Version,
    [property: WireString] string Target,
    [property: WireString] string DriverLanguage) : IClusterMessage
{
    [MemoryPackOnDeserialized]
    private void CheckArrived() => WireCheck.Present(nameof(OfferedToolchain), Names, Fingerprint, Family, Version, Target, DriverLanguage);
}

/// <summary>A worker's answer to <see cref="CoordinatorHello"/> (and again whenever what it offers changes).</summary>
/// <param name="MaxJobBytes">The largest job it takes (its actorcompile.max-job-size): a coordinator sends it no bigger one.</param>
/// <param name="Refusal">Why this worker serves no job at all (its sandbox does not work), or null.</param>
/// <param name="ShippedArchitectures">The architectures of the toolchains it runs when a target ships them (x86_64, i386); empty when it runs none.</param>
[MemoryPackable]
public sealed partial record WorkerCapabilities(
    [property: MemoryPackAllowSerialize] IActorRef Worker,
    [property: WireString] string Address,
    int Slots,
    int Cores,
    OfferedToolchain[] Toolchains,
    long MaxJobBytes,
    [property: WireString] string? Refusal = null,
    string[]? ShippedArchitectures = null) : IClusterMessage
{
    [MemoryPackOnDeserialized]
    private void CheckArrived()
    {
        WireCheck.Present(nameof(WorkerCapabilities), Worker, Address, Toolchains);
        WireCheck.NoNullItems(nameof(WorkerCapabilities), ShippedArchitectures);
    }
}
