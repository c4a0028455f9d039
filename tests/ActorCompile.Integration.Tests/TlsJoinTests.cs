using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using ActorCompile.Setup.Joining;
using ActorCompile.Tests;
using Xunit;

namespace ActorCompile.Integration.Tests;

/// <summary>
/// TLS by default beyond loopback, and the one-step path: setup on the first machine creates the
/// cluster certificate and prints a token; its node serves the join port; setup on another machine
/// fetches the certificate with the token, and a node started from what it wrote joins the TLS cluster.
/// Real processes on 127.0.0.1 only; the "beyond loopback" cases are configuration that is refused
/// before anything listens or sends.
/// </summary>
public sealed class TlsJoinTests(TlsJoinTests.Seed seed) : IClassFixture<TlsJoinTests.Seed>
{
    /// <summary>A first machine set up by actorcompile setup with TLS, and its running node.</summary>
    public sealed class Seed : IAsyncLifetime
    {
        public TempDirectory Directory { get; } = new("ac-join");
        public string ConfigDirectory => Directory.Combine("seed-etc");
        public ClusterFiles Files => new(ConfigDirectory);
        public int Port { get; private set; }
        public Run.Result FirstSetup { get; private set; } = null!;
        public Run.Result SecondSetup { get; private set; } = null!;
        public byte[] CertificateAfterFirstSetup { get; private set; } = Array.Empty<byte>();
        public NodeProcess Node { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Port = FreePortPair();
            // --tls: the cluster certificate although this test node stays on loopback.
            FirstSetup = Setup(ConfigDirectory, "both", "--host", "127.0.0.1", "--port", Port.ToString(), "--tls", "--toolchain", "gcc");
            Assert.True(FirstSetup.ExitCode == 0, FirstSetup.Stderr);
            CertificateAfterFirstSetup = File.ReadAllBytes(Files.Certificate);
            SecondSetup = Setup(ConfigDirectory, "both", "--host", "127.0.0.1", "--port", Port.ToString(), "--tls", "--toolchain", "gcc");
            Node = new NodeProcess("seed", Directory.Path, "coordinator,worker", port: Port, env: new Dictionary<string, string> { ["ACTORCOMPILE_CONFIG_DIR"] = ConfigDirectory });
            // The join service starts before the local socket (Program.cs): the socket answering means both do.
            await Eventually.True(() => File.Exists(Node.Socket), TimeSpan.FromSeconds(60), "the seed's join service");
        }

        public Task DisposeAsync()
        {
            Node.Dispose();
            Directory.Dispose();
            return Task.CompletedTask;
        }

        public JoinToken Token(DateTimeOffset expires, byte[]? key = null, byte[]? pin = null)
        {
            using var certificate = ClusterCertificate.Load(File.ReadAllBytes(Files.Certificate), Files.ReadPassword());
            return JoinToken.Create(key ?? Files.ReadJoinKey()!, pin ?? ClusterCertificate.Pin(certificate), expires, 0);
        }
    }

    private static Run.Result Setup(string configDirectory, params string[] args) =>
        Run.Program(Dist.Wrapper, new[] { "setup" }.Concat(args), env: new Dictionary<string, string> { ["ACTORCOMPILE_CONFIG_DIR"] = configDirectory },
            timeout: TimeSpan.FromMinutes(2));

    /// <summary>setup with the join token in a file of its own (--token FILE), or on standard input (--token -): never on the command line.</summary>
    private static Run.Result SetupWithToken(string configDirectory, string token, params string[] args) => SetupWithToken(configDirectory, token, stdin: false, args);

