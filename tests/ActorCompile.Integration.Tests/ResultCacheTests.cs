using System.Text.Json;
using ActorCompile.Tests;
using Xunit;
using static ActorCompile.Integration.Tests.Builds;

namespace ActorCompile.Integration.Tests;

/// <summary>
/// The result cache the cluster shares, through real nodes and the real gcc: a rebuild fetches instead of
/// compiling, gets the objects and warnings a local compile gives, and never a stale result.
/// </summary>
public sealed class ResultCacheTests
{
    private static readonly Dictionary<string, string> CacheOn = new() { ["ACTORCOMPILE_CACHE"] = "1", ["ACTORCOMPILE_VERBOSE"] = "1", ["ACTORCOMPILE_FALLBACK"] = "0" };

    private static string Project(TempDirectory dir, string name = "p")
    {
        dir.Write($"{name}/include/config.h", "#pragma once\n#define SCALE 3\n");
        dir.Write($"{name}/src/unit.c", "#include <stdio.h>\n#include \"config.h\"\nint scaled(int x) { int unused; return x * SCALE; }\nvoid show(int x) { printf(\"%d\\n\", scaled(x)); }\n");
        return dir.Combine(name);
    }

    private static readonly string[] Flags = { "-O2", "-Wall", "-Iinclude", "-c", "src/unit.c", "-o", "unit.o" };

