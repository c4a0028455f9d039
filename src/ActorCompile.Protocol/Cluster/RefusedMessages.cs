using System.Collections.Concurrent;
using Akka.Actor;

namespace ActorCompile.Protocol.Cluster;

/// <summary>
/// The messages this node refused to read from the wire, counted by name for this node's status: remote
/// control (Kill, PoisonPill, the system messages that suspend or recreate an actor, the cluster's Down and
/// Leave commands), cluster messages of another wire version or of an unknown kind, and malformed ones by
/// their type. The sender is not known where they are refused (a serializer), so only the count is.
/// Bounded by construction: the names are the few types the serializers know and versions below 1000.
/// </summary>
public sealed class RefusedMessages : IExtension
{
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);

    public static RefusedMessages Get(ActorSystem system) => system.WithExtension<RefusedMessages, RefusedMessagesProvider>();

    public void Record(string message) => _counts.AddOrUpdate(message, 1, (_, n) => n + 1);

    /// <summary>Each refused message's name and how often it was refused, by name.</summary>
    public IReadOnlyList<(string Message, long Count)> Snapshot() =>
        _counts.Select(p => (p.Key, p.Value)).OrderBy(p => p.Key, StringComparer.Ordinal).ToArray();
}

public sealed class RefusedMessagesProvider : ExtensionIdProvider<RefusedMessages>
{
    public override RefusedMessages CreateExtension(ExtendedActorSystem system) => new();
}
