using System.Security.Cryptography;
using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using ActorCompile.Coordinator;
using ActorCompile.Coordinator.Actors;
using ActorCompile.Protocol;
using ActorCompile.Protocol.Messages;
using ActorCompile.Tests;
using ActorCompile.Toolchain.Identity;
using ActorCompile.Toolchain.Jobs;
using Xunit;

namespace ActorCompile.Coordinator.Tests;

/// <summary>
/// The coordinator and its job supervisors, with test probes in the roles of wrapper sessions and
/// workers.
/// </summary>
public sealed class CoordinatorActorTests : TestKit
{
    private static readonly ToolchainIdentity Gcc = new(new string('a', 64), "gcc", "12.2.0", "x86_64-linux-gnu", "c");
    private static readonly ToolchainIdentity Other = new(new string('b', 64), "gcc", "13.1.0", "x86_64-linux-gnu", "c");
    private static readonly byte[] Source = "int answer(void) { return 42; }\n"u8.ToArray();
    private static readonly string SourceHash = Convert.ToHexStringLower(SHA256.HashData(Source));

    /// <summary>The uid of the wrappers in these tests.</summary>
    private const uint User = 1000;

    /// <summary>Another local user, whose wrappers say what they like.</summary>
    private const uint OtherUser = 1001;

    public CoordinatorActorTests() : base(ClusterTestConfig.Create()) { }

    /// <summary>
    /// A coordinator whose workers are this test's probes (they register by sending their capabilities
    /// themselves); the target helps with the queue only when a test asks for it (helpAfter).
    /// </summary>
    private IActorRef StartCoordinator(int localSlots = 2, int maxAttempts = 3, int backoffAfter = 3, TimeSpan? helpAfter = null, long maxJobBytes = 128L << 20) =>
        Sys.ActorOf(CoordinatorActor.PropsWithLocalProbesAsWorkers(new CoordinatorSettings(localSlots, maxAttempts, TimeSpan.FromSeconds(30),
            backoffAfter, TimeSpan.FromMinutes(1), helpAfter ?? TimeSpan.FromHours(1), maxJobBytes)));

    private static WorkerCapabilities Capabilities(IActorRef worker, params ToolchainIdentity[] toolchains) => Capabilities(worker, 1L << 30, toolchains);

    private static WorkerCapabilities Capabilities(IActorRef worker, long maxJobBytes, params ToolchainIdentity[] toolchains) =>
        new(worker, "w", 2, 2, toolchains.Select(t => new OfferedToolchain("gcc", t.Fingerprint, t.Family, t.Version, t.Target, t.DriverLanguage)).ToArray(), maxJobBytes);

    /// <param name="withContents">The wrapper sent the source for this job (else the session only remembers it, and reads it again when asked).</param>
    private static JobSpec Spec(IActorRef session, bool withContents = true) =>
        new("job", session, "a.c", Gcc, new[] { "-c", "a.c", "-o", "a.o" }, "/home/u/p",
            new[] { new MirrorEntry(MirrorEntryKind.Directory, "/home/u/p", null, 0, 0), new MirrorEntry(MirrorEntryKind.File, "/home/u/p/a.c", SourceHash, Source.Length, 0) },
            new[] { "/usr/include" }, true, Array.Empty<EnvironmentVariable>(), false, Source.Length,
            withContents ? new Dictionary<string, byte[]> { [SourceHash] = Source } : new Dictionary<string, byte[]>());

    /// <summary>Walks a session through the conversation up to a submitted job.</summary>
    private void Submit(IActorRef coordinator, TestProbe session, bool withContents = true)
    {
        coordinator.Tell(new OpenJob(session.Ref, User, "/usr/bin/gcc", "gcc-key", "include-key", "a.c"), session.Ref);
        // The coordinator asks for the compiler's identity the first time it sees it.
        var reply = session.ExpectMsg<object>();
        if (reply is AskToolchain)
        {
            coordinator.Tell(new ToolchainLearned(session.Ref, User, "gcc-key", Gcc));
            reply = session.ExpectMsg<object>();
        }
        var granted = Assert.IsType<PreprocessGranted>(reply);
        Assert.Equal(Gcc, granted.Toolchain);
        coordinator.Tell(new ReleaseLocalSlot(session.Ref));
        coordinator.Tell(new SubmitJob(Spec(session.Ref, withContents)));
    }

