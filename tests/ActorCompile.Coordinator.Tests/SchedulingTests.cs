using ActorCompile.Coordinator.Scheduling;
using ActorCompile.Protocol.Messages;
using ActorCompile.Toolchain.Identity;
using Xunit;

namespace ActorCompile.Coordinator.Tests;

/// <summary>
/// The coordinator's decisions on their own, without actors: the worker registry and its back-off,
/// placement (the cluster or local, and why) and the queue workers pull from. Workers are plain names here;
/// the clock is a parameter, so no test waits.
/// </summary>
public sealed class SchedulingTests
{
    private static readonly DateTime T0 = new(2026, 12, 7, 12, 0, 0, DateTimeKind.Utc);
    private static readonly CoordinatorSettings Settings = new(LocalSlots: 2, MaxAttempts: 3, JobTimeout: TimeSpan.FromMinutes(1),
        BackoffAfterFailures: 3, Backoff: TimeSpan.FromSeconds(60));
    private static readonly ToolchainIdentity Gcc = new(new string('a', 64), "gcc", "12.2.0", "x86_64-linux-gnu", "c");
    private static readonly ToolchainIdentity Arm = new(new string('b', 64), "gcc", "12.2.0", "aarch64-linux-gnu", "c");
    private static readonly TimeSpan PreferNative = TimeSpan.FromMilliseconds(500);

    private static WorkerRegistry<string> Registry() => new(Settings);

    private static KnownWorker<string> Add(WorkerRegistry<string> r, string name, string[]? fingerprints = null, string[]? shipped = null,
        long maxJob = 1 << 20, string? refusal = null, string? node = null) =>
        r.Offer(name, node ?? "akka.tcp://ac@" + name, name + ":1", "id-" + name,
            new WorkerOffer(2, maxJob, fingerprints ?? new[] { Gcc.Fingerprint }, shipped ?? Array.Empty<string>(), refusal), out _);

    private static ShippableToolchain Shippable(ToolchainIdentity t) =>
        new(new ShippedToolchain("id", t.Fingerprint, t.Family, t.Version, t.Target, t.DriverLanguage, "/usr/bin/gcc", Array.Empty<ToolchainFile>()),
            new Dictionary<string, string>());

    private static QueuedJob Job(string id, ToolchainIdentity? t = null, long bytes = 1000, string[]? excluded = null, string[]? blobs = null,
        DateTime? since = null, bool shippable = false) =>
        new(id, (t ?? Gcc).Fingerprint, bytes, excluded ?? Array.Empty<string>(), blobs ?? Array.Empty<string>(), since ?? T0,
            shippable ? Shippable(t ?? Gcc) : null);

    // ---- the registry ----

    [Fact]
    public void A_worker_is_backed_off_after_the_configured_failures_in_a_row_and_serves_again_after_the_back_off()
    {
        var r = Registry();
        var w = Add(r, "w1");
        Assert.Null(r.Failed(w.Id, T0));
        Assert.Null(r.Failed(w.Id, T0));
        Assert.Same(w, r.Failed(w.Id, T0)); // the third in a row
        Assert.True(w.BackedOff(T0));
        Assert.Empty(r.Serving(T0));
        Assert.Equal(new[] { new WorkerHealth("w1:1", true, 0, 3) }, r.Health(T0));
        Assert.Single(r.Serving(T0 + Settings.BackoffDuration));
    }

    [Fact]
    public void A_success_starts_the_failures_in_a_row_again()
    {
        var r = Registry();
        var w = Add(r, "w1");
        r.Failed(w.Id, T0);
        r.Failed(w.Id, T0);
        r.Succeeded(w.Id);
        Assert.Null(r.Failed(w.Id, T0));
        Assert.Null(r.Failed(w.Id, T0));
        Assert.False(w.BackedOff(T0));
        Assert.Equal(4, w.Failures);
    }

    [Fact]
    public void A_wrong_cached_result_backs_off_its_producer_at_once_and_counts_against_it()
    {
        var r = Registry();
        var w = Add(r, "w1");
        w.Idle = true;
        Assert.Same(w, r.Distrust("w1:1", T0));
        Assert.True(w.BackedOff(T0));
        Assert.False(w.Idle); // not woken for new work while backed off
        Assert.Equal(1, w.Discrepancies);
        Assert.Null(r.Distrust("nobody:1", T0));
        // A verification discrepancy counts, but does not back off.
        var v = Add(r, "w2");
        r.Discrepancy(v.Id);
        Assert.Equal(1, v.Discrepancies);
        Assert.False(v.BackedOff(T0));
    }

