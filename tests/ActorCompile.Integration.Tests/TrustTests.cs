using System.Net.Sockets;
using ActorCompile.LocalProtocol;
using ActorCompile.Tests;
using Xunit;

namespace ActorCompile.Integration.Tests;

/// <summary>
/// A helper that is safe to leave on: it serves only coordinators from its networks and members with
/// the cluster certificate, and garbage on its ports or socket leaves it running and compiling.
/// </summary>
public sealed class TrustTests
{
    private static readonly Dictionary<string, string> Strict = new() { ["ACTORCOMPILE_FALLBACK"] = "0" };

    private static string Source(TempDirectory dir)
    {
        dir.Write("p/a.c", "#include <stdio.h>\nint main(void) { return puts(\"trusted\") < 0; }\n");
        return dir.Combine("p");
    }

    private static void AssertCompilesRemotely(string socket, TempDirectory dir)
    {
        var project = Source(dir);
        var r = Wrapper.Run(project, socket, new[] { "gcc", "-O2", "-c", "a.c", "-o", "a.o" },
            new Dictionary<string, string>(Strict) { ["ACTORCOMPILE_VERBOSE"] = "1" });
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("compiled on 127.0.0.1:", r.Stderr);
    }

    [Fact]
    public async Task A_coordinator_from_a_network_the_worker_does_not_allow_gets_no_work_and_compiles_locally()
    {
        using var dir = new TempDirectory("ac-allow");
        // 127.0.0.2 is a second loopback address: the coordinator binds there, the worker allows only 127.0.0.1.
        using var coordinator = new NodeProcess("coordinator", dir.Path, "coordinator", host: "127.0.0.2");
        using var worker = new NodeProcess("worker", dir.Path, "worker", new[] { coordinator.Address }, new[] { "--allow", "127.0.0.1/32", "--toolchain", "gcc" });
        await Eventually.True(() =>
        {
            using var s = Wrapper.Status(coordinator.Socket);
            return s.RootElement.GetProperty("workers").EnumerateArray().Any(w => w.GetProperty("refusedCoordinators").GetArrayLength() == 1);
        }, TimeSpan.FromSeconds(60), "the worker to refuse the coordinator");

        var project = Source(dir);
        var r = Wrapper.Run(project, coordinator.Socket, new[] { "gcc", "-O2", "-c", "a.c", "-o", "a.o" });
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("refuses this coordinator", r.Stderr);
        Assert.Contains("not in the allowed networks", r.Stderr);
        Assert.True(File.Exists(Path.Combine(project, "a.o")));
        using (var s = Wrapper.Status(coordinator.Socket))
        {
            var w = s.RootElement.GetProperty("workers").EnumerateArray().Single();
            Assert.Equal(0, w.GetProperty("completed").GetInt64());
            Assert.Contains(coordinator.Address, w.GetProperty("refusedCoordinators")[0].GetString());
        }
        Assert.Contains("refusing coordinator", worker.Log());
    }

    private static (string Trusted, string Foreign) Certificates(TempDirectory dir)
    {
        foreach (var name in new[] { "cluster", "foreign" })
        {
            var r = Run.Shell($"openssl req -x509 -newkey rsa:2048 -sha256 -days 30 -nodes -keyout {name}.key -out {name}.crt -subj /CN=actorcompile-{name} "
                + $"&& openssl pkcs12 -export -in {name}.crt -inkey {name}.key -out {name}.pfx -passout pass:test-secret", dir.Path);
            Assert.True(r.ExitCode == 0, r.Stderr);
            dir.Write($"{name}-password", "test-secret\n");
            dir.Write($"{name}.hocon", $"actorcompile.tls {{ enabled = on, certificate = \"{dir.Combine(name + ".pfx")}\", password-file = \"{dir.Combine(name + "-password")}\" }}\n");
        }
        return (dir.Combine("cluster.hocon"), dir.Combine("foreign.hocon"));
    }