    /// <summary>A worker asks (again and again, as a worker's tick would) until a job is assigned to it.</summary>
    private CompileJob PullUntilAssigned(IActorRef coordinator, TestProbe worker)
    {
        CompileJob? job = null;
        long id = 1000;
        AwaitAssert(() =>
        {
            coordinator.Tell(new RequestWork(worker.Ref, ++id), worker.Ref);
            job = worker.FishForMessage(m => m is CompileJob || (m is NoWork n && n.RequestId == id), TimeSpan.FromSeconds(1)) as CompileJob;
            Assert.NotNull(job);
        }, TimeSpan.FromSeconds(10));
        return job!;
    }

    /// <summary>
    /// Returns once the coordinator has handled every message sent to it before this call: an actor that
    /// is no worker asking for work is answered at once, and only after the messages ahead of it. Whatever
    /// those messages made the coordinator send is then already in its recipients' queues, so a test checks
    /// that something was not sent without waiting for a while.
    /// </summary>
    private void AwaitHandled(IActorRef coordinator)
    {
        var barrier = CreateTestProbe();
        coordinator.Tell(new RequestWork(barrier.Ref, -1), barrier.Ref);
        barrier.ExpectMsg<NoWork>(m => m.RequestId == -1);
    }

    private static void AssertNothingReceived(TestProbe probe, string who)
    {
        if (probe.HasMessages) Assert.Fail($"{who} received {probe.ReceiveOne(TimeSpan.Zero)}");
    }

    /// <summary>The next message of type T, skipping others (WorkAvailable, NoWork) on the way.</summary>
    private static T Next<T>(TestProbe probe, Func<T, bool>? match = null) where T : class =>
        (T)probe.FishForMessage(m => m is T t && (match is null || match(t)));

    private static JobCompleted Completed(CompileJob job, int exitCode) =>
        new(job.JobId, exitCode, Array.Empty<byte>(), "warning: x\n"u8.ToArray(), exitCode == 0 ? new[] { Payload.ToOutput("a.o", "OBJECT"u8) } : Array.Empty<JobOutput>(), 12);

    [Fact]
    public void What_one_user_says_about_a_compiler_never_decides_another_users_compile()
    {
        var coordinator = StartCoordinator();
        var worker = CreateTestProbe();
        coordinator.Tell(Capabilities(worker.Ref, Gcc, Other), worker.Ref);

        // The other user's wrapper names the same compiler key and include key, with another toolchain and its own directories.
        var attacker = CreateTestProbe();
        coordinator.Tell(new OpenJob(attacker.Ref, OtherUser, "/usr/bin/gcc", "gcc-key", "include-key", "a.c"), attacker.Ref);
        attacker.ExpectMsg<AskToolchain>();
        coordinator.Tell(new ToolchainLearned(attacker.Ref, OtherUser, "gcc-key", Other));
        Assert.Equal(Other, attacker.ExpectMsg<PreprocessGranted>().Toolchain);
        coordinator.Tell(new SystemIncludesLearned(OtherUser, "include-key", new[] { "/home/other/include" }));
        coordinator.Tell(new ReleaseLocalSlot(attacker.Ref));

        // Its answers are learned, for that user: its next wrapper is not asked again.
        var again = CreateTestProbe();
        coordinator.Tell(new OpenJob(again.Ref, OtherUser, "/usr/bin/gcc", "gcc-key", "include-key", "a.c"), again.Ref);
        var learned = again.ExpectMsg<PreprocessGranted>();
        Assert.Equal(Other, learned.Toolchain);
        Assert.Equal(new[] { "/home/other/include" }, learned.SystemIncludeDirectories);
        coordinator.Tell(new ReleaseLocalSlot(again.Ref));

        // This user is asked itself, and gets neither that toolchain nor those directories.
        var session = CreateTestProbe();
        coordinator.Tell(new OpenJob(session.Ref, User, "/usr/bin/gcc", "gcc-key", "include-key", "a.c"), session.Ref);
        session.ExpectMsg<AskToolchain>();
        coordinator.Tell(new ToolchainLearned(session.Ref, User, "gcc-key", Gcc));
        var granted = session.ExpectMsg<PreprocessGranted>();
        Assert.Equal(Gcc, granted.Toolchain);
        Assert.Null(granted.SystemIncludeDirectories);
    }

    [Fact]
    public void A_job_goes_only_to_a_worker_whose_max_job_size_fits_it()
    {
        var coordinator = StartCoordinator();
        var small = CreateTestProbe();
        var large = CreateTestProbe();
        coordinator.Tell(Capabilities(small.Ref, Source.Length - 1, Gcc), small.Ref);
        coordinator.Tell(Capabilities(large.Ref, Source.Length, Gcc), large.Ref);
        var session = CreateTestProbe();
        Submit(coordinator, session);

        coordinator.Tell(new RequestWork(small.Ref, 1), small.Ref);
        Next<NoWork>(small, m => m.RequestId == 1);
        coordinator.Tell(new RequestWork(large.Ref, 2), large.Ref);
        Assert.Equal(2, Next<CompileJob>(large).RequestId);
    }

