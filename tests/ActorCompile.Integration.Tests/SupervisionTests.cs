using System.Diagnostics;
using ActorCompile.Tests;
using Xunit;
using static ActorCompile.Integration.Tests.Builds;

namespace ActorCompile.Integration.Tests;

/// <summary>
/// Every failure of the distributed path ends in a correct build: workers and coordinators killed in the
/// middle of a build, two targets sharing one worker, a worker's slots never exceeded, a cancelled wrapper
/// leaving nothing behind, a crashing or lying helper. Real node processes, fake compilers where the
/// failure cannot be produced with the real gcc (see <see cref="FakeCompiler"/>).
/// </summary>
public sealed class SupervisionTests
{
    /// <summary>The sources whose compile started on this worker and has not ended (from a <see cref="FakeCompiler.Held"/> log).</summary>
    private static HashSet<string> HeldOn(string log, NodeProcess worker)
    {
        if (!File.Exists(log)) return new HashSet<string>();
        var lines = File.ReadAllLines(log).Select(l => l.Split(' ')).Where(p => p.Length == 4 && p[2].Contains($"/actorcompile-worker-{worker.Pid}/", StringComparison.Ordinal)).ToList();
        var ended = lines.Where(p => p[0] == "end").Select(p => p[3]).ToHashSet();
        return lines.Where(p => p[0] == "start" && !ended.Contains(p[3])).Select(p => p[3]).ToHashSet();
    }

    [Fact]
    public async Task Killing_a_worker_in_the_middle_of_a_build_moves_its_jobs_to_the_other_worker()
    {
        using var scratch = new TempDirectory("ac-killw");
        var project = CopySample(scratch);
        var expected = ReferenceBuild(project);
        var (log, release) = (scratch.Combine("held.log"), scratch.Combine("release"));
        var fake = FakeCompiler.Held(scratch.Path, log, release);
        // The target never helps with the queue: every job runs on a worker, and on which one is the point.
        using var cluster = new TestCluster(2, coordinatorArgs: new[] { "--config", NoHelpConfig(scratch) },
            workerArgs: new[] { "--slots", "2", "--toolchain", fake }.Concat(Unsandboxed(scratch)));
        await cluster.WaitForWorkers();
        var (killed, survivor) = (cluster.Worker(0), cluster.Worker(1));

        using var make = StartMake(project, cluster.Coordinator.Socket, fake, "objects", 8, StrictAndVerbose);
        await Eventually.True(() => HeldOn(log, killed).Count == 2 && HeldOn(log, survivor).Count == 2, TimeSpan.FromSeconds(60), "both workers to hold two jobs each");
        killed.Signal("KILL");
        Assert.True(killed.WaitForExit(TimeSpan.FromSeconds(30)), "the killed worker did not exit");
        // No compile could finish before the release: these jobs were on the killed worker when it died.
        var lost = HeldOn(log, killed);
        Assert.Equal(2, lost.Count);
        File.WriteAllText(release, "");

        var (exit, stderr) = Finish(make);
        Assert.True(exit == 0, stderr + cluster.Logs());
        AssertSameObjects(expected, Objects(Path.Combine(project, "build")));
        var where = Wrapper.WhereCompiled(stderr);
        Assert.Equal(Sources(project), where.Count);
        foreach (var source in lost)
            Assert.True(where[source] == survivor.Address, $"{source}, lost with the killed worker, compiled {where[source]}, not on {survivor.Address}\n{stderr}");
        // Nothing else ran on the killed worker either (it never finished a job), and nothing ran locally.
        Assert.All(where, w => Assert.Equal(survivor.Address, w.Value));
        await Eventually.True(() => cluster.WorkerStatus(survivor).GetProperty("completed").GetInt64() == Sources(project), TimeSpan.FromSeconds(30), "the surviving worker to count every job");
    }

