using System.Buffers.Binary;
using System.Text;

namespace ActorCompile.Setup.Joining;

/// <summary>The joiner's one request: its token.</summary>
public sealed record JoinRequest(string Token);

/// <summary>The seed's one answer.</summary>
public abstract record JoinAnswer;

/// <summary>The token was good: the cluster certificate (PKCS#12) and its password.</summary>
public sealed record CertificateGranted(byte[] Pkcs12, string Password) : JoinAnswer;

/// <summary>The token was made with the join key but has expired.</summary>
public sealed record TokenExpired(DateTimeOffset Expired) : JoinAnswer;

/// <summary>The token was refused, and why.</summary>
public sealed record TokenRefused(string Reason) : JoinAnswer;

/// <summary>A request or answer that breaks the exchange's rules.</summary>
public sealed class JoinProtocolException(string message) : Exception(message);

/// <summary>
/// The join exchange inside TLS, one request and one answer. Every field has a length bound that is
/// checked before anything is allocated, so a hostile peer on either end can make the other read at most
/// a few bytes more than an honest one would.
/// Request: "ACJ1", u16 length, token (ASCII). Answer: a kind byte, then
/// granted: u16 length, password (UTF-8), u32 length, PKCS#12; expired: i64 Unix seconds; refused: u16 length, reason (UTF-8).
/// </summary>
public static class JoinExchange
{
    private static readonly byte[] Magic = "ACJ1"u8.ToArray();
    public const int MaxPkcs12Bytes = 64 * 1024, MaxTextBytes = 1024;
    private const byte Granted = 0, Expired = 1, Refused = 2;

    public static async Task WriteRequestAsync(Stream stream, JoinRequest request, CancellationToken cancel)
    {
        var token = Encoding.ASCII.GetBytes(request.Token);
        if (token.Length > JoinToken.MaxTextLength) throw new JoinProtocolException("the token is too long");
        var bytes = new byte[Magic.Length + 2 + token.Length];
        Magic.CopyTo(bytes, 0);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(Magic.Length), (ushort)token.Length);
        token.CopyTo(bytes, Magic.Length + 2);
        await stream.WriteAsync(bytes, cancel);
        await stream.FlushAsync(cancel);
    }

    public static async Task<JoinRequest> ReadRequestAsync(Stream stream, CancellationToken cancel)
    {
        var magic = await ReadAsync(stream, Magic.Length, cancel);
        if (!magic.AsSpan().SequenceEqual(Magic)) throw new JoinProtocolException("not a join request");
        int length = BinaryPrimitives.ReadUInt16BigEndian(await ReadAsync(stream, 2, cancel));
        if (length > JoinToken.MaxTextLength) throw new JoinProtocolException($"a token of {length} bytes (at most {JoinToken.MaxTextLength})");
        var token = await ReadAsync(stream, length, cancel);
        if (token.Any(b => b is < 0x21 or > 0x7e)) throw new JoinProtocolException("a token with characters no token has");
        return new JoinRequest(Encoding.ASCII.GetString(token));
    }

    public static async Task WriteAnswerAsync(Stream stream, JoinAnswer answer, CancellationToken cancel)
    {
        var body = new MemoryStream();
        switch (answer)
        {
            case CertificateGranted g:
                if (g.Pkcs12.Length > MaxPkcs12Bytes) throw new JoinProtocolException($"the certificate file is larger than {MaxPkcs12Bytes} bytes");
                body.WriteByte(Granted);
                WriteText(body, g.Password);
                Span<byte> length = stackalloc byte[4];
                BinaryPrimitives.WriteUInt32BigEndian(length, (uint)g.Pkcs12.Length);
                body.Write(length);
                body.Write(g.Pkcs12);
                break;
            case TokenExpired e:
                body.WriteByte(Expired);
                Span<byte> seconds = stackalloc byte[8];
                BinaryPrimitives.WriteInt64BigEndian(seconds, e.Expired.ToUnixTimeSeconds());
                body.Write(seconds);
                break;
            case TokenRefused r:
                body.WriteByte(Refused);
                WriteText(body, r.Reason);
                break;
        }
        await stream.WriteAsync(body.ToArray(), cancel);
        await stream.FlushAsync(cancel);
    }

    public static async Task<JoinAnswer> ReadAnswerAsync(Stream stream, CancellationToken cancel)
    {
        var kind = (await ReadAsync(stream, 1, cancel))[0];
        switch (kind)
        {
            case Granted:
                var password = await ReadTextAsync(stream, cancel);
                var length = BinaryPrimitives.ReadUInt32BigEndian(await ReadAsync(stream, 4, cancel));
                if (length is 0 or > MaxPkcs12Bytes) throw new JoinProtocolException($"a certificate file of {length} bytes (at most {MaxPkcs12Bytes})");
                return new CertificateGranted(await ReadAsync(stream, (int)length, cancel), password);
            case Expired:
                var unix = BinaryPrimitives.ReadInt64BigEndian(await ReadAsync(stream, 8, cancel));
                return new TokenExpired(DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(unix, 0, 253402300799)));
            case Refused:
                return new TokenRefused(await ReadTextAsync(stream, cancel));
            default:
                throw new JoinProtocolException($"an answer of unknown kind {kind}");
        }
    }

    private static void WriteText(Stream body, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        if (bytes.Length > MaxTextBytes) bytes = bytes[..MaxTextBytes];
        Span<byte> length = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(length, (ushort)bytes.Length);
        body.Write(length);
        body.Write(bytes);
    }

    private static async Task<string> ReadTextAsync(Stream stream, CancellationToken cancel)
    {
        int length = BinaryPrimitives.ReadUInt16BigEndian(await ReadAsync(stream, 2, cancel));
        if (length > MaxTextBytes) throw new JoinProtocolException($"a text of {length} bytes (at most {MaxTextBytes})");
        return Encoding.UTF8.GetString(await ReadAsync(stream, length, cancel));
    }

    private static async Task<byte[]> ReadAsync(Stream stream, int count, CancellationToken cancel)
    {
        var buffer = new byte[count];
        try
        {
            await stream.ReadExactlyAsync(buffer, cancel);
        }
        catch (EndOfStreamException)
        {
            throw new JoinProtocolException("the other end closed the connection in the middle of the exchange");
        }
        return buffer;
    }
}
