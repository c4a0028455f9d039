using ActorCompile.Tests;
using Xunit;

namespace ActorCompile.Integration.Tests;

/// <summary>The node process itself: joining, leaving on SIGTERM and SIGINT, and refusing bad configuration.</summary>
public sealed class NodeLifecycleTests
{
    [Fact]
    public async Task A_node_started_without_the_gen0_budget_in_its_environment_starts_again_in_place_with_it()
    {
        using var dir = new TempDirectory("ac-gen0");
        var socket = dir.Combine("node.sock");
        var psi = new System.Diagnostics.ProcessStartInfo(Dist.Node) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--roles", "coordinator", "--host", "127.0.0.1", "--port", Ports.Free().ToString(), "--socket", socket }) psi.ArgumentList.Add(a);
        psi.Environment["ACTORCOMPILE_CONFIG_DIR"] = dir.Combine("no-etc");
        psi.Environment["XDG_STATE_HOME"] = dir.Combine("state");
        psi.Environment["XDG_CACHE_HOME"] = dir.Combine("cache");
        psi.Environment["TMPDIR"] = dir.Path;
        psi.Environment.Remove("DOTNET_GCgen0size");
        using var node = System.Diagnostics.Process.Start(psi)!;
        node.BeginOutputReadLine();
        node.BeginErrorReadLine();
        try
        {
            await Eventually.True(() => File.Exists(socket), TimeSpan.FromSeconds(60), "the node's socket");
            // The same process (the pid the test started), its environment now with the budget the runtime read at its start.
            Assert.Contains("DOTNET_GCgen0size=0x400000", File.ReadAllText($"/proc/{node.Id}/environ").Split('\0'));
            // Under its own name, not "exe" (of /proc/self/exe, which it ran): what ps, top and pgrep show.
            Assert.Equal("actorcompile-no", File.ReadAllText($"/proc/{node.Id}/comm").TrimEnd('\n'));
        }
        finally
        {
            node.Kill();
            node.WaitForExit();
        }
    }

    [Fact]
    public async Task A_node_told_to_take_a_port_another_node_listens_on_refuses_to_start_and_says_why()
    {
        // Akka's ReuseAddress is SO_REUSEPORT too on Linux: the second node bound the port beside the first, and the
        // kernel shared the cluster's connections between them.
        using var cluster = new TestCluster(0, prefix: "ac-port");
        await Eventually.True(() => File.Exists(cluster.Coordinator.Socket), TimeSpan.FromSeconds(60), "the first node's socket");
        using var dir = new TempDirectory("ac-port-second");
        var r = Run.Program(Dist.Node, new[] { "--roles", "coordinator", "--host", "127.0.0.1", "--port", cluster.Coordinator.Port.ToString(), "--socket", dir.Combine("n.sock") },
            env: new Dictionary<string, string> { ["ACTORCOMPILE_CONFIG_DIR"] = dir.Combine("none"), ["XDG_STATE_HOME"] = dir.Combine("state"), ["XDG_CACHE_HOME"] = dir.Combine("cache") },
            timeout: TimeSpan.FromSeconds(60));
        // 1, not 2 (a bad value): the service manager tries again, as it should once the port's holder is gone.
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"another program already listens on 127.0.0.1:{cluster.Coordinator.Port}", r.Stderr);
        Assert.False(cluster.Coordinator.HasExited);
    }

    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task A_signal_leaves_the_cluster_gracefully_and_removes_the_socket(string signal)
    {
        if (signal == "INT") CtrlC.AssertNotIgnored();
        using var dir = new TempDirectory("ac-life");
        using var seed = new NodeProcess("seed", dir.Path, "coordinator");
        using var worker = new NodeProcess("worker", dir.Path, "worker", new[] { seed.Address });
        await Eventually.True(() =>
        {
            using var s = Wrapper.Status(seed.Socket);
            return s.RootElement.GetProperty("members").EnumerateArray().Count(m => m.GetProperty("state").GetString() == "up") == 2;
        }, TimeSpan.FromSeconds(60), "the worker to join");
        Assert.True(File.Exists(worker.Socket));
        var jobs = Directory.GetDirectories(dir.Path, "actorcompile-worker-*").Select(d => Path.Combine(d, "jobs")).Single();
        Assert.True(Directory.Exists(jobs));

        worker.Signal(signal);
        Assert.True(worker.WaitForExit(TimeSpan.FromSeconds(20)), $"the node did not stop on SIG{signal}:\n{worker.Log()}");
        Assert.False(File.Exists(worker.Socket));
        Assert.False(Directory.Exists(jobs)); // the jobs' directory goes with the node (WorkerParts.RemoveJobs)
        Assert.Equal(0, worker.ExitCode);
        // A graceful leave: the seed removes the member (about a second when the machine is idle) without ever
        // finding it unreachable, as it would a node that died (then its failure detector marks it unreachable
        // for seconds before the split-brain resolver downs it), and the seed itself keeps running.
        var statesSeen = new HashSet<string>();
        try
        {
            await Eventually.True(() =>
            {
                using var s = Wrapper.Status(seed.Socket);
                var members = s.RootElement.GetProperty("members").EnumerateArray().ToList();
                foreach (var m in members.Where(m => m.GetProperty("address").GetString() == worker.Address))
                    statesSeen.Add(m.GetProperty("state").GetString()!);
                return members.Count == 1;
            }, TimeSpan.FromSeconds(30), "the seed to see the worker leave");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\n--- seed ---\n{seed.Log()}\n--- worker ---\n{worker.Log()}");
        }
        Assert.DoesNotContain("unreachable", statesSeen);
        Assert.False(seed.HasExited);
    }

    [Fact]
    public void A_bad_flag_stops_the_node_with_what_is_allowed()
    {
        var r = Run.Program(Dist.Node, new[] { "--port", "abc" });
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--port: 'abc' is not a port; give a number from 0 to 65535", r.Stderr);
    }

    [Fact]
    public void A_bad_value_in_a_configuration_file_names_the_file_and_the_key()
    {
        using var dir = new TempDirectory("ac-conf");
        var file = dir.Write("node.hocon", "actorcompile.worker.slots = -3\n");
        var r = Run.Program(Dist.Node, new[] { "--config", file });
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(file, r.Stderr);
        Assert.Contains("actorcompile.worker.slots", r.Stderr);
        Assert.Contains("a whole number from 0", r.Stderr);
    }

    [Fact]
    public void Help_says_what_each_flag_does()
    {
        var r = Run.Program(Dist.Node, new[] { "--help" });
        Assert.Equal(0, r.ExitCode);
        foreach (var flag in new[] { "--roles", "--host", "--port", "--seed", "--socket", "--slots", "--toolchain", "--config" })
            Assert.Contains(flag, r.Stdout);
    }
}
