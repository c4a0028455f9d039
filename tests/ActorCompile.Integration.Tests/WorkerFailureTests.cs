using ActorCompile.Tests;
using Xunit;
using static ActorCompile.Integration.Tests.Builds;

namespace ActorCompile.Integration.Tests;

/// <summary>
/// What a worker's failures cost a build, with real nodes: a job that fails on one worker (a crash, a
/// refusal) is compiled by the other; a worker that stops answering loses its jobs and is removed, and
/// comes back without disturbing anything; a worker that keeps failing is backed off for a while. Fake
/// compilers (see <see cref="FakeCompiler"/>) fail on purpose where the real gcc never would.
/// </summary>
public sealed class WorkerFailureTests
{
    /// <summary>The node a $PWD on a worker belongs to (its work directory is actorcompile-worker-PID under the cluster's directory).</summary>
    private static NodeProcess WorkerOf(TestCluster cluster, string pwd) =>
        cluster.Workers.Single(w => pwd.Contains($"/actorcompile-worker-{w.Pid}/", StringComparison.Ordinal));

    private static (long Completed, long Failed) Counters(TestCluster cluster, NodeProcess worker)
    {
        var w = cluster.WorkerStatus(worker);
        return (w.GetProperty("completed").GetInt64(), w.GetProperty("failed").GetInt64());
    }