    [Fact]
    public void Unreachable_or_refusing_workers_serve_no_job_and_a_node_that_leaves_takes_its_workers_along()
    {
        var r = Registry();
        Add(r, "w1", node: "n1");
        Add(r, "w2", node: "n1");
        Add(r, "w3", node: "n3", refusal: "bwrap does not run here");
        r.SetReachable("n1", false);
        Assert.Empty(r.Serving(T0));
        r.SetReachable("n1", true);
        Assert.Equal(new[] { "w1", "w2" }, r.Serving(T0).Select(w => w.Ref).Order());
        Assert.Equal(new[] { "w1", "w2" }, r.ForgetNode("n1").Select(w => w.Ref).Order());
        Assert.Equal(1, r.Count);
        Assert.False(r.OnNode("n1"));
    }

    [Fact]
    public void A_new_offer_replaces_what_the_worker_offered_before()
    {
        var r = Registry();
        Add(r, "w1");
        var again = r.Offer("w1", "n", "w1:1", "id-w1", new WorkerOffer(4, 10, new[] { Arm.Fingerprint }, new[] { "x86_64" }, null), out bool isNew);
        Assert.False(isNew);
        Assert.Equal(4, again.Slots);
        Assert.Equal(new[] { Arm.Fingerprint }, again.Fingerprints);
        Assert.False(r.AnyOffers(Gcc.Fingerprint));
        Assert.Single(r.TakingShipped("x86_64", T0));
    }

    // ---- placement ----

    [Fact]
    public void A_compile_goes_to_the_cluster_when_a_serving_worker_offers_its_toolchain()
    {
        var r = Registry();
        Add(r, "w1");
        Assert.IsType<PlacementDecision.Distribute>(Placement.Decide(Gcc, r, T0, shippable: false, asked: false, notShippable: null));
    }

    [Fact]
    public void A_compile_only_shipping_could_serve_asks_first_then_goes_when_shippable_and_stays_local_when_not()
    {
        var r = Registry();
        Add(r, "w1", fingerprints: Array.Empty<string>(), shipped: new[] { "x86_64" });
        Assert.IsType<PlacementDecision.FindWhetherShippable>(Placement.Decide(Gcc, r, T0, shippable: false, asked: false, notShippable: null));
        Assert.IsType<PlacementDecision.Distribute>(Placement.Decide(Gcc, r, T0, shippable: true, asked: true, notShippable: null));
        var local = Assert.IsType<PlacementDecision.Local>(Placement.Decide(Gcc, r, T0, shippable: false, asked: true, notShippable: "it is not root's"));
        Assert.Equal($"no worker offers {Gcc}, and it cannot be shipped: it is not root's", local.Why);
    }

    [Fact]
    public void A_compile_no_worker_takes_stays_local_with_the_most_specific_reason()
    {
        string Why(WorkerRegistry<string> r) => Assert.IsType<PlacementDecision.Local>(Placement.Decide(Gcc, r, T0, false, false, null)).Why;

        Assert.Equal("no worker in the cluster", Why(Registry()));

        var none = Registry();
        Add(none, "w1", fingerprints: new[] { Arm.Fingerprint });
        Assert.Equal($"no worker offers {Gcc}, and none takes shipped toolchains", Why(none));

        var otherArch = Registry();
        Add(otherArch, "w1", fingerprints: Array.Empty<string>(), shipped: new[] { "i386" });
        Assert.Equal($"no worker offers {Gcc}, and no helper runs x86_64 toolchains (they run i386)", Why(otherArch));

        var shipperDown = Registry();
        Add(shipperDown, "w1", fingerprints: Array.Empty<string>(), shipped: new[] { "x86_64" }, node: "n1");
        shipperDown.SetReachable("n1", false);
        Assert.Equal($"no worker offers {Gcc}, and every helper that takes shipped toolchains is unavailable", Why(shipperDown));

        var unreachable = Registry();
        Add(unreachable, "w1", node: "n1");
        unreachable.SetReachable("n1", false);
        Assert.Equal($"every worker offering {Gcc} is unreachable", Why(unreachable));

        var refusing = Registry();
        Add(refusing, "w1", refusal: "no user namespaces");
        Add(refusing, "w2", node: "n2");
        refusing.SetReachable("n2", false);
        Assert.Equal($"no worker offering {Gcc} serves jobs (w1:1: no user namespaces)", Why(refusing));

        var backedOff = Registry();
        var w = Add(backedOff, "w1");
        for (int i = 0; i < Settings.BackoffAfterFailures; i++) backedOff.Failed(w.Id, T0);
        Assert.Equal($"every worker offering {Gcc} is backed off after repeated failures", Why(backedOff));
    }

