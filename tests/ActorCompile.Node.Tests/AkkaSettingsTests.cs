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
    public void Only_a_worker_judges_connections_at_the_transport()
    {
        Assert.Equal(new[] { "admission" }, AkkaSettings.For(Load("worker", "")).GetStringList("akka.remote.dot-netty.tcp.applied-adapters"));
        Assert.Empty(AkkaSettings.For(Load("coordinator", "")).GetStringList("akka.remote.dot-netty.tcp.applied-adapters"));
    }

    public void Dispose() => _dir.Dispose();
}