    [Fact]
    public async Task A_job_that_crashes_or_is_refused_on_one_worker_is_compiled_by_the_other_and_both_count_it()
    {
        using var scratch = new TempDirectory("ac-failover");
        var markers = Directory.CreateDirectory(scratch.Combine("markers")).FullName;
        var outside = scratch.Write("outside.h", "#define OUTSIDE 1\n");
        var fake = FakeCompiler.FailingFirst(scratch.Path, markers, outside);
        using var cluster = new TestCluster(2, coordinatorArgs: new[] { "--config", NoHelpConfig(scratch) },
            workerArgs: new[] { "--toolchain", fake }.Concat(Unsandboxed(scratch)));
        await cluster.WaitForWorkers();

        var completed = cluster.Workers.ToDictionary(w => w, _ => 0L);
        var failed = cluster.Workers.ToDictionary(w => w, _ => 0L);
        foreach (var (name, why) in new[] { ("crash", "the compiler was killed by signal 11"), ("outside", $"refused: the compile read {outside}, which is outside the job's mirror") })
        {
            scratch.Write($"p/{name}.c", $"int {name}(int x) {{ return x * 3 + 1; }}\n");
            var project = scratch.Combine("p");
            Assert.Equal(0, Run.Gcc(project, "-O2", "-c", $"{name}.c", "-o", $"{name}-local.o").ExitCode);
            var r = Wrapper.Run(project, cluster.Coordinator.Socket, new[] { fake, "-O2", "-c", $"{name}.c", "-o", $"{name}.o" }, StrictAndVerbose);
            Assert.True(r.ExitCode == 0, r.Stderr + cluster.Logs());
            Assert.Equal(File.ReadAllBytes(Path.Combine(project, $"{name}-local.o")), File.ReadAllBytes(Path.Combine(project, $"{name}.o")));

            var first = WorkerOf(cluster, File.ReadAllText(Path.Combine(markers, name, "worker")));
            var second = cluster.Workers.Single(w => w != first);
            Assert.Equal(second.Address, Wrapper.WhereCompiled(r.Stderr)[$"{name}.c"]);
            failed[first]++;
            completed[second]++;
            await Eventually.True(() => cluster.WorkerStatus(first).GetProperty("lastFailure").GetString() == why && Counters(cluster, first).Failed == failed[first],
                TimeSpan.FromSeconds(10), $"{first.Name}'s report to say why the job failed there ({why})");
        }

        // Each worker counts what happened there: the attempts that failed on it, and the jobs it compiled.
        try
        {
            await Eventually.True(() => cluster.Workers.All(w => Counters(cluster, w) == (completed[w], failed[w])),
                TimeSpan.FromSeconds(30), "the workers' reports to count each failure and each compile");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}: expected {string.Join(", ", cluster.Workers.Select(w => $"{w.Address} {(completed[w], failed[w])}"))}, "
                + $"got {string.Join(", ", cluster.Workers.Select(w => $"{w.Address} {Counters(cluster, w)}"))}");
        }
    }

    /// <summary>The sources whose compile started on this worker and has not ended (from a <see cref="FakeCompiler.Held"/> log).</summary>
    private static HashSet<string> HeldOn(string log, NodeProcess worker)
    {
        if (!File.Exists(log)) return new HashSet<string>();
        var lines = File.ReadAllLines(log).Select(l => l.Split(' ')).Where(p => p.Length == 4 && p[2].Contains($"/actorcompile-worker-{worker.Pid}/", StringComparison.Ordinal)).ToList();
        var ended = lines.Where(p => p[0] == "end").Select(p => p[3]).ToHashSet();
        return lines.Where(p => p[0] == "start" && !ended.Contains(p[3])).Select(p => p[3]).ToHashSet();
    }

    /// <summary>The state of a member in a node's status ("up", "unreachable", ...), or null when it is no member.</summary>
    private static string? MemberState(NodeProcess node, NodeProcess member)
    {
        using var s = Wrapper.Status(node.Socket);
        return s.RootElement.GetProperty("members").EnumerateArray()
            .Where(m => m.GetProperty("address").GetString() == member.Address).Select(m => m.GetProperty("state").GetString()).SingleOrDefault();
    }

    /// <summary>Jobs the coordinator shows on a worker, sent or compiling there.</summary>
    private static int JobsOn(NodeProcess coordinator, NodeProcess worker)
    {
        using var s = Wrapper.Status(coordinator.Socket);
        return s.RootElement.GetProperty("jobs").EnumerateArray().Count(j => j.GetProperty("worker").GetString() == worker.Address
            && j.GetProperty("phase").GetString() is "sending" or "compiling" or "returning");
    }

    private static long Distributed(NodeProcess coordinator)
    {
        using var s = Wrapper.Status(coordinator.Socket);
        return s.RootElement.GetProperty("coordinators").EnumerateArray().Single().GetProperty("distributed").GetInt64();
    }

    [Fact]
    public async Task A_worker_that_stops_answering_loses_its_jobs_is_removed_and_comes_back_without_disturbing_anything()
    {
        using var scratch = new TempDirectory("ac-stopw");
        var project = CopySample(scratch);
        var expected = ReferenceBuild(project);
        var (log, release) = (scratch.Combine("held.log"), scratch.Combine("release"));
        var fake = FakeCompiler.Held(scratch.Path, log, release);
        using var cluster = new TestCluster(2, coordinatorArgs: new[] { "--config", NoHelpConfig(scratch) },
            workerArgs: new[] { "--slots", "2", "--toolchain", fake }.Concat(Unsandboxed(scratch)));
        await cluster.WaitForWorkers();
        var (stopped, survivor) = (cluster.Worker(0), cluster.Worker(1));

        using var make = StartMake(project, cluster.Coordinator.Socket, fake, "objects", 8, StrictAndVerbose);
        await Eventually.True(() => HeldOn(log, stopped).Count == 2 && HeldOn(log, survivor).Count == 2 && JobsOn(cluster.Coordinator, stopped) == 2,
            TimeSpan.FromSeconds(60), "both workers to hold two jobs each, and the coordinator to show them");
        stopped.Signal("STOP");
        try
        {
            var lost = HeldOn(log, stopped);
            Assert.Equal(2, lost.Count);
            // Its compilers run on and finish now; the stopped node cannot tell anyone.
            File.WriteAllText(release, "");

            // Its jobs leave it once it is unreachable (failure detection, about 5 s), before the cluster
            // removes it (down-unreachable-after, 7 s later).
            string? stateWhenMoved = null;
            await Eventually.True(() =>
            {
                if (JobsOn(cluster.Coordinator, stopped) > 0) return false;
                stateWhenMoved = MemberState(cluster.Coordinator, stopped) ?? "removed";
                return true;
            }, TimeSpan.FromSeconds(60), "the stopped worker's jobs to leave it");
            Assert.Equal("unreachable", stateWhenMoved);

            var (exit, stderr) = Finish(make);
            Assert.True(exit == 0, stderr + cluster.Logs());
            AssertSameObjects(expected, Objects(Path.Combine(project, "build")));
            var where = Wrapper.WhereCompiled(stderr);
            Assert.Equal(Sources(project), where.Count);
            foreach (var source in lost) Assert.Equal(survivor.Address, where[source]);
            Assert.All(where, w => Assert.Equal(survivor.Address, w.Value));

            await Eventually.True(() => MemberState(cluster.Coordinator, stopped) is null, TimeSpan.FromSeconds(90), "the cluster to remove the stopped worker");
        }
        finally
        {
            stopped.Signal("CONT");
        }

        // It finds itself removed (the members quarantined it), starts again in the same process and rejoins (once);
        // its late results change nothing.
        try
        {
            await Eventually.True(() => MemberState(cluster.Coordinator, stopped) == "up" && cluster.WorkerStatus(stopped).GetProperty("state").GetString() == "up",
                TimeSpan.FromSeconds(120), "the resumed worker to rejoin");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException(e.Message + "\n" + cluster.Logs());
        }
        Assert.False(stopped.HasExited);
        using (var own = Wrapper.Status(stopped.Socket))
            Assert.Equal(1, own.RootElement.GetProperty("rejoins").GetInt32());
        AssertSameObjects(expected, Objects(Path.Combine(project, "build")));
        await Eventually.True(() => Distributed(cluster.Coordinator) == Sources(project), TimeSpan.FromSeconds(30), "the coordinator to count each job once");

        // The cluster builds as before, with every job on a worker.
        Run.Program("make", new[] { "clean" }, project);
        var (again, againStderr) = Finish(StartMake(project, cluster.Coordinator.Socket, fake, "objects", 8, StrictAndVerbose));
        Assert.True(again == 0, againStderr + cluster.Logs());
        AssertSameObjects(expected, Objects(Path.Combine(project, "build")));
        Assert.Equal(Sources(project), Wrapper.WhereCompiled(againStderr).Count(w => w.Value == stopped.Address || w.Value == survivor.Address));
        await Eventually.True(() => Distributed(cluster.Coordinator) == 2 * Sources(project), TimeSpan.FromSeconds(30), "the coordinator to count the second build");
    }

    [Fact]
    public async Task A_worker_that_fails_three_jobs_in_a_row_gets_no_job_for_the_back_off_time_and_status_shows_it()
    {
        using var scratch = new TempDirectory("ac-backoff");
        var crashing = scratch.Write("crashing", "");
        var fake = FakeCompiler.CrashingWhile(scratch.Path, crashing);
        // Long enough for the checks below on a busy machine; the test waits it out once. The target never
        // helps with the queue (help-after), so that each job waits for the worker rather than compiling
        // here quietly when the worker is slow to ask for it.
        var backoff = scratch.Write("backoff.hocon", "actorcompile.coordinator { backoff-after-failures = 3, backoff = 20s, help-after = 1h }\n");
        using var cluster = new TestCluster(1, coordinatorArgs: new[] { "--config", backoff }, workerArgs: new[] { "--toolchain", fake }.Concat(Unsandboxed(scratch)));
        await cluster.WaitForWorkers();
        var worker = cluster.Worker(0);
        var project = Path.GetDirectoryName(scratch.Write("p/a.c", "int backed(void) { return 7; }\n"))!;
        Run.Result Compile(IDictionary<string, string>? env = null) =>
            Wrapper.Run(project, cluster.Coordinator.Socket, new[] { fake, "-O2", "-c", "a.c", "-o", "a.o" }, env);
        string State() => cluster.WorkerStatus(worker).GetProperty("state").GetString()!;

        // Three jobs in a row crash on the worker; each then compiles here (no other worker may take it).
        for (int i = 0; i < 3; i++)
        {
            var r = Compile();
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.Contains($"failed it ({worker.Address}); last: the compiler was killed by signal 11; compiling locally", r.Stderr);
            if (i < 2) Assert.Equal("up", State());
        }
        await Eventually.True(() => State() == "backed-off" && cluster.WorkerStatus(worker).GetProperty("failed").GetInt64() == 3,
            TimeSpan.FromSeconds(15), "status to show the worker backed off after three failures");

        // Backed off: a compile is not offered to it at all.
        var backedOff = Compile();
        Assert.True(backedOff.ExitCode == 0, backedOff.Stderr);
        Assert.Contains("is backed off after repeated failures; compiling locally", backedOff.Stderr);
        Assert.Equal(3, cluster.WorkerStatus(worker).GetProperty("failed").GetInt64()); // the job offered to nobody failed nowhere
        Assert.Equal("the compiler was killed by signal 11", cluster.WorkerStatus(worker).GetProperty("lastFailure").GetString());
        Assert.Equal("backed-off", State());

        // The back-off ends: the worker (now healthy) is offered jobs again.
        File.Delete(crashing);
        await Eventually.True(() => State() == "up", TimeSpan.FromSeconds(90), "the back-off to end");
        var healthy = Compile(StrictAndVerbose);
        Assert.True(healthy.ExitCode == 0, healthy.Stderr);
        Assert.True(Wrapper.WhereCompiled(healthy.Stderr)["a.c"] == worker.Address, healthy.Stderr);
    }

    [Fact]
    public async Task A_users_jobs_that_no_worker_may_run_compile_locally_and_back_off_no_worker()
    {
        using var cluster = new TestCluster(1, workerArgs: new[] { "--toolchain", "gcc" }, prefix: "ac-job-fault");
        await cluster.WaitForWorkers();
        var worker = cluster.Worker(0);
        using var dir = new TempDirectory("ac-job-fault-src");
        dir.Write("p/a.c", "int a(int x) { return x + 1; }\n");
        var project = dir.Combine("p");
        // An include path that climbs above the root: a worker refuses it (the kernel does not stop at its mirror's root).
        var climbing = string.Concat(Enumerable.Repeat("../", project.Split('/', StringSplitOptions.RemoveEmptyEntries).Length + 2)) + "usr/include";
        // More than backoff-after-failures (3) of them: before, each was refused by the worker and counted against it.
        for (int i = 0; i < 4; i++)
        {
            var r = Wrapper.Run(project, cluster.Coordinator.Socket, new[] { "gcc", "-O2", "-I" + climbing, "-c", "a.c", "-o", "a.o" }, new Dictionary<string, string> { ["ACTORCOMPILE_VERBOSE"] = "1" });
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.Contains($"the job cannot run on a worker: the path {climbing} leaves the job's directory", r.Stderr);
        }
        // The same compile without the path runs on the worker: it was never backed off, nor charged a failure.
        var good = Wrapper.Run(project, cluster.Coordinator.Socket, new[] { "gcc", "-O2", "-c", "a.c", "-o", "a.o" }, StrictAndVerbose);
        Assert.True(good.ExitCode == 0, good.Stderr);
        Assert.Equal(worker.Address, Wrapper.WhereCompiled(good.Stderr)["a.c"]);
        var status = cluster.WorkerStatus(worker);
        Assert.Equal("up", status.GetProperty("state").GetString());
        Assert.Equal(0, status.GetProperty("failed").GetInt64());
    }
}
