using Akka.Actor;
using Akka.Serialization;
using ActorCompile.Protocol.Messages;
using ActorCompile.Toolchain.Jobs;
using Hyperion;
using AkkaSerializer = Akka.Serialization.Serializer;

namespace ActorCompile.Protocol.Serialization;

/// <summary>An actor reference on the wire: its full path with address.</summary>
public sealed record ActorRefSurrogate(string Path);

/// <summary>
/// The one serializer for ActorCompile's messages between nodes: Hyperion, restricted to the types of
/// <see cref="IClusterMessage"/>'s namespace, the few parts they carry from elsewhere (<see cref="AllowedTypes"/>)
/// and <see cref="ActorRefSurrogate"/>, with unsafe types
/// refused, ISerializable ignored and no object references. A message of any other type is refused on
/// both sides: on serialization with an exception, on deserialization by Hyperion's type filter.
/// </summary>
public sealed class ActorCompileSerializer : AkkaSerializer
{
    /// <summary>Akka.NET reserves 0-40; this is ours.</summary>
    public const int SerializerIdentifier = 7411;

    public static readonly IReadOnlyList<Type> AllowedTypes = typeof(IClusterMessage).Assembly.GetTypes()
        .Where(t => t.Namespace == typeof(IClusterMessage).Namespace && !t.IsInterface && !t.IsAbstract)
        .Concat(PartsFromOtherNamespaces)
        .Append(typeof(ActorRefSurrogate))
        // The records of other assemblies that cluster messages carry.
        .Append(typeof(ActorCompile.Toolchain.Identity.ToolchainFile))
        .Append(typeof(ActorCompile.Toolchain.Identity.ToolchainFileKind))
        .ToArray();

    /// <summary>
    /// Types of other projects that travel inside cluster messages, named one by one: only what a message
    /// needs (a job's mirror entries, the same type the wrapper's manifest and the coordinator use).
    /// </summary>
    private static Type[] PartsFromOtherNamespaces => new[] { typeof(MirrorEntry), typeof(MirrorEntryKind) };

    private static readonly HashSet<Type> AllowedSet = new(AllowedTypes);

    private readonly Hyperion.Serializer _hyperion;

    public ActorCompileSerializer(ExtendedActorSystem system) : base(system)
    {
        var actorRefSurrogate = Surrogate.Create<IActorRef, ActorRefSurrogate>(
            actorRef => new ActorRefSurrogate(Akka.Serialization.Serialization.SerializedActorPath(actorRef)),
            surrogate => system.Provider.ResolveActorRef(surrogate.Path));
        var options = new SerializerOptions(
            versionTolerance: false,
            preserveObjectReferences: false,
            surrogates: new[] { actorRefSurrogate },
            serializerFactories: null,
            // The surrogate must not be a known type: Hyperion would then read it back without converting it.
            knownTypes: AllowedTypes.Where(t => t != typeof(ActorRefSurrogate)),
            ignoreISerializable: true,
            packageNameOverrides: null,
            disallowUnsafeTypes: true,
            typeFilter: new AllowListTypeFilter(AllowedTypes));
        _hyperion = new Hyperion.Serializer(options);
    }

    public override int Identifier => SerializerIdentifier;

    public override bool IncludeManifest => false;

    public override byte[] ToBinary(object obj)
    {
        if (!AllowedSet.Contains(obj.GetType()))
            throw new ArgumentException($"{obj.GetType().FullName} is not an ActorCompile cluster message and is never serialized");
        using var stream = new MemoryStream();
        _hyperion.Serialize(obj, stream);
        return stream.ToArray();
    }

    public override object FromBinary(byte[] bytes, Type type)
    {
        using var stream = new MemoryStream(bytes);
        var obj = _hyperion.Deserialize(stream);
        if (obj is not IClusterMessage)
            throw new System.Runtime.Serialization.SerializationException($"refused a message of type {obj?.GetType().FullName ?? "null"}");
        return obj;
    }
}

/// <summary>
/// Takes the place of Akka's default JSON serializer (identifier 1), which would otherwise turn type
/// names from the wire into objects of any loadable type. Nothing of ActorCompile's uses it; a peer that
/// sends a message in it gets the message dropped and logged.
/// </summary>
public sealed class RefusingSerializer : AkkaSerializer
{
    public RefusingSerializer(ExtendedActorSystem system) : base(system) { }

    /// <summary>Akka passes the json serializer's settings section when one exists.</summary>
    public RefusingSerializer(ExtendedActorSystem system, Akka.Configuration.Config settings) : base(system) { _ = settings; }

    public override int Identifier => 1;

    public override bool IncludeManifest => false;

    public override byte[] ToBinary(object obj) =>
        throw new ArgumentException($"{obj.GetType().FullName} has no serializer binding; ActorCompile serializes only its own messages");

    public override object FromBinary(byte[] bytes, Type type) =>
        throw new System.Runtime.Serialization.SerializationException("refused a message in the JSON serializer: this cluster accepts only ActorCompile's serializer");
}
