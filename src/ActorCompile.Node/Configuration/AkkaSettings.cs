using Akka.Configuration;
using ActorCompile.Node.Hosting;

namespace ActorCompile.Node.Configuration;

/// <summary>Akka's settings for a node, rendered from its own.</summary>
public static class AkkaSettings
{
    /// <summary>
    /// The akka.* settings derived from the actorcompile.* ones, over everything else. After a removal
    /// from the cluster (<paramref name="rejoin"/>) the node comes back on the same port and also joins
    /// the members it knew; a node without seeds lists itself first and waits up to rejoin-patience for
    /// them (Akka's first-seed rule) instead of starting a second cluster at once.
    /// </summary>
    public static Config For(NodeConfiguration c, RejoinPlan? rejoin = null)
    {
        var scheme = c.TlsEnabled ? "akka.ssl.tcp" : "akka.tcp";
        var seeds = c.Seeds.Select(s => $"{scheme}://{NodeConfiguration.SystemName}@{s.Host}:{s.Port}").ToList();
        var port = c.Port;
        var seedTimeout = "";
        if (rejoin is not null)
        {
            if (c.Port == 0 && rejoin.Self.Port is { } previous) port = previous;
            var known = rejoin.Members.Select(a => a.ToString()).Where(a => !seeds.Contains(a)).ToList();
            if (c.Seeds.Count == 0 && known.Count > 0)
            {
                seeds.Add(rejoin.Self.ToString());
                seedTimeout = $"akka.cluster.seed-node-timeout = {(long)c.RejoinPatience.TotalMilliseconds}ms";
            }
            seeds.AddRange(known);
        }
        var text = $"""
            akka.remote.dot-netty.tcp.enable-ssl = {(c.TlsEnabled ? "on" : "off")}
            akka.remote.dot-netty.tcp.hostname = {NodeOptions.Quote(c.Host)}
            akka.remote.dot-netty.tcp.port = {port}
            akka.remote.dot-netty.tcp.maximum-frame-size = {c.FrameBytes}b
            akka.remote.dot-netty.tcp.applied-adapters = [admission]
            akka.cluster.roles = [{string.Join(", ", c.Roles.Select(NodeOptions.Quote))}]
            akka.cluster.seed-nodes = [{string.Join(", ", seeds.Select(NodeOptions.Quote))}]
            akka.cluster.split-brain-resolver.stable-after = {(long)c.DownUnreachableAfter.TotalMilliseconds}ms
            {seedTimeout}
            """;
        return ConfigurationFactory.ParseString(text).WithFallback(c.Merged);
    }
}
