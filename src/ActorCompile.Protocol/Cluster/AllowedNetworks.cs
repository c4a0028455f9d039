using System.Net;

namespace ActorCompile.Protocol.Cluster;

/// <summary>
/// The networks a worker talks to (actorcompile.worker.allow): an address is allowed when it lies in one
/// of them. IPv4 addresses seen through an IPv6 socket (::ffff:a.b.c.d) count as the IPv4 address.
/// </summary>
public sealed class AllowedNetworks
{
    public const string ConfigKey = "actorcompile.worker.allow";

    public static readonly AllowedNetworks Loopback = new(new[] { IPNetwork.Parse("127.0.0.0/8"), IPNetwork.Parse("::1/128") });

    public IReadOnlyList<IPNetwork> Networks { get; }

    public AllowedNetworks(IReadOnlyList<IPNetwork> networks) => Networks = networks;

    /// <summary>Reads the list from a node's configuration; a missing key means loopback only.</summary>
    public static AllowedNetworks FromConfig(Akka.Configuration.Config config)
    {
        if (!config.HasPath(ConfigKey)) return Loopback;
        var networks = new List<IPNetwork>();
        foreach (var text in config.GetStringList(ConfigKey))
        {
            if (!IPNetwork.TryParse(text, out var network))
                throw new ArgumentException($"{ConfigKey}: '{text}' is not a network in CIDR notation");
            networks.Add(network);
        }
        return new AllowedNetworks(networks);
    }

    public bool Contains(IPAddress address)
    {
        var plain = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        return Networks.Any(n => n.Contains(plain));
    }

    /// <summary>The host part of an Akka address as an IP address ("[::1]" included), or null for a name.</summary>
    public static IPAddress? ParseHost(string? host)
    {
        if (string.IsNullOrEmpty(host)) return null;
        var text = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        return IPAddress.TryParse(text, out var ip) ? ip : null;
    }

    public override string ToString() => string.Join(", ", Networks);
}
