using ActorCompile.Worker;
using Xunit;

namespace ActorCompile.Worker.Tests;

/// <summary>How a worker asks for work, without actors: coordinators are plain names, the clock a parameter.</summary>
public sealed class WorkRequestsTests
{
    private static readonly DateTime T0 = new(2026, 12, 7, 12, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void One_request_per_free_slot_round_robin_over_the_coordinators_with_work()
    {
        var r = new WorkRequests<string, string>(slots: 3);
        Assert.True(r.Serve("a", "A"));
        Assert.False(r.Serve("a", "A"));
        r.Serve("b", "B");
        Assert.Equal(new[] { "A", "B", "A" }, r.Next(running: 0, T0).Select(x => x.Coordinator));
        Assert.Empty(r.Next(running: 0, T0)); // every slot waits for an answer
        Assert.Equal(3, r.Open);
        Assert.Empty(new WorkRequests<string, string>(2).Next(running: 2, T0)); // every slot runs a job
    }

    [Fact]
    public void A_coordinator_without_work_is_asked_again_when_it_says_so_or_when_polled_while_slots_are_free()
    {
        var r = new WorkRequests<string, string>(slots: 1);
        r.Serve("a", "A");
        var (_, id) = Assert.Single(r.Next(0, T0));
        r.NoWork(id);
        Assert.Empty(r.Next(0, T0));
        r.WorkAvailable("a");
        var (_, again) = Assert.Single(r.Next(0, T0));
        r.NoWork(again);
        r.Tick(0, T0); // first poll: it was never polled
        var (_, polled) = Assert.Single(r.Next(0, T0));
        r.NoWork(polled);
        r.Tick(0, T0 + WorkRequests<string, string>.PollEvery); // not yet: polled at T0
        Assert.Empty(r.Next(0, T0));
        r.Tick(1, T0 + TimeSpan.FromSeconds(5)); // no slot free: no poll
        Assert.Empty(r.Next(0, T0));
        r.Tick(0, T0 + TimeSpan.FromSeconds(5));
        Assert.Single(r.Next(0, T0 + TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void A_job_is_taken_only_as_the_answer_of_the_coordinator_asked_and_once()
    {
        var r = new WorkRequests<string, string>(slots: 2);
        r.Serve("a", "A");
        r.Serve("b", "B");
        var requests = r.Next(0, T0);
        var idOfA = requests.Single(x => x.Coordinator == "A").RequestId;
        Assert.False(r.Answered(idOfA, "b")); // another coordinator naming A's request
        Assert.False(r.Answered(999, "a"));   // never asked
        Assert.Equal(2, r.Open);              // a wrong answer closes nothing
        Assert.True(r.Answered(idOfA, "a"));
        Assert.False(r.Answered(idOfA, "a"));
        Assert.Equal(1, r.Open);
    }

    [Fact]
    public void A_coordinator_that_goes_takes_its_requests_along_and_unanswered_requests_expire()
    {
        var r = new WorkRequests<string, string>(slots: 2);
        r.Serve("a", "A");
        r.Serve("b", "B");
        r.Next(0, T0);
        Assert.True(r.Gone("a"));
        Assert.False(r.Gone("a"));
        Assert.Equal(1, r.Open);
        Assert.Equal(new[] { "B" }, r.Next(0, T0).Select(x => x.Coordinator));
        r.Tick(0, T0 + WorkRequests<string, string>.RequestLifetime);
        Assert.Equal(2, r.Open); // not older than the lifetime yet
        r.Tick(0, T0 + WorkRequests<string, string>.RequestLifetime + TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, r.Open);
    }
}
