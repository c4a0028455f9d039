using System.Text.Json;
using ActorCompile.Tests;
using Xunit;

namespace ActorCompile.Integration.Tests;

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}

/// <summary>
/// The published node and wrapper as real processes on 127.0.0.1 with the real gcc and g++: builds and
/// single compiles through two workers, compared byte for byte with local compiles in the same directory.
/// ACTORCOMPILE_FALLBACK=0 makes any compile that did not run on a worker fail the test.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class DistributedBuildTests(ClusterFixture cluster)
{
    private static readonly Dictionary<string, string> Strict = new() { ["ACTORCOMPILE_FALLBACK"] = "0" };

    private static string CopySample(TempDirectory dir, string name)
    {
        var target = dir.Combine(name);
        var copy = Run.Shell($"cp -r '{Path.Combine(Dist.RepositoryRoot, "tests", name)}' '{target}' && rm -rf '{target}/build'");
        Assert.True(copy.ExitCode == 0, copy.Stderr);
        return target;
    }

    private static Dictionary<string, byte[]> Snapshot(string directory) =>
        Directory.GetFiles(directory, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(directory, f), File.ReadAllBytes);

    /// <summary>The fixture's workers' counters, by address: (running, completed, failed).</summary>
    private static Dictionary<string, (int Running, long Completed, long Failed)> Counters(JsonDocument status) =>
        status.RootElement.GetProperty("workers").EnumerateArray().ToDictionary(w => w.GetProperty("address").GetString()!,
            w => (w.GetProperty("running").GetInt32(), w.GetProperty("completed").GetInt64(), w.GetProperty("failed").GetInt64()));

    /// <summary>
    /// The workers' counters once the jobs of the collection's previous test are in them. Reports travel
    /// about once a second: the coordinator lists a finished job for 3 s, so once it lists none, queues
    /// none and no worker runs one, the workers' reports it holds were sent after the last job ended.
    /// </summary>
    private async Task<Dictionary<string, (int Running, long Completed, long Failed)>> SettledCounters()
    {
        Dictionary<string, (int Running, long Completed, long Failed)>? counters = null;
        await Eventually.True(() =>
        {
            using var status = Wrapper.Status(cluster.Coordinator.Socket);
            var coordinator = status.RootElement.GetProperty("coordinators").EnumerateArray().Single();
            counters = Counters(status);
            return status.RootElement.GetProperty("jobs").GetArrayLength() == 0
                && coordinator.GetProperty("queued").GetInt32() == 0 && coordinator.GetProperty("inFlight").GetInt32() == 0
                && counters.Count == 2 && counters.Values.All(c => c.Running == 0);
        }, TimeSpan.FromSeconds(30), "the fixture to be idle, with its workers' reports up to date");
        return counters!;
    }

    private static long Completed(JsonDocument status, string address) =>
        status.RootElement.GetProperty("workers").EnumerateArray().Single(w => w.GetProperty("address").GetString() == address).GetProperty("completed").GetInt64();

    [Theory]
    [InlineData("-std=c11 -Wall -Wextra -O2")]
    [InlineData("-std=c11 -Wall -Wextra -O0 -g")]
    public async Task A_multi_file_C_project_builds_on_two_workers_with_identical_objects(string cflags)
    {
        using var dir = new TempDirectory("ac-build");
        var project = CopySample(dir, "sample-project");
        var local = Run.Program("make", new[] { "-j4", "objects", "CC=gcc", $"CFLAGS={cflags}" }, project);
        Assert.True(local.ExitCode == 0, local.Stderr);
        var expected = Snapshot(Path.Combine(project, "build"));
        Assert.True(expected.Count > 60, $"only {expected.Count} files built locally");
        Run.Program("make", new[] { "clean" }, project);

        var settled = await SettledCounters();
        var (beforeA, beforeB) = (settled[cluster.WorkerA.Address].Completed, settled[cluster.WorkerB.Address].Completed);
        var env = new Dictionary<string, string>(Strict) { ["ACTORCOMPILE_SOCKET"] = cluster.Coordinator.Socket };
        var remote = Run.Program("make", new[] { "-j8", "objects", $"CC={Dist.Wrapper} gcc", $"CFLAGS={cflags}" }, project, env);
        Assert.True(remote.ExitCode == 0, remote.Stderr + remote.Stdout);
        Assert.Equal("", remote.Stderr);
        var actual = Snapshot(Path.Combine(project, "build"));

        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (file, bytes) in expected)
            Assert.True(bytes.AsSpan().SequenceEqual(actual[file]), $"{file} differs from the local build ({cflags})");

        // Every compile ran on a worker (ACTORCOMPILE_FALLBACK=0 would have failed the build otherwise):
        // the workers count one job per object between them, and both took part. Reports travel about once
        // a second, so wait for them to arrive.
        var compiles = expected.Keys.Count(f => f.EndsWith(".o", StringComparison.Ordinal));
        long a = 0, b = 0;
        await Eventually.True(() =>
        {
            using var status = Wrapper.Status(cluster.Coordinator.Socket);
            a = Completed(status, cluster.WorkerA.Address) - beforeA;
            b = Completed(status, cluster.WorkerB.Address) - beforeB;
            return a + b >= compiles;
        }, TimeSpan.FromSeconds(30), $"the workers' reports to count {compiles} jobs");
        Assert.Equal(compiles, a + b);
        Assert.True(a > 0 && b > 0, $"both workers should have compiled (a: {a}, b: {b})");
    }

    // One build with optimisation and debug information together (the C project above covers -O2 and -O0 -g
    // apart): each C++ build compiles every file twice on two shared cores, about a minute of the suite.
    [Theory]
    [InlineData("-O2 -g")]
    public void Cplusplus_files_compile_remotely_to_identical_objects(string flags)
    {
        using var dir = new TempDirectory("ac-cpp");
        var project = CopySample(dir, "sample-cpp");
        foreach (var source in Directory.GetFiles(project, "*.cpp").Select(Path.GetFileName))
        {
            var args = new List<string> { "-std=c++17", "-Wall", "-Wextra" };
            args.AddRange(flags.Split(' '));
            args.AddRange(new[] { "-c", source!, "-o", source + ".o" });
            var local = Run.Program("g++", args, project);
            Assert.True(local.ExitCode == 0, local.Stderr);
            var expected = File.ReadAllBytes(Path.Combine(project, source + ".o"));
            File.Delete(Path.Combine(project, source + ".o"));

            var remote = Wrapper.Run(project, cluster.Coordinator.Socket, new[] { "g++" }.Concat(args), Strict);
            Assert.True(remote.ExitCode == 0, remote.Stderr);
            Assert.True(expected.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(project, source + ".o"))), $"{source} differs ({flags})");
        }
        var link = Run.Shell("g++ *.o -o sample-cpp && ./sample-cpp", project);
        Assert.True(link.ExitCode == 0, link.Stderr);
    }

    [Fact]
    public void A_warning_reads_the_same_and_the_object_is_identical()
    {
        using var dir = new TempDirectory("ac-warn");
        var project = CopySample(dir, "sample-project");
        var args = new[] { "-std=c11", "-Wall", "-Wextra", "-O2", "-c", "extras/warn.c", "-o", "warn.o" };
        var local = Run.Program("gcc", args, project);
        var expected = File.ReadAllBytes(Path.Combine(project, "warn.o"));
        File.Delete(Path.Combine(project, "warn.o"));

        var remote = Wrapper.Run(project, cluster.Coordinator.Socket, new[] { "gcc" }.Concat(args), Strict);
        Assert.Equal(0, local.ExitCode);
        Assert.Equal(local.ExitCode, remote.ExitCode);
        Assert.Contains("warning:", local.Stderr);
        Assert.Equal(local.Stderr, remote.Stderr);
        Assert.Equal(local.Stdout, remote.Stdout);
        Assert.True(expected.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(project, "warn.o"))));
    }

    [Fact]
    public void A_compile_error_reads_the_same_with_the_same_exit_code_and_leaves_no_object()
    {
        using var dir = new TempDirectory("ac-error");
        var project = CopySample(dir, "sample-project");
        var args = new[] { "-std=c11", "-Wall", "-c", "extras/error.c", "-o", "error.o" };
        var local = Run.Program("gcc", args, project);
        var remote = Wrapper.Run(project, cluster.Coordinator.Socket, new[] { "gcc" }.Concat(args), Strict);
        Assert.NotEqual(0, local.ExitCode);
        Assert.Equal(local.ExitCode, remote.ExitCode);
        Assert.Contains("error:", local.Stderr);
        Assert.Equal(local.Stderr, remote.Stderr);
        Assert.False(File.Exists(Path.Combine(project, "error.o")));
        Assert.Empty(Directory.GetFiles(project, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void A_dependency_file_equals_the_local_one()
    {
        using var dir = new TempDirectory("ac-deps");
        var project = CopySample(dir, "sample-project");
        Directory.CreateDirectory(Path.Combine(project, "out"));
        var args = new[] { "-Iinclude", "-O2", "-MD", "-MP", "-MT", "custom target", "-MF", "out/calc.deps", "-c", Path.Combine(project, "src/calc.c"), "-o", "out/calc.o" };
        Assert.Equal(0, Run.Program("gcc", args, project).ExitCode);
        var expectedDeps = File.ReadAllText(Path.Combine(project, "out/calc.deps"));
        var expectedObject = File.ReadAllBytes(Path.Combine(project, "out/calc.o"));
        File.Delete(Path.Combine(project, "out/calc.deps"));
        File.Delete(Path.Combine(project, "out/calc.o"));

        var remote = Wrapper.Run(project, cluster.Coordinator.Socket, new[] { "gcc" }.Concat(args), Strict);
        Assert.True(remote.ExitCode == 0, remote.Stderr);
        Assert.Equal(expectedDeps, File.ReadAllText(Path.Combine(project, "out/calc.deps")));
        Assert.True(expectedObject.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(project, "out/calc.o"))));
    }

    [Fact]
    public void A_masquerade_link_named_gcc_runs_the_real_gcc_through_the_cluster()
    {
        using var dir = new TempDirectory("ac-masq");
        var bin = dir.Combine("bin");
        Directory.CreateDirectory(bin);
        File.CreateSymbolicLink(Path.Combine(bin, "gcc"), Dist.Wrapper);
        var project = CopySample(dir, "sample-project");
        var env = new Dictionary<string, string>(Strict)
        {
            ["ACTORCOMPILE_SOCKET"] = cluster.Coordinator.Socket,
            ["ACTORCOMPILE_VERBOSE"] = "1",
            ["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH"),
        };
        // Through the shell, as make runs it: "gcc" is looked up on PATH and finds the link first.
        var r = Run.Shell("gcc -Iinclude -O2 -c src/roman.c -o roman.o", project, env);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("compiled on 127.0.0.1:", r.Stderr);
        var local = Run.Program("/usr/bin/gcc", new[] { "-Iinclude", "-O2", "-c", "src/roman.c", "-o", "roman-local.o" }, project);
        Assert.Equal(0, local.ExitCode);
        Assert.True(File.ReadAllBytes(Path.Combine(project, "roman.o")).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(project, "roman-local.o"))));
    }

    [Fact]
    public void Commands_that_cannot_be_distributed_run_locally_without_a_message()
    {
        using var dir = new TempDirectory("ac-link");
        dir.Write("main.c", "int main(void) { return 7; }\n");
        var env = new Dictionary<string, string>(Strict);
        Assert.Equal(0, Wrapper.Run(dir.Path, cluster.Coordinator.Socket, new[] { "gcc", "-c", "main.c" }, env).ExitCode);
        var link = Wrapper.Run(dir.Path, cluster.Coordinator.Socket, new[] { "gcc", "main.o", "-o", "prog" }, env);
        Assert.True(link.ExitCode == 0, link.Stderr);
        Assert.Equal("", link.Stderr);
        Assert.Equal(7, Run.Program(dir.Combine("prog"), Array.Empty<string>()).ExitCode);
        var preprocess = Wrapper.Run(dir.Path, cluster.Coordinator.Socket, new[] { "gcc", "-E", "main.c" }, env);
        Assert.Equal(0, preprocess.ExitCode);
        Assert.Contains("int main(void)", preprocess.Stdout);
    }


    [Fact]
    public async Task Status_json_lists_the_workers_in_the_documented_schema_and_counts_a_compile()
    {
        using (var status = Wrapper.Status(cluster.Coordinator.Socket))
        {
            var workers = status.RootElement.GetProperty("workers").EnumerateArray().ToList();
            Assert.Equal(new[] { cluster.WorkerA.Address, cluster.WorkerB.Address }.Order(), workers.Select(w => w.GetProperty("address").GetString()).Order());
            foreach (var w in workers)
            {
                foreach (var field in new[] { "address", "state", "slots", "running", "peakRunning", "completed", "failed", "discrepancies",
                             "cores", "loadAverage", "meanCompileSeconds", "toolchains", "refusedCoordinators" })
                    Assert.True(w.TryGetProperty(field, out _), $"a worker's status lacks the documented field {field}");
                Assert.Equal("up", w.GetProperty("state").GetString());
                Assert.Equal(2, w.GetProperty("slots").GetInt32());
                Assert.Equal(Environment.ProcessorCount, w.GetProperty("cores").GetInt32());
                var toolchains = w.GetProperty("toolchains").EnumerateArray().ToList();
                Assert.Contains(toolchains, t => t.GetProperty("name").GetString()!.Split(',').Contains("gcc") && t.GetProperty("fingerprint").GetString()!.Length == 64);
            }
        }

        // The counters count: with no build running (tests of this collection run one at a time), nothing
        // runs once the reports settle; one compile adds one completed job to the worker that ran it, and
        // nothing to the other or to the failures.
        var before = await SettledCounters();
        using var dir = new TempDirectory("ac-count");
        dir.Write("a.c", "int counted(void) { return 1; }\n");
        var r = Wrapper.Run(dir.Path, cluster.Coordinator.Socket, new[] { "gcc", "-O2", "-c", "a.c", "-o", "a.o" },
            new Dictionary<string, string>(Strict) { ["ACTORCOMPILE_VERBOSE"] = "1" });
        Assert.True(r.ExitCode == 0, r.Stderr);
        var ranOn = Assert.Single(before.Keys, a => r.Stderr.Contains($"a.c compiled on {a} ", StringComparison.Ordinal));
        var expected = before.ToDictionary(kv => kv.Key, kv => kv.Key == ranOn ? kv.Value with { Completed = kv.Value.Completed + 1 } : kv.Value);
        Dictionary<string, (int Running, long Completed, long Failed)> after = null!;
        try
        {
            await Eventually.True(() =>
            {
                using var status = Wrapper.Status(cluster.Coordinator.Socket);
                after = Counters(status);
                return after.Count == expected.Count && expected.All(kv => after.GetValueOrDefault(kv.Key) == kv.Value);
            }, TimeSpan.FromSeconds(30), "the reports to count the compile");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}: expected {string.Join(", ", expected)}, last {string.Join(", ", after)}");
        }
    }

    [Theory]
    [InlineData("clang", "-O2", "src/roman.c")]
    [InlineData("clang", "-O0 -g", "src/calc.c")]
    public void Clang_jobs_distribute_and_give_the_local_objects(string compiler, string flags, string source)
    {
        using var dir = new TempDirectory("ac-clang");
        var project = CopySample(dir, "sample-project");
        var args = flags.Split(' ').Concat(new[] { "-Iinclude", "-c", source, "-o", "out.o" }).ToArray();
        Assert.Equal(0, Run.Program(compiler, args, project).ExitCode);
        var expected = File.ReadAllBytes(Path.Combine(project, "out.o"));
        File.Delete(Path.Combine(project, "out.o"));
        var env = new Dictionary<string, string>(Strict) { ["ACTORCOMPILE_VERBOSE"] = "1" };
        var r = Wrapper.Run(project, cluster.Coordinator.Socket, new[] { compiler }.Concat(args), env);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("compiled on 127.0.0.1:", r.Stderr);
        Assert.True(expected.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(project, "out.o"))), $"{compiler} {flags} differs");
    }

    [Fact]
    public void Clangplusplus_jobs_distribute_and_give_the_local_objects()
    {
        using var dir = new TempDirectory("ac-clangxx");
        var project = CopySample(dir, "sample-cpp");
        var source = Directory.GetFiles(project, "*.cpp").Select(Path.GetFileName).First()!;
        var args = new[] { "-std=c++17", "-O2", "-g", "-c", source, "-o", "out.o" };
        Assert.Equal(0, Run.Program("clang++", args, project).ExitCode);
        var expected = File.ReadAllBytes(Path.Combine(project, "out.o"));
        File.Delete(Path.Combine(project, "out.o"));
        var r = Wrapper.Run(project, cluster.Coordinator.Socket, new[] { "clang++" }.Concat(args), Strict);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.True(expected.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(project, "out.o"))));
    }

    [Theory]
    [InlineData("-O2 -march=native")]
    [InlineData("-O2 -march=native -mtune=native -g -gno-record-gcc-switches")]
    public void March_native_is_expanded_here_and_the_remote_object_is_the_local_one(string flags)
    {
        using var dir = new TempDirectory("ac-native");
        var project = CopySample(dir, "sample-project");
        var args = flags.Split(' ').Concat(new[] { "-Iinclude", "-c", "src/matrix.c", "-o", "out.o" }).ToArray();
        Assert.Equal(0, Run.Program("gcc", args, project).ExitCode);
        var expected = File.ReadAllBytes(Path.Combine(project, "out.o"));
        File.Delete(Path.Combine(project, "out.o"));
        var env = new Dictionary<string, string>(Strict) { ["ACTORCOMPILE_VERBOSE"] = "1" };
        var r = Wrapper.Run(project, cluster.Coordinator.Socket, new[] { "gcc" }.Concat(args), env);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("compiled on 127.0.0.1:", r.Stderr);
        Assert.True(expected.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(project, "out.o"))), flags);
    }

    [Fact]
    public void March_native_with_recorded_debug_information_compiles_locally_and_quietly()
    {
        using var dir = new TempDirectory("ac-native-g");
        var project = CopySample(dir, "sample-project");
        var args = new[] { "-O2", "-g", "-march=native", "-Iinclude", "-c", "src/matrix.c", "-o", "out.o" };
        Assert.Equal(0, Run.Program("gcc", args, project).ExitCode);
        var expected = File.ReadAllBytes(Path.Combine(project, "out.o"));
        var r = Wrapper.Run(project, cluster.Coordinator.Socket, new[] { "gcc" }.Concat(args), new Dictionary<string, string> { ["ACTORCOMPILE_VERBOSE"] = "1" });
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("compiled locally", r.Stderr);
        Assert.True(expected.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(project, "out.o"))));
    }

    [Theory]
    [InlineData("x86_64-linux-gnu-gcc")]
    [InlineData("gcc-12")]
    [InlineData("x86_64-linux-gnu-gcc-12")]
    [InlineData("cc")]
    public void Qualified_names_compile_on_workers_that_offer_their_plain_twin(string name)
    {
        using var dir = new TempDirectory("ac-names");
        dir.Write("a.c", "int twice(int x) { return 2 * x; }\n");
        var r = Wrapper.Run(dir.Path, cluster.Coordinator.Socket, new[] { name, "-O2", "-c", "a.c", "-o", "a.o" },
            new Dictionary<string, string>(Strict) { ["ACTORCOMPILE_VERBOSE"] = "1" });
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("compiled on 127.0.0.1:", r.Stderr);
    }
}
