using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Dispatch.SysMsg;
using Akka.Remote.Serialization;
using AkkaSerializer = Akka.Serialization.Serializer;

namespace ActorCompile.Protocol.Serialization;

// Akka's untrusted mode (akka.remote.untrusted-mode = on) drops PoisonPill, Terminate and selections to
// untrusted paths from other nodes, but not Kill (which stops an actor), nor the system messages that
// suspend, resume, recreate or supervise an actor, nor the cluster's Down and Leave commands sent to the
// cluster daemon (a path gossip needs, so a trusted one). Nothing of Akka's or ActorCompile's sends those
// between nodes (Cluster.Down and Cluster.Leave act on the local daemon, which gossips the result), so the
// serializers that read them from the wire are replaced by these, which refuse them: the message is
// dropped, logged and counted (RefusedMessages, in the node's status), and the node carries on. They keep the identifiers of the serializers they wrap,
// because the identifier on the wire chooses the serializer.

/// <summary>Akka's akka-misc serializer (Identify, ActorIdentity, heartbeats, ...) without Kill and PoisonPill.</summary>
public sealed class RemoteControlRefusingMiscSerializer : Akka.Serialization.SerializerWithStringManifest
{
    private readonly MiscMessageSerializer _inner;

    public RemoteControlRefusingMiscSerializer(ExtendedActorSystem system) : base(system) => _inner = new MiscMessageSerializer(system);

    public override int Identifier => _inner.Identifier;

    public override byte[] ToBinary(object obj) => _inner.ToBinary(obj);

    public override string Manifest(object o) => _inner.Manifest(o);

    public override object FromBinary(byte[] bytes, string manifest)
    {
        var message = _inner.FromBinary(bytes, manifest);
        if (message is Kill or PoisonPill)
        {
            ActorCompile.Protocol.Cluster.RefusedMessages.Get(system).Record(message.GetType().Name);
            throw new SerializationException($"refused a remote {message.GetType().Name}: no node may stop or restart another's actors");
        }
        return message;
    }
}

/// <summary>
/// Akka's akka-system-msg serializer limited to what remote death watch needs (Watch, Unwatch,
/// DeathWatchNotification): a peer cannot suspend, resume, recreate, supervise or terminate an actor here.
/// </summary>
public sealed class RemoteControlRefusingSystemMessageSerializer : AkkaSerializer
{
    private readonly SystemMessageSerializer _inner;

    public RemoteControlRefusingSystemMessageSerializer(ExtendedActorSystem system) : base(system) => _inner = new SystemMessageSerializer(system);

    public override int Identifier => _inner.Identifier;

    public override bool IncludeManifest => _inner.IncludeManifest;

    public override byte[] ToBinary(object obj) => _inner.ToBinary(obj);

    public override object FromBinary(byte[] bytes, Type type)
    {
        var message = _inner.FromBinary(bytes, type);
        if (message is not (Watch or Unwatch or DeathWatchNotification))
        {
            ActorCompile.Protocol.Cluster.RefusedMessages.Get(system).Record(message?.GetType().Name ?? "null");
            throw new SerializationException($"refused a remote system message {message?.GetType().Name ?? "null"}: only death watch crosses between nodes");
        }
        return message;
    }
}

/// <summary>
/// Akka's akka-cluster serializer (join, gossip, heartbeats, ...) without the Down and Leave commands: a
/// peer cannot remove a member by telling the cluster daemon to. (A member can still down another through
/// gossip: TLS decides who is a member.)
/// </summary>
public sealed class RemoteControlRefusingClusterSerializer : Akka.Serialization.SerializerWithStringManifest
{
    private static readonly HashSet<string> Refused = new(StringComparer.Ordinal)
    {
        "Akka.Cluster.ClusterUserAction+Down",
        "Akka.Cluster.ClusterUserAction+Leave",
    };

    private readonly Akka.Cluster.Serialization.ClusterMessageSerializer _inner;

    public RemoteControlRefusingClusterSerializer(ExtendedActorSystem system) : base(system) => _inner = new Akka.Cluster.Serialization.ClusterMessageSerializer(system);

    public override int Identifier => _inner.Identifier;

    public override byte[] ToBinary(object obj) => _inner.ToBinary(obj);

    public override string Manifest(object o) => _inner.Manifest(o);

    public override object FromBinary(byte[] bytes, string manifest)
    {
        var message = _inner.FromBinary(bytes, manifest);
        if (Refused.Contains(message.GetType().FullName ?? ""))
        {
            ActorCompile.Protocol.Cluster.RefusedMessages.Get(system).Record(message.GetType().Name);
            throw new SerializationException($"refused a remote cluster command {message.GetType().Name}: members are removed by the cluster itself, not by a message from another node");
        }
        return message;
    }
}
