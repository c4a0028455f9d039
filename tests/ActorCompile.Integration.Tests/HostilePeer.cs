using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;

namespace ActorCompile.Integration.Tests;

/// <summary>
/// A peer with no credentials on 127.0.0.1: a plain Akka.NET actor system inside the test process, as
/// anyone who can reach a node's port could start one. It speaks Akka's own protocol only (no
/// ActorCompile serializer), which is all it needs to send PoisonPill, Kill or system messages, or to
/// join the cluster and down a member.
/// </summary>
public sealed class HostilePeer : IDisposable
{
    public ActorSystem System { get; }

    private HostilePeer(ActorSystem system) => System = system;

    /// <summary>A peer that only talks to nodes (remoting), without joining their cluster.</summary>
    public static HostilePeer Remote() => new(ActorSystem.Create("attacker", Base("remote")));

    /// <summary>A peer that speaks the cluster's protocol (its messages, its serializer) but is no member.</summary>
    public static HostilePeer Outsider() => new(ActorSystem.Create("actorcompile", Base("cluster")));

    /// <summary>A peer that joins the cluster through <paramref name="seed"/> (host:port), as the cluster's members are configured to allow.</summary>
    public static HostilePeer Member(string seed) => new(ActorSystem.Create("actorcompile", Base("cluster").WithFallback(ConfigurationFactory.ParseString($"""
        akka.cluster.seed-nodes = ["akka.tcp://actorcompile@{seed}"]
        akka.cluster.downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
        """))));

    private static Config Base(string provider) => ConfigurationFactory.ParseString($"""
        akka.actor.provider = {provider}
        akka.remote.dot-netty.tcp.hostname = 127.0.0.1
        akka.remote.dot-netty.tcp.port = 0
        akka.loglevel = WARNING
        akka.stdout-loglevel = WARNING
        akka.log-dead-letters = off
        """);

    /// <summary>An actor of a node, by path, without asking the node (a remote reference is just an address and a path).</summary>
    public IActorRef Actor(string nodeAddress, string path) =>
        ((ExtendedActorSystem)System).Provider.ResolveActorRef($"akka.tcp://actorcompile@{nodeAddress}{path}");

    /// <summary>One of the cluster daemon's commands (Down, Leave), as Cluster.Down and Cluster.Leave build them for their own node.</summary>
    public static object ClusterCommand(string name, string nodeAddress)
    {
        var type = typeof(Cluster).Assembly.GetType($"Akka.Cluster.ClusterUserAction+{name}", throwOnError: true)!;
        return Activator.CreateInstance(type, Address.Parse($"akka.tcp://actorcompile@{nodeAddress}"))!;
    }

    public bool IsUp => Cluster.Get(System).State.Members.Any(m => m.Address == Cluster.Get(System).SelfAddress && m.Status == MemberStatus.Up);

    public void Dispose() => System.Terminate().Wait(TimeSpan.FromSeconds(20));
}