    [Fact]
    public void A_job_that_no_worker_can_carry_compiles_locally_and_says_why()
    {
        var coordinator = StartCoordinator();
        var small = CreateTestProbe();
        coordinator.Tell(Capabilities(small.Ref, 16, Gcc), small.Ref);
        var session = CreateTestProbe();
        Submit(coordinator, session);

        var local = session.ExpectMsg<LocalGranted>();
        Assert.False(local.Quiet);
        Assert.Contains($"the job's inputs ({Source.Length} B) exceed the max-job-size of every worker that could take it (largest 16 B)", local.Reason);
        coordinator.Tell(new RequestWork(small.Ref, 3), small.Ref);
        Next<NoWork>(small, m => m.RequestId == 3);
    }

    [Fact]
    public void A_compiler_that_no_worker_offers_compiles_locally_and_says_which()
    {
        var coordinator = StartCoordinator();
        var worker = CreateTestProbe();
        coordinator.Tell(Capabilities(worker.Ref, Other), worker.Ref);
        var session = CreateTestProbe();
        coordinator.Tell(new OpenJob(session.Ref, User, "/usr/bin/gcc", "gcc-key", "include-key", "a.c"), session.Ref);
        session.ExpectMsg<AskToolchain>();
        coordinator.Tell(new ToolchainLearned(session.Ref, User, "gcc-key", Gcc));
        var local = session.ExpectMsg<LocalGranted>();
        Assert.False(local.Quiet);
        Assert.Contains("no worker offers gcc 12.2.0", local.Reason);
    }

    [Fact]
    public void A_job_whose_supervisor_fails_compiles_locally_instead_of_waiting_forever()
    {
        var coordinator = StartCoordinator();
        var worker = CreateTestProbe();
        coordinator.Tell(Capabilities(worker.Ref, Gcc), worker.Ref);
        var session = CreateTestProbe();
        Submit(coordinator, session);
        var job = PullUntilAssigned(coordinator, worker);
        job.Supervisor.Tell(new JobStarted(job.JobId, worker.Ref), worker.Ref);

        // Kill makes the supervisor throw (ActorKilledException): the coordinator stops it rather than restart it
        // with its state lost, and the wrapper gets a local compile instead of a wait without end.
        job.Supervisor.Tell(Kill.Instance);
        var granted = session.FishForMessage<LocalGranted>(_ => true);
        Assert.Equal("the job's supervisor stopped after an error", granted.Reason);
        // The worker is told to drop the job it can no longer deliver (its supervisor is gone), or simply hears no more.
        coordinator.Tell(new ReleaseLocalSlot(session.Ref));
    }

    [Fact]
    public void A_job_goes_to_the_worker_that_pulls_it_and_the_result_to_the_wrapper()
    {
        var coordinator = StartCoordinator();
        var worker = CreateTestProbe();
        coordinator.Tell(Capabilities(worker.Ref, Gcc), worker.Ref);
        var session = CreateTestProbe();
        Submit(coordinator, session);

        coordinator.Tell(new RequestWork(worker.Ref, 7), worker.Ref);
        var job = Next<CompileJob>(worker);
        Assert.Equal(7, job.RequestId);
        Assert.Equal(Gcc.Fingerprint, job.Fingerprint);
        var blob = Assert.Single(job.Blobs);
        Assert.Equal(Source, Payload.Decompress(blob.Compressed, blob.Length));

        job.Supervisor.Tell(new JobStarted(job.JobId, worker.Ref), worker.Ref);
        job.Supervisor.Tell(Completed(job, 0), worker.Ref);
        var result = session.ExpectMsg<JobResultReady>().Result;
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("warning: x\n"u8.ToArray(), result.Stderr);
        Assert.Equal("OBJECT"u8.ToArray(), Assert.Single(result.Outputs).Value);
    }

    [Fact]
    public void A_worker_is_sent_only_the_contents_it_does_not_have()
    {
        var coordinator = StartCoordinator();
        var worker = CreateTestProbe();
        coordinator.Tell(Capabilities(worker.Ref, Gcc), worker.Ref);
        for (int i = 0; i < 2; i++)
        {
            var session = CreateTestProbe();
            Submit(coordinator, session);
            coordinator.Tell(new RequestWork(worker.Ref, i), worker.Ref);
            var job = Next<CompileJob>(worker);
            Assert.Equal(i == 0 ? 1 : 0, job.Blobs.Length);
            job.Supervisor.Tell(Completed(job, 0), worker.Ref);
            session.ExpectMsg<JobResultReady>();
        }
    }