    private static Run.Result SetupWithToken(string configDirectory, string token, bool stdin, params string[] args)
    {
        var file = Path.Combine(Path.GetTempPath(), $"ac-token-{Guid.NewGuid():N}");
        File.WriteAllText(file, token + "\n");
        try
        {
            if (!stdin) return Setup(configDirectory, args.Concat(new[] { "--token", file }).ToArray());
            var command = string.Join(' ', new[] { Dist.Wrapper, "setup" }.Concat(args).Concat(new[] { "--token", "-" }).Select(a => "'" + a + "'"));
            return Run.Shell($"{command} < '{file}'", env: new Dictionary<string, string> { ["ACTORCOMPILE_CONFIG_DIR"] = configDirectory }, timeout: TimeSpan.FromMinutes(2));
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>A free port whose successor (the default join port) is free too.</summary>
    private static int FreePortPair()
    {
        for (int i = 0; i < 50; i++)
        {
            var port = Ports.Free();
            if (port >= 65535) continue;
            try
            {
                var next = new TcpListener(IPAddress.Loopback, port + 1);
                next.Start();
                next.Stop();
                return port;
            }
            catch (SocketException)
            {
            }
        }
        throw new InvalidOperationException("no two free ports in a row on 127.0.0.1");
    }

    private static string TokenIn(string output) =>
        Regex.Match(output, @"^(acj1-\S+)$", RegexOptions.Multiline) is { Success: true } m ? m.Groups[1].Value : throw new Xunit.Sdk.XunitException("no token in:\n" + output);

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    [Fact]
    public void The_first_machine_gets_a_certificate_a_join_key_and_a_token_and_a_second_run_reuses_them()
    {
        Assert.Contains("created the cluster certificate", seed.FirstSetup.Stdout);
        var token = JoinToken.Parse(TokenIn(seed.FirstSetup.Stdout), out var problem);
        Assert.True(token is not null, problem);
        Assert.True(token.IsSignedWith(seed.Files.ReadJoinKey()!));
        // The commands it prints read the token from standard input: it never goes on a command line, where every user sees it.
        Assert.Contains($"sudo actorcompile setup helper --seed 127.0.0.1:{seed.Port} --token -\n", seed.FirstSetup.Stdout);
        Assert.Contains($"sudo actorcompile setup target --seed 127.0.0.1:{seed.Port} --token -\n", seed.FirstSetup.Stdout);
        Assert.Single(seed.FirstSetup.Stdout.Split('\n'), line => line.Contains(JoinToken.Prefix, StringComparison.Ordinal));
        // A day by default.
        Assert.InRange(token.Expires - DateTimeOffset.UtcNow, TimeSpan.FromHours(23), TimeSpan.FromHours(24.1));
        foreach (var path in new[] { seed.Files.Certificate, seed.Files.PasswordFile, seed.Files.JoinKeyFile })
            Assert.Equal(OwnerOnly, File.GetUnixFileMode(path));
        var hocon = File.ReadAllText(Path.Combine(seed.ConfigDirectory, "node.hocon"));
        Assert.Contains("enabled = on", hocon);
        Assert.Contains($"certificate = \"{seed.Files.Certificate}\"", hocon);
        Assert.Contains($"join-key-file = \"{seed.Files.JoinKeyFile}\"", hocon);

        Assert.True(seed.SecondSetup.ExitCode == 0, seed.SecondSetup.Stderr);
        Assert.Contains("using the cluster certificate already in", seed.SecondSetup.Stdout);
        Assert.Equal(seed.CertificateAfterFirstSetup, File.ReadAllBytes(seed.Files.Certificate));
    }

    [Fact]
    public void Setup_token_prints_a_fresh_token_for_the_requested_time()
    {
        var r = Setup(seed.ConfigDirectory, "token", "--valid-for", "2h");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var token = JoinToken.Parse(r.Stdout.Trim(), out var problem);
        Assert.True(token is not null, problem);
        Assert.True(token.IsSignedWith(seed.Files.ReadJoinKey()!));
        Assert.InRange(token.Expires - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(110), TimeSpan.FromMinutes(121));
        Assert.Contains($"--seed 127.0.0.1:{seed.Port} --token", r.Stderr);

        // A machine without the join key makes no tokens.
        using var empty = new TempDirectory("ac-nokey");
        var refused = Setup(empty.Path, "token");
        Assert.Equal(4, refused.ExitCode);
        Assert.Contains("there is no cluster certificate and join key", refused.Stderr);
    }

    [Fact]
    public async Task A_machine_with_a_token_gets_the_certificate_and_its_node_joins_the_TLS_cluster()
    {
        // Garbage and a silent client at the join port first: the service stays up and serves the join after.
        // (Other tests of this class may have been refused by the same seed before: count from here.)
        var before = JoinRefusals(seed).Count;
        var random = new Random(12);
        for (int i = 0; i < 10; i++)
        {
            using var junk = new TcpClient();
            await junk.ConnectAsync(IPAddress.Loopback, seed.Port + 1);
            var bytes = new byte[random.Next(1, 5000)];
            random.NextBytes(bytes);
            try { await junk.GetStream().WriteAsync(bytes); } catch (IOException) { }
        }
        using var silent = new TcpClient();
        await silent.ConnectAsync(IPAddress.Loopback, seed.Port + 1);

        using var joiner = new TempDirectory("ac-joiner");
        var etc = joiner.Combine("etc");
        int port = Ports.Free();
        var token = Setup(seed.ConfigDirectory, "token").Stdout.Trim();
        var r = SetupWithToken(etc, token, stdin: true, "target", "--seed", $"127.0.0.1:{seed.Port}", "--port", port.ToString(), "--file", Path.Combine(etc, "node.hocon"));
        Assert.True(r.ExitCode == 0, $"{r.Stdout}\n{r.Stderr}\n--- seed ---\n{seed.Node.Log()}");
        var files = new ClusterFiles(etc);
        Assert.Equal(File.ReadAllBytes(seed.Files.Certificate), File.ReadAllBytes(files.Certificate));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(files.Certificate));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(files.PasswordFile));
        Assert.False(File.Exists(files.JoinKeyFile), "the join key stays on the machine that makes tokens");
        Assert.Contains("enabled = on", File.ReadAllText(Path.Combine(etc, "node.hocon")));
        // Each of the ten garbage connections is a refusal the seed's status shows (and the join itself is none).
        await Eventually.True(() => JoinRefusals(seed).Count >= before + 10, TimeSpan.FromSeconds(30), "the garbage to be counted as refused");

        // The node started from what setup wrote (seeds, TLS) joins the seed's TLS cluster.
        using var node = new NodeProcess("joined", joiner.Path, "coordinator", port: port, env: new Dictionary<string, string> { ["ACTORCOMPILE_CONFIG_DIR"] = etc });
        await Eventually.True(() =>
        {
            using var s = Wrapper.Status(seed.Node.Socket);
            return s.RootElement.GetProperty("members").EnumerateArray()
                .Any(m => m.GetProperty("address").GetString() == node.Address && m.GetProperty("state").GetString() == "up");
        }, TimeSpan.FromSeconds(60), "the joined node to be an up member of the seed's cluster");
        seed.Node.AssertRunningWithoutRestart();

        // The silent client is closed by the seed once its deadline passes.
        var stream = silent.GetStream();
        stream.ReadTimeout = 60_000;
        try { Assert.Equal(0, stream.Read(new byte[16])); } catch (IOException) { }
        await Eventually.True(() => JoinRefusals(seed) is var r && r.Count >= before + 11 && r.Reason.Contains("no complete exchange within", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), "the silent client to be counted as refused, the latest reason");
    }

