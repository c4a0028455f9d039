using ActorCompile.LocalProtocol;
using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using ActorCompile.Setup.CommandLine;
using ActorCompile.Setup.Joining;

namespace ActorCompile.Cli;

/// <summary>How setup gets this machine its cluster certificate.</summary>
public enum TlsMode
{
    /// <summary>No TLS: the node's address is loopback (or --insecure).</summary>
    Off,
    /// <summary>The first machine: creates the certificate and join key (or reuses them), prints a token.</summary>
    First,
    /// <summary>A joining machine with a token: fetches the certificate from the seed's join service.</summary>
    Join,
    /// <summary>The certificate is already here (an earlier setup, or put there by hand): use it.</summary>
    Existing,
}

public sealed record TlsPlan(TlsMode Mode, ClusterFiles Files);

/// <summary>
/// The one-step certificate path of actorcompile setup: the first machine creates the cluster
/// certificate and a join key and prints join tokens; the other machines present a token to the first
/// one's join service, authenticate it by the certificate pin the token carries, and receive the
/// certificate. Nothing is written before every check has passed.
/// </summary>
public static partial class ClusterJoin
{
    private static readonly TimeSpan NetworkDeadline = TimeSpan.FromSeconds(20);

    /// <summary>Decides, before anything is written, whether and how this machine gets the certificate.</summary>
    /// <param name="printing">setup --print: nothing is written or fetched, so a machine without the certificate
    /// yet gets the file that names where it will be (and a note on standard error) instead of an error.</param>
    public static TlsPlan Plan(SetupCommand.Settings s, ClusterFiles files, bool printing = false)
    {
        // Every cluster connection is TLS, loopback included: on one machine every local user reaches a loopback port.
        if (s.Insecure) return new TlsPlan(TlsMode.Off, files);
        if (s.Token is not null) return new TlsPlan(TlsMode.Join, files);
        if (s.Seeds.Count == 0) return new TlsPlan(TlsMode.First, files);
        if (files.HasCertificate && !s.NewCertificate) return new TlsPlan(TlsMode.Existing, files);
        if (printing)
        {
            Console.Error.WriteLine($"actorcompile setup: note: this machine has no cluster certificate in {files.Directory} yet; the file names where it belongs (--token FILE|- fetches it)");
            return new TlsPlan(TlsMode.Existing, files);
        }
        throw new SetupException(
            "members authenticate with TLS on every connection, so this machine needs the cluster's certificate: "
            + "give --token - or --token FILE with the join token (the first machine printed one; make another there with actorcompile setup token), "
            + $"or put cluster.pfx and cluster.password into {files.Directory} (the README's openssl commands), "
            + "or give --insecure to run without authentication where you trust every user and host");
    }

    /// <summary>Gets the certificate files in place for the plan; for a first machine, returns a join token.</summary>
    public static JoinToken? Carry(SetupCommand.Settings s, TlsPlan plan, ClusterFiles files)
    {
        switch (plan.Mode)
        {
            case TlsMode.First:
                return CreateOrReuse(s, files);
            case TlsMode.Join:
                Join(s, files);
                return null;
            default:
                return null;
        }
    }

    private static JoinToken CreateOrReuse(SetupCommand.Settings s, ClusterFiles files)
    {
        if (!files.HasCertificate || s.NewCertificate)
        {
            var (pkcs12, password) = ClusterCertificate.Create();
            files.WriteCertificate(pkcs12, password);
            files.WriteNewJoinKey();
            Console.WriteLine($"actorcompile setup: created the cluster certificate {files.Certificate} and the join key {files.JoinKeyFile}");
        }
        else
        {
            Console.WriteLine($"actorcompile setup: using the cluster certificate already in {files.Certificate} (--new-certificate replaces it)");
        }
        var key = files.ReadJoinKey() ?? files.WriteNewJoinKey();
        return JoinToken.Create(key, LoadPin(files), DateTimeOffset.UtcNow.AddHours(24), s.JoinPort);
    }