    [Fact]
    public void A_worker_with_nothing_to_do_is_told_so_and_told_again_when_work_arrives()
    {
        var coordinator = StartCoordinator();
        var worker = CreateTestProbe();
        coordinator.Tell(Capabilities(worker.Ref, Gcc), worker.Ref);
        coordinator.Tell(new RequestWork(worker.Ref, 1), worker.Ref);
        Assert.Equal(1, Next<NoWork>(worker).RequestId);
        Submit(coordinator, CreateTestProbe());
        Next<WorkAvailable>(worker);
    }

    [Fact]
    public void A_failing_worker_loses_the_job_to_another_and_the_last_failure_compiles_locally()
    {
        var (coordinator, first, second, session, job) = OneJobOnTheFirstOfTwoWorkers(backoffAfter: 3);
        job.Supervisor.Tell(new JobFailed(job.JobId, "the compiler could not run", Refused: false), first.Ref);

        // The job comes back to the queue, for the other worker only.
        job = PullUntilAssigned(coordinator, second);
        coordinator.Tell(new RequestWork(first.Ref, 2), first.Ref);
        Next<NoWork>(first, m => m.RequestId == 2);
        job.Supervisor.Tell(new JobFailed(job.JobId, "disk full", Refused: false), second.Ref);

        var local = session.ExpectMsg<LocalGranted>();
        Assert.False(local.Quiet);
        Assert.Contains("failed on 2 worker(s)", local.Reason);
    }

    /// <summary>A coordinator (two attempts, back-off after <paramref name="backoffAfter"/> failures) with two workers, and one job the first pulled.</summary>
    private (IActorRef Coordinator, TestProbe First, TestProbe Second, TestProbe Session, CompileJob Job) OneJobOnTheFirstOfTwoWorkers(int backoffAfter = 1)
    {
        var coordinator = StartCoordinator(maxAttempts: 2, backoffAfter: backoffAfter);
        var first = CreateTestProbe();
        var second = CreateTestProbe();
        coordinator.Tell(Capabilities(first.Ref, Gcc), first.Ref);
        coordinator.Tell(Capabilities(second.Ref, Gcc), second.Ref);
        var session = CreateTestProbe();
        Submit(coordinator, session);
        coordinator.Tell(new RequestWork(first.Ref, 1), first.Ref);
        return (coordinator, first, second, session, Next<CompileJob>(first));
    }

    /// <summary>A probe that receives the coordinator's snapshots from now on.</summary>
    private TestProbe Snapshots()
    {
        var status = CreateTestProbe();
        Sys.EventStream.Subscribe(status.Ref, typeof(CoordinatorSnapshot));
        return status;
    }

    [Fact]
    public void A_job_every_worker_refuses_compiles_locally_and_backs_off_none_of_them()
    {
        // Issue 21's row: one user's jobs that workers rightly refuse (a compile that writes more than its bound) must
        // not back off every worker for everyone.
        var (coordinator, first, second, session, job) = OneJobOnTheFirstOfTwoWorkers();
        job.Supervisor.Tell(new JobFailed(job.JobId, "refused: the compile wrote more than its bound", Refused: true), first.Ref);
        job = PullUntilAssigned(coordinator, second);
        job.Supervisor.Tell(new JobFailed(job.JobId, "refused: the compile wrote more than its bound", Refused: true), second.Ref);
        Assert.Contains("wrote more than its bound", session.ExpectMsg<LocalGranted>().Reason);

        var workers = Snapshots().ExpectMsg<CoordinatorSnapshot>().Report.Workers;
        Assert.Equal(2, workers.Length);
        Assert.All(workers, w => Assert.False(w.BackedOff));
        Assert.All(workers, w => Assert.Equal(0, w.Failures));
    }

    [Fact]
    public void A_worker_that_refuses_a_job_another_worker_runs_counts_the_refusal_as_its_failure()
    {
        // A refusal is not taken on the worker's word: a worker that refused everything would never back off.
        var (coordinator, first, second, session, job) = OneJobOnTheFirstOfTwoWorkers();
        job.Supervisor.Tell(new JobFailed(job.JobId, "refused: a made-up reason", Refused: true), first.Ref);
        job = PullUntilAssigned(coordinator, second);
        job.Supervisor.Tell(new JobStarted(job.JobId, second.Ref), second.Ref);
        job.Supervisor.Tell(Completed(job, 0), second.Ref);
        Assert.Equal(0, session.ExpectMsg<JobResultReady>().Result.ExitCode);

        // The refusal is booked after the result went to the session: the first snapshot that shows it.
        var workers = Snapshots().FishForMessage<CoordinatorSnapshot>(s => s.Report.Workers.Any(w => w.Failures > 0), TimeSpan.FromSeconds(10)).Report.Workers;
        var refuser = Assert.Single(workers, w => w.Failures > 0);
        Assert.Equal(1, refuser.Failures);
        Assert.True(refuser.BackedOff);
        Assert.Single(workers, w => w.Failures == 0 && !w.BackedOff);
    }

