using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;
using ActorCompile.Protocol.Cluster;
using ActorCompile.Protocol.Messages;
using ActorCompile.Toolchain.Processes;
using MemoryPack;
using AkkaSerializer = Akka.Serialization.Serializer;

namespace ActorCompile.Protocol.Serialization;

/// <summary>
/// The one serializer for ActorCompile's messages between nodes. Each message type of
/// <see cref="IClusterMessage"/>'s namespace is written by the code MemoryPack's source generator wrote for
/// it at build time (nothing is generated or compiled at run time), its actor references as paths
/// (<see cref="ActorRefFormatter"/>) and the two records it carries from Toolchain by hand
/// (<see cref="ToolchainFormatters"/>), and every string
/// by <see cref="WireStringFormatter"/>, which never lets a string grow beyond the bytes it arrived in. No type name travels: the manifest is the wire version and the
/// type's short name, and a manifest that names no message type of this version is refused, so nothing
/// else can be read from the wire.
/// </summary>
public sealed class ActorCompileSerializer : SerializerWithStringManifest
{
    /// <summary>Akka.NET reserves 0-40; this is ours (7411 was the Hyperion serializer before it).</summary>
    public const int SerializerIdentifier = 7412;

    /// <summary>
    /// The layout of the messages: raise it with every change to a message's fields (their order, types,
    /// one added or removed). A node refuses messages of another version, so nodes of two releases with
    /// different layouts never misread each other. WireSchemaTests pins the layout to this number.
    /// </summary>
    public const int WireVersion = 1;

    /// <summary>Every type that crosses: the records of the messages' namespace.</summary>
    public static readonly IReadOnlyList<Type> MessageTypes = typeof(IClusterMessage).Assembly.GetTypes()
        .Where(t => t.Namespace == typeof(IClusterMessage).Namespace && !t.IsInterface && !t.IsAbstract && typeof(IClusterMessage).IsAssignableFrom(t))
        .OrderBy(t => t.Name, StringComparer.Ordinal)
        .ToArray();

    private static readonly Dictionary<Type, string> ManifestOf = MessageTypes.ToDictionary(t => t, t => $"{WireVersion}:{t.Name}");
    private static readonly Dictionary<string, Type> TypeOf = ManifestOf.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);

    static ActorCompileSerializer()
    {
        // The elements of string arrays are read through the provider: by the same bounded reader as every string member.
        MemoryPackFormatterProvider.Register<string>(WireStringFormatter.Instance);
        ActorRefFormatter.Register();
        ToolchainFormatters.Register();
    }

    private readonly MemoryPackSerializerOptions _options;
    private readonly RefusedMessages _refused;

    public ActorCompileSerializer(ExtendedActorSystem system) : base(system)
    {
        _options = MemoryPackSerializerOptions.Default with { ServiceProvider = new ActorSystemProvider(system) };
        _refused = RefusedMessages.Get(system);
    }

    public override int Identifier => SerializerIdentifier;

    public override string Manifest(object o) =>
        ManifestOf.TryGetValue(o.GetType(), out var manifest) ? manifest : throw NotAMessage(o);

    public override byte[] ToBinary(object obj)
    {
        if (!ManifestOf.ContainsKey(obj.GetType())) throw NotAMessage(obj);
        return MemoryPackSerializer.Serialize(obj.GetType(), obj, _options);
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!TypeOf.TryGetValue(manifest, out var type))
        {
            var (name, refusal) = Refused(manifest);
            _refused.Record(name);
            throw refusal;
        }
        object? message;
        try
        {
            message = MemoryPackSerializer.Deserialize(type, bytes, _options);
        }
        catch (Exception e) when (e is not OutOfMemoryException and not SerializationException)
        {
            _refused.Record($"malformed {type.Name}");
            throw new SerializationException($"refused a malformed {type.Name} ({bytes.Length} bytes): {e.Message}", e);
        }
        return message ?? throw new SerializationException($"refused an empty {type.Name}");
    }

    private static ArgumentException NotAMessage(object o) =>
        new($"{o.GetType().FullName} is not an ActorCompile cluster message and is never serialized");

    /// <summary>Why a manifest is refused, and the name the refusal is counted under in status (one of a bounded few).</summary>
    private static (string Name, SerializationException Refusal) Refused(string manifest)
    {
        var colon = manifest.IndexOf(':');
        if (colon > 0 && int.TryParse(manifest.AsSpan(0, colon), out var version) && version != WireVersion)
            return (version is > 0 and < 1000 ? $"wire version {version}" : "an unknown wire version",
                new SerializationException($"refused a message of wire version {version} ({Printable(manifest)}): this node speaks version {WireVersion}; every node of a cluster must run releases with the same wire version"));
        return ("an unknown kind of message", new SerializationException($"refused a message of unknown kind '{Printable(manifest)}'"));
    }

    private static string Printable(string text) => TerminalText.Printable(text.Length > 80 ? text[..80] : text);

    /// <summary>What the actor-reference formatter resolves paths with.</summary>
    private sealed class ActorSystemProvider(ExtendedActorSystem system) : IServiceProvider
    {
        public object? GetService(Type serviceType) => serviceType == typeof(ExtendedActorSystem) ? system : null;
    }
}

/// <summary>
/// The serializer identifier of the releases before wire versions (Hyperion, 7411). A node of such a release
/// in this cluster is a member but can exchange no message with this one: each message it sends is refused
/// here, saying why, and counted in status as "wire version 0".
/// </summary>
public sealed class PreviousReleaseSerializer : AkkaSerializer
{
    private readonly RefusedMessages _refused;

    public PreviousReleaseSerializer(ExtendedActorSystem system) : base(system) => _refused = RefusedMessages.Get(system);

    public override int Identifier => 7411;

    public override bool IncludeManifest => false;

    public override byte[] ToBinary(object obj) =>
        throw new ArgumentException("messages are written only by ActorCompileSerializer");

    public override object FromBinary(byte[] bytes, Type type)
    {
        _refused.Record("wire version 0");
        throw new SerializationException($"refused a message from a node of a release before wire versions (Hyperion, serializer 7411): this node speaks wire version {ActorCompileSerializer.WireVersion}; every node of a cluster must run releases with the same wire version");
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
        throw new SerializationException("refused a message in the JSON serializer: this cluster accepts only ActorCompile's serializer");
}