    [Fact]
    public async Task Killing_the_coordinator_in_the_middle_of_a_build_leaves_every_wrapper_to_compile_locally()
    {
        using var scratch = new TempDirectory("ac-killc");
        var project = CopySample(scratch);
        var expected = ReferenceBuild(project);
        var (log, release) = (scratch.Combine("held.log"), scratch.Combine("release"));
        var fake = FakeCompiler.Held(scratch.Path, log, release);
        using var cluster = new TestCluster(2, coordinatorArgs: new[] { "--config", NoHelpConfig(scratch) },
            workerArgs: new[] { "--slots", "2", "--toolchain", fake }.Concat(Unsandboxed(scratch)));
        await cluster.WaitForWorkers();

        var verbose = new Dictionary<string, string> { ["ACTORCOMPILE_VERBOSE"] = "1" };
        using var make = StartMake(project, cluster.Coordinator.Socket, fake, "objects", 8, verbose);
        await Eventually.True(() => cluster.Workers.All(w => HeldOn(log, w).Count == 2), TimeSpan.FromSeconds(60), "both workers to hold two jobs each");
        cluster.Coordinator.Signal("KILL");
        Assert.True(cluster.Coordinator.WaitForExit(TimeSpan.FromSeconds(30)), "the killed coordinator did not exit");
        var held = cluster.Workers.SelectMany(w => HeldOn(log, w)).ToHashSet();
        Assert.Equal(4, held.Count);
        File.WriteAllText(release, "");

        var (exit, stderr) = Finish(make);
        Assert.True(exit == 0, stderr + cluster.Logs());
        AssertSameObjects(expected, Objects(Path.Combine(project, "build")));
        // No job could finish before the coordinator died, and none could be placed after: every wrapper,
        // those whose jobs the workers held among them, compiled locally and said why.
        var where = Wrapper.WhereCompiled(stderr);
        Assert.Equal(Sources(project), where.Count);
        Assert.All(where, w => Assert.True(w.Value == "locally", $"{w.Key} compiled {w.Value}\n{stderr}"));
        Assert.Subset(where.Keys.ToHashSet(), held);
        foreach (var source in held)
            Assert.Matches($@"(?m)^actorcompile: {System.Text.RegularExpressions.Regex.Escape(source)} compiled locally \(the node at \S+ (closed the connection|stopped answering)", stderr);
    }