    [Fact]
    public void A_worker_that_stops_loses_its_job_to_another()
    {
        var coordinator = StartCoordinator();
        var first = CreateTestProbe();
        var second = CreateTestProbe();
        coordinator.Tell(Capabilities(first.Ref, Gcc), first.Ref);
        coordinator.Tell(Capabilities(second.Ref, Gcc), second.Ref);
        var session = CreateTestProbe();
        Submit(coordinator, session);
        coordinator.Tell(new RequestWork(first.Ref, 1), first.Ref);
        Next<CompileJob>(first);
        Sys.Stop(first.Ref);

        // The supervisor watches the worker: once it is gone, the job is queued again for the other one.
        var job = PullUntilAssigned(coordinator, second);
        job.Supervisor.Tell(Completed(job, 0), second.Ref);
        Assert.Equal(0, session.ExpectMsg<JobResultReady>().Result.ExitCode);
    }

    [Fact]
    public void A_remote_compiler_error_is_confirmed_by_a_quiet_local_compile_that_carries_the_verdict()
    {
        var coordinator = StartCoordinator();
        var worker = CreateTestProbe();
        coordinator.Tell(Capabilities(worker.Ref, Gcc), worker.Ref);
        var session = CreateTestProbe();
        Submit(coordinator, session);
        coordinator.Tell(new RequestWork(worker.Ref, 1), worker.Ref);
        var job = Next<CompileJob>(worker);
        job.Supervisor.Tell(Completed(job, 1), worker.Ref);
        var verdict = session.ExpectMsg<JobResultReady>().Failed!;
        // The session asks for the confirming compile (WrapperSessionTests: after the compiler's scan when the scanner found the files).
        coordinator.Tell(new RequestLocalSlot(session.Ref, "the compile failed; compiling locally to confirm", Quiet: true, "a.c", verdict));
        var granted = session.ExpectMsg<LocalGranted>();
        Assert.True(granted.Quiet);
        Assert.Equal(verdict, granted.Confirm);
    }

    [Fact]
    public void When_the_wrapper_goes_away_its_job_is_cancelled_on_the_worker()
    {
        var coordinator = StartCoordinator();
        var worker = CreateTestProbe();
        coordinator.Tell(Capabilities(worker.Ref, Gcc), worker.Ref);
        var session = CreateTestProbe();
        Submit(coordinator, session);
        coordinator.Tell(new RequestWork(worker.Ref, 1), worker.Ref);
        var job = Next<CompileJob>(worker);
        Sys.Stop(session.Ref);
        Assert.Equal(job.JobId, Next<CancelJob>(worker).JobId);
    }

    [Fact]
    public void Local_slots_are_granted_first_come_first_served_and_freed_by_their_holders()
    {
        var coordinator = StartCoordinator(localSlots: 1);
        var a = CreateTestProbe();
        var b = CreateTestProbe();
        coordinator.Tell(new RequestLocalSlot(a.Ref, "linking", true, "a.o"));
        a.ExpectMsg<LocalGranted>();
        coordinator.Tell(new RequestLocalSlot(b.Ref, "linking", true, "b.o"));
        AwaitHandled(coordinator);
        AssertNothingReceived(b, "the second wrapper, while the only slot is held,");
        coordinator.Tell(new LocalFinished(a.Ref));
        b.ExpectMsg<LocalGranted>();
        // A holder that goes away frees its slot too.
        var c = CreateTestProbe();
        coordinator.Tell(new RequestLocalSlot(c.Ref, "linking", true, "c.o"));
        AwaitHandled(coordinator);
        AssertNothingReceived(c, "the third wrapper, while the only slot is held,");
        Sys.Stop(b.Ref);
        c.ExpectMsg<LocalGranted>();
    }