    /// <summary>The seed's refusals of connections from 127.0.0.1 as its status shows them (the latest reason; the join service's begin "join service:").</summary>
    private static (long Count, string Reason) JoinRefusals(Seed seed)
    {
        using var s = Wrapper.Status(seed.Node.Socket);
        var r = (s.RootElement.TryGetProperty("refusedConnections", out var list) ? list.EnumerateArray() : default)
            .FirstOrDefault(x => x.GetProperty("address").GetString() == "127.0.0.1");
        return r.ValueKind == System.Text.Json.JsonValueKind.Object && r.GetProperty("reason").GetString() is { } reason && reason.StartsWith("join service: ", StringComparison.Ordinal)
            ? (r.GetProperty("count").GetInt64(), reason) : (0, "");
    }

    [Fact]
    public void Setup_as_root_gives_the_secret_files_to_the_service_user()
    {
        Assert.True(Environment.UserName == "root", "this test creates a user: run the tests as root (CI does)");
        var user = "ac-svc-" + Environment.ProcessId;
        var add = Run.Program("useradd", new[] { "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", user });
        Assert.True(add.ExitCode == 0, add.Stderr);
        try
        {
            using var dir = new TempDirectory("ac-owner");
            var r = Run.Program(Dist.Wrapper, new[] { "setup", "helper", "--host", "127.0.0.1", "--port", "7420", "--tls" },
                env: new Dictionary<string, string> { ["ACTORCOMPILE_CONFIG_DIR"] = dir.Path, ["ACTORCOMPILE_SERVICE_USER"] = user });
            Assert.True(r.ExitCode == 0, r.Stderr);
            var uid = Run.Program("id", new[] { "-u", user }).Stdout.Trim();
            foreach (var file in new[] { "cluster.pfx", "cluster.password", "cluster.joinkey" })
            {
                var owner = Run.Program("stat", new[] { "-c", "%u %a", Path.Combine(dir.Path, file) }).Stdout.Trim();
                Assert.Equal($"{uid} 600", owner);
            }
        }
        finally
        {
            Run.Program("userdel", new[] { user });
        }
    }

    [Fact]
    public void An_expired_token_is_refused_with_when_it_expired_and_nothing_is_written()
    {
        using var joiner = new TempDirectory("ac-expired");
        var expired = seed.Token(DateTimeOffset.UtcNow.AddMinutes(-5));
        var r = SetupWithToken(joiner.Path, expired.Text, "target", "--seed", $"127.0.0.1:{seed.Port}");
        Assert.Equal(4, r.ExitCode);
        Assert.Contains($"the token expired at {expired.Expires.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC; make a new one with actorcompile setup token on a member", r.Stderr);
        Assert.Empty(System.IO.Directory.GetFileSystemEntries(joiner.Path));
    }

