using ActorCompile.Protocol.Serialization;
using MemoryPack;
using Akka.Actor;

namespace ActorCompile.Protocol.Messages;

// Worker <-> coordinator: the worker pulls. It never holds more jobs than its slots: one RequestWork per
// free slot, each answered by exactly one CompileJob (sent by the job's supervisor) or one NoWork.
// A coordinator whose queue goes from empty to non-empty tells the workers that asked in vain.

/// <summary>The coordinator has jobs again for a toolchain this worker offers.</summary>
[MemoryPackable]
public sealed partial record WorkAvailable([property: MemoryPackAllowSerialize] IActorRef Coordinator) : IClusterMessage
{
    [MemoryPackOnDeserialized]
    private void CheckArrived() => WireCheck.Present(nameof(WorkAvailable), Coordinator);
}

/// <summary>A worker asks for one job, for one of its free slots.</summary>
[MemoryPackable]
public sealed partial record RequestWork([property: MemoryPackAllowSerialize] IActorRef Worker, long RequestId) : IClusterMessage
{
    [MemoryPackOnDeserialized]
    private void CheckArrived() => WireCheck.Present(nameof(RequestWork), Worker);
}

/// <summary>Nothing this worker can compile is queued.</summary>
[MemoryPackable]
public sealed partial record NoWork(long RequestId) : IClusterMessage;
