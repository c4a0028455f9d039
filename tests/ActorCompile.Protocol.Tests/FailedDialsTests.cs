using ActorCompile.Protocol.Cluster;
using Akka.Actor;
using Xunit;

namespace ActorCompile.Protocol.Tests;

/// <summary>The dials a process failed, in order (a record of the test's own, not the process's).</summary>
public sealed class FailedDialsTests
{
    private static Address At(int port) => Address.Parse($"akka.ssl.tcp://actorcompile@127.0.0.9:{port}");

    [Fact]
    public void The_first_dial_that_failed_and_has_not_succeeded_since_is_the_one_named()
    {
        var dials = new FailedDials();
        var (a, b, c) = (At(61001), At(61002), At(61003));
        dials.Record(a, failed: true);
        dials.Record(b, failed: true);
        dials.Record(a, failed: true); // again: still first, once
        Assert.True(dials.FailedFirst(a));
        Assert.False(dials.FailedFirst(b));
        Assert.False(dials.FailedFirst(c));

        // Reached since (a dial that succeeded, or the member seen up): the next one is first.
        dials.Record(a, failed: false);
        Assert.False(dials.FailedFirst(a));
        Assert.True(dials.FailedFirst(b));

        // The same host on another port is another member.
        Assert.False(dials.FailedFirst(Address.Parse("akka.ssl.tcp://actorcompile@127.0.0.9:61004")));
        dials.Record(b, failed: false);
        Assert.False(dials.FailedFirst(b));

        // It keeps a bounded number: the first ones, which are what counts.
        for (var port = 61100; port < 61300; port++) dials.Record(At(port), failed: true);
        Assert.True(dials.FailedFirst(At(61100)));
        for (var port = 61100; port < 61300; port++) dials.Record(At(port), failed: false);
        Assert.False(dials.FailedFirst(At(61299)));
    }
}
