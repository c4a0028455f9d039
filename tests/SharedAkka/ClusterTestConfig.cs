using Akka.Configuration;

namespace ActorCompile.Tests;

/// <summary>
/// Configuration for actor tests: the shipped HOCON's akka section (serializer bindings, strict
/// serialization) with a cluster provider on a free loopback port. serialize-messages stays off: with
/// strict serialization it would also serialize Akka's own local system messages, which have no binding.
/// The serializer has round-trip tests of its own, and the integration tests cross real nodes.
/// An expected message may take its time on a 2-core machine running test collections in parallel: the
/// default wait for one is 15 s instead of Akka's 3 s. A bound, never a delay: a test waits only as long
/// as the message takes. Tests never wait for the absence of a message (ExpectNoMsg): they send a
/// message the actor answers after the ones in question and check that nothing came before its answer.
/// </summary>
public static class ClusterTestConfig
{
    public static Config Create(string extra = "")
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "hocon", "actorcompile.hocon"))) dir = Path.GetDirectoryName(dir);
        if (dir is null) throw new InvalidOperationException("cannot find hocon/actorcompile.hocon above the tests");
        var shipped = ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(dir, "hocon", "actorcompile.hocon")));
        return ConfigurationFactory.ParseString($"""
            akka.actor.provider = cluster
            akka.remote.dot-netty.tcp.hostname = 127.0.0.1
            akka.remote.dot-netty.tcp.port = 0
            akka.loglevel = WARNING
            akka.stdout-loglevel = WARNING
            akka.test.single-expect-default = 15s
            {extra}
            """).WithFallback(shipped);
    }
}