    [Fact]
    public async Task Two_coordinators_sharing_one_worker_both_finish()
    {
        using var scratch = new TempDirectory("ac-share");
        var log = scratch.Combine("slow.log");
        var fake = FakeCompiler.Slow(scratch.Path, 0.25, log);
        var config = NoHelpConfig(scratch);
        using var cluster = new TestCluster(1, coordinatorArgs: new[] { "--config", config }, workerArgs: new[] { "--slots", "1", "--toolchain", fake }.Concat(Unsandboxed(scratch)));
        using var second = new NodeProcess("coordinator-2", cluster.Directory.Path, "coordinator", new[] { cluster.Coordinator.Address }, new[] { "--config", config });
        await cluster.WaitForWorkers();
        await Eventually.True(() =>
        {
            using var s = Wrapper.Status(second.Socket);
            return s.RootElement.GetProperty("workers").GetArrayLength() == 1;
        }, TimeSpan.FromSeconds(60), "the second coordinator to see the worker");

        var one = SmallProject(scratch, "one", 8);
        var two = SmallProject(scratch, "two", 8);
        var strict = new Dictionary<string, string> { ["ACTORCOMPILE_FALLBACK"] = "0" };
        using var makeOne = StartMake(one, cluster.Coordinator.Socket, fake, "all", 8, strict);
        using var makeTwo = StartMake(two, second.Socket, fake, "all", 8, strict);
        var a = Finish(makeOne);
        var b = Finish(makeTwo);
        Assert.True(a.ExitCode == 0, a.Stderr);
        Assert.True(b.ExitCode == 0, b.Stderr);
        Assert.Equal(8, Objects(Path.Combine(one, "build")).Count);
        Assert.Equal(8, Objects(Path.Combine(two, "build")).Count);

        // Fair pulling: both targets' jobs ran early on the one worker, not one build after the other.
        var starts = File.ReadAllLines(log).Where(l => l.StartsWith("start", StringComparison.Ordinal)).ToList();
        Assert.Equal(16, starts.Count);
        var firstHalf = starts.Take(8).ToList();
        Assert.Contains(firstHalf, l => l.EndsWith("/one", StringComparison.Ordinal));
        Assert.Contains(firstHalf, l => l.EndsWith("/two", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_worker_never_runs_more_jobs_at_once_than_its_slots()
    {
        using var scratch = new TempDirectory("ac-slots");
        var log = scratch.Combine("slow.log");
        var fake = FakeCompiler.Slow(scratch.Path, 0.3, log);
        using var cluster = new TestCluster(1, coordinatorArgs: new[] { "--config", NoHelpConfig(scratch) }, workerArgs: new[] { "--slots", "2", "--toolchain", fake }.Concat(Unsandboxed(scratch)));
        await cluster.WaitForWorkers();
        var project = SmallProject(scratch, "many", 12);
        var (exit, stderr) = Finish(StartMake(project, cluster.Coordinator.Socket, fake, "all", 12, new Dictionary<string, string> { ["ACTORCOMPILE_FALLBACK"] = "0" }));
        Assert.True(exit == 0, stderr);

        // Counted by the compiler on the worker ...
        int running = 0, most = 0;
        foreach (var line in File.ReadAllLines(log).Select(l => l.Split(' ')).OrderBy(p => long.Parse(p[1])).ThenBy(p => p[0] == "end" ? 0 : 1))
        {
            running += line[0] == "start" ? 1 : -1;
            most = Math.Max(most, running);
        }
        Assert.Equal(2, most);
        // ... and by the worker itself.
        await Eventually.True(() => cluster.WorkerStatus(cluster.Worker(0)).GetProperty("completed").GetInt64() == 12, TimeSpan.FromSeconds(10), "the worker's report");
        Assert.Equal(2, cluster.WorkerStatus(cluster.Worker(0)).GetProperty("peakRunning").GetInt32());
    }

    [Fact]
    public async Task A_cancelled_wrapper_leaves_no_compiler_process_and_no_job_directory_on_the_worker()
    {
        using var scratch = new TempDirectory("ac-cancel");
        var marker = $"600.{Random.Shared.Next(100000, 999999)}";
        var started = scratch.Combine("started");
        var fake = FakeCompiler.Hanging(scratch.Path, marker, started);
        using var cluster = new TestCluster(1, workerArgs: new[] { "--toolchain", fake }.Concat(Unsandboxed(scratch)));
        await cluster.WaitForWorkers();
        var project = SmallProject(scratch, "p", 1);

        var psi = new ProcessStartInfo(Dist.Wrapper) { WorkingDirectory = project, UseShellExecute = false, RedirectStandardError = true };
        foreach (var a in new[] { fake, "-O2", "-Iinclude", "-c", "src/f0.c", "-o", "f0.o" }) psi.ArgumentList.Add(a);
        psi.Environment["ACTORCOMPILE_SOCKET"] = cluster.Coordinator.Socket;
        using var wrapper = Process.Start(psi)!;
        await Eventually.True(() => File.Exists(started), TimeSpan.FromSeconds(30), "the compiler to start on the worker");
        // Anchored: the shell that runs pgrep has the pattern in its own command line.
        var findCompiler = $"pgrep -f '^sleep {marker}'";
        Assert.Equal(0, Run.Shell(findCompiler).ExitCode);

        CtrlC.AssertNotIgnored();
        Run.Program("kill", new[] { "-INT", wrapper.Id.ToString() }); // Ctrl-C in make
        Assert.True(wrapper.WaitForExit(TimeSpan.FromSeconds(10)));
        await Eventually.True(() => Run.Shell(findCompiler).ExitCode != 0, TimeSpan.FromSeconds(15), "the compiler on the worker to be killed");
        var jobs = Directory.GetDirectories(cluster.Directory.Path, "actorcompile-worker-*").Select(d => Path.Combine(d, "jobs")).Single();
        await Eventually.True(() => Directory.GetFileSystemEntries(jobs).Length == 0, TimeSpan.FromSeconds(15), "the job directory to be removed");
        Assert.False(File.Exists(Path.Combine(project, "f0.o")));
    }

    [Fact]
    public async Task A_compiler_that_crashes_on_the_workers_ends_in_a_local_compile_and_counts_against_them()
    {
        using var scratch = new TempDirectory("ac-crash");
        var fake = FakeCompiler.Crashing(scratch.Path);
        using var cluster = new TestCluster(2, workerArgs: new[] { "--toolchain", fake }.Concat(Unsandboxed(scratch)));
        await cluster.WaitForWorkers();
        var project = SmallProject(scratch, "p", 1);
        var r = Wrapper.Run(project, cluster.Coordinator.Socket, new[] { fake, "-O2", "-Iinclude", "-c", "src/f0.c", "-o", "f0.o" });
        Assert.True(r.ExitCode == 0, r.Stderr);
        var line = Assert.Single(r.Stderr.TrimEnd('\n').Split('\n'));
        Assert.Contains("compiling locally", line);
        Assert.Equal(0, Run.Gcc(project, "-O2", "-Iinclude", "-c", "src/f0.c", "-o", "ref.o").ExitCode);
        Assert.Equal(File.ReadAllBytes(Path.Combine(project, "ref.o")), File.ReadAllBytes(Path.Combine(project, "f0.o")));
        await Eventually.True(() => cluster.Workers.Sum(w => cluster.WorkerStatus(w).GetProperty("failed").GetInt64()) == 2,
            TimeSpan.FromSeconds(10), "both workers to count the crash");
    }

    [Fact]
    public async Task A_compile_that_fails_only_on_a_worker_gives_the_local_result_and_a_discrepancy_against_it()
    {
        using var scratch = new TempDirectory("ac-lie");
        var fake = FakeCompiler.FailingOnWorkers(scratch.Path);
        using var cluster = new TestCluster(1, workerArgs: new[] { "--toolchain", fake }.Concat(Unsandboxed(scratch)));
        await cluster.WaitForWorkers();
        var project = SmallProject(scratch, "p", 1);
        var r = Wrapper.Run(project, cluster.Coordinator.Socket, new[] { fake, "-O2", "-Iinclude", "-c", "src/f0.c", "-o", "f0.o" },
            new Dictionary<string, string> { ["ACTORCOMPILE_FALLBACK"] = "0" });
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("", r.Stderr); // the user sees the local verdict only
        Assert.True(File.Exists(Path.Combine(project, "f0.o")));
        await Eventually.True(() => cluster.WorkerStatus(cluster.Worker(0)).GetProperty("discrepancies").GetInt64() == 1,
            TimeSpan.FromSeconds(10), "the discrepancy to be counted");
    }

    [Fact]
    public async Task A_compile_that_hangs_on_a_worker_times_out_and_compiles_locally()
    {
        using var scratch = new TempDirectory("ac-hang");
        var marker = $"600.{Random.Shared.Next(100000, 999999)}";
        var fake = FakeCompiler.Hanging(scratch.Path, marker, scratch.Combine("started"));
        var config = scratch.Write("timeout.hocon", "actorcompile.coordinator.job-timeout = 3s\n");
        using var cluster = new TestCluster(1, coordinatorArgs: new[] { "--config", config }, workerArgs: new[] { "--toolchain", fake }.Concat(Unsandboxed(scratch)));
        await cluster.WaitForWorkers();
        var project = SmallProject(scratch, "p", 1);
        // A bound against hanging: the wrapper fails the test if it has not finished by then.
        var r = Wrapper.Run(project, cluster.Coordinator.Socket, new[] { fake, "-O2", "-Iinclude", "-c", "src/f0.c", "-o", "f0.o" }, timeout: TimeSpan.FromMinutes(2));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("did not finish within 3 s", r.Stderr);
        Assert.True(File.Exists(Path.Combine(project, "f0.o")));
        await Eventually.True(() => Run.Shell($"pgrep -f '^sleep {marker}'").ExitCode != 0, TimeSpan.FromSeconds(15), "the hung compiler to be killed");
    }

    [Fact]
    public async Task A_compiler_that_no_worker_offers_compiles_locally_and_status_says_which()
    {
        using var scratch = new TempDirectory("ac-unserved");
        var other = Path.Combine(scratch.Path, "gcc-other-version");
        File.WriteAllText(other, "#!/bin/sh\n[ \"$1\" = -dumpfullversion ] && { echo 12.9.9; exit 0; }\nexec gcc \"$@\"\n");
        File.SetUnixFileMode(other, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // The worker offers a fake gcc that reports another version (why a fake: one gcc is installed here),
        // and takes no shipped toolchain (which would bring it this gcc: ShippedToolchainTests).
        var noShipping = scratch.Write("no-shipping.hocon", "actorcompile.worker.shipped-toolchains = off\n");
        using var cluster = new TestCluster(1, workerArgs: new[] { "--toolchain", other, "--config", noShipping });
        await cluster.WaitForWorkers();
        var project = SmallProject(scratch, "p", 1);
        var r = Wrapper.Run(project, cluster.Coordinator.Socket, new[] { "gcc", "-O2", "-Iinclude", "-c", "src/f0.c", "-o", "f0.o" });
        Assert.True(r.ExitCode == 0, r.Stderr);
        var version = Run.Program("gcc", new[] { "-dumpfullversion" }).Stdout.Trim();
        Assert.Contains($"no worker offers gcc {version}", Assert.Single(r.Stderr.TrimEnd('\n').Split('\n')));
        Assert.True(File.Exists(Path.Combine(project, "f0.o")));

        await Eventually.True(() =>
        {
            using var s = Wrapper.Status(cluster.Coordinator.Socket);
            return s.RootElement.GetProperty("coordinators").EnumerateArray().Any(c => c.GetProperty("unservedToolchains").EnumerateArray()
                .Any(u => u.GetProperty("name").GetString() == "gcc" && u.GetProperty("version").GetString() == version && u.GetProperty("compiles").GetInt64() == 1));
        }, TimeSpan.FromSeconds(10), "status to name the unserved toolchain");
        var text = Run.Program(Dist.Wrapper, new[] { "status" }, env: new Dictionary<string, string> { ["ACTORCOMPILE_SOCKET"] = cluster.Coordinator.Socket }).Stdout;
        Assert.Contains($"No worker offers gcc {version}", text);
        Assert.Contains("12.9.9", text); // what the worker does offer
    }
}