    [Fact]
    public void A_token_with_a_wrong_MAC_is_refused_by_the_seed_and_nothing_is_written()
    {
        using var joiner = new TempDirectory("ac-forged");
        var forged = seed.Token(DateTimeOffset.UtcNow.AddHours(1), key: RandomNumberGenerator.GetBytes(32));
        var r = SetupWithToken(joiner.Path, forged.Text, "helper", "--seed", $"127.0.0.1:{seed.Port}");
        Assert.Equal(4, r.ExitCode);
        Assert.Contains("the seed refused the token: it was not made with this cluster's join key", r.Stderr);
        Assert.Empty(System.IO.Directory.GetFileSystemEntries(joiner.Path));
    }

    [Fact]
    public void A_seed_whose_certificate_is_not_the_tokens_pin_is_refused_by_the_joiner()
    {
        using var joiner = new TempDirectory("ac-pin");
        var otherPin = seed.Token(DateTimeOffset.UtcNow.AddHours(1), pin: SHA256.HashData("another certificate"u8));
        var r = SetupWithToken(joiner.Path, otherPin.Text, "target", "--seed", $"127.0.0.1:{seed.Port}");
        Assert.Equal(4, r.ExitCode);
        Assert.Contains("the seed's certificate does not match the token (wrong seed, or someone in between)", r.Stderr);
        Assert.Empty(System.IO.Directory.GetFileSystemEntries(joiner.Path));
    }

    [Fact]
    public void Turning_TLS_off_without_insecure_is_refused_at_start()
    {
        using var dir = new TempDirectory("ac-notls");
        var env = new Dictionary<string, string> { ["ACTORCOMPILE_CONFIG_DIR"] = dir.Combine("none"), ["XDG_STATE_HOME"] = dir.Combine("state") };
        var off = dir.Write("off.hocon", "actorcompile.tls.enabled = off\n");
        var r = Run.Program(Dist.Node, new[] { "--roles", "coordinator", "--port", "0", "--config", off, "--socket", dir.Combine("n.sock") }, env: env, timeout: TimeSpan.FromSeconds(60));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"{off}: actorcompile.tls.enabled = off, but members always authenticate with TLS, loopback included", r.Stderr);
        Assert.Contains("actorcompile.insecure = on", r.Stderr);
        Assert.False(File.Exists(dir.Combine("n.sock")));
        Assert.False(Directory.Exists(dir.Combine("state")), "a node that does not start made a cluster key");
    }

    [Theory]
    [InlineData("flag")]
    [InlineData("file")]
    public async Task Insecure_turns_TLS_off_and_status_says_so(string how)
    {
        using var dir = new TempDirectory("ac-insecure");
        var extra = how == "flag"
            ? new[] { "--insecure" }
            : new[] { "--config", dir.Write("insecure.hocon", "actorcompile.insecure = on\n") };
        using var node = new NodeProcess("insecure", dir.Path, "coordinator", extra: extra);
        var security = await Eventually.Get(() =>
        {
            if (!File.Exists(node.Socket)) return Task.FromResult<string?>(null);
            using var s = Wrapper.Status(node.Socket);
            return Task.FromResult(s.RootElement.TryGetProperty("security", out var sec) ? sec.GetProperty("detail").GetString() : null);
        }, TimeSpan.FromSeconds(60), "the node's status");
        using (var s = Wrapper.Status(node.Socket))
            Assert.Equal("insecure", s.RootElement.GetProperty("security").GetProperty("transport").GetString());
        Assert.Contains("any local user", security);
        // An insecure node makes no cluster key: it has no use for one.
        Assert.False(Directory.Exists(NodeProcess.ClusterKeyDirectory(dir.Path)));
        node.AssertRunningWithoutRestart();
    }

    [Fact]
    public void Setup_beyond_loopback_without_a_token_says_how_to_get_TLS()
    {
        using var dir = new TempDirectory("ac-setup-notls");
        var r = Setup(dir.Path, "target", "--seed", "192.0.2.10:7420", "--host", "192.0.2.20");
        Assert.Equal(4, r.ExitCode);
        Assert.Contains("give --token - or --token FILE", r.Stderr);
        Assert.Contains("--insecure", r.Stderr);
        Assert.Empty(System.IO.Directory.GetFileSystemEntries(dir.Path));
        var insecure = Setup(dir.Path, "target", "--seed", "192.0.2.10:7420", "--host", "192.0.2.20", "--insecure", "--print");
        Assert.Equal(0, insecure.ExitCode);
        Assert.Contains("insecure = on", insecure.Stdout);
    }
}