    private static byte[] LoadPin(ClusterFiles files)
    {
        try
        {
            using var certificate = ClusterCertificate.Load(File.ReadAllBytes(files.Certificate), files.ReadPassword());
            return ClusterCertificate.Pin(certificate);
        }
        catch (CryptographicException e)
        {
            throw new SetupException($"cannot read the cluster certificate {files.Certificate} with the password in {files.PasswordFile}: {e.Message}");
        }
    }

    /// <summary>Fetches the certificate from the seed with the token, then writes it: nothing is written on any failure.</summary>
    private static void Join(SetupCommand.Settings s, ClusterFiles files)
    {
        var token = s.Token!;
        if (files.HasCertificate && !s.NewCertificate && !LoadPin(files).AsSpan().SequenceEqual(token.CertificatePin))
            throw new SetupException($"{files.Certificate} holds another cluster's certificate than the token's; give --new-certificate to replace it");
        var seed = s.Seeds[0];
        var (pkcs12, password) = Fetch(seed, token);
        files.WriteCertificate(pkcs12, password);
        Console.WriteLine($"actorcompile setup: received the cluster certificate from {seed.Host}:{token.JoinPortFor(seed.Port)} into {files.Certificate}");
    }

    /// <summary>
    /// The joiner's side of the exchange. The seed is authenticated by the pin before the token leaves
    /// this machine: a token given to the wrong host (or to someone in between) is never sent.
    /// </summary>
    public static (byte[] Pkcs12, string Password) Fetch(HostPort seed, JoinToken token)
    {
        int port = token.JoinPortFor(seed.Port);
        if (port > ValueKinds.MaxPort) throw new SetupException($"the seed's join port would be {port}; give the seed's cluster port, or a token with its join port");
        using var deadline = new CancellationTokenSource(NetworkDeadline);
        try
        {
            return FetchAsync(seed.Host, port, token, deadline.Token).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            throw new SetupException($"the seed's join service at {seed.Host}:{port} did not answer within {NetworkDeadline.TotalSeconds:0} s");
        }
        catch (SocketException e)
        {
            throw new SetupException($"cannot reach the seed's join service at {seed.Host}:{port} ({e.Message}); is its node running with TLS and its join key, and is the port open?");
        }
        catch (Exception e) when (e is IOException or JoinProtocolException)
        {
            throw new SetupException($"the exchange with the seed's join service at {seed.Host}:{port} failed: {e.Message}");
        }
    }

