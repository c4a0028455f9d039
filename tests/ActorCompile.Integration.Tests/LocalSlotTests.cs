using ActorCompile.Tests;
using Xunit;
using static ActorCompile.Integration.Tests.Builds;

namespace ActorCompile.Integration.Tests;

/// <summary>
/// A target with one local slot and one worker that is slow (one slot, a second per compile), shared by
/// the tests of <see cref="LocalSlotTests"/>. Its compiler is <see cref="FakeCompiler.Recording"/>, a
/// script around gcc, because gcc does not tell when its processes start and end; the script records
/// that for the scans and compiles on the target, and keeps the worker busy.
/// </summary>
public sealed class OneLocalSlotCluster : IAsyncLifetime
{
    private readonly TempDirectory _directory = new("ac-slot1");

    public TestCluster Cluster { get; private set; } = null!;
    public string Compiler { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Compiler = FakeCompiler.Recording(_directory.Path);
        Cluster = new TestCluster(1, coordinatorArgs: new[] { "--local-slots", "1" },
            workerArgs: new[] { "--slots", "1", "--toolchain", Compiler }.Concat(Unsandboxed(_directory)), prefix: "ac-slot1-cluster", targetHelps: true);
        await Cluster.WaitForWorkers();
    }

    public Task DisposeAsync()
    {
        Cluster.Dispose();
        _directory.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>The target's local slots: back-pressure that reaches make, and the target helping itself when every worker is busy.</summary>
public sealed class LocalSlotTests(OneLocalSlotCluster fixture) : IClassFixture<OneLocalSlotCluster>
{
    private static Dictionary<string, byte[]> LocalObjects(string project)
    {
        var r = Run.Program("make", new[] { "-j4", "CC=gcc" }, project);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var objects = Objects(Path.Combine(project, "build"));
        Directory.Delete(Path.Combine(project, "build"), recursive: true);
        return objects;
    }

    [Fact]
    public void With_one_local_slot_and_make_j8_never_two_scans_or_local_compiles_run_at_once()
    {
        // Sources the include scanner declines: each compile runs the compiler's -M here, under the slot (the
        // scanner's own work holds it too, but leaves no trace a recording compiler could see).
        using var scratch = new TempDirectory("ac-pressure");
        var project = SmallProject(scratch, "p", 12, compilerScanned: true);
        var expected = LocalObjects(project);
        var log = scratch.Combine("local.log");
        var (exit, stderr) = Finish(StartMake(project, fixture.Cluster.Coordinator.Socket, fixture.Compiler, "all", 8,
            new Dictionary<string, string> { ["ACTORCOMPILE_TEST_LOG"] = log }));
        Assert.True(exit == 0, stderr);
        AssertSameObjects(expected, Objects(Path.Combine(project, "build")));

        var events = File.ReadAllLines(log).Select(l => l.Split(' ')).OrderBy(e => long.Parse(e[1])).ToList();
        int running = 0, most = 0;
        foreach (var e in events)
        {
            running += e[0] == "start" ? 1 : -1;
            most = Math.Max(most, running);
        }
        Assert.Equal(0, running);
        Assert.True(most == 1, $"{most} scans or local compiles ran at once on the target:\n{string.Join('\n', events.Select(e => string.Join(' ', e)))}");
        // Both kinds held the slot: every compile scanned here, and the target compiled some itself while the worker was busy.
        Assert.Equal(12, events.Count(e => e[0] == "start" && e[3] == "scan"));
        Assert.Contains(events, e => e[0] == "start" && e[3] == "compile");
    }

    [Fact]
    public void When_every_worker_is_busy_the_target_compiles_queued_jobs_itself()
    {
        using var scratch = new TempDirectory("ac-help");
        var project = SmallProject(scratch, "p", 6);
        var expected = LocalObjects(project);
        var (exit, stderr) = Finish(StartMake(project, fixture.Cluster.Coordinator.Socket, fixture.Compiler, "all", 6, StrictAndVerbose));
        Assert.True(exit == 0, stderr);
        AssertSameObjects(expected, Objects(Path.Combine(project, "build")));

        var where = Wrapper.WhereCompiled(stderr);
        Assert.Equal(6, where.Count);
        // The one worker slot took jobs, and queued jobs that waited for it (help-after, 150 ms) compiled
        // here, quietly (ACTORCOMPILE_FALLBACK=0 lets them: they are the cluster's choice, not a failure).
        Assert.Contains(fixture.Cluster.Worker(0).Address, where.Values);
        var local = where.Where(w => w.Value == "locally").Select(w => w.Key).ToList();
        Assert.NotEmpty(local);
        foreach (var source in local)
            Assert.Contains($"actorcompile: {source} compiled locally (every worker is busy: the target compiles this one)", stderr);
        Assert.DoesNotContain("; compiling locally", stderr);
    }
}
