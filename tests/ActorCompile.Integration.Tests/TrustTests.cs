using System.Net.Sockets;
using Akka.Actor;
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

    /// <summary>The refusals a node reports about itself: remote address to count.</summary>
    private static Dictionary<string, long> Refusals(NodeProcess node) =>
        RefusalReasons(node).ToDictionary(r => r.Key, r => r.Value.Count);

    /// <summary>The connections a node refused, by remote address: how often, and why (from its own status).</summary>
    private static Dictionary<string, (long Count, string Reason)> RefusalReasons(NodeProcess node)
    {
        using var s = Wrapper.Status(node.Socket);
        return s.RootElement.GetProperty("refusedConnections").EnumerateArray()
            .Where(r => r.GetProperty("node").GetString() == node.Address)
            .ToDictionary(r => r.GetProperty("address").GetString()!, r => (r.GetProperty("count").GetInt64(), r.GetProperty("reason").GetString()!));
    }

    private static List<string> Members(NodeProcess node)
    {
        using var s = Wrapper.Status(node.Socket);
        return s.RootElement.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("address").GetString()!).ToList();
    }

    /// <summary>A compile through the coordinator, which must run locally for the given reason and still give its object.</summary>
    private static void AssertCompilesLocally(NodeProcess coordinator, TempDirectory dir, string because)
    {
        var project = Source(dir);
        var r = Wrapper.Run(project, coordinator.Socket, new[] { "gcc", "-O2", "-c", "a.c", "-o", "a.o" });
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains(because, r.Stderr);
        Assert.True(File.Exists(Path.Combine(project, "a.o")));
    }

    [Fact]
    public async Task A_connection_from_a_network_the_worker_does_not_allow_is_refused_at_the_transport()
    {
        using var dir = new TempDirectory("ac-allow");
        // 127.0.0.2 is a second loopback address: the coordinator binds there, the worker allows only 127.0.0.1.
        using var coordinator = new NodeProcess("coordinator", dir.Path, "coordinator", host: "127.0.0.2");
        using var worker = new NodeProcess("worker", dir.Path, "worker", new[] { coordinator.Address }, new[] { "--allow", "127.0.0.1/32", "--toolchain", "gcc" });
        // The worker never connects to its seed (and would drop the connection if the coordinator opened one).
        await Eventually.True(() => Refusals(worker).GetValueOrDefault("127.0.0.2") > 0, TimeSpan.FromSeconds(120), "the worker to report the refusal");
        Assert.Contains("not in its allowed networks (127.0.0.1/32)", RefusalReasons(worker)["127.0.0.2"].Reason);

        Assert.DoesNotContain(worker.Address, Members(coordinator));
        AssertCompilesLocally(coordinator, dir, "no worker in the cluster");
        Assert.DoesNotContain(worker.Address, Members(coordinator));
    }

    [Fact]
    public async Task A_coordinator_that_declares_an_allowed_address_but_connects_from_another_is_refused()
    {
        using var dir = new TempDirectory("ac-spoof");
        // The worker serves 127.0.0.3 only; the coordinator connects from 127.0.0.1 and claims to be 127.0.0.3.
        using var worker = new NodeProcess("worker", dir.Path, "worker", extra: new[] { "--allow", "127.0.0.3/32", "--toolchain", "gcc" });
        var spoof = dir.Write("spoof.hocon", "akka.remote.dot-netty.tcp.public-hostname = \"127.0.0.3\"\n");
        using var coordinator = new NodeProcess("coordinator", dir.Path, "coordinator", new[] { worker.Address }, new[] { "--config", spoof });
        await Eventually.True(() => Refusals(worker).GetValueOrDefault("127.0.0.1") > 0, TimeSpan.FromSeconds(120), "the worker to refuse the connection from 127.0.0.1");

        using (var s = Wrapper.Status(coordinator.Socket))
            Assert.Equal(0, s.RootElement.GetProperty("workers").GetArrayLength());
        AssertCompilesLocally(coordinator, dir, "no worker in the cluster");
        using (var s = Wrapper.Status(worker.Socket))
            Assert.DoesNotContain(s.RootElement.GetProperty("members").EnumerateArray(), m => m.GetProperty("address").GetString()!.StartsWith("127.0.0.3", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_rogue_member_cannot_stop_restart_or_suspend_the_worker_or_the_coordinator()
    {
        using var cluster = new TestCluster(1, workerArgs: new[] { "--toolchain", "gcc" }, prefix: "ac-control");
        await cluster.WaitForWorkers();
        var nodes = new[] { (Node: cluster.Worker(0), Path: "/user/worker"), (Node: cluster.Coordinator, Path: "/user/coordinator") };
        // A peer with the cluster's key: TLS keeps everyone else out (A_process_without_the_cluster_key_...), untrusted mode is what stops a member gone rogue.
        var key = NodeProcess.ClusterKeyDirectory(cluster.Directory.Path);

        using (var peer = HostilePeer.Remote(key))
        {
            // The worker's path is one the protocol must accept selections to: the peer can look it up.
            var selected = await peer.Select(cluster.Worker(0).Address, "/user/worker").ResolveOne(TimeSpan.FromSeconds(30));
            Assert.Equal("/user/worker", selected.Path.ToStringWithoutAddress());
            foreach (var (node, path) in nodes)
            {
                var target = peer.Actor(node.Address, path);
                target.Tell(PoisonPill.Instance);
                target.Tell(Kill.Instance);
                peer.Select(node.Address, path).Tell(PoisonPill.Instance);
                peer.Select(node.Address, path).Tell(Kill.Instance);
            }
            // Messages from one sender arrive in order: once these are answered, the attacks above were handled.
            foreach (var (node, path) in nodes)
            {
                await AssertAnswers(peer, node, path, cluster);
                var refused = RefusedMessages(node);
                Assert.True(refused.GetValueOrDefault("Kill") >= 2 && refused.GetValueOrDefault("PoisonPill") >= 2,
                    $"{node.Name} refused {string.Join(", ", refused.Select(r => $"{r.Key} x{r.Value}"))}: expected Kill and PoisonPill, each sent to it directly and through a selection");
            }
        }

        // System messages: refusing one costs the sender its connection, so the check comes from a new peer.
        using (var peer = HostilePeer.Remote(key))
        {
            foreach (var (node, path) in nodes)
            {
                var target = (IInternalActorRef)peer.Actor(node.Address, path);
                target.SendSystemMessage(new Akka.Dispatch.SysMsg.Suspend());
                target.SendSystemMessage(new Akka.Dispatch.SysMsg.Terminate());
            }
            foreach (var (node, _) in nodes)
                await Eventually.True(() => RefusedMessages(node).GetValueOrDefault("Suspend") >= 1,
                    TimeSpan.FromSeconds(30), $"{node.Name} to refuse the remote Suspend");
        }
        using (var peer = HostilePeer.Remote(key))
        {
            foreach (var (node, path) in nodes)
                await AssertAnswers(peer, node, path, cluster);
        }

        using var dir = new TempDirectory("ac-control-build");
        AssertCompilesRemotely(cluster.Coordinator.Socket, dir);
        Assert.Equal("up", cluster.WorkerStatus(cluster.Worker(0)).GetProperty("state").GetString());
        cluster.Coordinator.AssertRunningWithoutRestart();
        cluster.Worker(0).AssertRunningWithoutRestart();
    }

    [Fact]
    public async Task A_peer_with_the_cluster_key_that_is_no_member_cannot_tell_the_cluster_daemon_to_down_or_remove_a_member()
    {
        using var cluster = new TestCluster(1, workerArgs: new[] { "--toolchain", "gcc" }, prefix: "ac-daemon");
        await cluster.WaitForWorkers();
        var nodes = new[] { cluster.Coordinator, cluster.Worker(0) };
        using (var peer = HostilePeer.Outsider(NodeProcess.ClusterKeyDirectory(cluster.Directory.Path)))
        {
            foreach (var node in nodes)
            {
                // The daemon's path must accept selections (joining and gossip use it), so the peer can reach it.
                var daemon = peer.Select(node.Address, "/system/cluster/core/daemon");
                foreach (var victim in nodes)
                {
                    daemon.Tell(peer.ClusterCommand("Down", victim.Address));
                    daemon.Tell(peer.ClusterCommand("Leave", victim.Address));
                }
            }
            // Each node refuses all four commands sent to it (Down and Leave, for each of the two members).
            foreach (var node in nodes)
                await Eventually.True(() => RefusedMessages(node) is var r && r.GetValueOrDefault("Down") == 2 && r.GetValueOrDefault("Leave") == 2,
                    TimeSpan.FromSeconds(30), $"{node.Name} to refuse the commands");
        }

        using var dir = new TempDirectory("ac-daemon-build");
        AssertCompilesRemotely(cluster.Coordinator.Socket, dir);
        foreach (var node in nodes)
        {
            using var s = Wrapper.Status(node.Socket);
            // Never removed: a removed node starts again in place (same process) and counts it here.
            Assert.Equal(0, s.RootElement.GetProperty("rejoins").GetInt32());
            Assert.Equal(2, s.RootElement.GetProperty("members").EnumerateArray().Count(m => m.GetProperty("state").GetString() == "up"));
        }

        // Issue 21's cache row at its root: Akka takes a message's sender from the message, so a peer with the key
        // named the node itself as the sender of what it stored. Each node's transport reads the sender first and
        // closes the connection (BoundSenderHandle; SenderBindingTests covers the cases in one process).
        using (var peer = HostilePeer.Outsider(NodeProcess.ClusterKeyDirectory(cluster.Directory.Path)))
        {
            foreach (var node in nodes)
                peer.Actor(node.Address, "/user/result-cache").Tell("a result in the node's own name", peer.Actor(node.Address, "/user/result-cache"));
            foreach (var node in nodes)
                await Eventually.True(() => RefusalReasons(node).TryGetValue("127.0.0.1", out var r) && r.Reason.Contains($"sent a message as akka.ssl.tcp://actorcompile@{node.Address}/user/result-cache", StringComparison.Ordinal),
                    TimeSpan.FromSeconds(30), $"{node.Name} to refuse a message in its own name");
        }
    }

    /// <summary>The remote control messages a node refused, from its own status.</summary>
    private static Dictionary<string, long> RefusedMessages(NodeProcess node)
    {
        using var s = Wrapper.Status(node.Socket);
        return s.RootElement.GetProperty("refusedMessages").EnumerateArray()
            .ToDictionary(m => m.GetProperty("message").GetString()!, m => m.GetProperty("count").GetInt64());
    }

    /// <summary>Completes when the peer's remoting reports a failed or lost connection to <paramref name="node"/> (its own lifecycle events).</summary>
    private static Task<Akka.Remote.RemotingLifecycleEvent> ConnectionFailure(HostilePeer peer, NodeProcess node)
    {
        var failed = new TaskCompletionSource<Akka.Remote.RemotingLifecycleEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        var watcher = peer.System.ActorOf(Props.Create(() => new LifecycleWatcher(failed, node.Port)));
        peer.System.EventStream.Subscribe(watcher, typeof(Akka.Remote.AssociationErrorEvent));
        peer.System.EventStream.Subscribe(watcher, typeof(Akka.Remote.DisassociatedEvent));
        return failed.Task;
    }

    private sealed class LifecycleWatcher : ReceiveActor
    {
        public LifecycleWatcher(TaskCompletionSource<Akka.Remote.RemotingLifecycleEvent> failed, int port)
        {
            Receive<Akka.Remote.AssociationErrorEvent>(e => e.RemoteAddress.Port == port, e => failed.TrySetResult(e));
            Receive<Akka.Remote.DisassociatedEvent>(e => e.RemoteAddress.Port == port, e => failed.TrySetResult(e));
        }
    }

    [Fact]
    public async Task A_process_without_the_cluster_key_cannot_become_a_member_on_loopback()
    {
        using var cluster = new TestCluster(1, workerArgs: new[] { "--toolchain", "gcc" }, prefix: "ac-nokey");
        await cluster.WaitForWorkers();
        var coordinator = cluster.Coordinator;
        using (var s = Wrapper.Status(coordinator.Socket))
            Assert.Equal("mutual-tls", s.RootElement.GetProperty("security").GetProperty("transport").GetString());

        // Any local process: no TLS at all. Its plain Akka handshake never becomes a connection.
        using (var plain = HostilePeer.Member(coordinator.Address))
        {
            var failure = ConnectionFailure(plain, coordinator);
            var done = await Task.WhenAny(failure, Task.Delay(TimeSpan.FromSeconds(60)));
            Assert.True(done == failure, "the peer without TLS never saw its connection to the coordinator fail");
            Assert.False(plain.IsUp);
        }

        // A local user with a cluster key of its own (what its own first node would make): refused by the pin, counted in status.
        using var elsewhere = new TempDirectory("ac-nokey-other");
        var (pkcs12, password) = ActorCompile.Setup.Joining.ClusterCertificate.Create();
        File.WriteAllBytes(elsewhere.Combine("cluster.pfx"), pkcs12);
        elsewhere.Write("cluster.password", password + "\n");
        using (var foreign = HostilePeer.Member(coordinator.Address, elsewhere.Path))
        {
            await Eventually.True(() => Refusals(coordinator).GetValueOrDefault("127.0.0.1") > 0, TimeSpan.FromSeconds(60), "the coordinator to refuse the foreign certificate");
            Assert.False(foreign.IsUp);
        }
        using (var s = Wrapper.Status(coordinator.Socket))
        {
            var members = s.RootElement.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("address").GetString()).ToList();
            Assert.Equal(new[] { coordinator.Address, cluster.Worker(0).Address }.Order(), members.Order());
            Assert.Contains("not the cluster's", s.RootElement.GetProperty("refusedConnections").EnumerateArray().Single(r => r.GetProperty("node").GetString() == coordinator.Address).GetProperty("reason").GetString());
        }
        using var dir = new TempDirectory("ac-nokey-build");
        AssertCompilesRemotely(coordinator.Socket, dir);
    }

    /// <summary>The actor still lives and processes its mailbox (a stopped actor answers with no subject, a suspended one not at all).</summary>
    private static async Task AssertAnswers(HostilePeer peer, NodeProcess node, string path, TestCluster cluster)
    {
        ActorIdentity identity;
        try
        {
            identity = await peer.Actor(node.Address, path).Ask<ActorIdentity>(new Identify(path), TimeSpan.FromSeconds(30));
        }
        catch (AskTimeoutException e)
        {
            throw new TimeoutException($"{path} on {node.Name} did not answer after the attacks: {e.Message}\n{cluster.Logs()}");
        }
        Assert.True(identity.Subject is not null, $"{path} on {node.Name} is gone");
    }

    /// <summary>A self-signed certificate in a .pfx with its password file; returns the .pfx's SHA-1 thumbprint.</summary>
    private static string Certificate(TempDirectory dir, string name)
    {
        var r = Run.Shell($"openssl req -x509 -newkey rsa:2048 -sha256 -days 30 -nodes -keyout {name}.key -out {name}.crt -subj /CN=actorcompile-{name} "
            + $"&& openssl pkcs12 -export -in {name}.crt -inkey {name}.key -out {name}.pfx -passout pass:test-secret", dir.Path);
        Assert.True(r.ExitCode == 0, r.Stderr);
        dir.Write($"{name}-password", "test-secret\n");
        return System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(dir.Combine(name + ".crt")).Thumbprint;
    }

    /// <summary>A node's TLS settings: its certificate, and the other certificates it accepts from peers.</summary>
    private static string TlsConfig(TempDirectory dir, string certificate, params string[] trusted) =>
        dir.Write($"{certificate}-trusting-{trusted.Length}.hocon", $"actorcompile.tls {{ enabled = on, certificate = \"{dir.Combine(certificate + ".pfx")}\", "
            + $"password-file = \"{dir.Combine(certificate + "-password")}\", trusted-thumbprints = [{string.Join(", ", trusted.Select(t => $"\"{t}\""))}] }}\n");

    [Fact]
    public async Task Only_nodes_with_the_cluster_certificate_or_a_listed_one_join_a_TLS_cluster()
    {
        using var dir = new TempDirectory("ac-tls");
        var cluster = Certificate(dir, "cluster");
        // A second certificate, listed in trusted-thumbprints (as during a change of certificate), and a foreign one, listed nowhere.
        var second = Certificate(dir, "second");
        Certificate(dir, "foreign");
        var members = TlsConfig(dir, "cluster", second);
        using var coordinator = new NodeProcess("coordinator", dir.Path, "coordinator", extra: new[] { "--config", members });
        using var good = new NodeProcess("good", dir.Path, "worker", new[] { coordinator.Address }, new[] { "--config", members, "--toolchain", "gcc" });
        using var listed = new NodeProcess("listed", dir.Path, "worker", new[] { coordinator.Address }, new[] { "--config", TlsConfig(dir, "second", cluster), "--toolchain", "gcc" });
        // The foreign node accepts the cluster's certificate; the cluster does not accept its.
        using var bad = new NodeProcess("bad", dir.Path, "worker", new[] { coordinator.Address }, new[] { "--config", TlsConfig(dir, "foreign", cluster), "--toolchain", "gcc" });
        await Eventually.True(() =>
        {
            using var s = Wrapper.Status(coordinator.Socket);
            return s.RootElement.GetProperty("workers").EnumerateArray().Count(w => w.GetProperty("state").GetString() == "up") == 2;
        }, TimeSpan.FromSeconds(60), "the worker with the cluster certificate and the one with the listed certificate to join");
        await Eventually.True(() => RefusalReasons(coordinator).Values.Any(r => r.Reason.StartsWith("its certificate is not the cluster's", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), "the foreign node to be refused");
        using (var s = Wrapper.Status(coordinator.Socket))
        {
            var up = s.RootElement.GetProperty("members").EnumerateArray().Where(m => m.GetProperty("state").GetString() == "up").Select(m => m.GetProperty("address").GetString()).ToList();
            Assert.Equal(new[] { coordinator.Address, good.Address, listed.Address }.Order(), up.Order());
            Assert.DoesNotContain(bad.Address, s.RootElement.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("address").GetString()));
        }
        // The node with the listed certificate is a member like the others: it sees the whole cluster, once the
        // gossip that the coordinator has seen reaches it too (membership converges, it is not told at once).
        await Eventually.True(() =>
        {
            using var s = Wrapper.Status(listed.Socket);
            return s.RootElement.GetProperty("members").EnumerateArray().Count(m => m.GetProperty("state").GetString() == "up") == 3;
        }, TimeSpan.FromSeconds(30), "the node with the listed certificate to see the three members up");
        AssertCompilesRemotely(coordinator.Socket, dir);
    }

    /// <summary>A frame as the wire carries it: length, version, type, body (the parts as given, right or wrong).</summary>
    private static byte[] Frame(byte version, byte type, byte[] body, uint? declaredLength = null)
    {
        var frame = new byte[6 + body.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame, declaredLength ?? (uint)(2 + body.Length));
        frame[4] = version;
        frame[5] = type;
        body.CopyTo(frame, 6);
        return frame;
    }

    /// <summary>The node's part of one connection: the frames it sent (heartbeats left out) until it closed the connection.</summary>
    private sealed record Answer(List<LocalMessage> Frames, bool Closed);

    /// <summary>
    /// Sends bytes on a new connection to the node's socket, then closes its own sending side (unless the
    /// case is about a client that stays silent), and reads what the node sends until it closes the
    /// connection; a node that neither answers nor closes fails the read after a minute.
    /// </summary>
    private static Answer Exchange(string socket, byte[] bytes, bool halfClose = true)
    {
        using var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { ReceiveTimeout = 60_000 };
        unix.Connect(new UnixDomainSocketEndPoint(socket));
        using var stream = new NetworkStream(unix);
        if (bytes.Length > 0) unix.Send(bytes);
        if (halfClose) unix.Shutdown(SocketShutdown.Send);
        var frames = new List<LocalMessage>();
        while (true)
        {
            LocalMessage? frame;
            try
            {
                frame = Frames.Read(stream, int.MaxValue);
            }
            catch (IOException e)
            {
                return new Answer(frames, Closed: e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset });
            }
            if (frame is null) return new Answer(frames, Closed: true);
            if (frame is not Heartbeat) frames.Add(frame);
        }
    }

    private static void AssertRefused(string socket, string what, byte[] bytes, string expected, bool halfClose = true)
    {
        var answer = Exchange(socket, bytes, halfClose);
        var error = Assert.IsType<ErrorReply>(Assert.Single(answer.Frames));
        Assert.True(error.Message.Contains(expected, StringComparison.Ordinal), $"{what}: the node answered \"{error.Message}\", not \"{expected}\"");
        Assert.True(answer.Closed, $"{what}: the node did not close the connection");
    }

    [Fact]
    public async Task Each_malformed_frame_on_the_socket_gets_its_error_and_a_closed_connection_and_the_node_serves_on()
    {
        using var dir = new TempDirectory("ac-frames");
        // A short idle timeout, so that the cases of a silent or stalled client end soon.
        var idle = dir.Write("idle.hocon", "actorcompile.socket-idle-timeout = 3s\n");
        using var cluster = new TestCluster(1, coordinatorArgs: new[] { "--config", idle }, workerArgs: new[] { "--toolchain", "gcc" }, prefix: "ac-frames-cluster");
        await cluster.WaitForWorkers();
        var socket = cluster.Coordinator.Socket;
        var utf8 = System.Text.Encoding.UTF8;
        byte[] Int32(int v) { var b = new byte[4]; System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(b, v); return b; }

        AssertRefused(socket, "a length too short for a version and a type", new byte[] { 0, 0, 0, 1, 1 }, "frame length 1 is too short for a version and a type");
        AssertRefused(socket, "a length beyond any request", new byte[] { 0x7f, 0xff, 0xff, 0xff }, "frame of 2147483647 bytes exceeds the limit of");
        AssertRefused(socket, "another protocol version", Frame(9, (byte)MessageType.StatusRequest, Array.Empty<byte>()), "protocol version 9 is not supported");
        AssertRefused(socket, "an unknown message type", Frame(Frames.Version, 77, Array.Empty<byte>()), "unknown message type 77");
        AssertRefused(socket, "a request cut short", Frame(Frames.Version, (byte)MessageType.CompileRequest, new byte[] { 1, 2, 3 }), "message truncated while reading compiler path");
        AssertRefused(socket, "bytes after a complete message", Frame(Frames.Version, (byte)MessageType.StatusRequest, new byte[] { 0 }), "StatusRequest message has trailing bytes");
        AssertRefused(socket, "a string that is not UTF-8", Frame(Frames.Version, (byte)MessageType.CompileRequest, Int32(2).Concat(new byte[] { 0xff, 0xfe }).ToArray()), "compiler path is not valid UTF-8");
        AssertRefused(socket, "a required string that is missing", Frame(Frames.Version, (byte)MessageType.ToolchainInfo, Int32(-1)), "fingerprint is missing");
        AssertRefused(socket, "a message only the node sends", Frame(Frames.Version, (byte)MessageType.Heartbeat, Array.Empty<byte>()), "unexpected Heartbeat message at this point of the conversation");
        AssertRefused(socket, "a well-formed message out of turn", ActorCompile.LocalProtocol.Frames.Encode(new LocalDone(0)), "unexpected LocalDone message at this point of the conversation");
        AssertRefused(socket, "a connection closed inside a header", new byte[] { 0, 0 }, "connection closed inside a frame header");
        AssertRefused(socket, "a connection closed inside a frame", Frame(Frames.Version, (byte)MessageType.CompileRequest, utf8.GetBytes("gcc"), declaredLength: 100), "connection closed inside a frame");
        AssertRefused(socket, "a client that sends nothing", Array.Empty<byte>(), "no request within 3 s of connecting (actorcompile.socket-idle-timeout)", halfClose: false);
        // A client that stops inside a later frame: after a link the node lets run locally, a LocalDone cut short.
        var link = ActorCompile.LocalProtocol.Frames.Encode(new CompileRequest("/usr/bin/gcc", "gcc-key", new[] { "a.o", "-o", "a" }, "/", "linking",
            null, Array.Empty<KeyValuePair<string, string>>(), false));
        var stalled = Exchange(socket, link.Concat(ActorCompile.LocalProtocol.Frames.Encode(new LocalDone(0))[..7]).ToArray(), halfClose: false);
        Assert.IsType<RunLocally>(stalled.Frames.First());
        Assert.Contains("a frame was not finished within 3 s", Assert.IsType<ErrorReply>(Assert.Single(stalled.Frames.Skip(1))).Message);
        Assert.True(stalled.Closed, "a client that stops inside a frame: the node did not close the connection");

        // Random bytes, and random frames with the right version: every one is refused with an error, on a
        // closed connection (none of them can be a valid request: a status request would have to be empty).
        var random = new Random(2026);
        for (int i = 0; i < 100; i++)
        {
            byte[] bytes;
            if (i % 2 == 0)
            {
                var body = new byte[random.Next(1, 200)];
                random.NextBytes(body);
                bytes = Frame(Frames.Version, (byte)random.Next(0, 256), body);
            }
            else
            {
                bytes = new byte[random.Next(1, 300)];
                random.NextBytes(bytes);
            }
            var answer = Exchange(socket, bytes);
            Assert.True(answer.Frames is [ErrorReply], $"random input {i} ({Convert.ToHexString(bytes.AsSpan(0, Math.Min(8, bytes.Length)))}...) got {string.Join(", ", answer.Frames)}");
            Assert.True(answer.Closed, $"random input {i}: the node did not close the connection");
        }

        // The node serves on: a status request on a new connection, and a compile on a worker.
        cluster.Coordinator.AssertRunningWithoutRestart();
        var status = Exchange(socket, ActorCompile.LocalProtocol.Frames.Encode(new StatusRequest()));
        Assert.IsType<StatusReply>(Assert.Single(status.Frames));
        AssertCompilesRemotely(socket, dir);
    }

    [Fact]
    public async Task Garbage_at_the_cluster_port_leaves_the_node_up_and_compiling()
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
            try { await tcp.GetStream().WriteAsync(junk); } catch (IOException) { } // the node may close first: that is its right
        }

        cluster.Coordinator.AssertRunningWithoutRestart();
        await cluster.WaitForWorkers();
        using var dir = new TempDirectory("ac-garbage-build");
        AssertCompilesRemotely(cluster.Coordinator.Socket, dir);
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
        // Both places are free again once the held clients are gone: one idle client and a status request fit.
        await Eventually.True(() =>
        {
            using var idle = NodeClient.Connect(cluster.Coordinator.Socket);
            using var asking = NodeClient.Connect(cluster.Coordinator.Socket);
            asking.ReceiveTimeout = TimeSpan.FromSeconds(5);
            asking.Send(new StatusRequest());
            return asking.Receive() is StatusReply;
        }, TimeSpan.FromSeconds(10), "two places free after the held clients left");
    }
}