    private static async Task<(byte[], string)> FetchAsync(string host, int port, JoinToken token, CancellationToken cancel)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(host, port, cancel);
        await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        bool pinMatched = false;
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = host,
                // The pin replaces every other check: the cluster certificate is self-signed, and machines
                // are reached by address.
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    pinMatched = certificate is not null && CryptographicOperations.FixedTimeEquals(ClusterCertificate.Pin(certificate), token.CertificatePin),
            }, cancel);
        }
        catch (AuthenticationException) when (!pinMatched)
        {
            throw new SetupException("the seed's certificate does not match the token (wrong seed, or someone in between); nothing was sent or written");
        }
        await JoinExchange.WriteRequestAsync(tls, new JoinRequest(token.Text), cancel);
        var answer = await JoinExchange.ReadAnswerAsync(tls, cancel);
        return answer switch
        {
            CertificateGranted g => Verified(g, token),
            TokenExpired e => throw new SetupException($"the token expired at {e.Expired.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC; make a new one with actorcompile setup token on a member"),
            TokenRefused r => throw new SetupException($"the seed refused the token: {r.Reason}"),
            _ => throw new JoinProtocolException("an answer of unknown kind"),
        };
    }

    /// <summary>The certificate received must open with its password and be the one the token pins.</summary>
    private static (byte[], string) Verified(CertificateGranted granted, JoinToken token)
    {
        try
        {
            using var certificate = ClusterCertificate.Load(granted.Pkcs12, granted.Password);
            if (!ClusterCertificate.Pin(certificate).AsSpan().SequenceEqual(token.CertificatePin))
                throw new SetupException("the seed sent a certificate other than the one the token pins; nothing was written");
        }
        catch (CryptographicException e)
        {
            throw new SetupException($"the seed sent a certificate that does not open with its password ({e.Message}); nothing was written");
        }
        return (granted.Pkcs12, granted.Password);
    }

    /// <summary>What the first machine prints: the token, how long it lives, and the commands for the others.</summary>
    public static void PrintJoinInstructions(JoinToken token, SetupCommand.Settings s)
    {
        var seed = new HostPort(s.Host is "0.0.0.0" or "::" ? "THIS-MACHINE" : s.Host, s.Port);
        Console.WriteLine();
        Console.WriteLine($"Join token (shown this once; any number of machines may use it until {Format(token.Expires)}, when it expires; actorcompile setup token makes new ones):");
        Console.WriteLine(token.Text);
        Console.WriteLine();
        Console.WriteLine("On each other machine, as root, then paste the token (it never goes on a command line, where every user sees it):");
        Console.WriteLine($"  sudo actorcompile setup helper --seed {seed} --token -");
        Console.WriteLine($"  sudo actorcompile setup target --seed {seed} --token -");
        Console.WriteLine($"(or --token FILE, or {SetupCommand.TokenVariable} in the environment)");
        Console.WriteLine($"(this machine's node must run, and its join port {token.JoinPortFor(s.Port)} be reachable)");
        Console.WriteLine();
    }

    /// <summary>actorcompile setup token: the token alone on stdout (for scripts), the rest on stderr.</summary>
    public static int PrintToken(TimeSpan validFor)
    {
        var files = new ClusterFiles(Path.GetFullPath(ClusterFiles.DefaultDirectory()));
        try
        {
            if (!files.HasCertificate || files.ReadJoinKey() is not { } key)
                throw new SetupException($"there is no cluster certificate and join key in {files.Directory}: tokens are made on the machine that created the "
                    + "certificate (set up first, without --seed); or set ACTORCOMPILE_CONFIG_DIR to where they are");
            var (host, port, joinPort) = OwnAddress(files.Directory);
            var token = JoinToken.Create(key, LoadPin(files), DateTimeOffset.UtcNow + validFor, joinPort);
            Console.WriteLine(token.Text);
            Console.Error.WriteLine($"actorcompile setup: join token valid until {Format(token.Expires)} (any number of machines until then). On each other machine, then paste it:");
            Console.Error.WriteLine($"  sudo actorcompile setup helper|target --seed {host}:{port} --token -");
            return 0;
        }
        catch (Exception e) when (e is SetupException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"actorcompile setup token: {e.Message}");
            return ExitCodes.SetupFailed;
        }
    }

    /// <summary>
    /// Host, port and join port from the node.hocon setup wrote here (its own layout, read back): what
    /// the token's join port must say, and what the printed command names. Placeholders when absent.
    /// </summary>
    private static (string Host, string Port, int JoinPort) OwnAddress(string directory)
    {
        var path = Path.Combine(directory, "node.hocon");
        var text = File.Exists(path) ? File.ReadAllText(path) : "";
        var host = HostLine().Match(text) is { Success: true } h ? h.Groups[1].Value : "THIS-MACHINE";
        var port = PortLine().Match(text) is { Success: true } p ? p.Groups[1].Value : "PORT";
        var joinPort = JoinPortLine().Match(text) is { Success: true } j && int.TryParse(j.Groups[1].Value, CultureInfo.InvariantCulture, out var n) && n <= ValueKinds.MaxPort ? n : 0;
        return (host, port, joinPort);
    }

    private static string Format(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC";

    [GeneratedRegex("""^\s*host = "([^"]+)"\s*$""", RegexOptions.Multiline)]
    private static partial Regex HostLine();

    [GeneratedRegex("""^\s*port = (\d+)\s*$""", RegexOptions.Multiline)]
    private static partial Regex PortLine();

    [GeneratedRegex("""^\s*join-port = (\d+)\s*$""", RegexOptions.Multiline)]
    private static partial Regex JoinPortLine();
}
