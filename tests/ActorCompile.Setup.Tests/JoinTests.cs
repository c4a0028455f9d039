using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Security.Cryptography;
using ActorCompile.Setup.Joining;
using ActorCompile.Tests;
using Xunit;

namespace ActorCompile.Setup.Tests;

/// <summary>Join tokens, the join exchange's framing, and the cluster's secret files.</summary>
public sealed class JoinTests
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] Pin = SHA256.HashData("certificate"u8);

    [Fact]
    public void A_token_round_trips_through_its_text_and_checks_with_its_key()
    {
        var expires = DateTimeOffset.UtcNow.AddHours(24);
        var token = JoinToken.Create(Key, Pin, expires, 7500);
        var read = JoinToken.Parse(token.Text, out var problem);
        Assert.Null(problem);
        Assert.NotNull(read);
        Assert.StartsWith(JoinToken.Prefix, token.Text);
        Assert.True(token.Text.Length <= JoinToken.MaxTextLength);
        Assert.Equal(Pin, read.CertificatePin);
        Assert.Equal(expires.ToUnixTimeSeconds(), read.Expires.ToUnixTimeSeconds());
        Assert.Equal(7500, read.JoinPortFor(7420));
        Assert.True(read.IsSignedWith(Key));
        Assert.False(read.IsSignedWith(RandomNumberGenerator.GetBytes(32)));
        Assert.Equal(7421, JoinToken.Create(Key, Pin, expires, 0).JoinPortFor(7420));
    }

    [Fact]
    public void Changing_any_byte_of_a_token_breaks_its_MAC()
    {
        var text = JoinToken.Create(Key, Pin, DateTimeOffset.UtcNow.AddHours(1), 0).Text;
        var bytes = System.Buffers.Text.Base64Url.DecodeFromChars(text.AsSpan(JoinToken.Prefix.Length));
        for (int i = 0; i < bytes.Length; i++)
        {
            var changed = (byte[])bytes.Clone();
            changed[i] ^= 0x01;
            var token = JoinToken.Parse(JoinToken.Prefix + System.Buffers.Text.Base64Url.EncodeToString(changed), out _);
            Assert.NotNull(token);
            Assert.False(token.IsSignedWith(Key), $"byte {i} changed, MAC still good");
        }
    }

    [Fact]
    public void A_token_expires()
    {
        var token = JoinToken.Create(Key, Pin, DateTimeOffset.UtcNow.AddMinutes(-1), 0);
        Assert.True(token.HasExpired(DateTimeOffset.UtcNow));
        Assert.False(JoinToken.Create(Key, Pin, DateTimeOffset.UtcNow.AddMinutes(5), 0).HasExpired(DateTimeOffset.UtcNow));
    }

    [Theory]
    [InlineData("")]
    [InlineData("acj1-")]
    [InlineData("acj1-AAAA")]
    [InlineData("hello")]
    [InlineData("acj2-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void Text_that_is_not_a_token_is_said_to_be_none(string text)
    {
        Assert.Null(JoinToken.Parse(text, out var problem));
        Assert.Contains("not an ActorCompile join token", problem);
        Assert.Null(JoinToken.Parse(new string('A', 5000), out _));
    }

    [Fact]
    public async Task Requests_and_every_kind_of_answer_round_trip()
    {
        var stream = new MemoryStream();
        var token = JoinToken.Create(Key, Pin, DateTimeOffset.UtcNow.AddHours(1), 0).Text;
        await JoinExchange.WriteRequestAsync(stream, new JoinRequest(token), default);
        await JoinExchange.WriteAnswerAsync(stream, new CertificateGranted(new byte[] { 1, 2, 3 }, "secret"), default);
        await JoinExchange.WriteAnswerAsync(stream, new TokenExpired(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000)), default);
        await JoinExchange.WriteAnswerAsync(stream, new TokenRefused("no"), default);
        stream.Position = 0;
        Assert.Equal(token, (await JoinExchange.ReadRequestAsync(stream, default)).Token);
        var granted = Assert.IsType<CertificateGranted>(await JoinExchange.ReadAnswerAsync(stream, default));
        Assert.Equal(new byte[] { 1, 2, 3 }, granted.Pkcs12);
        Assert.Equal("secret", granted.Password);
        Assert.Equal(1_800_000_000, Assert.IsType<TokenExpired>(await JoinExchange.ReadAnswerAsync(stream, default)).Expired.ToUnixTimeSeconds());
        Assert.Equal("no", Assert.IsType<TokenRefused>(await JoinExchange.ReadAnswerAsync(stream, default)).Reason);
    }

    [Fact]
    public async Task A_request_with_a_huge_length_is_refused_before_anything_is_read_into_memory()
    {
        var bytes = new byte[6];
        "ACJ1"u8.CopyTo(bytes);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(4), 65535);
        // A pipe that never delivers the claimed bytes: the reader must refuse on the length alone.
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(bytes);
        var e = await Assert.ThrowsAsync<JoinProtocolException>(() => JoinExchange.ReadRequestAsync(pipe.Reader.AsStream(), default));
        Assert.Contains("a token of 65535 bytes", e.Message);
    }

    [Fact]
    public async Task An_answer_claiming_a_huge_certificate_is_refused_on_its_length()
    {
        var bytes = new byte[] { 0, 0, 0, 0xff, 0xff, 0xff, 0xff };
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(bytes);
        var e = await Assert.ThrowsAsync<JoinProtocolException>(() => JoinExchange.ReadAnswerAsync(pipe.Reader.AsStream(), default));
        Assert.Contains("a certificate file of 4294967295 bytes", e.Message);
    }

    [Theory]
    [InlineData(new byte[] { (byte)'G', (byte)'E', (byte)'T', (byte)' ', 0, 1 }, "not a join request")]
    [InlineData(new byte[] { (byte)'A', (byte)'C', (byte)'J', (byte)'1', 0, 3, (byte)'a', 10, (byte)'b' }, "characters no token has")]
    [InlineData(new byte[] { (byte)'A', (byte)'C', (byte)'J', (byte)'1', 0, 9, (byte)'a' }, "closed the connection")]
    public async Task Garbage_requests_are_refused_with_a_reason(byte[] bytes, string reason)
    {
        var e = await Assert.ThrowsAsync<JoinProtocolException>(() => JoinExchange.ReadRequestAsync(new MemoryStream(bytes), default));
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void The_cluster_certificate_is_self_signed_with_a_private_key_and_its_pin_is_its_SHA256()
    {
        var (pkcs12, password) = ClusterCertificate.Create();
        using var certificate = ClusterCertificate.Load(pkcs12, password);
        Assert.True(certificate.HasPrivateKey);
        Assert.Equal(ClusterCertificate.SubjectName, certificate.Subject);
        Assert.Equal(SHA256.HashData(certificate.RawData), ClusterCertificate.Pin(certificate));
        Assert.ThrowsAny<CryptographicException>(() => ClusterCertificate.Load(pkcs12, password + "x"));
    }

    [Fact]
    public void Secret_files_are_0600_and_the_join_key_reads_back()
    {
        using var dir = new TempDirectory("ac-secrets");
        var files = new ClusterFiles(dir.Combine("etc"));
        files.WriteCertificate(new byte[] { 1, 2 }, "pw");
        var key = files.WriteNewJoinKey();
        foreach (var path in new[] { files.Certificate, files.PasswordFile, files.JoinKeyFile })
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(key, files.ReadJoinKey());
        Assert.Equal("pw", files.ReadPassword());
        Assert.True(files.HasCertificate);
        File.WriteAllText(files.JoinKeyFile, "not hex\n");
        Assert.Null(files.ReadJoinKey());
        Assert.Empty(Directory.GetFiles(files.Directory, "*.tmp"));
    }
}