    // ---- the queue ----

    [Fact]
    public void A_worker_pulls_the_oldest_job_it_fits_and_is_sent_each_content_once()
    {
        var r = Registry();
        Add(r, "small", maxJob: 500);
        Add(r, "big");
        var q = new WorkQueue<string>(r, PreferNative);
        q.Add(Job("large", bytes: 1000, blobs: new[] { "h1", "h2" }), T0);
        q.Add(Job("tiny", bytes: 100, blobs: new[] { "h1" }), T0);

        Assert.Equal("tiny", q.Pull("small", T0)!.Job.JobId); // the large one exceeds its max-job-size
        Assert.Null(q.Pull("small", T0));
        Assert.True(r.All.Single(w => w.Ref == "small").Idle);
        var pulled = q.Pull("big", T0)!;
        Assert.Equal(("large", true), (pulled.Job.JobId, pulled.Native));
        Assert.Equal(new[] { "h1", "h2" }, pulled.Send);
        q.Add(Job("next", blobs: new[] { "h2", "h3" }), T0);
        Assert.Equal(new[] { "h3" }, q.Pull("big", T0)!.Send);
        Assert.Equal(0, q.Count);
    }

    [Fact]
    public void A_job_is_never_given_to_a_worker_that_failed_it_nor_to_one_that_may_not_work()
    {
        var r = Registry();
        Add(r, "w1");
        var w2 = Add(r, "w2");
        var q = new WorkQueue<string>(r, PreferNative);
        q.Add(Job("j", excluded: new[] { "id-w1" }), T0);
        Assert.Null(q.Pull("w1", T0));
        for (int i = 0; i < Settings.BackoffAfterFailures; i++) r.Failed(w2.Id, T0);
        Assert.Null(q.Pull("w2", T0));
        Assert.False(w2.Idle); // a backed-off worker is not woken either
        Assert.Null(q.Pull("stranger", T0));
        Assert.Equal("j", q.Pull("w2", T0 + Settings.BackoffDuration)!.Job.JobId);
    }

    [Fact]
    public void A_worker_that_needs_the_toolchain_shipped_waits_its_turn_behind_one_that_has_it_but_not_for_long()
    {
        var r = Registry();
        Add(r, "native");
        Add(r, "shipped", fingerprints: Array.Empty<string>(), shipped: new[] { "x86_64" });
        var q = new WorkQueue<string>(r, PreferNative);
        q.Add(Job("j", shippable: true), T0);
        Assert.Null(q.Pull("shipped", T0 + PreferNative / 2));
        var late = q.Pull("shipped", T0 + PreferNative)!;
        Assert.Equal(("j", false), (late.Job.JobId, late.Native));
        // Without a worker that has it, the shipped one takes it at once; without a shippable toolchain, never.
        r.ForgetNode("akka.tcp://ac@native");
        q.Add(Job("k", shippable: true), T0);
        Assert.Equal("k", q.Pull("shipped", T0)!.Job.JobId);
        q.Add(Job("l", shippable: false), T0);
        Assert.Null(q.Pull("shipped", T0 + PreferNative));
    }

    [Fact]
    public void A_new_job_wakes_only_the_idle_workers_that_may_take_it()
    {
        var r = Registry();
        Add(r, "small", maxJob: 500);
        Add(r, "big");
        Add(r, "busy");
        var q = new WorkQueue<string>(r, PreferNative);
        Assert.Null(q.Pull("small", T0));
        Assert.Null(q.Pull("big", T0));
        Assert.Equal(new[] { "big" }, q.Add(Job("j", bytes: 1000), T0));
        Assert.Empty(q.Add(Job("k", bytes: 1000), T0)); // woken once: it pulls next
        Assert.Equal(new[] { "small" }, q.Add(Job("m", bytes: 100), T0));
    }