    /// <summary>Compiles through the cluster and checks the object equals local gcc's with the same arguments; returns the wrapper's stderr.</summary>
    private static string Compile(string project, NodeProcess coordinator, string[] args, string compiler = "gcc", Dictionary<string, string>? env = null)
    {
        var r = Wrapper.Run(project, coordinator.Socket, new[] { compiler }.Concat(args), env ?? CacheOn);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var output = args[Array.IndexOf(args, "-o") + 1];
        var local = Run.Program(compiler, args.Select(a => a == output ? "local-" + output : a), project);
        Assert.True(local.ExitCode == 0, local.Stderr);
        Assert.True(File.ReadAllBytes(Path.Combine(project, "local-" + output)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(project, output))),
            $"{output} ({string.Join(' ', args)}) differs from the local one");
        File.Delete(Path.Combine(project, "local-" + output));
        return r.Stderr;
    }

    private static bool Fetched(string stderr) => stderr.Contains("fetched from the result cache");

    private static JsonElement CacheOf(NodeProcess coordinator)
    {
        using var s = Wrapper.Status(coordinator.Socket);
        return s.RootElement.GetProperty("coordinators").EnumerateArray().Single(c => c.GetProperty("address").GetString() == coordinator.Address).GetProperty("cache").Clone();
    }

    private static JsonElement ClusterCache(NodeProcess node)
    {
        using var s = Wrapper.Status(node.Socket);
        return s.RootElement.GetProperty("cache").Clone();
    }

    private static TestCluster Cluster(TempDirectory scratch, int workers = 1, string coordinatorConfig = "", string? prefix = null) =>
        new(workers, coordinatorArgs: new[] { "--config", scratch.Write("coordinator.hocon", "actorcompile.coordinator.help-after = 1h\n" + coordinatorConfig) },
            prefix: prefix ?? "ac-cache");

    [Fact]
    public async Task A_rebuild_after_make_clean_fetches_identical_objects_and_replays_the_warnings()
    {
        using var scratch = new TempDirectory("ac-cache-hit");
        using var cluster = Cluster(scratch);
        await cluster.WaitForWorkers();
        var project = Project(cluster.Directory);
        var first = Compile(project, cluster.Coordinator, Flags);
        Assert.Contains($"compiled on {cluster.Worker(0).Address}", first);
        Assert.Contains("unused variable", first);
        File.Delete(Path.Combine(project, "unit.o")); // make clean
        var second = Compile(project, cluster.Coordinator, Flags);
        Assert.True(Fetched(second), second);
        Assert.Contains("unused variable", second); // the warning, replayed
        Assert.Equal(first.Split('\n').Count(l => l.Contains("warning")), second.Split('\n').Count(l => l.Contains("warning")));
        await Eventually.True(() => CacheOf(cluster.Coordinator) is var c && c.GetProperty("hits").GetInt64() == 1 && c.GetProperty("misses").GetInt64() == 1
            && c.GetProperty("hitRate").GetDouble() == 0.5, TimeSpan.FromSeconds(10), "status to count one hit and one miss");
        await Eventually.True(() => cluster.WorkerStatus(cluster.Worker(0)).GetProperty("completed").GetInt64() == 1, TimeSpan.FromSeconds(10), "the worker to report its job");
        Assert.Equal(1, cluster.WorkerStatus(cluster.Worker(0)).GetProperty("completed").GetInt64()); // and only the first compile went to it

        // The table and `cache stats` show it too.
        var env = new Dictionary<string, string> { ["ACTORCOMPILE_SOCKET"] = cluster.Coordinator.Socket };
        Assert.Contains("Result cache", Run.Program(Dist.Wrapper, new[] { "status" }, env: env).Stdout);
        var stats = Run.Program(Dist.Wrapper, new[] { "cache", "stats", "--json" }, env: env);
        Assert.Equal(1, JsonDocument.Parse(stats.Stdout).RootElement.GetProperty("totals").GetProperty("hits").GetInt64());
    }

    /// <summary>
    /// ccache's rule: where the outputs go is not part of the key. The same compile written to another directory
    /// (its dependency file too, named after the object) is a hit, and gives the bytes gcc writes there itself:
    /// the object, and the dependency list whose rule names the new object.
    /// </summary>
    [Fact]
    public async Task The_same_compile_written_elsewhere_is_a_hit_with_the_files_gcc_writes_there()
    {
        using var scratch = new TempDirectory("ac-cache-out");
        using var cluster = Cluster(scratch);
        await cluster.WaitForWorkers();
        var project = Project(cluster.Directory);
        string[] Args(string output) => new[] { "gcc", "-g", "-O2", "-Iinclude", "-MD", "-MP", "-c", "src/unit.c", "-o", output };
        var first = Wrapper.Run(project, cluster.Coordinator.Socket, Args("unit.o"), CacheOn);
        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.Contains($"compiled on {cluster.Worker(0).Address}", first.Stderr);

        const string elsewhere = "build dir/with # and $/unit-2.o", dependencies = "build dir/with # and $/unit-2.d";
        Directory.CreateDirectory(Path.Combine(project, Path.GetDirectoryName(elsewhere)!));
        var second = Wrapper.Run(project, cluster.Coordinator.Socket, Args(elsewhere), CacheOn);
        Assert.True(second.ExitCode == 0, second.Stderr);
        Assert.True(Fetched(second.Stderr), second.Stderr);
        var fetched = (Object: File.ReadAllBytes(Path.Combine(project, elsewhere)), Dependencies: File.ReadAllText(Path.Combine(project, dependencies)));
        Assert.Contains("unit-2.o:", fetched.Dependencies);

        // What gcc writes there itself.
        File.Delete(Path.Combine(project, elsewhere));
        File.Delete(Path.Combine(project, dependencies));
        var local = Run.Program("gcc", Args(elsewhere).Skip(1), project);
        Assert.True(local.ExitCode == 0, local.Stderr);
        Assert.True(fetched.Object.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(project, elsewhere))), "the fetched object differs from gcc's");
        Assert.Equal(File.ReadAllText(Path.Combine(project, dependencies)), fetched.Dependencies);
        await Eventually.True(() => CacheOf(cluster.Coordinator) is var c && c.GetProperty("hits").GetInt64() == 1 && c.GetProperty("misses").GetInt64() == 1,
            TimeSpan.FromSeconds(10), "status to count one hit and one miss");
    }

    [Fact]
    public async Task A_changed_header_define_toolchain_or_directory_misses_and_gives_the_right_object()
    {
        using var scratch = new TempDirectory("ac-cache-miss");
        using var cluster = Cluster(scratch);
        await cluster.WaitForWorkers();
        var project = Project(cluster.Directory);
        var worker = $"compiled on {cluster.Worker(0).Address}";
        Compile(project, cluster.Coordinator, Flags);

        // A changed header (same size: only its content tells).
        File.WriteAllText(Path.Combine(project, "include/config.h"), "#pragma once\n#define SCALE 4\n");
        Assert.Contains(worker, Compile(project, cluster.Coordinator, Flags));
        // A changed -D.
        var defined = Flags.Prepend("-DEXTRA=1").ToArray();
        Assert.Contains(worker, Compile(project, cluster.Coordinator, defined));
        Assert.Contains(worker, Compile(project, cluster.Coordinator, Flags.Prepend("-DEXTRA=2").ToArray()));
        // Another toolchain, same arguments.
        Assert.Contains(worker, Compile(project, cluster.Coordinator, Flags, compiler: "clang"));
        // -g in another directory: the object records the directory, so it is another key.
        var g = Flags.Prepend("-g").ToArray();
        Assert.Contains(worker, Compile(project, cluster.Coordinator, g));
        var elsewhere = Project(cluster.Directory, "elsewhere");
        File.WriteAllText(Path.Combine(elsewhere, "include/config.h"), "#pragma once\n#define SCALE 4\n");
        Assert.Contains(worker, Compile(elsewhere, cluster.Coordinator, g));
        // And each of them is a hit the second time.
        Assert.True(Fetched(Compile(elsewhere, cluster.Coordinator, g)));
        Assert.True(Fetched(Compile(project, cluster.Coordinator, defined)));
    }

    [Fact]
    public async Task A_new_header_that_shadows_an_old_one_gives_the_new_object_never_the_stale_one()
    {
        using var scratch = new TempDirectory("ac-cache-shadow");
        using var cluster = Cluster(scratch);
        await cluster.WaitForWorkers();
        var project = cluster.Directory.Combine("s");
        cluster.Directory.Write("s/second/value.h", "#define VALUE 2\n");
        Directory.CreateDirectory(Path.Combine(project, "first"));
        cluster.Directory.Write("s/v.c", "#include \"value.h\"\nint value(void) { return VALUE; }\n");
        var args = new[] { "-O2", "-Ifirst", "-Isecond", "-c", "v.c", "-o", "v.o" };
        Compile(project, cluster.Coordinator, args);
        Assert.True(Fetched(Compile(project, cluster.Coordinator, args)));
        // A header earlier on the include path now shadows second/value.h.
        cluster.Directory.Write("s/first/value.h", "#define VALUE 1\n");
        Assert.Contains($"compiled on {cluster.Worker(0).Address}", Compile(project, cluster.Coordinator, args));
    }

    [Fact]
    public async Task A_source_that_names_the_time_of_the_compile_is_never_cached_and_the_cache_can_be_turned_off()
    {
        using var scratch = new TempDirectory("ac-cache-time");
        using var cluster = Cluster(scratch);
        await cluster.WaitForWorkers();
        var project = cluster.Directory.Combine("t");
        cluster.Directory.Write("t/stamp.c", "const char *built(void) { return __DATE__; }\n");
        cluster.Directory.Write("t/plain.c", "int plain(void) { return 7; }\n");
        var worker = $"compiled on {cluster.Worker(0).Address}";
        var stamp = new[] { "-O2", "-c", "stamp.c", "-o", "stamp.o" };
        Assert.Contains(worker, Compile(project, cluster.Coordinator, stamp));
        Assert.Contains(worker, Compile(project, cluster.Coordinator, stamp));
        var off = new Dictionary<string, string>(CacheOn) { ["ACTORCOMPILE_CACHE"] = "0" };
        var plain = new[] { "-O2", "-c", "plain.c", "-o", "plain.o" };
        Assert.Contains(worker, Compile(project, cluster.Coordinator, plain, env: off));
        Assert.Contains(worker, Compile(project, cluster.Coordinator, plain, env: off));
        await Eventually.True(() => CacheOf(cluster.Coordinator).GetProperty("misses").GetInt64() == 2, TimeSpan.FromSeconds(10), "the two lookups of stamp.c to count");
        Assert.Equal(0, CacheOf(cluster.Coordinator).GetProperty("hits").GetInt64());
        // Nothing was kept anywhere: neither the time-dependent result nor the uncached ones.
        await Eventually.True(() => ClusterCache(cluster.Coordinator).GetProperty("stores").GetArrayLength() == 2, TimeSpan.FromSeconds(10), "both nodes to report their stores");
        Assert.All(ClusterCache(cluster.Coordinator).GetProperty("stores").EnumerateArray(), s => Assert.Equal(0, s.GetProperty("entries").GetInt64()));
    }

    private static IEnumerable<string> EntriesOf(NodeProcess node, string directory) =>
        Directory.Exists(Path.Combine(directory, node.Name + "-cache", "actorcompile", "results"))
            ? Directory.GetFiles(Path.Combine(directory, node.Name + "-cache", "actorcompile", "results"), "*", SearchOption.AllDirectories)
            : Array.Empty<string>();

    [Fact]
    public async Task A_truncated_entry_is_a_miss_and_is_repaired()
    {
        using var scratch = new TempDirectory("ac-cache-corrupt");
        using var cluster = Cluster(scratch);
        await cluster.WaitForWorkers();
        var project = Project(cluster.Directory);
        Compile(project, cluster.Coordinator, Flags);
        var nodes = new[] { cluster.Coordinator, cluster.Worker(0) };
        // Kept here (the coordinator's copy) and at the key's owner (the same node or the worker).
        await Eventually.True(() => EntriesOf(cluster.Coordinator, cluster.Directory.Path).Any(), TimeSpan.FromSeconds(10), "the result to be kept");
        var entries = nodes.SelectMany(n => EntriesOf(n, cluster.Directory.Path)).ToList();
        foreach (var e in entries)
        {
            var bytes = File.ReadAllBytes(e);
            File.WriteAllBytes(e, bytes[..(bytes.Length / 2)]);
        }
        Assert.Contains($"compiled on {cluster.Worker(0).Address}", Compile(project, cluster.Coordinator, Flags));
        await Eventually.True(() => ClusterCache(cluster.Coordinator).GetProperty("stores").EnumerateArray().Sum(s => s.GetProperty("corrupt").GetInt64()) >= 1,
            TimeSpan.FromSeconds(10), "the corrupt entry to be counted");
        // Repaired: kept again from the new compile, a hit next time.
        await Eventually.True(() => EntriesOf(cluster.Coordinator, cluster.Directory.Path).Any(), TimeSpan.FromSeconds(10), "the result to be kept again");
        Assert.True(Fetched(Compile(project, cluster.Coordinator, Flags)));
    }

    [Fact]
    public async Task Two_coordinators_share_hits_and_the_owner_of_a_key_killed_costs_nothing_but_its_share()
    {
        using var scratch = new TempDirectory("ac-cache-share");
        // No random checks of hits (verify-rate): every hit below must be a hit.
        var config = scratch.Write("coordinator.hocon", "actorcompile.coordinator.help-after = 1h\nactorcompile.cache.verify-rate = 0\n");
        using var a = new NodeProcess("target-a", scratch.Path, "coordinator", extra: new[] { "--config", config });
        using var b = new NodeProcess("target-b", scratch.Path, "coordinator", new[] { a.Address }, new[] { "--config", config });
        using var w1 = new NodeProcess("helper-1", scratch.Path, "worker", new[] { a.Address });
        using var w2 = new NodeProcess("helper-2", scratch.Path, "worker", new[] { a.Address });
        var nodes = new[] { a, b, w1, w2 };
        foreach (var target in new[] { a, b })
            await Eventually.True(() =>
            {
                using var s = Wrapper.Status(target.Socket);
                return s.RootElement.GetProperty("workers").EnumerateArray().Count(w => w.GetProperty("state").GetString() == "up") == 2
                    && s.RootElement.GetProperty("members").EnumerateArray().Count(m => m.GetProperty("state").GetString() == "up") == 4;
            }, TimeSpan.FromSeconds(60), "both helpers and both targets to join");
        HashSet<string> Keys(NodeProcess n) => EntriesOf(n, scratch.Path).Select(f => Path.GetFileName(f)).ToHashSet();

        // Target A builds units of one tree until helper 1 owns the key of one of them and another node the
        // key of another. A keeps each result itself, and sends it to the key's owner.
        var project = scratch.Combine("tree");
        var keys = new Dictionary<string, string>();
        bool OwnedBy(NodeProcess n, string unit) => Keys(n).Contains(keys[unit]);
        for (int i = 0; i < 40 && !(keys.Keys.Any(u => OwnedBy(w1, u)) && keys.Keys.Any(u => !OwnedBy(w1, u))); i++)
        {
            var unit = $"u{i}";
            scratch.Write($"tree/{unit}.c", $"int {unit}(int x) {{ return x * {i + 2}; }}\n");
            var before = Keys(a);
            Compile(project, a, new[] { "-O2", "-g", "-c", $"{unit}.c", "-o", $"{unit}.o" });
            var kept = await Eventually.Get(() => Task.FromResult(Keys(a).Except(before).FirstOrDefault()), TimeSpan.FromSeconds(10), "target A to keep the result");
            keys[unit] = kept;
            await Eventually.True(() => nodes.Count(n => Keys(n).Contains(kept)) >= 1 && (nodes.Count(n => Keys(n).Contains(kept)) == 2 || OwnerIsA(kept)),
                TimeSpan.FromSeconds(10), "the owner to keep the result");
        }
        // (A key A owns itself is kept once; which one that is shows only after the fact, so it is read from the other nodes.)
        bool OwnerIsA(string key) => !new[] { b, w1, w2 }.Any(n => Keys(n).Contains(key));
        Assert.Contains(keys.Keys, u => OwnedBy(w1, u));

        // The owner of some keys goes away without a word. Target B, which never compiled any of these,
        // builds them all: every key another node owns is a hit; the keys of helper 1 compile (on helper 2),
        // with the right object, and the build goes on.
        w1.Signal("KILL");
        int fetched = 0;
        foreach (var unit in keys.Keys)
        {
            var stderr = Compile(project, b, new[] { "-O2", "-g", "-c", $"{unit}.c", "-o", $"{unit}.o" });
            if (!OwnedBy(w1, unit)) Assert.True(Fetched(stderr), $"{unit}: {stderr}");
            if (Fetched(stderr)) fetched++;
        }
        // A key of helper 1 may be a hit too: once the cluster has removed helper 1 (about 12 s after it stops
        // answering, which on a loaded machine can fall within this loop), its keys belong to the others, and
        // target A, which kept every result, may be the new owner. Status counts what the compiles said.
        Assert.True(fetched >= keys.Keys.Count(u => !OwnedBy(w1, u)));
        await Eventually.True(() => CacheOf(b).GetProperty("hits").GetInt64() == fetched, TimeSpan.FromSeconds(30), "target B's hits to count");
    }

    private static IEnumerable<byte> Bytes(int seed, int count)
    {
        var random = new Random(seed);
        for (int i = 0; i < count; i++) yield return (byte)random.Next(256);
    }

    [Fact]
    public async Task A_full_cache_evicts_the_least_recently_used_and_stays_correct()
    {
        using var scratch = new TempDirectory("ac-cache-full");
        // 96 KiB on every node; each object below holds 40 KiB of data that does not compress (results are kept LZ4-compressed).
        var small = scratch.Write("small.hocon", "actorcompile.cache.size = 96KiB\n");
        using var cluster = new TestCluster(1, coordinatorArgs: new[] { "--config", scratch.Write("coordinator.hocon", "actorcompile.coordinator.help-after = 1h\n"), "--config", small },
            workerArgs: new[] { "--config", small }, prefix: "ac-cache-full");
        await cluster.WaitForWorkers();
        var project = cluster.Directory.Combine("big");
        for (int i = 0; i < 4; i++)
            cluster.Directory.Write($"big/b{i}.c", $"unsigned char table{i}[40000] = {{ {string.Join(", ", Bytes(i, 40000))} }};\n");
        for (int i = 0; i < 4; i++) Compile(project, cluster.Coordinator, new[] { "-O2", "-c", $"b{i}.c", "-o", $"b{i}.o" });
        await Eventually.True(() => ClusterCache(cluster.Coordinator).GetProperty("stores").GetArrayLength() == 2, TimeSpan.FromSeconds(10), "both stores to report");
        var stores = ClusterCache(cluster.Coordinator).GetProperty("stores").EnumerateArray().ToList();
        foreach (var s in stores) Assert.True(s.GetProperty("bytes").GetInt64() <= 96 << 10 && s.GetProperty("entries").GetInt64() < 4, s.ToString());
        // The most recent ones are hits, the evicted ones compile again: every object is right.
        Assert.True(Fetched(Compile(project, cluster.Coordinator, new[] { "-O2", "-c", "b3.c", "-o", "b3.o" })));
        Assert.Contains($"compiled on {cluster.Worker(0).Address}", Compile(project, cluster.Coordinator, new[] { "-O2", "-c", "b0.c", "-o", "b0.o" }));
    }

    [Fact]
    public async Task A_hit_checked_by_a_local_compile_that_differs_is_a_discrepancy_and_the_result_goes()
    {
        using var scratch = new TempDirectory("ac-cache-lie");
        // Why a fake: no real gcc lies. This one appends a byte to every object it writes on a worker.
        var liar = FakeCompiler.LyingOnWorkers(scratch.Path);
        var config = scratch.Write("verify.hocon", "actorcompile.coordinator.help-after = 1h\nactorcompile.cache.verify-rate = 100%\n");
        using var cluster = new TestCluster(1, coordinatorArgs: new[] { "--config", config },
            workerArgs: new[] { "--toolchain", liar }.Concat(Unsandboxed(scratch)), prefix: "ac-cache-lie");
        await cluster.WaitForWorkers();
        var project = cluster.Directory.Combine("l");
        cluster.Directory.Write("l/l.c", "int lie(void) { return 1; }\n");
        var args = new[] { liar, "-O2", "-c", "l.c", "-o", "l.o" };
        var first = Wrapper.Run(project, cluster.Coordinator.Socket, args, CacheOn);
        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.Contains($"compiled on {cluster.Worker(0).Address}", first.Stderr);
        await Eventually.True(() => ClusterCache(cluster.Coordinator).GetProperty("stores").EnumerateArray().Sum(s => s.GetProperty("entries").GetInt64()) >= 1,
            TimeSpan.FromSeconds(10), "the lie to be kept");
        // The next build of it is a hit, checked by a local compile: the local object is what the user gets.
        var second = Wrapper.Run(project, cluster.Coordinator.Socket, args, CacheOn);
        Assert.True(second.ExitCode == 0, second.Stderr);
        Assert.Equal(0, Run.Program("gcc", new[] { "-O2", "-c", "l.c", "-o", "honest.o" }, project).ExitCode);
        Assert.Equal(File.ReadAllBytes(Path.Combine(project, "honest.o")), File.ReadAllBytes(Path.Combine(project, "l.o")));
        await Eventually.True(() => CacheOf(cluster.Coordinator).GetProperty("discrepancies").GetInt64() == 1
            && cluster.WorkerStatus(cluster.Worker(0)).GetProperty("discrepancies").GetInt64() == 1
            && cluster.WorkerStatus(cluster.Worker(0)).GetProperty("state").GetString() == "backed-off"
            && ClusterCache(cluster.Coordinator).GetProperty("stores").EnumerateArray().Sum(s => s.GetProperty("entries").GetInt64()) == 0,
            TimeSpan.FromSeconds(10), "the discrepancy to be counted, the helper backed off and the result dropped everywhere");
    }
}