    [Fact]
    public void When_every_worker_is_busy_a_free_local_slot_compiles_the_queued_job()
    {
        var coordinator = StartCoordinator(localSlots: 1, helpAfter: TimeSpan.FromMilliseconds(100));
        var worker = CreateTestProbe(); // offers the toolchain but never asks for work: busy
        coordinator.Tell(Capabilities(worker.Ref, Gcc), worker.Ref);
        var session = CreateTestProbe();
        Submit(coordinator, session);
        var local = session.ExpectMsg<LocalGranted>(TimeSpan.FromSeconds(5));
        Assert.True(local.Quiet);
        Assert.Contains("every worker is busy", local.Reason);
        // The job is gone from the queue: the worker finds nothing when it finally asks.
        coordinator.Tell(new RequestWork(worker.Ref, 1), worker.Ref);
        Next<NoWork>(worker);
    }

    [Fact]
    public void A_worker_that_keeps_failing_is_backed_off_and_shown_as_such()
    {
        var coordinator = StartCoordinator(maxAttempts: 1, backoffAfter: 2);
        var worker = CreateTestProbe();
        coordinator.Tell(Capabilities(worker.Ref, Gcc), worker.Ref);
        for (int i = 0; i < 2; i++)
        {
            var session = CreateTestProbe();
            Submit(coordinator, session);
            coordinator.Tell(new RequestWork(worker.Ref, i), worker.Ref);
            var job = Next<CompileJob>(worker);
            job.Supervisor.Tell(new JobFailed(job.JobId, "crashed", Refused: false), worker.Ref);
            session.ExpectMsg<LocalGranted>();
            coordinator.Tell(new LocalFinished(session.Ref));
        }
        // Backed off: new requests go local at once, and the worker's asks are answered with nothing.
        var next = CreateTestProbe();
        coordinator.Tell(new OpenJob(next.Ref, User, "/usr/bin/gcc", "gcc-key", "include-key", "b.c"), next.Ref);
        Assert.Contains("backed off", next.ExpectMsg<LocalGranted>().Reason);
        coordinator.Tell(new RequestWork(worker.Ref, 9), worker.Ref);
        Next<NoWork>(worker, m => m.RequestId == 9);

        var status = CreateTestProbe();
        Sys.EventStream.Subscribe(status.Ref, typeof(CoordinatorSnapshot));
        var snapshot = status.ExpectMsg<CoordinatorSnapshot>();
        var health = Assert.Single(snapshot.Report.Workers);
        Assert.True(health.BackedOff);
        Assert.Equal(2, health.Failures);
    }