    [Fact]
    public void Jobs_no_worker_can_take_leave_the_queue_with_the_reason()
    {
        var r = Registry();
        var w = Add(r, "w1", maxJob: 500);
        var q = new WorkQueue<string>(r, PreferNative);
        q.Add(Job("fits", bytes: 100), T0);
        q.Add(Job("huge", bytes: 2 * 1024 * 1024), T0);
        q.Add(Job("failed", bytes: 100, excluded: new[] { w.Id }), T0);
        q.Add(Job("arm", t: Arm, bytes: 100), T0);
        var stranded = q.TakeStranded(T0).ToDictionary(s => s.Job.JobId, s => s.Why);
        Assert.Equal(new[] { "arm", "failed", "huge" }, stranded.Keys.Order());
        Assert.Equal("the job's inputs (2 MiB) exceed the max-job-size of every worker that could take it (largest 500 B)", stranded["huge"]);
        Assert.Equal("every available worker offering its toolchain failed it (w1:1)", stranded["failed"]);
        Assert.Equal("no worker offering its toolchain is available", stranded["arm"]);
        Assert.Equal(1, q.Count);
        Assert.True(q.Remove("fits"));
        Assert.False(q.Remove("fits"));
    }

    [Fact]
    public void The_target_takes_the_oldest_job_only_once_it_waited_the_help_delay()
    {
        var r = Registry();
        Add(r, "w1");
        var q = new WorkQueue<string>(r, PreferNative);
        var delay = TimeSpan.FromMilliseconds(150);
        q.Add(Job("old", since: T0), T0);
        q.Add(Job("new", since: T0 + delay), T0 + delay);
        Assert.Null(q.TakeWaitingLongerThan(delay, T0 + delay / 2));
        Assert.Equal("old", q.TakeWaitingLongerThan(delay, T0 + delay)!.JobId);
        Assert.Null(q.TakeWaitingLongerThan(delay, T0 + delay));
    }

    // ---- admission ----

    [Fact]
    public void Only_a_greeted_nodes_worker_actor_speaking_for_itself_with_the_worker_role_is_admitted_until_the_node_leaves()
    {
        var a = new WorkerAdmission<string>();
        Assert.False(a.Admits("n1", true, true, true)); // never greeted
        a.Greet("n1");
        Assert.Equal(new[] { "n1" }, a.Unanswered);
        Assert.False(a.Admits("n1", sentByItself: false, atWorkerPath: true, hasWorkerRole: true));
        Assert.False(a.Admits("n1", sentByItself: true, atWorkerPath: false, hasWorkerRole: true));
        Assert.False(a.Admits("n1", sentByItself: true, atWorkerPath: true, hasWorkerRole: false));
        Assert.Equal(new[] { "n1" }, a.Unanswered); // refused offers do not stop the greeting
        Assert.True(a.Admits("n1", true, true, true));
        Assert.Empty(a.Unanswered);
        Assert.True(a.Admits("n1", true, true, true)); // capabilities again (a new offer)
        a.Left("n1");
        Assert.False(a.Admits("n1", true, true, true));
    }

    [Fact]
    public void Refused_offers_are_logged_once_per_node_and_never_more_than_the_bound()
    {
        var a = new WorkerAdmission<string>();
        Assert.True(a.LogRefusal("n0"));
        Assert.False(a.LogRefusal("n0"));
        for (int i = 1; i < WorkerAdmission<string>.RefusalsLogged; i++) Assert.True(a.LogRefusal("n" + i));
        Assert.False(a.LogRefusal("one-too-many"));
        a.Left("n0");
        Assert.True(a.LogRefusal("n0-again"));
    }

    // ---- a job's attempts ----

    [Fact]
    public void A_failure_counts_against_its_worker_at_once_a_refusal_only_once_another_worker_ran_the_job()
    {
        var a = new JobAttempts(maxAttempts: 3);
        a.Assigned();
        Assert.Equal(((string?)"w1", false), a.Failed("w1", "it crashed", refused: false));
        a.Assigned();
        Assert.Equal(((string?)null, false), a.Failed("w2", "a link as its object", refused: true));
        Assert.Equal(new[] { "w1", "w2" }, a.Excluded.Order());
        Assert.Equal(new[] { ("w2", "a link as its object") }, a.RefusalsToCharge());
        Assert.Equal("no worker left; last: a link as its object", a.NoWorker("no worker left"));
        Assert.Equal("no worker left", new JobAttempts(3).NoWorker("no worker left"));
    }

    [Fact]
    public void A_job_gives_up_after_its_last_attempt_and_a_failure_without_a_worker_charges_no_one()
    {
        var a = new JobAttempts(maxAttempts: 2);
        a.Assigned();
        Assert.False(a.Failed("w1", "timed out", false).GiveUp);
        a.Assigned();
        Assert.True(a.Failed("w2", "timed out", false).GiveUp);
        Assert.Equal(2, a.Count);
        var none = new JobAttempts(2);
        none.Assigned();
        Assert.Equal(((string?)null, false), none.Failed(null, "its worker left", false));
        Assert.Empty(none.Excluded);
    }
}
