using Akka.Actor;
using Akka.TestKit.Xunit2;
using ActorCompile.Tests;
using Xunit;

namespace ActorCompile.Coordinator.Tests;

/// <summary>The local slots shared between local users: first come, first served, but never one user's many before another's first.</summary>
public sealed class LocalSlotPoolTests : TestKit
{
    public LocalSlotPoolTests() : base(ClusterTestConfig.Create()) { }

    private IActorRef Session() => CreateTestProbe().Ref;

    [Fact]
    public void A_user_holding_every_slot_does_not_keep_another_users_compile_behind_its_own_waiters()
    {
        const uint greedy = 1000, other = 1001;
        var pool = new LocalSlotPool(2);
        var held = new[] { Session(), Session() };
        foreach (var s in held) Assert.True(pool.Request(s, greedy, "grant"));
        // The greedy user queues more, then the other user asks once.
        var greedyWaiting = new[] { Session(), Session(), Session() };
        foreach (var s in greedyWaiting) Assert.False(pool.Request(s, greedy, "grant"));
        var victim = Session();
        Assert.False(pool.Request(victim, other, "victim's grant"));
        Assert.Equal(new[] { (greedy, 2, 3), (other, 0, 1) }, pool.ByUser());

        // The first slot freed goes to the user who holds none, although it asked last.
        var served = pool.Release(held[0]);
        Assert.Equal(victim, Assert.Single(served).Session);
        Assert.True(pool.Holds(victim));
        // Then the greedy user's waiters, in their order.
        Assert.Equal(greedyWaiting[0], Assert.Single(pool.Release(held[1])).Session);
        Assert.Equal(new[] { (greedy, 1, 2), (other, 1, 0) }, pool.ByUser());
    }

    [Fact]
    public void Among_users_holding_as_many_the_first_to_ask_is_served()
    {
        var pool = new LocalSlotPool(1);
        var holder = Session();
        Assert.True(pool.Request(holder, 1, "g"));
        var (first, second) = (Session(), Session());
        Assert.False(pool.Request(first, 2, "g"));
        Assert.False(pool.Request(second, 3, "g"));
        Assert.Equal(first, Assert.Single(pool.Release(holder)).Session);
        Assert.Equal(second, Assert.Single(pool.Release(first)).Session);
        // A free slot with no one waiting goes at once, and a session holds at most one.
        Assert.Empty(pool.Release(second));
        Assert.True(pool.Request(first, 2, "g"));
        Assert.True(pool.Request(first, 2, "g"));
        Assert.Equal(1, pool.Busy);
    }
}
