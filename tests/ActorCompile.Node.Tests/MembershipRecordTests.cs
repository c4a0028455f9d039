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

/// <summary>
/// The shipped configuration's supervision: a role actor that throws is stopped (not restarted with its
/// state lost), and the node then stops with exit code 1 for its service manager (MembershipWatch).
/// </summary>
public sealed class RoleActorFailureTests
{
    private sealed class Throwing : ReceiveActor
    {
        public Throwing() => Receive<string>(m => throw new InvalidOperationException(m));
    }

    [Fact]
    public async Task A_role_actor_that_throws_stops_the_node_with_exit_code_1()
    {
        var system = ActorSystem.Create("role-failure", ActorCompile.Tests.ClusterTestConfig.Create());
        try
        {
            var record = new MembershipRecord();
            var coordinator = system.ActorOf(Props.Create(() => new Throwing()), "coordinator");
            system.ActorOf(MembershipWatch.Props(record, new Dictionary<string, IActorRef> { ["coordinator"] = coordinator }), "membership");
            coordinator.Tell("a bug");
            var reason = await ActorCompile.Tests.Eventually.Get(() => Task.FromResult<CoordinatedShutdown.Reason?>(CoordinatedShutdown.Get(system).ShutdownReason), TimeSpan.FromSeconds(30), "the node to stop");
            Assert.IsType<MembershipWatch.RoleActorStoppedReason>(reason);
            Assert.Equal(1, reason.ExitCode);
            Assert.True(await system.WhenTerminated.WaitAsync(TimeSpan.FromSeconds(60)).ContinueWith(t => t.IsCompletedSuccessfully));
        }
        finally
        {
            await system.Terminate();
        }
    }
}
