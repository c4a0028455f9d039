using Akka.Actor;

namespace ActorCompile.Protocol.Cluster;

/// <summary>How the nodes name each other in logs, status and job reasons, and which node an actor lives on.</summary>
public static class MemberAddresses
{
    /// <summary>host:port, the form status, logs and the wrapper's messages show. Not named HostPort: Akka's own
    /// Address.HostPort() (system@host:port) is an instance method and would silently win over this one.</summary>
    public static string HostAndPort(this Address address) => $"{address.Host}:{address.Port}";

    /// <summary>The node an actor lives on, with host and port, also for actors of this node (whose paths carry none).</summary>
    public static Address NodeOf(this Akka.Cluster.Cluster cluster, IActorRef actor) =>
        actor.Path.Address.HasLocalScope ? cluster.SelfAddress : actor.Path.Address;
}
