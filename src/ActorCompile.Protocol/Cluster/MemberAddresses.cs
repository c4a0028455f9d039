using Akka.Actor;

namespace ActorCompile.Protocol.Cluster;

/// <summary>How the nodes name each other in logs, status and job reasons, and which node an actor lives on.</summary>
public static class MemberAddresses
{
    /// <summary>host:port, the form status, logs and the wrapper's messages show. Not named HostPort: Akka's own
    /// Address.HostPort() (system@host:port) is an instance method and would silently win over this one.</summary>
    public static string HostAndPort(this Address address) => $"{address.Host}:{address.Port}";

    /// <summary>
    /// The node an actor lives on, with host and port, also for actors of this node (whose paths carry none); for
    /// no sender, <see cref="Nowhere"/>. A message that came from another node without a sender has this node's
    /// dead letters as its sender, a local actor: it must never count as this node's own.
    /// </summary>
    public static Address NodeOf(this Akka.Cluster.Cluster cluster, IActorRef actor) =>
        actor.IsAnonymous() ? Nowhere : actor.Path.Address.HasLocalScope ? cluster.SelfAddress : actor.Path.Address;

    /// <summary>The node of no sender: equal to no member's address and to no actor system's.</summary>
    public static readonly Address Nowhere = new("akka", "no-sender");

    /// <summary>Whether a sender is no one: none, Nobody, or dead letters (what a message without a sender arrives with).</summary>
    public static bool IsAnonymous(this IActorRef? actor) =>
        actor is null || actor.IsNobody() || actor.Path.Elements is ["deadLetters"];
}
