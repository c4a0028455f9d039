using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;

namespace ActorCompile.Setup.Joining;

/// <summary>
/// What a machine needs to join a TLS cluster in one step, as one line of text. It carries the seed's
/// certificate pin (SHA-256 of the certificate, so the joiner authenticates the seed), the time it
/// expires, the seed's join port (0: the seed's cluster port + 1), and an HMAC-SHA256 over all that with
/// the cluster's join key (so the seed checks it without keeping a list of tokens). Anyone holding an
/// unexpired token may join: it is a secret until it expires.
/// </summary>
public sealed record JoinToken(byte[] CertificatePin, DateTimeOffset Expires, int JoinPort, byte[] Mac)
{
    public const string Prefix = "acj1-";
    private const int PinBytes = 32, MacBytes = 32;
    private const int SignedBytes = PinBytes + 8 + 2;

    /// <summary>The longest text a token can be; anything longer is not one.</summary>
    public const int MaxTextLength = 128;

    /// <summary>A token signed with the join key.</summary>
    public static JoinToken Create(ReadOnlySpan<byte> joinKey, byte[] certificatePin, DateTimeOffset expires, int joinPort)
    {
        if (certificatePin.Length != PinBytes) throw new ArgumentException("a certificate pin is a SHA-256 (32 bytes)", nameof(certificatePin));
        ArgumentOutOfRangeException.ThrowIfNegative(joinPort);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(joinPort, 65535);
        var unsigned = new JoinToken(certificatePin, DateTimeOffset.FromUnixTimeSeconds(expires.ToUnixTimeSeconds()), joinPort, Array.Empty<byte>());
        return unsigned with { Mac = HMACSHA256.HashData(joinKey, unsigned.Signed()) };
    }

    /// <summary>True when the MAC was made with this join key (compared in constant time).</summary>
    public bool IsSignedWith(ReadOnlySpan<byte> joinKey) =>
        Mac.Length == MacBytes && CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(joinKey, Signed()), Mac);

    public bool HasExpired(DateTimeOffset now) => now >= Expires;

    public string Text
    {
        get
        {
            var bytes = new byte[SignedBytes + MacBytes];
            Signed().CopyTo(bytes, 0);
            Mac.CopyTo(bytes, SignedBytes);
            return Prefix + Base64Url.EncodeToString(bytes);
        }
    }

    public override string ToString() => Text;

    /// <summary>Reads a token's text; null (and the problem in words) when it is not one.</summary>
    public static JoinToken? Parse(string text, out string? problem)
    {
        problem = "it is not an ActorCompile join token (they start with " + Prefix + "; copy the whole line setup printed)";
        if (text.Length > MaxTextLength || !text.StartsWith(Prefix, StringComparison.Ordinal)) return null;
        var bytes = new byte[SignedBytes + MacBytes];
        if (!Base64Url.TryDecodeFromChars(text.AsSpan(Prefix.Length), bytes, out var written) || written != bytes.Length) return null;
        problem = null;
        var span = bytes.AsSpan();
        return new JoinToken(
            span[..PinBytes].ToArray(),
            DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(BinaryPrimitives.ReadInt64BigEndian(span[PinBytes..]), 0, 253402300799)),
            BinaryPrimitives.ReadUInt16BigEndian(span[(PinBytes + 8)..]),
            span[SignedBytes..].ToArray());
    }

    /// <summary>The seed's join port for a seed whose cluster port is given.</summary>
    public int JoinPortFor(int seedPort) => JoinPort > 0 ? JoinPort : seedPort + 1;

    private byte[] Signed()
    {
        var bytes = new byte[SignedBytes];
        CertificatePin.CopyTo(bytes, 0);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(PinBytes), Expires.ToUnixTimeSeconds());
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(PinBytes + 8), (ushort)JoinPort);
        return bytes;
    }
}
