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

    [Fact]
    public void A_stop_for_a_failed_TLS_handshake_is_told_apart_by_Akkas_own_reason()
    {
        // Akka.Remote's reason is internal: found by the name the record compares, so that a rename in Akka fails here.
        var type = typeof(Akka.Remote.RemoteSettings).Assembly.GetType(MembershipRecord.TlsHandshakeFailureReason, throwOnError: true)!;
        // Its constructor takes what Akka saw; the record looks at the type alone.
        var reason = (CoordinatedShutdown.Reason)System.Runtime.CompilerServices.RuntimeHelpers.GetUninitializedObject(type);
        var lost = new MembershipRecord();
        lost.SetShutdownReason(reason);
        Assert.True(lost.LostATlsHandshake);
        Assert.False(lost.RemovedFromCluster);
        Assert.False(lost.StoppedByHost);

        var downed = new MembershipRecord();
        downed.SetShutdownReason(CoordinatedShutdown.ClusterDowningReason.Instance);
        Assert.False(downed.LostATlsHandshake);
    }

    private static CoordinatedShutdown.Reason TlsHandshakeFailure() =>
        (CoordinatedShutdown.Reason)System.Runtime.CompilerServices.RuntimeHelpers.GetUninitializedObject(
            typeof(Akka.Remote.RemoteSettings).Assembly.GetType(MembershipRecord.TlsHandshakeFailureReason, throwOnError: true)!);

    [Fact]
    public void A_node_that_stops_before_it_saw_any_member_rejoins_the_members_it_started_with_never_none()
    {
        var self = Address.Parse("akka.ssl.tcp://actorcompile@127.0.0.1:7420");
        var (worker, rogue) = (Address.Parse("akka.ssl.tcp://actorcompile@127.0.0.1:7421"), Address.Parse("akka.ssl.tcp://actorcompile@127.0.0.1:7422"));
        var startedWith = new RejoinPlan(self, new[] { worker, rogue });

        // Started again to rejoin; the member it dialled first dropped the handshake before it saw anyone.
        var lost = new MembershipRecord();
        lost.SetSelf(self);
        lost.SetShutdownReason(TlsHandshakeFailure());
        Assert.Equal(new[] { worker, rogue }, NodeExit.RejoinPlanAfter(lost, startedWith, failedFirst: _ => false)!.Members);
        Assert.Equal(self, NodeExit.RejoinPlanAfter(lost, startedWith, failedFirst: _ => false)!.Self);

        // Members it saw since are the ones to rejoin.
        var downed = new MembershipRecord();
        downed.SetSelf(self);
        downed.SetOthers(new[] { worker });
        downed.SetShutdownReason(CoordinatedShutdown.ClusterDowningReason.Instance);
        Assert.Equal(new[] { worker }, NodeExit.RejoinPlanAfter(downed, startedWith)!.Members);

        // After a failed handshake, the member this process failed to reach first is left out; after a removal, none is.
        Assert.Equal(new[] { worker }, NodeExit.RejoinPlanAfter(lost, startedWith, failedFirst: a => a == rogue)!.Members);
        var removedBeforeSeeingAny = new MembershipRecord();
        removedBeforeSeeingAny.SetSelf(self);
        removedBeforeSeeingAny.SetShutdownReason(CoordinatedShutdown.ClusterDowningReason.Instance);
        Assert.Equal(new[] { worker, rogue }, NodeExit.RejoinPlanAfter(removedBeforeSeeingAny, startedWith, failedFirst: a => a == rogue)!.Members);

        // Members this process failed to reach are left out while another remains, never all of them.
        Assert.Equal(new[] { worker }, NodeExit.WithoutFailedDials(new[] { worker, rogue }, a => a == rogue));
        Assert.Equal(new[] { worker, rogue }, NodeExit.WithoutFailedDials(new[] { worker, rogue }, _ => true));

        // The wait before starting again after a failed handshake: 2 s, doubling while no member is seen, at most a minute.
        Assert.Equal((TimeSpan.FromSeconds(2), 1), NodeExit.TlsRestartWait(sawMembers: false, previous: null));
        Assert.Equal((TimeSpan.FromSeconds(8), 3), NodeExit.TlsRestartWait(sawMembers: false, previous: "2"));
        Assert.Equal((TimeSpan.FromSeconds(60), 31), NodeExit.TlsRestartWait(sawMembers: false, previous: "999999"));
        Assert.Equal((TimeSpan.FromSeconds(2), 1), NodeExit.TlsRestartWait(sawMembers: true, previous: "9"));
        Assert.Equal((TimeSpan.FromSeconds(2), 1), NodeExit.TlsRestartWait(sawMembers: false, previous: "-5"));

        // A stop that is neither ends the process (exit code 1), with no plan.
        var roleStopped = new MembershipRecord();
        roleStopped.SetSelf(self);
        roleStopped.SetRoleActorStopped("worker");
        Assert.Null(NodeExit.RejoinPlanAfter(roleStopped, startedWith));
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

    /// <summary>
    /// A hosted service that fails to start (the socket's directory refused: exit code 2) has the host stop the
    /// actor system: that failure stays the node's error and is not taken for a stop of the system's own.
    /// </summary>
    [Fact]
    public async Task A_stop_the_host_began_is_not_a_stop_of_the_systems_own()
    {
        var system = ActorSystem.Create("host-stop", ActorCompile.Tests.ClusterTestConfig.Create());
        var record = new MembershipRecord();
        record.SetSystem(system);
        // What the host's stop gives (its hosted service terminates the actor system): seen when the socket's directory was refused.
        await CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ActorSystemTerminateReason.Instance);
        Assert.False(record.SystemStoppedOnItsOwn);
    }

    /// <summary>
    /// Akka joins the seeds as the actor system starts, before the node's actors: a seed that drops that first TLS
    /// handshake stops the system before MembershipWatch registers its task. The record then takes the address and
    /// the reason from the stopped system itself, and the node starts again (here: a downing, which a watch that
    /// never ran cannot have recorded) instead of ending with exit code 1.
    /// </summary>
    [Fact]
    public async Task A_system_stopped_before_the_watch_started_still_leaves_the_node_a_rejoin_plan()
    {
        var system = ActorSystem.Create("early-stop", ActorCompile.Tests.ClusterTestConfig.Create());
        var record = new MembershipRecord();
        record.SetSystem(system);
        Assert.False(record.SystemStoppedOnItsOwn);
        await CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClusterDowningReason.Instance);
        Assert.True(record.SystemStoppedOnItsOwn); // a failure of the host's start is then this stop's
        Assert.True(await system.WhenTerminated.WaitAsync(TimeSpan.FromSeconds(60)).ContinueWith(t => t.IsCompletedSuccessfully));
        Assert.Null(NodeExit.RejoinPlanAfter(record, startedWith: null)); // nothing recorded yet: the old ending
        var seed = Address.Parse("akka.ssl.tcp://actorcompile@127.0.0.1:4001");

        record.CompleteFromSystem();
        Assert.True(record.RemovedFromCluster);
        Assert.Equal(Akka.Cluster.Cluster.Get(system).SelfAddress, record.Self);
        var plan = NodeExit.RejoinPlanAfter(record, new RejoinPlan(record.Self!, new[] { seed }));
        Assert.NotNull(plan);
        Assert.Equal(new[] { seed }, plan!.Members);
    }
}

