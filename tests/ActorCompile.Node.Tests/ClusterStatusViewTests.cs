using ActorCompile.LocalProtocol.Status;
using ActorCompile.Node.Status;
using ActorCompile.Protocol.Messages;
using Xunit;

namespace ActorCompile.Node.Tests;

/// <summary>What the status view makes of the nodes' reports: what it shows as published, and what it fills in itself.</summary>
public sealed class ClusterStatusViewTests
{
    private const string Self = "127.0.0.1:7420", Busy = "127.0.0.1:7421", Lost = "127.0.0.1:7422", Gone = "127.0.0.1:7499";
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_010_000);

    private static WorkerReport Worker(int slots) =>
        new(slots, 1, 2, 30, 4, 8, 1.5, 0.25, new[] { new ToolchainReport("gcc,cc", "12.2.0", "x86_64-linux-gnu", new string('f', 64)) }, "sandboxed (bubblewrap, sealed roots)");

    private static CoordinatorReport Coordinator(params WorkerHealth[] health) =>
        new(3, 2, 4, 1, 100, 7, health, new[] { new UnservedToolchain("clang", "18.1.0", "x86_64-linux-gnu", new string('e', 64), 5) });

    private static NodeReport Report(string address, WorkerReport? worker = null, CoordinatorReport? coordinator = null, JobReport[]? jobs = null, RefusedConnection[]? refused = null) =>
        new(address, Array.Empty<string>(), 1, Now.ToUnixTimeMilliseconds(), worker, coordinator, jobs ?? Array.Empty<JobReport>(), refused ?? Array.Empty<RefusedConnection>());

    private static ClusterStatus View(IEnumerable<MemberStatus> members, params NodeReport[] reports) => ClusterStatusView.Build(Self, Now, members, reports);

    private static readonly MemberStatus[] Members =
    {
        new(Lost, new[] { "worker" }, "unreachable"),
        new(Self, new[] { "worker", "coordinator" }, "up"),
        new(Busy, new[] { "worker" }, "up"),
    };

    [Fact]
    public void Members_are_shown_in_address_order_with_their_roles_in_order()
    {
        var status = View(Members);
        Assert.Equal(new[] { Self, Busy, Lost }, status.Members.Select(m => m.Address));
        Assert.Equal(new[] { "coordinator", "worker" }, status.Members[0].Roles);
        Assert.Equal("unreachable", status.Members[2].State);
    }

    [Fact]
    public void A_worker_shows_as_published_with_its_state_and_the_coordinators_verdicts_filled_in()
    {
        var status = View(Members,
            Report(Self, coordinator: Coordinator(new WorkerHealth(Busy, BackedOff: true, Discrepancies: 2, Failures: 3), new WorkerHealth(Lost, true, 0, 3))),
            Report("127.0.0.1:7423", coordinator: Coordinator(new WorkerHealth(Busy, BackedOff: false, Discrepancies: 1, Failures: 0))),
            Report(Busy, worker: Worker(4)),
            Report(Lost, worker: Worker(2)));

        var busy = status.Workers.Single(w => w.Address == Busy);
        Assert.Equal("backed-off", busy.State); // up, and backed off by one coordinator
        Assert.Equal(3, busy.Discrepancies); // every coordinator's
        Assert.Equal((4, 1, 2, 30L, 4L, 8, 1.5, 0.25), (busy.Slots, busy.Running, busy.PeakRunning, busy.Completed, busy.Failed, busy.Cores, busy.LoadAverage, busy.MeanCompileSeconds));
        Assert.Equal(new ToolchainStatus("gcc,cc", "12.2.0", "x86_64-linux-gnu", new string('f', 64)), Assert.Single(busy.Toolchains));
        Assert.Equal("sandboxed (bubblewrap, sealed roots)", busy.Sandbox);
        Assert.Empty(busy.RefusedCoordinators);
        Assert.Equal("unreachable", status.Workers.Single(w => w.Address == Lost).State); // unreachable says more than backed off
        // A coordinator's report that is no member's (7423 left) still counts for no view of its own.
        Assert.Equal(new[] { Self }, status.Coordinators.Select(c => c.Address));
    }

    [Fact]
    public void A_coordinator_shows_its_queue_slots_counts_and_the_toolchains_no_worker_offers()
    {
        var coordinator = Assert.Single(View(Members, Report(Self, coordinator: Coordinator())).Coordinators);
        Assert.Equal((Self, 3, 2, 4, 1, 100L, 7L), (coordinator.Address, coordinator.Queued, coordinator.InFlight, coordinator.LocalSlots, coordinator.LocalSlotsBusy, coordinator.Distributed, coordinator.Local));
        Assert.Equal(new UnservedToolchainStatus("clang", "18.1.0", "x86_64-linux-gnu", new string('e', 64), 5), Assert.Single(coordinator.UnservedToolchains));
    }

    [Fact]
    public void A_job_in_flight_has_taken_until_now_and_a_finished_one_until_it_finished()
    {
        var now = Now.ToUnixTimeMilliseconds();
        var status = View(Members, Report(Self, coordinator: Coordinator(), jobs: new[]
        {
            new JobReport("j1", "a.c", "compiling", Busy, now - 2500, 0),
            new JobReport("j2", "b.c", "done", Busy, now - 9000, now - 7500),
        }));
        Assert.Equal(new JobStatus("j1", Self, "a.c", "compiling", Busy, 2.5), status.Jobs[0]);
        Assert.Equal(new JobStatus("j2", Self, "b.c", "done", Busy, 1.5), status.Jobs[1]);
    }

    [Fact]
    public void Reports_of_nodes_that_are_no_members_are_not_shown_but_this_nodes_refusals_are_even_before_it_joined()
    {
        var refused = new[] { new RefusedConnection("10.0.0.9", 3, "10.0.0.9 is not in this worker's allowed networks") };
        var status = View(Array.Empty<MemberStatus>(),
            Report(Self, worker: Worker(2), refused: refused),
            Report(Gone, worker: Worker(8), jobs: new[] { new JobReport("j3", "c.c", "queued", null, 1, 0) }, refused: refused));

        Assert.Empty(status.Workers);
        Assert.Empty(status.Jobs);
        Assert.Equal(new RefusedConnectionStatus(Self, "10.0.0.9", 3, "10.0.0.9 is not in this worker's allowed networks"), Assert.Single(status.RefusedConnections!));
        Assert.Equal(Self, status.Node);
        Assert.Equal(Now, status.Time);
    }
}