    [Fact]
    public async Task Only_nodes_with_the_cluster_certificate_join_a_TLS_cluster()
    {
        using var dir = new TempDirectory("ac-tls");
        var (trusted, foreign) = Certificates(dir);
        using var coordinator = new NodeProcess("coordinator", dir.Path, "coordinator", extra: new[] { "--config", trusted });
        using var good = new NodeProcess("good", dir.Path, "worker", new[] { coordinator.Address }, new[] { "--config", trusted, "--toolchain", "gcc" });
        using var bad = new NodeProcess("bad", dir.Path, "worker", new[] { coordinator.Address }, new[] { "--config", foreign, "--toolchain", "gcc" });
        await Eventually.True(() =>
        {
            using var s = Wrapper.Status(coordinator.Socket);
            return s.RootElement.GetProperty("workers").GetArrayLength() == 1;
        }, TimeSpan.FromSeconds(60), "the trusted worker to join");
        await Eventually.True(() => coordinator.Log().Contains("Certificate pinning failed", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the foreign node to be refused");
        using (var s = Wrapper.Status(coordinator.Socket))
        {
            var members = s.RootElement.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("address").GetString()).ToList();
            Assert.Contains(good.Address, members);
            Assert.DoesNotContain(bad.Address, members);
        }
        AssertCompilesRemotely(coordinator.Socket, dir);
    }

    [Fact]
    public async Task Garbage_at_the_cluster_port_and_the_socket_leaves_the_node_up_and_compiling()
    {
        using var cluster = new TestCluster(1, workerArgs: new[] { "--toolchain", "gcc" }, prefix: "ac-garbage");
        await cluster.WaitForWorkers();
        var random = new Random(2026);

        // Random bytes at the coordinator's cluster port, on many connections.
        for (int i = 0; i < 30; i++)
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync("127.0.0.1", cluster.Coordinator.Port);
            var junk = new byte[random.Next(1, 70_000)];
            random.NextBytes(junk);
            try { await tcp.GetStream().WriteAsync(junk); } catch (IOException) { }
        }

        // A few hundred random frames at the local socket: some well-framed, most not.
        for (int i = 0; i < 300; i++)
        {
            using var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await unix.ConnectAsync(new UnixDomainSocketEndPoint(cluster.Coordinator.Socket));
            byte[] frame;
            if (i % 3 == 0)
            {
                var body = new byte[random.Next(0, 200)];
                random.NextBytes(body);
                frame = new byte[6 + body.Length];
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)(2 + body.Length));
                frame[4] = Frames.Version;
                frame[5] = (byte)random.Next(0, 256);
                body.CopyTo(frame, 6);
            }
            else
            {
                frame = new byte[random.Next(1, 300)];
                random.NextBytes(frame);
            }
            try { await unix.SendAsync(frame); } catch (SocketException) { }
        }

        Assert.False(cluster.Coordinator.HasExited);
        await cluster.WaitForWorkers();
        using var dir = new TempDirectory("ac-garbage-build");
        AssertCompilesRemotely(cluster.Coordinator.Socket, dir);
        Assert.Contains("refused a malformed frame", cluster.Coordinator.Log());
    }

    [Fact]
    public async Task An_oversized_job_is_refused_cleanly_and_compiles_locally()
    {
        using var dir = new TempDirectory("ac-size");
        var small = dir.Write("small.hocon", "actorcompile.max-job-size = 1KiB\n");
        using var cluster = new TestCluster(1, coordinatorArgs: new[] { "--config", small }, workerArgs: new[] { "--toolchain", "gcc" }, prefix: "ac-size-cluster");
        await cluster.WaitForWorkers();
        var project = Source(dir);
        var r = Wrapper.Run(project, cluster.Coordinator.Socket, new[] { "gcc", "-O2", "-c", "a.c", "-o", "a.o" });
        Assert.True(r.ExitCode == 0, r.Stderr);
        var line = Assert.Single(r.Stderr.TrimEnd('\n').Split('\n'));
        Assert.Contains("exceed the node's max-job-size (1 KiB)", line);
        Assert.True(File.Exists(Path.Combine(project, "a.o")));
    }

    [Fact]
    public async Task The_socket_is_0660_in_a_directory_only_its_owner_controls()
    {
        using var cluster = new TestCluster(0, prefix: "ac-sock");
        await Eventually.True(() => File.Exists(cluster.Coordinator.Socket), TimeSpan.FromSeconds(30), "the socket");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite,
            File.GetUnixFileMode(cluster.Coordinator.Socket));

        // A directory anyone may write to is refused: another user could put their own socket there.
        using var dir = new TempDirectory("ac-sockdir");
        var open = dir.Combine("open");
        Directory.CreateDirectory(open);
        File.SetUnixFileMode(open, (UnixFileMode)0x1ff); // 0777
        var r = Run.Program(Dist.Node, new[] { "--roles", "coordinator", "--port", "0", "--socket", Path.Combine(open, "node.sock") },
            env: new Dictionary<string, string> { ["ACTORCOMPILE_CONFIG_DIR"] = dir.Combine("none") }, timeout: TimeSpan.FromSeconds(60));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("writable by other users", r.Stderr);
    }

    [Fact]
    public async Task Clients_beyond_the_cap_are_refused_with_an_error_and_the_node_carries_on()
    {
        using var dir = new TempDirectory("ac-cap");
        // Two places in all, both open to one user: this is the global cap (the per-user one has its own test).
        var cap = dir.Write("cap.hocon", "actorcompile.socket-clients = 2\nactorcompile.socket-clients-per-user = 2\n");
        using var cluster = new TestCluster(0, coordinatorArgs: new[] { "--config", cap }, prefix: "ac-cap-cluster");
        await Eventually.True(() => File.Exists(cluster.Coordinator.Socket), TimeSpan.FromSeconds(30), "the socket");
        var held = new List<NodeClient>();
        try
        {
            // Two idle clients take both places; the third is told why and closed.
            held.Add(NodeClient.Connect(cluster.Coordinator.Socket));
            held.Add(NodeClient.Connect(cluster.Coordinator.Socket));
            await Eventually.True(() =>
            {
                using var third = NodeClient.Connect(cluster.Coordinator.Socket);
                third.ReceiveTimeout = TimeSpan.FromSeconds(5);
                try
                {
                    third.Send(new StatusRequest());
                    third.Receive();
                    return false;
                }
                catch (NodeUnavailableException e)
                {
                    return e.Message.Contains("at most 2 clients", StringComparison.Ordinal);
                }
            }, TimeSpan.FromSeconds(10), "the third client to be refused");
        }
        finally
        {
            foreach (var c in held) c.Dispose();
        }
        await Eventually.True(() => Wrapper.Status(cluster.Coordinator.Socket) is not null, TimeSpan.FromSeconds(10), "status after the held clients left");
    }
}
