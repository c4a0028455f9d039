using Akka.Actor;
using Akka.TestKit.Xunit2;
using ActorCompile.Protocol;
using ActorCompile.Protocol.Messages;
using ActorCompile.Tests;
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
        Sys.ActorOf(WorkerActor.Props(new WorkerSettings(slots, 2, Toolchains.Value, _dir.Combine("work"), 1L << 30, TimeSpan.FromMinutes(1)), SealedJobs.Sandbox));

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
}
