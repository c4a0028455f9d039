using ActorCompile.Tests;
using Akka.Cluster;
using Xunit;

namespace ActorCompile.Integration.Tests;

/// <summary>
/// A node the cluster removed comes back on its own: after a pause (SIGSTOP/SIGCONT) long enough for
/// the others to remove it, and after a peer without credentials downed it. It never exits with code 0
/// (which a service manager would not restart), and the cluster distributes again.
/// These tests count the times a node started itself again, which any missed heartbeat changes: they run
/// alone, after the others (on a slow 2-core machine with four other tests' nodes beside them, a worker
/// starved of CPU for seconds was found unreachable and downed, and the coordinator started again once more
/// than the test expects: seen twice on 2026-12-07, a machine compiling Lua at 308 ms of CPU per unit).
/// </summary>
[CollectionDefinition(nameof(ClusterHealingTests), DisableParallelization = true)]
public sealed class ClusterHealingCollection;

[Collection(nameof(ClusterHealingTests))]
public sealed class ClusterHealingTests
{
    private static readonly Dictionary<string, string> Strict = new() { ["ACTORCOMPILE_FALLBACK"] = "0", ["ACTORCOMPILE_VERBOSE"] = "1" };

    private static List<(string Address, string State)> Members(NodeProcess node)
    {
        using var s = Wrapper.Status(node.Socket);
        return s.RootElement.GetProperty("members").EnumerateArray()
            .Select(m => (m.GetProperty("address").GetString()!, m.GetProperty("state").GetString()!)).ToList();
    }

    /// <summary>Every node sees every other one up, and the coordinator sees every worker up with its toolchains.</summary>
    private static bool OneClusterOf(TestCluster cluster)
    {
        var nodes = new[] { cluster.Coordinator }.Concat(cluster.Workers).ToList();
        foreach (var node in nodes)
        {
            var members = Members(node);
            if (nodes.Any(n => !members.Contains((n.Address, "up")))) return false;
        }
        using var s = Wrapper.Status(cluster.Coordinator.Socket);
        return s.RootElement.GetProperty("workers").EnumerateArray()
            .Count(w => w.GetProperty("state").GetString() == "up" && w.GetProperty("toolchains").GetArrayLength() > 0) == cluster.Workers.Count;
    }

    /// <summary>How often the node started again after a removal, from its status; -1 while it does not answer (it is starting again).</summary>
    internal static int Rejoins(NodeProcess node)
    {
        try
        {
            using var s = Wrapper.Status(node.Socket);
            return s.RootElement.GetProperty("rejoins").GetInt32();
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            return -1;
        }
    }

    private static void AssertCompilesRemotely(TestCluster cluster, string name)
    {
        using var dir = new TempDirectory(name);
        dir.Write("p/a.c", "#include <stdio.h>\nint main(void) { return puts(\"healed\") < 0; }\n");
        var r = Wrapper.Run(dir.Combine("p"), cluster.Coordinator.Socket, new[] { "gcc", "-O2", "-c", "a.c", "-o", "a.o" }, Strict);
        Assert.True(r.ExitCode == 0, r.Stderr + cluster.Logs());
        Assert.Contains("compiled on 127.0.0.1:", r.Stderr);
    }

    [Fact]
    public async Task A_coordinator_paused_until_the_workers_removed_it_is_back_in_one_cluster_soon_after_it_resumes()
    {
        using var cluster = new TestCluster(2, workerArgs: new[] { "--toolchain", "gcc" }, prefix: "ac-pause");
        await cluster.WaitForWorkers();
        var coordinator = cluster.Coordinator;

        coordinator.Signal("STOP");
        try
        {
            // The pause lasts until both workers have removed the coordinator (about 12 s: unreachable, then stable).
            await Eventually.True(() => cluster.Workers.All(w => Members(w).All(m => m.Address != coordinator.Address)),
                TimeSpan.FromSeconds(90), "the workers to remove the paused coordinator");
        }
        finally
        {
            coordinator.Signal("CONT");
        }

        try
        {
            // About 15 s on an idle machine (SBR decides after 7 s of stable reachability, then the node starts
            // again and rejoins); the bound is wider because this machine runs other suites at the same time.
            await Eventually.True(() => OneClusterOf(cluster), TimeSpan.FromSeconds(60), "one cluster again after SIGCONT");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException(e.Message + "\n" + cluster.Logs());
        }
        Assert.False(coordinator.HasExited);
        Assert.Equal(1, Rejoins(coordinator));
        AssertCompilesRemotely(cluster, "ac-pause-build");
    }