/// <summary>Which members a removed node rejoins through, and whose quarantine it takes as its removal.</summary>
public sealed class KnownMembersTests
{
    private static readonly Address Self = Address.Parse("akka.ssl.tcp://actorcompile@127.0.0.1:4000");
    private static readonly Address A = Address.Parse("akka.ssl.tcp://actorcompile@127.0.0.1:4001");
    private static readonly Address B = Address.Parse("akka.ssl.tcp://actorcompile@127.0.0.2:4002");

    [Fact]
    public void Others_are_remembered_only_once_this_node_is_up_whatever_order_the_events_come_in()
    {
        var known = new KnownMembers(Self);
        known.Snapshot(new[] { (A, Akka.Cluster.MemberStatus.Up), (Self, Akka.Cluster.MemberStatus.Joining) });
        Assert.Empty(known.Others);
        Assert.True(known.Knows(A));
        known.Changed(B, Akka.Cluster.MemberStatus.Up);
        Assert.Empty(known.Others);
        // The node's own MemberUp comes last: it alone must bring in the members seen before it.
        known.Changed(Self, Akka.Cluster.MemberStatus.Up);
        Assert.Equal(new[] { A, B }, known.Others.OrderBy(a => a.Port));
    }

    [Fact]
    public void A_member_this_node_downed_stays_a_seed_and_one_that_left_does_not()
    {
        var known = new KnownMembers(Self);
        known.Snapshot(new[] { (Self, Akka.Cluster.MemberStatus.Up), (A, Akka.Cluster.MemberStatus.Up), (B, Akka.Cluster.MemberStatus.Up) });
        // A stale view downs A (this node resumed after a stop); B leaves the cluster properly.
        known.Changed(A, Akka.Cluster.MemberStatus.Down);
        known.Removed(A, Akka.Cluster.MemberStatus.Down);
        known.Changed(B, Akka.Cluster.MemberStatus.Exiting);
        known.Removed(B, Akka.Cluster.MemberStatus.Exiting);
        Assert.Equal(new[] { A }, known.Others);
        Assert.True(known.Knows(A));
        Assert.False(known.Knows(B));
        Assert.False(known.Knows(Address.Parse("akka.ssl.tcp://actorcompile@127.0.0.9:4009")));
    }

