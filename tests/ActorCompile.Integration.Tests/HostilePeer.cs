using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Cluster;
using Akka.Configuration;
using Akka.Remote.Transport.DotNetty;

namespace ActorCompile.Integration.Tests;

/// <summary>
/// A hostile peer on 127.0.0.1: a plain Akka.NET actor system inside the test process, as anyone who can
/// reach a node's port could start one. It speaks Akka's own protocol only (no ActorCompile serializer),
/// which is all it needs to send PoisonPill, Kill or system messages, or to join the cluster and down a
/// member. Without credentials it is any local process; with the cluster's key
/// (<paramref name="clusterKey"/>: a directory holding cluster.pfx and cluster.password) it is a member
/// gone rogue, which is what the checks behind TLS are for.
/// </summary>
public sealed class HostilePeer : IDisposable
{
    public ActorSystem System { get; }
    private readonly string _scheme;

    private HostilePeer(string name, Config config, string? clusterKey)
    {
        _scheme = clusterKey is null ? "akka.tcp" : "akka.ssl.tcp";
        var setup = BootstrapSetup.Create().WithConfig(config.WithFallback(ConfigurationFactory.ParseString(
            $"akka.remote.dot-netty.tcp.enable-ssl = {(clusterKey is null ? "off" : "on")}")));
        var all = clusterKey is null ? ActorSystemSetup.Create(setup) : ActorSystemSetup.Create(setup, Tls(clusterKey));
        System = ActorSystem.Create(name, all);
    }

    /// <summary>Mutual TLS with the certificate in <paramref name="clusterKey"/>, pinning that one only, as a node does.</summary>
    private static DotNettySslSetup Tls(string clusterKey)
    {
        var password = File.ReadLines(Path.Combine(clusterKey, "cluster.password")).First();
        var certificate = X509CertificateLoader.LoadPkcs12FromFile(Path.Combine(clusterKey, "cluster.pfx"), password, X509KeyStorageFlags.EphemeralKeySet);
        return new DotNettySslSetup(certificate, suppressValidation: false, requireMutualAuthentication: true, validateCertificateHostname: false,
            CertificateValidation.PinnedCertificate(certificate.Thumbprint));
    }

    /// <summary>A peer that only talks to nodes (remoting), without joining their cluster.</summary>
    public static HostilePeer Remote(string? clusterKey = null) => new("attacker", Base("remote"), clusterKey);

    /// <summary>A peer that speaks the cluster's protocol (its messages, its serializer) but is no member.</summary>
    public static HostilePeer Outsider(string? clusterKey = null) => new("actorcompile", Base("cluster"), clusterKey);

    /// <summary>A peer that joins the cluster through <paramref name="seed"/> (host:port).</summary>
    public static HostilePeer Member(string seed, string? clusterKey = null) => new("actorcompile", Base("cluster").WithFallback(ConfigurationFactory.ParseString($"""
        akka.cluster.seed-nodes = ["{(clusterKey is null ? "akka.tcp" : "akka.ssl.tcp")}://actorcompile@{seed}"]
        akka.cluster.downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
        """)), clusterKey);

    private static Config Base(string provider) => ConfigurationFactory.ParseString($"""
        akka.actor.provider = {provider}
        akka.remote.dot-netty.tcp.hostname = 127.0.0.1
        akka.remote.dot-netty.tcp.port = 0
        akka.loglevel = WARNING
        akka.stdout-loglevel = WARNING
        akka.log-dead-letters = off
        """);

    /// <summary>A node's address as this peer names it (akka.tcp, or akka.ssl.tcp with a key).</summary>
    public Address NodeAddress(string nodeAddress) => Address.Parse($"{_scheme}://actorcompile@{nodeAddress}");

    /// <summary>An actor of a node, by path, without asking the node (a remote reference is just an address and a path).</summary>
    public IActorRef Actor(string nodeAddress, string path) =>
        ((ExtendedActorSystem)System).Provider.ResolveActorRef($"{NodeAddress(nodeAddress)}{path}");

    public ActorSelection Select(string nodeAddress, string path) => System.ActorSelection($"{NodeAddress(nodeAddress)}{path}");

    /// <summary>One of the cluster daemon's commands (Down, Leave), as Cluster.Down and Cluster.Leave build them for their own node.</summary>
    public object ClusterCommand(string name, string nodeAddress)
    {
        var type = typeof(Cluster).Assembly.GetType($"Akka.Cluster.ClusterUserAction+{name}", throwOnError: true)!;
        return Activator.CreateInstance(type, NodeAddress(nodeAddress))!;
    }

    public bool IsUp => Cluster.Get(System).State.Members.Any(m => m.Address == Cluster.Get(System).SelfAddress && m.Status == MemberStatus.Up);

    public void Dispose() => System.Terminate().Wait(TimeSpan.FromSeconds(20));
}