    [Fact]
    public async Task The_first_node_killed_and_started_again_joins_the_members_it_last_saw_instead_of_starting_a_cluster_of_its_own()
    {
        using var cluster = new TestCluster(2, workerArgs: new[] { "--toolchain", "gcc" }, prefix: "ac-restart");
        await cluster.WaitForWorkers();
        var first = cluster.Coordinator; // started without --seed: the first node of its cluster
        // It keeps the members it sees up in its user's state directory (written in the background).
        var remembered = Path.Combine(NodeProcess.StateHome(cluster.Directory.Path), "actorcompile", "members", $"127.0.0.1_{first.Port}");
        await Eventually.True(() => File.Exists(remembered) && cluster.Workers.All(w => File.ReadAllText(remembered).Contains("@" + w.Address, StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), "the coordinator to remember both workers");

        first.Signal("KILL");
        Assert.True(first.WaitForExit(TimeSpan.FromSeconds(30)), "the coordinator did not die of SIGKILL");
        // What Restart=on-failure does: the same command again, a new process that remembers nothing else.
        cluster.StartCoordinatorAgain();
        try
        {
            await Eventually.True(() => OneClusterOf(cluster), TimeSpan.FromSeconds(90), "the restarted coordinator and both workers in one cluster");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException(e.Message + "\n" + cluster.Logs());
        }
        var rejoins = Rejoins(cluster.Coordinator);
        Assert.True(rejoins == 0, $"the restarted coordinator started again {rejoins} times\n{cluster.Logs()}");
        AssertCompilesRemotely(cluster, "ac-restart-build");
    }

    [Fact]
    public async Task A_node_rejoining_through_a_member_that_drops_its_handshake_leaves_that_one_out_and_joins_the_others()
    {
        // A node replaced after a removal, as NodeExit starts it: its own address, then the members it knew, one of
        // which is now a program that drops every connection on that member's former port.
        using var cluster = new TestCluster(0, prefix: "ac-tlsleave");
        await Eventually.True(() => File.Exists(cluster.Coordinator.Socket), TimeSpan.FromSeconds(60), "the coordinator's socket");
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        using var stop = new CancellationTokenSource();
        var dropping = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
                using (await listener.AcceptTcpClientAsync(stop.Token)) { }
        });
        var port = Ports.Free();
        var address = (int p) => $"akka.ssl.tcp://actorcompile@127.0.0.1:{p}";
        var plan = string.Join(' ', address(port), address(((System.Net.IPEndPoint)listener.LocalEndpoint).Port), address(cluster.Coordinator.Port));
        using var node = new NodeProcess("node", cluster.Directory.Path, "worker", extra: new[] { "--toolchain", "gcc" }, port: port,
            env: new Dictionary<string, string> { ["ACTORCOMPILE_REJOIN"] = plan });
        try
        {
            // Without leaving it out it starts again every few seconds and never joins: each start dials it again.
            await Eventually.True(() => Rejoins(node) == 1 && Members(node).Contains((cluster.Coordinator.Address, "up")) && Members(cluster.Coordinator).Contains((node.Address, "up")),
                TimeSpan.FromSeconds(90), "the node to start again once and join the coordinator");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException(e.Message + "\n" + cluster.Logs() + "\n--- node ---\n" + File.ReadAllText(node.LogFile));
        }
        finally
        {
            stop.Cancel();
            listener.Stop();
        }
        try { await dropping; } catch (Exception) { } // it ends when the listener stops under it
        Assert.False(node.HasExited);
    }

    [Fact]
    public async Task A_coordinator_downed_by_a_rogue_member_comes_back_and_distributes_again()
    {
        using var cluster = new TestCluster(1, workerArgs: new[] { "--toolchain", "gcc" }, prefix: "ac-downed");
        await cluster.WaitForWorkers();
        var coordinator = cluster.Coordinator;
        // A member with the cluster's key that turns on the others (no one without it gets this far: TrustTests).
        // The peer stays a member until the coordinator is back: it is among the members the coordinator rejoins
        // through, and a peer stopping while the coordinator dials it would drop that TLS handshake, which Akka
        // answers by stopping the dialling node (it then starts once more; not this test's subject). Seen once
        // under load (rejoins 2) when the peer left at the coordinator's restart.
        using (var peer = HostilePeer.Member(coordinator.Address, NodeProcess.ClusterKeyDirectory(cluster.Directory.Path)))
        {
            await Eventually.True(() => peer.IsUp, TimeSpan.FromSeconds(60), "the peer to join the cluster");
            var target = Cluster.Get(peer.System).State.Members.Single(m => $"{m.Address.Host}:{m.Address.Port}" == coordinator.Address);
            Cluster.Get(peer.System).Down(target.Address);
            await Eventually.True(() => Rejoins(coordinator) == 1, TimeSpan.FromSeconds(60), "the coordinator to notice that it was removed and start again");

            // Never an exit with code 0: the same process starts again and rejoins.
            Assert.True(!coordinator.HasExited || coordinator.ExitCode != 0, "the downed coordinator exited with code 0");
            try
            {
                await Eventually.True(() => OneClusterOf(cluster), TimeSpan.FromSeconds(60), "the coordinator to rejoin and see the worker");
            }
            catch (TimeoutException e)
            {
                throw new TimeoutException(e.Message + "\n" + cluster.Logs());
            }
        }
        Assert.False(coordinator.HasExited);
        var rejoins = Rejoins(coordinator);
        Assert.True(rejoins == 1, $"the coordinator started again {rejoins} times\n{cluster.Logs()}");
        AssertCompilesRemotely(cluster, "ac-downed-build");
    }
}

