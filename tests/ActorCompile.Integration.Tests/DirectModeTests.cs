using System.Text.RegularExpressions;
using ActorCompile.Tests;
using ActorCompile.Toolchain.DirectMode;
using ActorCompile.Toolchain.Processes;
using Xunit;

namespace ActorCompile.Integration.Tests;

/// <summary>
/// The wrapper's direct mode with the published wrapper and node, the real gcc and the fixture's workers:
/// a compile whose record still holds by stat skips the dependency scan (ACTORCOMPILE_TIMING=1 shows a
/// "direct" phase and no "scanned" one), and every change the rule for doubt names sends it back to the
/// scan; each object is compared with the local gcc's. Every test has its own record directory
/// (ACTORCOMPILE_DIRECT_DIR). A file younger than 2 s is never recorded (a coarse file clock could hide a
/// second change), so the tests wait, bounded, until the files they wrote are older than that.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class DirectModeTests(ClusterFixture cluster)
{
    private static readonly string[] Args = { "gcc", "-O2", "-c", "unit.c", "-o", "unit.o", "-I../early", "-I../include" };

    private sealed class Unit : IDisposable
    {
        public TempDirectory Dir { get; } = new("ac-direct");
        public string Source => Dir.Combine("src");
        public string Records => Dir.Combine("records");

        public Unit()
        {
            Dir.Write("src/unit.c", "#include <stdio.h>\n#include \"config.h\"\n#include <api.h>\n"
                + "int api_value = API;\nint show(void) { return printf(\"%d %d\\n\", API, CONFIG); }\n");
            Dir.Write("src/config.h", "#define CONFIG 7\n");
            Dir.Write("include/api.h", "#define API 1\n");
            Directory.CreateDirectory(Dir.Combine("early"));
        }

        public void Dispose() => Dir.Dispose();

        public Dictionary<string, string> Env(bool strict = true)
        {
            // Direct mode is part of the result cache: the harness turns the cache off unless a test asks for it.
            var env = new Dictionary<string, string> { ["ACTORCOMPILE_CACHE"] = "1", ["ACTORCOMPILE_TIMING"] = "1", [DirectStore.DirectoryVariable] = Records };
            if (strict) env["ACTORCOMPILE_FALLBACK"] = "0";
            return env;
        }

        /// <summary>What the local gcc makes of the unit now.</summary>
        public byte[] LocalObject()
        {
            var local = Run.Program("gcc", Args.Skip(1).Select(a => a == "unit.o" ? "local.o" : a), Source);
            Assert.True(local.ExitCode == 0, local.Stderr);
            return File.ReadAllBytes(Path.Combine(Source, "local.o"));
        }

        public byte[] Object => File.ReadAllBytes(Path.Combine(Source, "unit.o"));

        /// <summary>Waits until every file and directory of the unit is older than the doubt window, so that a scan may record it.</summary>
        public Task Settle() => Eventually.True(() =>
        {
            long limit = DirectRecorder.ToNanoseconds(DateTime.UtcNow) - DirectRecorder.DoubtWindow.Ticks * 100 - 200_000_000;
            return Directory.EnumerateFileSystemEntries(Dir.Path, "*", SearchOption.AllDirectories)
                .Where(p => !p.StartsWith(Records, StringComparison.Ordinal))
                .Select(p => Native.Status(p)!.Value)
                .All(s => s.ModifiedNanoseconds < limit && s.ChangedNanoseconds < limit);
        }, TimeSpan.FromSeconds(15), "the unit's files to be older than the doubt window");
    }

    private Run.Result Compile(Unit unit, bool strict = true)
    {
        var r = Wrapper.Run(unit.Source, cluster.Coordinator.Socket, Args, unit.Env(strict));
        Assert.True(r.ExitCode == 0, r.Stderr);
        return r;
    }

    private static bool Took(Run.Result r, string phase) => Regex.IsMatch(r.Stderr, $@"actorcompile timing: (.*, )?{phase} \+\d+");

    private static void AssertScanned(Run.Result r)
    {
        Assert.True(Took(r, "scanned") && !Took(r, "direct"), r.Stderr);
        Assert.Contains("; node:", r.Stderr); // compiled on a worker, not locally
    }

    private static void AssertDirect(Run.Result r)
    {
        Assert.True(Took(r, "direct") && !Took(r, "scanned"), r.Stderr);
        Assert.Contains("; node:", r.Stderr);
    }

    [Fact]
    public async Task A_second_compile_skips_the_scan_until_a_header_changes_or_a_new_one_shadows_it()
    {
        using var unit = new Unit();
        await unit.Settle();
        AssertScanned(Compile(unit));
        var second = Compile(unit);
        AssertDirect(second);
        Assert.Equal(unit.LocalObject(), unit.Object);

        // A header with new content: the record is in doubt, the scan runs and the object follows the header.
        var before = unit.Object;
        File.WriteAllText(unit.Dir.Combine("include/api.h"), "#define API 2\n");
        AssertScanned(Compile(unit));
        Assert.Equal(unit.LocalObject(), unit.Object);
        Assert.NotEqual(before, unit.Object);

        // That header was too new to record; once it is older, a scan records again and the next compile is direct.
        await unit.Settle();
        AssertScanned(Compile(unit));
        AssertDirect(Compile(unit));

        // A header of the same name in an earlier -I directory shadows the one the record found.
        before = unit.Object;
        unit.Dir.Write("early/api.h", "#define API 40\n");
        AssertScanned(Compile(unit));
        Assert.Equal(unit.LocalObject(), unit.Object);
        Assert.NotEqual(before, unit.Object);
    }

    [Fact]
    public async Task A_record_whose_file_no_longer_has_the_recorded_content_compiles_locally_and_is_deleted()
    {
        using var unit = new Unit();
        await unit.Settle();
        AssertScanned(Compile(unit));
        // The record claims other content for config.h than the file holds, while its status still matches:
        // the node lacks that content, asks for it, and the wrapper finds the file does not hash to it.
        var store = DirectStore.Open(unit.Records, out var problem)!;
        Assert.Null(problem);
        var file = Directory.GetFiles(unit.Records, "*", SearchOption.AllDirectories).Single();
        var key = DirectRecordFormat.Read(File.ReadAllBytes(file))!.Key;
        var record = store.Load(key, out problem)!;
        var forged = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Guid.NewGuid().ToByteArray()));
        var config = record.Files.Single(f => f.Path.EndsWith("/config.h", StringComparison.Ordinal));
        record = record with
        {
            Entries = record.Entries.Select(e => e.Hash == config.Hash ? e with { Hash = forged } : e).ToList(),
            Files = record.Files.Select(f => f == config ? f with { Hash = forged } : f).ToList(),
        };
        Assert.True(store.Save(record, out problem), problem);

        var r = Compile(unit, strict: false);
        Assert.Contains("a file changed while the direct-mode record of unit.c was in use; compiling locally", r.Stderr);
        Assert.True(Took(r, "direct"), r.Stderr);
        Assert.Equal(unit.LocalObject(), unit.Object);
        Assert.False(File.Exists(file));
        AssertScanned(Compile(unit));
    }

    [Fact]
    public async Task A_direct_manifest_sends_the_contents_a_fresh_node_lacks_from_the_files_as_they_are()
    {
        using var unit = new Unit();
        await unit.Settle();
        AssertScanned(Compile(unit));
        var expected = unit.LocalObject();
        File.Delete(Path.Combine(unit.Source, "unit.o"));

        // Another cluster's node has none of the contents: it asks, and the wrapper reads and checks each file.
        using var fresh = new TestCluster(1, prefix: "ac-direct-fresh");
        await fresh.WaitForWorkers();
        var r = Wrapper.Run(unit.Source, fresh.Coordinator.Socket, Args, unit.Env());
        Assert.True(r.ExitCode == 0, r.Stderr + fresh.Logs());
        AssertDirect(r);
        Assert.Equal(expected, unit.Object);
    }
}

/// <summary>
/// Every wrapper these tests start keeps its direct-mode records in one directory of this test run (not in
/// the user's ~/.cache, which outlives the run and would carry records from one run into the next).
/// </summary>
internal static class DirectModeRecords
{
    [System.Runtime.CompilerServices.ModuleInitializer]
    internal static void KeepThemInThisRun()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"ac-direct-records-{Environment.ProcessId}");
        Environment.SetEnvironmentVariable(DirectStore.DirectoryVariable, directory);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(directory, recursive: true); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // /tmp is cleaned anyway
        };
    }
}
