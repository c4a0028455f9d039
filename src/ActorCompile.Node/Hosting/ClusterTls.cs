using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Remote.Transport.DotNetty;
using ActorCompile.Node.Configuration;

namespace ActorCompile.Node.Hosting;

/// <summary>
/// Mutual TLS between members with pinned certificates: a node presents the cluster certificate, and
/// accepts a peer only if the peer's certificate is pinned (its own, or one of trusted-thumbprints),
/// whatever authority signed it. Hostnames are not checked: helpers are usually reached by address.
/// </summary>
public static class ClusterTls
{
    public static DotNettySslSetup Setup(NodeConfiguration config)
    {
        var certificate = LoadCertificate(config);
        var pinned = config.TlsTrustedThumbprints.Append(certificate.Thumbprint).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        return new DotNettySslSetup(certificate, suppressValidation: false, requireMutualAuthentication: true, validateCertificateHostname: false,
            CertificateValidation.PinnedCertificate(pinned));
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
