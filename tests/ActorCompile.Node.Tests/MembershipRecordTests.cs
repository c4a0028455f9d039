using Akka.Actor;
using ActorCompile.Node.Hosting;
using Xunit;

namespace ActorCompile.Node.Tests;

/// <summary>
/// How the node tells a stop it was asked for (exit 0) from one of its own (exit 1, or a rejoin): the host's
/// ClrExitReason is the witness of a signal the host's lifetime handled, whatever order the signal handlers ran in.
/// </summary>
public sealed class MembershipRecordTests
{
    [Fact]
    public void Only_a_stop_the_host_began_counts_as_asked_for()
    {
        var byHost = new MembershipRecord();
        byHost.SetShutdownReason(CoordinatedShutdown.ClrExitReason.Instance);
        Assert.True(byHost.StoppedByHost);
        Assert.False(byHost.RemovedFromCluster);

        // The first reason is the one that counts: a downing the host's stop followed is still a downing.
        var downed = new MembershipRecord();
        downed.SetShutdownReason(CoordinatedShutdown.ClusterDowningReason.Instance);
        downed.SetShutdownReason(CoordinatedShutdown.ClrExitReason.Instance);
        Assert.False(downed.StoppedByHost);
        Assert.True(downed.RemovedFromCluster);

        var roleStopped = new MembershipRecord();
        roleStopped.SetRoleActorStopped("worker");
        roleStopped.SetShutdownReason(CoordinatedShutdown.ClrExitReason.Instance);
        Assert.False(roleStopped.StoppedByHost);

        Assert.False(new MembershipRecord().StoppedByHost); // no reason at all: the actor system ended on its own
    }
}