/// <summary>
/// A node whose every dialled TLS handshake fails starts again in place, again and again. One node and a
/// listener that drops connections: no other node's heartbeats are involved, and the count of starts it reads
/// is kept across them (a look that falls between two starts misses nothing), so it runs beside the others
/// instead of in ClusterHealingTests' serial tail (where it took 23-67 s of a mostly idle machine). Load only
/// slows each start; the bound allows for that.
/// </summary>
public sealed class TlsRestartTests
{
    [Fact]
    public async Task A_node_whose_TLS_handshake_with_a_peer_fails_starts_again_in_place_instead_of_ending()
    {
        // Its seed accepts connections and closes them before the TLS handshake is done: what a member that shuts
        // down or crashes while this node dials it does, and what a hostile program on a member's former port can
        // do at will. Akka.Remote stops the actor system on every such failure on the dialling side.
        using var dir = new TempDirectory("ac-tlsdrop");
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var dropped = 0;
        using var stop = new CancellationTokenSource();
        var dropping = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var connection = await listener.AcceptTcpClientAsync(stop.Token);
                Interlocked.Increment(ref dropped);
            }
        });
        var seed = $"127.0.0.1:{((System.Net.IPEndPoint)listener.LocalEndpoint).Port}";
        using var node = new NodeProcess("node", dir.Path, "coordinator", new[] { seed });
        try
        {
            // Twice: it keeps coming back while the peer keeps failing it, the same process (the pid the test started).
            await Eventually.True(() => ClusterHealingTests.Rejoins(node) >= 2 || node.HasExited, TimeSpan.FromSeconds(180), "the node to start again twice");
            Assert.False(node.HasExited, $"the node ended (exit code {(node.HasExited ? node.ExitCode : 0)})\n{File.ReadAllText(node.LogFile)}");
            Assert.True(Volatile.Read(ref dropped) >= 2, "the node did not dial its seed again after starting again");
        }
        finally
        {
            stop.Cancel();
            listener.Stop();
        }
        try { await dropping; } catch (Exception) { } // it ends when the listener stops under it
    }
}
