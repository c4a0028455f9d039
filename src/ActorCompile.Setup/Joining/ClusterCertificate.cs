using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ActorCompile.Setup.Joining;

/// <summary>The cluster certificate: every member presents it, and pins it in its peers (see ClusterTls in the node).</summary>
public static class ClusterCertificate
{
    public const string SubjectName = "CN=actorcompile-cluster";

    /// <summary>
    /// A new self-signed certificate (ECDSA P-256, SHA-256, ten years) as PKCS#12 bytes with a random
    /// password. ECDSA rather than the README's RSA 3072: made in a millisecond instead of up to a second
    /// (every first node of a user makes one) and a handshake that costs a slow target less; both kinds are
    /// accepted. Both server and client authentication: every member is both in mutual TLS. Made with
    /// CertificateRequest, which works under Native AOT.
    /// </summary>
    public static (byte[] Pkcs12, string Password) Create()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(SubjectName, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            new OidCollection { new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2") }, false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(10));
        var password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
        return (certificate.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, password), password);
    }

    /// <summary>Loads a PKCS#12 file's certificate; a wrong password or a file without a private key is an error.</summary>
    public static X509Certificate2 Load(byte[] pkcs12, string password)
    {
        var certificate = X509CertificateLoader.LoadPkcs12(pkcs12, password, X509KeyStorageFlags.EphemeralKeySet);
        if (certificate.HasPrivateKey) return certificate;
        certificate.Dispose();
        throw new CryptographicException("the certificate file holds no private key");
    }

    /// <summary>The pin a join token carries: SHA-256 over the certificate's DER bytes.</summary>
    public static byte[] Pin(X509Certificate certificate) => SHA256.HashData(certificate.GetRawCertData());

    public static string PinText(byte[] pin) => Convert.ToHexString(pin).ToLowerInvariant();
}
