using System.Text.Json;
using ActorCompile.Tests;
using ActorCompile.Toolchain.Processes;
using Xunit;

namespace ActorCompile.Integration.Tests;

/// <summary>
/// How a job's inputs are found, through the published wrapper and node and the fixture's workers, the
/// real gcc and g++: the include scanner (no compiler runs on the target), the node's memory of each
/// user's file versions (a rebuild reads no file: a direct hit), the compiler's own scan where the scanner
/// declines, and a scanner that misses a file (made to, through its test-only fault injection): the remote
/// compile fails, the compiler's scan finds the file, and the object is still the local one. The tests read
/// the coordinator's counters in status; every object is compared with the local compiler's.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ScanTests(ClusterFixture cluster)
{
    private sealed class Unit : IDisposable
    {
        public TempDirectory Dir { get; } = new("ac-scan");
        public string Source => Dir.Combine("src");

        public Unit(string name = "unit.c", string? text = null)
        {
            Dir.Write("src/" + name, text ?? "#include <stdio.h>\n#include \"config.h\"\n#include <api.h>\n"
                + "int api_value = API;\nint show(void) { return printf(\"%d %d\\n\", API, CONFIG); }\n");
            Dir.Write("src/config.h", "#define CONFIG 7\n");
            Dir.Write("include/api.h", "#define API 1\n");
            Directory.CreateDirectory(Dir.Combine("early"));
        }

        public void Dispose() => Dir.Dispose();

        public byte[] Local(string compiler, string[] args)
        {
            var local = Run.Program(compiler, args.Select(a => a.EndsWith(".o", StringComparison.Ordinal) ? "local.o" : a), Source);
            Assert.True(local.ExitCode == 0, local.Stderr);
            return File.ReadAllBytes(Path.Combine(Source, "local.o"));
        }

        public byte[] Object(string name = "unit.o") => File.ReadAllBytes(Path.Combine(Source, name));

        /// <summary>Waits until the unit's files are older than the doubt window, so that the node may remember them.</summary>
        public Task Settle() => Eventually.True(() =>
        {
            long limit = FileTimes.ToNanoseconds(DateTime.UtcNow) - FileTimes.DoubtWindow.Ticks * 100 - 200_000_000;
            return Directory.EnumerateFiles(Dir.Path, "*", SearchOption.AllDirectories)
                .Select(p => Native.Status(p)!.Value)
                .All(s => s.ModifiedNanoseconds < limit && s.ChangedNanoseconds < limit);
        }, TimeSpan.FromSeconds(15), "the unit's files to be older than the doubt window");
    }

    private static readonly string[] Args = { "-O2", "-g", "-c", "unit.c", "-o", "unit.o", "-I../early", "-I../include" };

    private Run.Result Compile(Unit unit, string compiler, string[] args, Dictionary<string, string>? env = null)
    {
        var e = new Dictionary<string, string> { ["ACTORCOMPILE_CACHE"] = "1", ["ACTORCOMPILE_FALLBACK"] = "0", ["ACTORCOMPILE_VERBOSE"] = "1" };
        if (env is not null) foreach (var (k, v) in env) e[k] = v;
        var r = Wrapper.Run(unit.Source, cluster.Coordinator.Socket, new[] { compiler }.Concat(args), e);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return r;
    }

    /// <summary>The coordinator's counters: scans (scanned, declined, missed) and the cache's hits and direct hits.</summary>
    private (long Scanned, long Declined, long Missed, long Hits, long DirectHits) Counters()
    {
        using var s = Wrapper.Status(cluster.Coordinator.Socket);
        var c = s.RootElement.GetProperty("coordinators").EnumerateArray().Single(x => x.GetProperty("address").GetString() == cluster.Coordinator.Address);
        var scans = c.TryGetProperty("scans", out var sc) && sc.ValueKind == JsonValueKind.Object ? sc : default;
        long Scan(string name) => scans.ValueKind == JsonValueKind.Object ? scans.GetProperty(name).GetInt64() : 0;
        var cache = c.GetProperty("cache");
        long Cache(string name) => cache.ValueKind == JsonValueKind.Object ? cache.GetProperty(name).GetInt64() : 0;
        return (Scan("scanned"), Scan("declined"), Scan("missed"), Cache("hits"), Cache("directHits"));
    }

    /// <summary>Waits until the published counters satisfy a condition (they are published about once a second).</summary>
    private async Task<(long Scanned, long Declined, long Missed, long Hits, long DirectHits)> CountersWhen(
        Func<(long Scanned, long Declined, long Missed, long Hits, long DirectHits), bool> condition, string what)
    {
        (long, long, long, long, long) last = default;
        await Eventually.True(() => condition(last = Counters()), TimeSpan.FromSeconds(20), what);
        return last;
    }

    [Fact]
    public async Task The_scanner_finds_the_inputs_a_rebuild_reads_no_file_and_a_changed_or_shadowing_header_is_followed()
    {
        using var unit = new Unit();
        await unit.Settle();
        var before = Counters();
        var first = Compile(unit, "gcc", Args);
        Assert.Contains("compiled on", first.Stderr);
        Assert.Equal(unit.Local("gcc", Args), unit.Object());
        await CountersWhen(c => c.Scanned == before.Scanned + 1 && c.Declined == before.Declined, "the scan to be counted");

        // The same unit again: every file version is remembered, nothing is read, the result is the cache's.
        var again = Compile(unit, "gcc", Args);
        Assert.Contains("fetched from the result cache", again.Stderr);
        Assert.Equal(unit.Local("gcc", Args), unit.Object());
        await CountersWhen(c => c.DirectHits == before.DirectHits + 1, "a direct hit");

        // A header with new content: another key; the object follows the header.
        var old = unit.Object();
        File.WriteAllText(unit.Dir.Combine("include/api.h"), "#define API 2\n");
        Compile(unit, "gcc", Args);
        Assert.Equal(unit.Local("gcc", Args), unit.Object());
        Assert.NotEqual(old, unit.Object());

        // A header of the same name in an earlier -I directory shadows it.
        old = unit.Object();
        unit.Dir.Write("early/api.h", "#define API 40\n");
        Compile(unit, "gcc", Args);
        Assert.Equal(unit.Local("gcc", Args), unit.Object());
        Assert.NotEqual(old, unit.Object());
    }

    [Fact]
    public async Task A_cxx_unit_with_libstdcxx_headers_compiled_again_with_identical_inputs_is_a_direct_hit()
    {
        // The case issue 20 found: -g, -std=c++11, libstdc++'s headers, compiled twice with nothing changed.
        using var unit = new Unit("unit.cpp", "#include <vector>\n#include <string>\n#include <map>\n#include <iostream>\n"
            + "std::map<std::string, std::vector<int>> table() { return {{\"a\", {1, 2}}}; }\nvoid say() { std::cout << table().size() << '\\n'; }\n");
        var args = new[] { "-std=c++11", "-O2", "-g", "-c", "unit.cpp", "-o", "unit.o" };
        await unit.Settle();
        var before = Counters();
        Compile(unit, "g++", args);
        Assert.Equal(unit.Local("g++", args), unit.Object());
        await CountersWhen(c => c.Scanned == before.Scanned + 1, "the scan to be counted");
        File.Delete(Path.Combine(unit.Source, "unit.o"));
        Assert.Contains("fetched from the result cache", Compile(unit, "g++", args).Stderr);
        Assert.Equal(unit.Local("g++", args), unit.Object());
        await CountersWhen(c => c.DirectHits == before.DirectHits + 1, "a direct hit");
    }

    [Fact]
    public async Task A_computed_include_the_scanner_cannot_follow_is_scanned_by_the_compiler()
    {
        using var unit = new Unit("unit.c", "#define STR(x) #x\n#define HEADER(n) STR(n.h)\n#include HEADER(config)\nint c = CONFIG;\n");
        var args = new[] { "-O2", "-c", "unit.c", "-o", "unit.o" };
        var before = Counters();
        Assert.Contains("compiled on", Compile(unit, "gcc", args, new() { ["ACTORCOMPILE_CACHE"] = "0" }).Stderr);
        Assert.Equal(unit.Local("gcc", args), unit.Object());
        // Counted as declined, not scanned (the cache is off: no lookup, so the count is the scan's own).
        await CountersWhen(c => c.Declined == before.Declined + 1 && c.Scanned == before.Scanned, "the decline to be counted");
    }

    [Fact]
    public async Task A_file_the_scanner_missed_fails_the_sealed_remote_compile_and_the_compilers_scan_gives_the_local_object()
    {
        using var unit = new Unit();
        var before = Counters();
        // Fault injection: the scanner leaves config.h out of the job (as a scanner bug would).
        var r = Compile(unit, "gcc", Args, new() { ["ACTORCOMPILE_CACHE"] = "0", ["ACTORCOMPILE_TEST_SCANNER_OMITS"] = "config.h" });
        Assert.Contains("compiled on", r.Stderr);
        Assert.Equal(unit.Local("gcc", Args), unit.Object());
        await CountersWhen(c => c.Missed == before.Missed + 1, "the miss to be counted");
    }

    [Fact]
    public async Task A_fresh_node_that_remembers_nothing_gets_every_file_from_the_wrapper()
    {
        using var unit = new Unit();
        await unit.Settle();
        Compile(unit, "gcc", Args);
        var expected = unit.Local("gcc", Args);
        File.Delete(Path.Combine(unit.Source, "unit.o"));

        using var fresh = new TestCluster(1, prefix: "ac-scan-fresh");
        await fresh.WaitForWorkers();
        var r = Wrapper.Run(unit.Source, fresh.Coordinator.Socket, new[] { "gcc" }.Concat(Args),
            new Dictionary<string, string> { ["ACTORCOMPILE_CACHE"] = "1", ["ACTORCOMPILE_FALLBACK"] = "0", ["ACTORCOMPILE_VERBOSE"] = "1" });
        Assert.True(r.ExitCode == 0, r.Stderr + fresh.Logs());
        Assert.Contains("compiled on", r.Stderr);
        Assert.Equal(expected, unit.Object());
    }
}
