using ActorCompile.Coordinator.Status;
using ActorCompile.Protocol.Messages;
using ActorCompile.Toolchain.Identity;
using Xunit;

namespace ActorCompile.Coordinator.Tests;

/// <summary>What the coordinator shows of its work, without actors: sessions and jobs are plain names, the clock a parameter.</summary>
public sealed class JobBookTests
{
    private static readonly DateTime T0 = new(2026, 12, 7, 12, 0, 0, DateTimeKind.Utc);
    private static readonly ToolchainIdentity Gcc = new(new string('a', 64), "gcc", "12.2.0", "x86_64-linux-gnu", "c");

    private static CoordinatorSnapshot Snapshot(JobBook<string> book, DateTime now, int queued = 0, Func<string, bool>? holds = null, Func<string, bool>? offered = null) =>
        book.Snapshot(now, queued, Array.Empty<LocalSlotUser>(), 2, 0, holds ?? (_ => true), Array.Empty<WorkerHealth>(), offered ?? (_ => false), 0);

    [Fact]
    public void A_distributed_job_is_shown_in_its_phase_then_as_done_for_a_few_seconds()
    {
        var book = new JobBook<string>();
        book.Submitted("j1", new BookedJob<string>("a.c", T0, "supervisor", "session", 10, Array.Empty<string>()));
        book.Submitted("j2", new BookedJob<string>("b.c", T0, "supervisor2", "session2", 10, Array.Empty<string>()));
        book.Phase("j1", "compiling", "w1:1");
        var during = Snapshot(book, T0, queued: 1);
        Assert.Equal((1, 1), (during.Report.Queued, during.Report.InFlight));
        Assert.Contains(new JobReport("j1", "a.c", "compiling", "w1:1", Ms(T0), 0), during.Jobs);

        Assert.NotNull(book.Ended("j1", remote: true, T0.AddSeconds(1)));
        Assert.Null(book.Ended("j1", remote: true, T0.AddSeconds(1))); // once only in the book, though counted
        var after = Snapshot(book, T0.AddSeconds(1));
        Assert.Contains(new JobReport("j1", "a.c", "done", "w1:1", Ms(T0), Ms(T0.AddSeconds(1))), after.Jobs);
        Assert.Equal(2, after.Report.Distributed);
        Assert.DoesNotContain(Snapshot(book, T0.AddSeconds(5)).Jobs, j => j.Id == "j1");
        // A job handed back to a local compile is not shown as done by the cluster.
        book.Ended("j2", remote: false, T0.AddSeconds(1));
        Assert.DoesNotContain(Snapshot(book, T0.AddSeconds(1)).Jobs, j => j.Id == "j2");
    }

    [Fact]
    public void A_session_is_shown_only_while_it_holds_a_slot_and_a_local_compile_as_done_after()
    {
        var book = new JobBook<string>();
        book.SessionWaits("s1", "session-1", "x.c", T0);
        Assert.Empty(Snapshot(book, T0).Jobs); // waiting: not shown
        book.SessionGranted("s1", SessionPhase.Preprocessing, T0.AddSeconds(1));
        Assert.Equal("preprocessing", Assert.Single(Snapshot(book, T0.AddSeconds(1)).Jobs).Phase);
        Assert.Empty(Snapshot(book, T0.AddSeconds(1), holds: _ => false).Jobs);
        book.SessionGranted("s1", SessionPhase.Local, T0.AddSeconds(2));
        book.SessionEnded("s1", heldSlot: true, T0.AddSeconds(3));
        Assert.Equal(new JobReport("session-1", "x.c", "done", null, Ms(T0.AddSeconds(2)), Ms(T0.AddSeconds(3))), Assert.Single(Snapshot(book, T0.AddSeconds(3)).Jobs));
        Assert.False(book.HasSession("s1"));
        // A preprocessing session that ends is no finished compile.
        book.SessionWaits("s2", "session-2", "y.c", T0);
        book.SessionGranted("s2", SessionPhase.Preprocessing, T0);
        book.SessionEnded("s2", heldSlot: true, T0.AddSeconds(3));
        Assert.DoesNotContain(Snapshot(book, T0.AddSeconds(3)).Jobs, j => j.Id == "session-2");
    }

    [Fact]
    public void Counters_add_up_and_a_toolchain_is_unserved_only_while_no_worker_offers_it()
    {
        var book = new JobBook<string>();
        book.Count(CacheOutcome.Hit, 100);
        book.Count(CacheOutcome.DirectHit, 50);
        book.Count(CacheOutcome.Miss, 0);
        book.Count(CacheOutcome.Verified, 0);
        book.CacheDiscrepancy();
        book.Count(ScanOutcome.Scanned);
        book.Count(ScanOutcome.Declined);
        book.Count(ScanOutcome.Missed);
        book.Count(ScanOutcome.Missed);
        book.LocalCompileFinished();
        book.Unserved(Gcc);
        book.Unserved(Gcc);
        var report = Snapshot(book, T0).Report;
        Assert.Equal(new CacheCounters(2, 1, 1, 1, 1, 150), report.Cache);
        Assert.Equal(new ScanCounters(1, 1, 2), report.Scans);
        Assert.Equal(1, report.Local);
        Assert.Equal(2, Assert.Single(report.Unserved).Compiles);
        Assert.Empty(Snapshot(book, T0, offered: fp => fp == Gcc.Fingerprint).Report.Unserved);
    }

    private static long Ms(DateTime t) => new DateTimeOffset(t).ToUnixTimeMilliseconds();
}