    [Fact]
    public void A_remote_compiler_error_reaches_the_session_with_the_workers_verdict()
    {
        // The session decides what follows (the compiler's scan for a scanner's job, else a confirming local compile).
        var coordinator = StartCoordinator();
        var worker = CreateTestProbe();
        coordinator.Tell(Capabilities(worker.Ref, Gcc), worker.Ref);
        var session = CreateTestProbe();
        Submit(coordinator, session);
        coordinator.Tell(new RequestWork(worker.Ref, 1), worker.Ref);
        var job = Next<CompileJob>(worker);
        job.Supervisor.Tell(Completed(job, 1), worker.Ref);
        var ready = session.ExpectMsg<JobResultReady>();
        Assert.Equal(1, ready.Result.ExitCode);
        Assert.NotNull(ready.Failed);
        Assert.Equal(1, ready.Failed!.ExitCode);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData("warning: x\n"u8)), ready.Failed.StderrHash);
    }

    [Fact]
    public void Contents_a_worker_lacks_and_the_job_does_not_hold_come_from_the_session()
    {
        var coordinator = StartCoordinator();
        var worker = CreateTestProbe();
        coordinator.Tell(Capabilities(worker.Ref, Gcc), worker.Ref);
        var session = CreateTestProbe();
        Submit(coordinator, session, withContents: false);
        coordinator.Tell(new RequestWork(worker.Ref, 1), worker.Ref);
        var wanted = session.ExpectMsg<ContentsWanted>();
        Assert.Equal(new[] { SourceHash }, wanted.Hashes);
        AssertNothingReceived(worker, "the worker, before its contents are there,");
        session.Reply(new ContentsFound(wanted.JobId, new Dictionary<string, byte[]> { [SourceHash] = Source }));
        var job = Next<CompileJob>(worker);
        Assert.Equal(Source, Payload.Decompress(job.Blobs.Single().Compressed, job.Blobs.Single().Length));
    }

    [Fact]
    public void A_worker_gets_every_content_it_lacks_those_the_job_holds_and_those_the_session_reads_again()
    {
        var header = "#define H 1\n"u8.ToArray();
        var headerHash = Convert.ToHexStringLower(SHA256.HashData(header));
        var coordinator = StartCoordinator();
        var worker = CreateTestProbe();
        coordinator.Tell(Capabilities(worker.Ref, Gcc), worker.Ref);
        var session = CreateTestProbe();
        coordinator.Tell(new OpenJob(session.Ref, User, "/usr/bin/gcc", "gcc-key", "include-key", "a.c"), session.Ref);
        session.ExpectMsg<AskToolchain>();
        coordinator.Tell(new ToolchainLearned(session.Ref, User, "gcc-key", Gcc));
        session.ExpectMsg<PreprocessGranted>();
        coordinator.Tell(new ReleaseLocalSlot(session.Ref));
        // The source came with the job; the header the node only remembers.
        coordinator.Tell(new SubmitJob(Spec(session.Ref) with
        {
            Mirror = Spec(session.Ref).Mirror.Append(new MirrorEntry(MirrorEntryKind.File, "/home/u/p/h.h", headerHash, header.Length, 0)).ToArray(),
        }));
        coordinator.Tell(new RequestWork(worker.Ref, 1), worker.Ref);
        var wanted = session.ExpectMsg<ContentsWanted>();
        Assert.Equal(new[] { headerHash }, wanted.Hashes);
        session.Reply(new ContentsFound(wanted.JobId, new Dictionary<string, byte[]> { [headerHash] = header }));
        var job = Next<CompileJob>(worker);
        Assert.Equal(new[] { headerHash, SourceHash }.Order(), job.Blobs.Select(b => b.Hash).Order());

        // Asked again by the worker (evicted meanwhile): both again, in one answer.
        job.Supervisor.Tell(new NeedJobBlobs(job.JobId, new[] { SourceHash, headerHash }), worker.Ref);
        var again = session.ExpectMsg<ContentsWanted>();
        session.Reply(new ContentsFound(again.JobId, new Dictionary<string, byte[]> { [headerHash] = header }));
        Assert.Equal(new[] { headerHash, SourceHash }.Order(), Next<JobBlobs>(worker).Blobs.Select(b => b.Hash).Order());
    }

    [Fact]
    public void Contents_that_cannot_be_had_hand_the_job_to_a_local_compile()
    {
        var coordinator = StartCoordinator();
        var worker = CreateTestProbe();
        coordinator.Tell(Capabilities(worker.Ref, Gcc), worker.Ref);
        var session = CreateTestProbe();
        Submit(coordinator, session, withContents: false);
        coordinator.Tell(new RequestWork(worker.Ref, 1), worker.Ref);
        var wanted = session.ExpectMsg<ContentsWanted>();
        session.Reply(new ContentsLost(wanted.JobId, "an input changed since it was scanned"));
        Assert.Contains("changed since it was scanned", session.ExpectMsg<LocalGranted>().Reason);
    }

    [Fact]
    public void A_late_answer_from_a_worker_the_job_was_taken_from_is_ignored()
    {
        var coordinator = StartCoordinator();
        var first = CreateTestProbe();
        var second = CreateTestProbe();
        coordinator.Tell(Capabilities(first.Ref, Gcc), first.Ref);
        coordinator.Tell(Capabilities(second.Ref, Gcc), second.Ref);
        var session = CreateTestProbe();
        Submit(coordinator, session);
        coordinator.Tell(new RequestWork(first.Ref, 1), first.Ref);
        var job = Next<CompileJob>(first);
        job.Supervisor.Tell(new JobFailed(job.JobId, "timeout", Refused: false), first.Ref);
        var again = PullUntilAssigned(coordinator, second);
        // The first worker answers after all: not taken, the job waits for the second. The supervisor
        // answers the second worker's request for contents only after it has handled the late answer.
        again.Supervisor.Tell(Completed(job, 0), first.Ref);
        again.Supervisor.Tell(new NeedJobBlobs(again.JobId, new[] { SourceHash }), second.Ref);
        Next<JobBlobs>(second);
        AssertNothingReceived(session, "the wrapper, from the late answer,");
        again.Supervisor.Tell(Completed(again, 0), second.Ref);
        session.ExpectMsg<JobResultReady>();
    }

    [Fact]
    public void Only_the_worker_a_job_is_assigned_to_can_ask_for_its_contents_or_answer_for_it()
    {
        var coordinator = StartCoordinator();
        var worker = CreateTestProbe();
        var stranger = CreateTestProbe(); // never registered: a peer that learnt the supervisor's address
        coordinator.Tell(Capabilities(worker.Ref, Gcc), worker.Ref);
        var session = CreateTestProbe();
        Submit(coordinator, session);
        coordinator.Tell(new RequestWork(worker.Ref, 1), worker.Ref);
        var job = Next<CompileJob>(worker);

        job.Supervisor.Tell(new NeedJobBlobs(job.JobId, new[] { SourceHash }), stranger.Ref);
        job.Supervisor.Tell(Completed(job, 0), stranger.Ref);
        job.Supervisor.Tell(new JobFailed(job.JobId, "refused", Refused: true), stranger.Ref);

        // The assigned worker is still heard (the supervisor answers it after the stranger's messages), and
        // the job was never requeued by the stranger's failure: a requeued job's supervisor would not answer.
        job.Supervisor.Tell(new NeedJobBlobs(job.JobId, new[] { SourceHash }), worker.Ref);
        Assert.Equal(SourceHash, Next<JobBlobs>(worker).Blobs.Single().Hash);
        AssertNothingReceived(stranger, "the stranger");
        AssertNothingReceived(session, "the wrapper, from the stranger's result,");
        job.Supervisor.Tell(Completed(job, 0), worker.Ref);
        Assert.Equal("OBJECT", Text.Of(session.ExpectMsg<JobResultReady>().Result.Outputs.Single().Value));
    }

    [Fact]
    public void A_request_for_work_that_names_another_worker_gets_nothing()
    {
        var coordinator = StartCoordinator();
        var worker = CreateTestProbe();
        var stranger = CreateTestProbe();
        coordinator.Tell(Capabilities(worker.Ref, Gcc), worker.Ref);
        // Capabilities that name another actor than their sender change nothing (here: would take gcc away).
        coordinator.Tell(Capabilities(worker.Ref, Other), stranger.Ref);
        Submit(coordinator, CreateTestProbe());
        coordinator.Tell(new RequestWork(worker.Ref, 1), stranger.Ref);
        // The job is still queued for the worker that asks for itself.
        coordinator.Tell(new RequestWork(worker.Ref, 2), worker.Ref);
        Assert.Equal(2, Next<CompileJob>(worker).RequestId);
        AwaitHandled(coordinator);
        AssertNothingReceived(stranger, "the stranger");
    }

    /// <summary>
    /// What a worker's result declares is bounded before anything is decompressed: these outputs are real
    /// LZ4 payloads that would decompress, but declare more than this coordinator's max-job-size (1 KiB),
    /// one alone or two together. The job is then a failure of that worker, and (one attempt) compiles locally.
    /// </summary>
    [Theory]
    [InlineData(2048, 0, "the output a.o declares 2048 bytes, beyond this coordinator's max-job-size (1 KiB)")]
    [InlineData(600, 600, "its outputs declare 1.2 KiB, beyond this coordinator's max-job-size (1 KiB)")]
    public void A_result_whose_outputs_declare_more_than_the_max_job_size_is_not_taken(int objectBytes, int dependencyBytes, string reason)
    {
        var coordinator = StartCoordinator(maxAttempts: 1, maxJobBytes: 1024);
        var worker = CreateTestProbe();
        coordinator.Tell(Capabilities(worker.Ref, Gcc), worker.Ref);
        var session = CreateTestProbe();
        Submit(coordinator, session);
        coordinator.Tell(new RequestWork(worker.Ref, 1), worker.Ref);
        var job = Next<CompileJob>(worker);
        var outputs = new[] { Payload.ToOutput("a.o", new byte[objectBytes]), Payload.ToOutput("a.d", new byte[dependencyBytes]) };
        job.Supervisor.Tell(new JobCompleted(job.JobId, 0, Array.Empty<byte>(), Array.Empty<byte>(), outputs, 1), worker.Ref);

        var local = session.ExpectMsg<LocalGranted>();
        Assert.False(local.Quiet);
        Assert.Contains($"malformed result: {reason}", local.Reason);
    }

    [Fact]
    public void A_result_that_does_not_decompress_as_it_declares_is_a_failure_of_its_worker()
    {
        var coordinator = StartCoordinator(maxAttempts: 1);
        var worker = CreateTestProbe();
        coordinator.Tell(Capabilities(worker.Ref, Gcc), worker.Ref);
        var session = CreateTestProbe();
        Submit(coordinator, session);
        coordinator.Tell(new RequestWork(worker.Ref, 1), worker.Ref);
        var job = Next<CompileJob>(worker);
        var garbage = new JobOutput("a.o", new byte[] { 1, 2, 3 }, 3);
        job.Supervisor.Tell(new JobCompleted(job.JobId, 0, Array.Empty<byte>(), Array.Empty<byte>(), new[] { garbage }, 1), worker.Ref);

        Assert.Contains("malformed result: malformed compressed payload", session.ExpectMsg<LocalGranted>().Reason);
    }
}
