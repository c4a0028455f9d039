using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Remote.Transport.DotNetty;
using ActorCompile.LocalProtocol.Status;
using ActorCompile.Node.Configuration;
using ActorCompile.Protocol.Cluster;
using ActorCompile.Setup.Joining;

namespace ActorCompile.Node.Hosting;

/// <summary>
/// Mutual TLS between members with pinned certificates: a node presents the cluster certificate, and
/// accepts a peer only if the peer's certificate is pinned (its own, or one of trusted-thumbprints),
/// whatever authority signed it. Hostnames are not checked: helpers are usually reached by address.
/// </summary>
public static class ClusterTls
{
    /// <param name="refusals">Told of every peer whose certificate is refused, for status (set once the actor system runs).</param>
    public static DotNettySslSetup Setup(NodeConfiguration config, RefusedConnections refusals)
    {
        var certificate = LoadCertificate(config);
        var pinned = config.TlsTrustedThumbprints.Append(certificate.Thumbprint).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        var pinning = CertificateValidation.PinnedCertificate(pinned);
        return new DotNettySslSetup(certificate, suppressValidation: false, requireMutualAuthentication: true, validateCertificateHostname: false,
            (peerCertificate, chain, peer, errors, log) =>
            {
                if (pinning(peerCertificate, chain, peer, errors, log)) return true;
                refusals.Record(peer, peerCertificate is null ? "it presented no certificate" : "its certificate is not the cluster's (TLS: not pinned here)");
                return false;
            });
    }

    /// <summary>
    /// Where the refusals of what runs outside Akka's transport go (TLS certificates, the join service): the
    /// node's <see cref="ConnectionRefusals"/> (status, sparse log lines) once the actor system runs. The TLS
    /// setup must exist before the system, hence this indirection.
    /// </summary>
    public sealed class RefusedConnections
    {
        private volatile ConnectionRefusals? _target;

        public void Attach(ConnectionRefusals target) => _target = target;

        public void Record(string peer, string reason)
        {
            // The peer as DotNetty names it ("[::ffff:127.0.0.1]:41234" or a host name): its address without the port.
            var host = peer;
            if (host.LastIndexOf(':') is var colon and > 0 && host[(colon + 1)..].All(char.IsAsciiDigit)) host = host[..colon];
            host = host.Trim('[', ']');
            if (host.StartsWith("::ffff:", StringComparison.Ordinal) && System.Net.IPAddress.TryParse(host, out var ip)) host = ip.MapToIPv4().ToString();
            _target?.Record(host, reason);
        }
    }

    /// <summary>What status shows of this node's transport security.</summary>
    public static SecurityStatus Describe(NodeConfiguration config, DotNettySslSetup? setup)
    {
        if (setup is null)
            return new SecurityStatus("insecure", "no TLS (actorcompile.insecure = on): members are not authenticated; any process that reaches "
                + $"{config.Host}:{config.Port} (on loopback: any local user) may join the cluster, read and fill its result cache and send it work");
        var pin = ClusterCertificate.PinText(ClusterCertificate.Pin(setup.Certificate));
        var origin = config.TlsCertificateIsTheUsers ? $"this user's cluster key {config.TlsCertificate}" : config.TlsCertificate;
        var others = config.TlsTrustedThumbprints.Count > 0 ? $", and {config.TlsTrustedThumbprints.Count} more certificate(s) trusted" : "";
        return new SecurityStatus("mutual-tls", $"every connection authenticated with the cluster certificate (pin {pin[..16]}, {origin}){others}");
    }

    /// <summary>The cluster certificate with its private key; a bad file or password stops the node with what to do.</summary>
    public static X509Certificate2 LoadCertificate(NodeConfiguration config)
    {
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(config.TlsCertificate, config.TlsPassword, X509KeyStorageFlags.EphemeralKeySet);
        }
        catch (CryptographicException e)
        {
            throw new ConfigurationException($"{config.Origin("actorcompile.tls.certificate")}: cannot read the certificate {config.TlsCertificate}: {e.Message} (wrong password?)");
        }
        if (!certificate.HasPrivateKey)
            throw new ConfigurationException($"{config.TlsCertificate} holds no private key; export it with its key (openssl pkcs12 -export -inkey ...)");
        return certificate;
    }
}
