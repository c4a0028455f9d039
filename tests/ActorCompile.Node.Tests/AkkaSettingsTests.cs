using ActorCompile.Node.Configuration;
using ActorCompile.Tests;
using ActorCompile.Toolchain.Jobs;
using Xunit;

namespace ActorCompile.Node.Tests;

/// <summary>The akka.* settings a node renders from its own: one size limit, admission only where jobs run.</summary>
public sealed class AkkaSettingsTests : IDisposable
{
    private readonly TempDirectory _dir = new("ac-akka-settings");

    private NodeConfiguration Load(string role, string hocon)
    {
        var options = new NodeOptions { Socket = _dir.Combine("node.sock") };
        options.Roles.Add(role);
        options.ConfigFiles.Add(_dir.Write($"{role}.hocon", hocon));
        var shipped = Path.Combine(AppContext.BaseDirectory, "hocon", "actorcompile.hocon");
        return NodeConfiguration.Load(options, shipped, configDirectory: _dir.Combine("no-etc"), clusterKeyDirectory: _dir.Combine("state/cluster"));
    }

    [Theory]
    [InlineData("1MiB", 1L << 20)]
    [InlineData("512MiB", 512L << 20)]
    public void Akkas_frame_holds_the_largest_job_the_node_takes(string setting, long bytes)
    {
        var akka = AkkaSettings.For(Load("coordinator", $"actorcompile.max-job-size = {setting}\n"));
        Assert.Equal(JobLimits.FrameBytes(bytes), akka.GetByteSize("akka.remote.dot-netty.tcp.maximum-frame-size"));
    }

    [Fact]
    public void Every_node_reads_its_connections_at_the_transport()
    {
        // The adapter binds every peer to its connection on every node (BoundSenderHandle); it judges networks on workers only (its provider reads the roles).
        Assert.Equal(new[] { "admission" }, AkkaSettings.For(Load("worker", "")).GetStringList("akka.remote.dot-netty.tcp.applied-adapters"));
        Assert.Equal(new[] { "admission" }, AkkaSettings.For(Load("coordinator", "")).GetStringList("akka.remote.dot-netty.tcp.applied-adapters"));
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    public void A_node_that_listens_on_every_address_must_declare_the_one_peers_reach(string host)
    {
        // Every member checks that a peer's declared address is its connection's: "every address" is none it could check.
        var refused = Assert.Throws<ConfigurationException>(() => Load("worker", $"actorcompile.host = \"{host}\"\n"));
        Assert.Contains("give the address the other machines reach this one at", refused.Message);
        var declared = Load("coordinator", $"actorcompile.host = \"{host}\"\nakka.remote.dot-netty.tcp.public-hostname = \"192.168.1.21\"\n");
        Assert.Equal(host, declared.Host);
    }

    public void Dispose() => _dir.Dispose();
}
