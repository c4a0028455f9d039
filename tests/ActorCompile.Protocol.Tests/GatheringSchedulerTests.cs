using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.TestKit.Xunit2;
using ActorCompile.Protocol.Cluster;
using Xunit;

namespace ActorCompile.Protocol.Tests;

/// <summary>
/// The scheduler's rules on a clock of the test's own: a timer never runs before it is due, runs by its latest
/// instant, and whoever wakes the thread takes every timer already due with it (the gathering that keeps an idle
/// node asleep).
/// </summary>
public sealed class GatheringTimersTests
{
    private static readonly long Ms = TimeSpan.TicksPerMillisecond;
    private long _now = 1_000 * Ms;
    private readonly GatheringScheduler.Timers _timers;

    public GatheringTimersTests() => _timers = new GatheringScheduler.Timers(TimeSpan.FromMilliseconds(50), () => _now);

    private sealed class Named(string name) : IRunnable
    {
        public void Run() { }
        public void Execute() { }
        public override string ToString() => name;
    }

    private void Add(string name, int delayMs, int intervalMs = 0, ICancelable? cancel = null) =>
        _timers.Add(TimeSpan.FromMilliseconds(delayMs), TimeSpan.FromMilliseconds(intervalMs), new Named(name), cancel);

    private List<string> TakeAt(long ms)
    {
        _now = ms * Ms;
        var due = new List<GatheringScheduler.Timers.Entry>();
        _timers.TakeDue(due);
        foreach (var entry in due) _timers.Repeat(entry);
        return due.Select(e => e.Action.ToString()!).ToList();
    }

    [Fact]
    public void A_timer_never_runs_before_it_is_due_and_runs_by_its_latest_instant()
    {
        Add("help", 150); // due at 1150; slack one tick (50 ms: a tenth of 150 ms is less)
        Assert.Equal(1_200 * Ms, _timers.NextWake());
        Assert.Empty(TakeAt(1_149));
        Assert.Empty(TakeAt(1_199)); // due, but nothing has to run yet: the thread sleeps on
        Assert.Equal(new[] { "help" }, TakeAt(1_200));
        Assert.Equal(long.MaxValue, _timers.NextWake());
    }

    [Fact]
    public void Timers_due_within_each_others_slack_run_together()
    {
        Add("gossip", 1_000);    // due 2000, latest 2100
        Add("heartbeat", 1_060); // due 2060, latest 2166
        Add("status", 1_200);    // due 2200: not yet due when the others run
        Assert.Equal(2_100 * Ms, _timers.NextWake());
        Assert.Equal(new[] { "gossip", "heartbeat" }, TakeAt(2_100));
        Assert.Equal(new[] { "status" }, TakeAt(2_320));
    }

    [Fact]
    public void A_repeating_timer_keeps_its_rate_and_a_cancelled_one_neither_runs_nor_wakes_the_thread()
    {
        var cancel = new Flag();
        Add("tick", 1_000, 1_000);
        Add("ask timeout", 500, 0, cancel);
        cancel.Cancel();
        Assert.Equal(2_100 * Ms, _timers.NextWake()); // not 1550: the cancelled timer is gone
        Assert.Equal(new[] { "tick" }, TakeAt(2_100));  // run at its latest instant, 100 ms late...
        Assert.Equal(3_100 * Ms, _timers.NextWake());   // ...due again one interval after it was due, not after it ran
        Assert.Equal(new[] { "tick" }, TakeAt(3_000 + 100));
        Assert.Equal(new[] { "tick" }, TakeAt(9_000)); // fell behind by more than an interval: one run, then a rate from now
        Assert.Equal(10_100 * Ms, _timers.NextWake());
    }

    /// <summary>A cancellation flag (Akka's Cancelable wants a scheduler, which these tests have none of).</summary>
    private sealed class Flag : ICancelable
    {
        public bool IsCancellationRequested { get; private set; }
        public CancellationToken Token => CancellationToken.None;
        public void Cancel() => IsCancellationRequested = true;
        public void Cancel(bool throwOnFirstException) => Cancel();
        public void CancelAfter(TimeSpan delay) => throw new NotSupportedException();
        public void CancelAfter(int millisecondsDelay) => throw new NotSupportedException();
    }
}

/// <summary>The scheduler in a real actor system, as the node configures it: tells once, repeatedly, and stops on cancel.</summary>
public sealed class GatheringSchedulerTests() : TestKit(ConfigurationFactory.ParseString(
    """akka.scheduler.implementation = "ActorCompile.Protocol.Cluster.GatheringScheduler, ActorCompile.Protocol" """))
{
    [Fact]
    public void The_actor_system_runs_on_it_and_timers_tell_once_repeatedly_and_stop_when_cancelled()
    {
        Assert.IsType<GatheringScheduler>(Sys.Scheduler);
        Sys.Scheduler.ScheduleTellOnce(TimeSpan.FromMilliseconds(100), TestActor, "once", ActorRefs.NoSender);
        ExpectMsg("once", TimeSpan.FromSeconds(5));

        var repeating = Sys.Scheduler.ScheduleTellRepeatedlyCancelable(TimeSpan.Zero, TimeSpan.FromMilliseconds(50), TestActor, "again", ActorRefs.NoSender);
        ExpectMsg("again", TimeSpan.FromSeconds(5));
        ExpectMsg("again", TimeSpan.FromSeconds(5));
        ExpectMsg("again", TimeSpan.FromSeconds(5));
        repeating.Cancel();
        // Whatever was already on its way before the cancel may still arrive before the first marker; between the two
        // markers (300 ms, six intervals of the cancelled timer) nothing.
        Sys.Scheduler.ScheduleTellOnce(TimeSpan.FromMilliseconds(100), TestActor, "marker", ActorRefs.NoSender);
        FishForMessage(m => Equals(m, "marker"), TimeSpan.FromSeconds(5));
        Sys.Scheduler.ScheduleTellOnce(TimeSpan.FromMilliseconds(300), TestActor, "second marker", ActorRefs.NoSender);
        ExpectMsg("second marker", TimeSpan.FromSeconds(5));
    }
}
