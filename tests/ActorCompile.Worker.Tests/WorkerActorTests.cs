using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using ActorCompile.Protocol;
using ActorCompile.Protocol.Messages;
using ActorCompile.Tests;
using ActorCompile.Toolchain.Identity;
using ActorCompile.Worker.Actors;
using ActorCompile.Worker.Execution;
using Xunit;

namespace ActorCompile.Worker.Tests;

/// <summary>
/// The worker actor with the real gcc, driven by test probes in the roles of a coordinator and a job
/// supervisor.
/// </summary>
public sealed class WorkerActorTests : TestKit
{
    private static readonly Lazy<List<WorkerToolchain>> Toolchains = new(() => ToolchainDiscovery.DiscoverAsync(new[] { "gcc" }).GetAwaiter().GetResult());
    private readonly TempDirectory _dir = new("ac-worker");

    public WorkerActorTests() : base(ClusterTestConfig.Create()) { }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        _dir.Dispose();
    }

    private static string GccFingerprint => Toolchains.Value.Single().Identity.Fingerprint;

    private IActorRef StartWorker(int slots) =>
        Sys.ActorOf(WorkerActor.Props(WorkerParts.Open(new WorkerSettings(slots, 2, Toolchains.Value, _dir.Combine("work"), 1L << 30, TimeSpan.FromMinutes(1)), SealedJobs.Sandbox)));

    private string Project()
    {
        var project = _dir.Combine("project");
        _dir.Write("project/inc/answer.h", "#define ANSWER 42\n");
        _dir.Write("project/src/a.c", "#include <stdio.h>\n#include \"answer.h\"\nint show(void) { return printf(\"%d\\n\", ANSWER); }\n");
        return project;
    }

    private CompileJob Job(string project, long requestId, IActorRef supervisor, bool withBlobs = true, string? fingerprint = null, string[]? args = null)
    {
        var (job, _) = TargetSide.Prepare("gcc", project, args ?? new[] { "-Iinc", "-O2", "-c", "src/a.c", "-o", "a.o" }, "job-" + requestId);
        return job with
        {
            RequestId = requestId,
            Supervisor = supervisor,
            Fingerprint = fingerprint ?? GccFingerprint,
            Blobs = withBlobs ? job.Blobs : Array.Empty<Blob>(),
        };
    }

    [Fact]
    public void Answers_a_coordinator_with_its_capabilities_and_asks_for_one_job_per_slot()
    {
        var worker = StartWorker(slots: 2);
        var coordinator = CreateTestProbe();
        worker.Tell(new CoordinatorHello(coordinator.Ref));
        var capabilities = coordinator.ExpectMsg<WorkerCapabilities>();
        Assert.Equal(2, capabilities.Slots);
        Assert.Contains(capabilities.Toolchains, t => t.Fingerprint == GccFingerprint && t.Names.Split(',').Contains("gcc"));
        coordinator.ExpectMsg<RequestWork>();
        coordinator.ExpectMsg<RequestWork>();
        // No third request: the worker answers a report after it handled the hello, and nothing comes first.
        worker.Tell(WorkerActor.GetReport.Instance, coordinator.Ref);
        coordinator.ExpectMsg<WorkerReport>();
    }

    [Fact]
    public void Runs_a_job_and_returns_the_object_a_local_compile_gives()
    {
        var project = Project();
        Assert.Equal(0, Run.Gcc(project, "-Iinc", "-O2", "-c", "src/a.c", "-o", "local.o").ExitCode);
        var worker = StartWorker(slots: 1);
        var coordinator = CreateTestProbe();
        var supervisor = CreateTestProbe();
        worker.Tell(new CoordinatorHello(coordinator.Ref));
        coordinator.ExpectMsg<WorkerCapabilities>();
        var request = coordinator.ExpectMsg<RequestWork>();
        worker.Tell(Job(project, request.RequestId, supervisor.Ref), supervisor.Ref);

        supervisor.ExpectMsg<JobStarted>();
        var done = supervisor.ExpectMsg<JobCompleted>(TimeSpan.FromSeconds(30));
        Assert.Equal(0, done.ExitCode);
        var output = Assert.Single(done.Outputs);
        Assert.Equal("a.o", output.Path);
        Assert.Equal(File.ReadAllBytes(Path.Combine(project, "local.o")), Payload.Decompress(output.Compressed, output.Length));
        // The slot is free again: the worker asks for the next job.
        coordinator.ExpectMsg<RequestWork>();
    }

    [Fact]
    public void Asks_its_supervisor_for_contents_it_does_not_hold()
    {
        var project = Project();
        var worker = StartWorker(slots: 1);
        var coordinator = CreateTestProbe();
        var supervisor = CreateTestProbe();
        worker.Tell(new CoordinatorHello(coordinator.Ref));
        coordinator.ExpectMsg<WorkerCapabilities>();
        var request = coordinator.ExpectMsg<RequestWork>();
        var full = Job(project, request.RequestId, supervisor.Ref);
        worker.Tell(full with { Blobs = Array.Empty<Blob>() }, supervisor.Ref);

        var need = supervisor.ExpectMsg<NeedJobBlobs>();
        Assert.Equal(full.Blobs.Select(b => b.Hash).Order(), need.Hashes.Order());
        supervisor.Reply(new JobBlobs(full.JobId, full.Blobs));
        supervisor.ExpectMsg<JobStarted>();
        Assert.Equal(0, supervisor.ExpectMsg<JobCompleted>(TimeSpan.FromSeconds(30)).ExitCode);
    }

    [Fact]
    public void Refuses_a_toolchain_it_does_not_offer()
    {
        var project = Project();
        var worker = StartWorker(slots: 1);
        var coordinator = CreateTestProbe();
        var supervisor = CreateTestProbe();
        worker.Tell(new CoordinatorHello(coordinator.Ref));
        coordinator.ExpectMsg<WorkerCapabilities>();
        var request = coordinator.ExpectMsg<RequestWork>();
        worker.Tell(Job(project, request.RequestId, supervisor.Ref, fingerprint: new string('0', 64)), supervisor.Ref);
        var failed = supervisor.ExpectMsg<JobFailed>();
        Assert.True(failed.Refused);
        Assert.Contains("no toolchain", failed.Reason);
    }

    [Fact]
    public void Refuses_content_that_does_not_match_its_hash()
    {
        var project = Project();
        var worker = StartWorker(slots: 1);
        var coordinator = CreateTestProbe();
        var supervisor = CreateTestProbe();
        worker.Tell(new CoordinatorHello(coordinator.Ref));
        coordinator.ExpectMsg<WorkerCapabilities>();
        var request = coordinator.ExpectMsg<RequestWork>();
        var job = Job(project, request.RequestId, supervisor.Ref);
        var forged = job.Blobs.Select(b => Payload.ToBlob(b.Hash, "int planted;\n"u8)).ToArray();
        worker.Tell(job with { Blobs = forged }, supervisor.Ref);
        var failed = supervisor.ExpectMsg<JobFailed>();
        Assert.True(failed.Refused);
        Assert.Contains("SHA-256", failed.Reason);
    }

    /// <summary>A coordinator probe greeted and asked for work: the request to answer.</summary>
    private (TestProbe Coordinator, RequestWork Request) Greet(IActorRef worker)
    {
        var coordinator = CreateTestProbe();
        worker.Tell(new CoordinatorHello(coordinator.Ref));
        coordinator.ExpectMsg<WorkerCapabilities>();
        return (coordinator, coordinator.ExpectMsg<RequestWork>());
    }

    [Fact]
    public void A_cancel_from_anyone_but_the_jobs_supervisor_is_ignored()
    {
        var project = Project();
        var worker = StartWorker(slots: 1);
        var (_, request) = Greet(worker);
        var supervisor = CreateTestProbe();
        var job = Job(project, request.RequestId, supervisor.Ref);
        worker.Tell(job, supervisor.Ref);
        // Another coordinator of the same worker knows (or guesses) the job's id.
        var intruder = CreateTestProbe();
        worker.Tell(new CancelJob(job.JobId), intruder.Ref);
        supervisor.ExpectMsg<JobStarted>(TimeSpan.FromSeconds(30));
        Assert.Equal(0, supervisor.ExpectMsg<JobCompleted>(TimeSpan.FromSeconds(30)).ExitCode);
    }

    private const string ShippedFingerprint = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";

    private static ShippedToolchain Shipped(IEnumerable<ToolchainFile> files, string driver = "/opt/tc/cc")
    {
        var manifest = new ToolchainManifest(ShippedFingerprint, driver, files.ToArray());
        return new ShippedToolchain(manifest.ContentId, ShippedFingerprint, "gcc", "1", "x86_64-linux-gnu", "c", driver, files.ToArray());
    }

    private static ToolchainFile Dir(string path) => new(ToolchainFileKind.Directory, path, null, 0, false, null);

    private static (ToolchainFile File, Blob Blob) Content(string path, byte[] content, bool executable = false)
    {
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content));
        return (new ToolchainFile(ToolchainFileKind.File, path, hash, content.Length, executable, null), Payload.ToBlob(hash, content));
    }

    [Theory]
    [InlineData("no files")]
    [InlineData("a null argument")]
    [InlineData("no mirror")]
    [InlineData("an entry without a path")]
    [InlineData("sizes that overflow")]
    public void A_malformed_job_is_refused_and_the_worker_keeps_serving(string flaw)
    {
        var project = Project();
        var worker = StartWorker(slots: 1);
        var (coordinator, request) = Greet(worker);
        var supervisor = CreateTestProbe();
        var job = Job(project, request.RequestId, supervisor.Ref);
        var huge = new[]
        {
            Dir("/opt"), Dir("/opt/tc"),
            new ToolchainFile(ToolchainFileKind.File, "/opt/tc/cc", new string('1', 64), long.MaxValue, true, null),
            new ToolchainFile(ToolchainFileKind.File, "/opt/tc/as", new string('2', 64), long.MaxValue, true, null),
        };
        var shipped = job with { Fingerprint = ShippedFingerprint, Toolchain = Shipped(huge) };
        var malformed = flaw switch
        {
            "no files" => shipped with { Toolchain = shipped.Toolchain! with { Files = null! } },
            "a null argument" => job with { Args = job.Args.Append(null!).ToArray() },
            "no mirror" => job with { Mirror = null! },
            "an entry without a path" => shipped with { Toolchain = shipped.Toolchain! with { Files = huge.Append(Dir(null!)).ToArray() } },
            "sizes that overflow" => shipped,
            _ => throw new ArgumentException(flaw),
        };
        worker.Tell(malformed, coordinator.Ref);
        var failed = supervisor.ExpectMsg<JobFailed>(TimeSpan.FromSeconds(30));
        Assert.True(failed.Refused, failed.Reason);

        // The worker is still the one the coordinator greeted: it asks again and serves a whole job.
        var next = coordinator.ExpectMsg<RequestWork>(TimeSpan.FromSeconds(30));
        var honest = CreateTestProbe();
        worker.Tell(Job(project, next.RequestId, honest.Ref), coordinator.Ref);
        honest.ExpectMsg<JobStarted>(TimeSpan.FromSeconds(30));
        Assert.Equal(0, honest.ExpectMsg<JobCompleted>(TimeSpan.FromSeconds(30)).ExitCode);
    }

    /// <summary>
    /// A toolchain of two files: a driver (that is no compiler: these tests end where the compile starts)
    /// and a large file, whose storing takes far longer than the driver's.
    /// </summary>
    private (CompileJob Job, Blob Driver, Blob Large, TestProbe Supervisor, IActorRef Runner) ShippedJob(IActorRef worker, RequestWork request, TestProbe coordinator)
    {
        var large = new byte[24 << 20];
        new Random(3).NextBytes(large);
        var driver = Content("/opt/tc/cc", "#!/bin/sh\nexit 1\n"u8.ToArray(), executable: true);
        var data = Content("/opt/tc/data", large);
        var supervisor = CreateTestProbe();
        var job = Job(Project(), request.RequestId, supervisor.Ref) with
        {
            Fingerprint = ShippedFingerprint,
            Toolchain = Shipped(new[] { Dir("/opt"), Dir("/opt/tc"), driver.File, data.File }),
        };
        worker.Tell(job, coordinator.Ref);
        var need = supervisor.ExpectMsg<NeedToolchainFiles>(TimeSpan.FromSeconds(30));
        Assert.Equal(new[] { driver.Blob.Hash, data.Blob.Hash }.Order(), need.Hashes.Order());
        return (job, driver.Blob, data.Blob, supervisor, supervisor.LastSender);
    }

    [Fact]
    public void Toolchain_batches_are_stored_in_the_order_they_came_so_a_small_last_batch_waits_for_a_large_first()
    {
        var worker = StartWorker(slots: 1);
        var (coordinator, request) = Greet(worker);
        var (job, driver, large, supervisor, runner) = ShippedJob(worker, request, coordinator);
        runner.Tell(new ToolchainFileBatch(job.JobId, new[] { large }, Last: false), supervisor.Ref);
        runner.Tell(new ToolchainFileBatch(job.JobId, new[] { driver }, Last: true), supervisor.Ref);
        // Every file was stored before the root was built: the driver runs in it (a script whose
        // interpreter the root does not hold, so it is a compile that fails, not a job that does).
        supervisor.ExpectMsg<JobStarted>(TimeSpan.FromSeconds(60));
        var done = supervisor.ExpectMsg<JobCompleted>(TimeSpan.FromSeconds(60));
        Assert.Contains("/opt/tc/cc", System.Text.Encoding.UTF8.GetString(done.Stderr));
    }

    [Theory]
    [InlineData("sent twice")]
    [InlineData("not asked for")]
    [InlineData("another length")]
    [InlineData("from someone else")]
    public void Toolchain_files_are_taken_only_as_asked_for(string flaw)
    {
        var worker = StartWorker(slots: 1);
        var (coordinator, request) = Greet(worker);
        var (job, driver, large, supervisor, runner) = ShippedJob(worker, request, coordinator);
        var stranger = Content("/opt/tc/other", "not the toolchain's"u8.ToArray()).Blob;
        switch (flaw)
        {
            case "sent twice":
                runner.Tell(new ToolchainFileBatch(job.JobId, new[] { driver }, Last: false), supervisor.Ref);
                runner.Tell(new ToolchainFileBatch(job.JobId, new[] { driver, large }, Last: true), supervisor.Ref);
                break;
            case "not asked for":
                runner.Tell(new ToolchainFileBatch(job.JobId, new[] { driver, large, stranger }, Last: true), supervisor.Ref);
                break;
            case "another length":
                // Refused before it is decompressed: the blob declares a length the manifest does not.
                runner.Tell(new ToolchainFileBatch(job.JobId, new[] { driver with { Length = driver.Length + 1 }, large }, Last: true), supervisor.Ref);
                break;
            case "from someone else":
                // A batch counts only from the job's supervisor: the intruder's is not taken (else the
                // supervisor's files would count as sent twice), and the job starts with the real ones.
                var intruder = CreateTestProbe();
                runner.Tell(new ToolchainFileBatch(job.JobId, new[] { driver, large }, Last: true), intruder.Ref);
                runner.Tell(new ToolchainFileBatch(job.JobId, new[] { driver, large }, Last: true), supervisor.Ref);
                supervisor.ExpectMsg<JobStarted>(TimeSpan.FromSeconds(60));
                return;
        }
        var failed = supervisor.ExpectMsg<JobFailed>(TimeSpan.FromSeconds(30));
        Assert.True(failed.Refused, failed.Reason);
        Assert.Contains(flaw is "another length" ? "declares" : flaw, failed.Reason);
    }
}