    [Fact]
    public void Once_this_node_is_down_the_view_no_longer_changes_the_seeds()
    {
        var known = new KnownMembers(Self);
        known.Snapshot(new[] { (Self, Akka.Cluster.MemberStatus.Up), (A, Akka.Cluster.MemberStatus.Up) });
        known.Changed(Self, Akka.Cluster.MemberStatus.Down);
        known.Changed(B, Akka.Cluster.MemberStatus.Up);
        Assert.Equal(new[] { A }, known.Others);
    }

    [Fact]
    public void At_most_the_most_recently_seen_members_are_kept()
    {
        var known = new KnownMembers(Self);
        known.Changed(Self, Akka.Cluster.MemberStatus.Up);
        for (int i = 0; i < KnownMembers.MaxRemembered + 5; i++)
        {
            var member = Address.Parse($"akka.ssl.tcp://actorcompile@127.0.1.{i}:4000");
            known.Changed(member, Akka.Cluster.MemberStatus.Up);
            known.Removed(member, Akka.Cluster.MemberStatus.Down);
        }
        Assert.Equal(KnownMembers.MaxRemembered, known.Others.Count);
        Assert.Equal("127.0.1.20", known.Others[^1].Host);
        Assert.Equal("127.0.1.5", known.Others[0].Host);
    }
}

/// <summary>The members a node keeps on disk for a start from nothing (see RememberedMembers).</summary>
public sealed class RememberedMembersTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("ac-remembered").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static async Task<IReadOnlyList<Address>> ReadWhen(RememberedMembers file, Func<IReadOnlyList<Address>, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var read = file.Read(out var problem);
            Assert.Null(problem);
            if (done(read)) return read;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the file still holds {string.Join(", ", read)}");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task What_is_saved_is_read_back_the_latest_list_winning_in_a_directory_only_this_user_enters()
    {
        var file = new RememberedMembers(Path.Combine(_directory, "members", "127.0.0.1_7420"));
        Assert.Empty(file.Read(out var none));
        Assert.Null(none);
        var a = Address.Parse("akka.ssl.tcp://actorcompile@127.0.0.1:7421");
        var b = Address.Parse("akka.ssl.tcp://actorcompile@127.0.0.2:7422");
        var failures = new List<string>();
        file.Save(new[] { a }, failures.Add);
        file.Save(new[] { a, b }, failures.Add);
        Assert.Equal(new[] { a, b }, await ReadWhen(file, r => r.Count == 2));
        Assert.Empty(failures);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(_directory, "members")));
        file.Save(new[] { b }, failures.Add);
        Assert.Equal(new[] { b }, await ReadWhen(file, r => r.Count == 1));
    }

    [Fact]
    public void A_file_others_may_change_is_ignored_and_lines_that_are_no_address_are_skipped()
    {
        var path = Path.Combine(_directory, "127.0.0.1_7420");
        File.WriteAllText(path, "akka.ssl.tcp://actorcompile@127.0.0.1:7421\nnot an address\nakka.ssl.tcp://actorcompile@127.0.0.1\n"
            + string.Concat(Enumerable.Range(0, 40).Select(i => $"akka.ssl.tcp://actorcompile@127.0.1.{i}:7000\n")));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var file = new RememberedMembers(path);
        var read = file.Read(out var problem);
        Assert.Null(problem);
        Assert.Equal(Address.Parse("akka.ssl.tcp://actorcompile@127.0.0.1:7421"), read[0]);
        Assert.True(read.Count <= KnownMembers.MaxRemembered);
        Assert.DoesNotContain(read, r => r.Port is null);

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupWrite);
        Assert.Empty(file.Read(out problem));
        Assert.Contains("not a file this user alone may change", problem);
    }

    [Fact]
    public void Only_members_up_while_this_node_is_up_are_kept_for_a_start_from_nothing()
    {
        var self = Address.Parse("akka.ssl.tcp://actorcompile@127.0.0.1:4000");
        var up = Address.Parse("akka.ssl.tcp://actorcompile@127.0.0.1:4001");
        var downed = Address.Parse("akka.ssl.tcp://actorcompile@127.0.0.1:4002");
        var known = new KnownMembers(self);
        known.Snapshot(new[] { (self, Akka.Cluster.MemberStatus.Joining), (up, Akka.Cluster.MemberStatus.Up) });
        Assert.Null(known.UpOthers);
        known.Changed(self, Akka.Cluster.MemberStatus.Up);
        known.Changed(downed, Akka.Cluster.MemberStatus.Up);
        known.Changed(downed, Akka.Cluster.MemberStatus.Down);
        Assert.Equal(new[] { up }, known.UpOthers);
        // The downed one stays a seed of a rejoin (this node's view may be the stale one), not a member to wait for at a start.
        Assert.Contains(downed, known.Others);
    }
}
