using System.Text;
using ActorCompile.Coordinator;
using ActorCompile.LocalProtocol;
using ActorCompile.Node.Cache;
using ActorCompile.Node.Sessions;
using ActorCompile.Protocol.Messages;
using ActorCompile.Toolchain.Arguments;
using ActorCompile.Toolchain.Cache;
using ActorCompile.Toolchain.Dependencies;
using ActorCompile.Toolchain.Jobs;
using ActorCompile.Toolchain.Processes;
using Xunit;

namespace ActorCompile.Node.Tests;

/// <summary>
/// The wrapper session's decisions on their own, without an actor or a socket: what it accepts of the
/// wrapper's word, how a manifest's files become the job's mirror, when a result may be kept, whether a
/// cached result answers a command, and when a local compile contradicts a worker.
/// </summary>
public sealed class SessionDecisionTests
{
    private static readonly string Fingerprint = new('a', 64);

    [Fact]
    public void A_wrappers_word_about_its_compiler_is_taken_only_within_its_bounds()
    {
        var (identity, problem) = ToolchainInfoCheck.Read(new ToolchainInfo(Fingerprint, "gcc", "12.2.0", "x86_64-linux-gnu", "c"));
        Assert.Null(problem);
        Assert.Equal(("gcc", "x86_64"), (identity!.Family, identity.Architecture));
        Assert.Equal("the toolchain fingerprint must be 64 lowercase hexadecimal digits",
            ToolchainInfoCheck.Read(new ToolchainInfo(new string('A', 64), "gcc", "12", "x86_64-linux-gnu", "c")).Problem);
        Assert.NotNull(ToolchainInfoCheck.Read(new ToolchainInfo(new string('a', 63), "gcc", "12", "x86_64-linux-gnu", "c")).Problem);
        var longest = new string('v', ToolchainInfoCheck.MaximumText);
        Assert.Null(ToolchainInfoCheck.Read(new ToolchainInfo(Fingerprint, "gcc", longest, "t", "c")).Problem);
        Assert.NotNull(ToolchainInfoCheck.Read(new ToolchainInfo(Fingerprint, "gcc", longest + "v", "t", "c")).Problem);
    }

    private static FileUpload Upload(string path, string text, bool settled = true)
    {
        var content = Encoding.UTF8.GetBytes(text);
        return new FileUpload(path, new FileStatus(0x81a4, content.Length, 1, 1, (ulong)path.GetHashCode() & 0xffff, 1, 1), settled, Array.Empty<byte>(), content);
    }

    private static JobManifest Manifest(IReadOnlyList<string> origins, params FileUpload[] uploads) =>
        new(new[] { "/usr/include" }, true,
            origins.Select((o, i) => new MirrorEntry(MirrorEntryKind.File, "/src/f" + i, null, 0, 0))
                .Prepend(new MirrorEntry(MirrorEntryKind.Directory, "/src", null, 0, 0)).ToArray(),
            origins, uploads, InputScan.Scanner);

    [Fact]
    public void A_manifests_files_become_the_versions_this_job_sent_and_a_file_no_round_named_is_refused()
    {
        var files = new JobFiles(1000, "/src", new FileMemo(100, 1 << 20), 1 << 20);
        var (mirror, bytes, problem) = files.Resolve(Manifest(new[] { "/src/a.c", "/src/a.h" }, Upload("/src/a.c", "int a;"), Upload("/src/a.h", "#define A")));
        Assert.Null(problem);
        Assert.Equal(6 + 9, bytes);
        Assert.Equal(MirrorEntryKind.Directory, mirror![0].Kind);
        Assert.Equal((ContentHash.Of(Encoding.UTF8.GetBytes("int a;")), 6L), (mirror[1].Hash, mirror[1].Size));
        Assert.Equal("/src/f1", mirror[2].Path); // the mirror's path, the origin's version

        var other = new JobFiles(1000, "/src", new FileMemo(100, 1 << 20), 1 << 20);
        var refused = other.Resolve(Manifest(new[] { "/src/secret.h" }));
        Assert.Null(refused.Mirror);
        Assert.Equal("the manifest names /src/secret.h, which no scan round of this connection sent or asked about", refused.Problem);

        var small = new JobFiles(1000, "/src", new FileMemo(100, 1 << 20), 10);
        Assert.Throws<JobTooLargeException>(() => small.Resolve(Manifest(new[] { "/src/big.c" }, Upload("/src/big.c", "int big_enough;"))));
    }

    [Fact]
    public void A_result_is_keepable_only_when_every_input_is_known_and_none_names_the_clock()
    {
        var files = new JobFiles(1000, "/src", new FileMemo(100, 1 << 20), 1 << 20);
        files.Take(new[] { Upload("/src/a.c", "int a;"), Upload("/src/t.c", "const char *t = __TIME__;") });
        Assert.True(files.Keepable(new[] { "/src/a.c" }));
        Assert.False(files.Keepable(new[] { "/src/a.c", "/src/t.c" }));
        Assert.False(files.Keepable(new[] { "/src/a.c", "/src/unknown.h" }));
    }

    private static readonly CompileCommand Command = CompileCommand.Parse(new[] { "-c", "a.c", "-o", "a.o" });
    private static readonly CachedResult Hit = new(Array.Empty<byte>(), Encoding.UTF8.GetBytes("warning"), Array.Empty<JobOutput>(), "w1:1", 0);
    private static readonly KeyValuePair<string, byte[]>[] Kept = { new(ResultOutputs.Object, new byte[] { 1, 2, 3 }) };

    [Fact]
    public void A_cached_result_answers_under_this_commands_paths_is_verified_at_the_rate_and_is_not_used_without_its_outputs()
    {
        var found = new CacheFound("key", Hit, Accountable: "w1:1", Owner: "o:1", Files: Kept);
        var serve = Assert.IsType<CacheAnswerUse.Serve>(CacheHitPolicy.Use(found, Command, DependencyStyle.Gcc, verifyRate: 0.1, draw: 0.1));
        Assert.Equal(("a.o", 3L), (Assert.Single(serve.Outputs).Key, serve.Bytes));
        var verify = Assert.IsType<CacheAnswerUse.Verify>(CacheHitPolicy.Use(found, Command, DependencyStyle.Gcc, verifyRate: 0.1, draw: 0.099));
        Assert.Equal(("w1:1", "o:1"), (verify.Accountable, verify.Owner));
        Assert.IsType<CacheAnswerUse.Serve>(CacheHitPolicy.Use(found, Command, DependencyStyle.Gcc, verifyRate: 0, draw: 0));

        var withDeps = CompileCommand.Parse(new[] { "-c", "a.c", "-o", "a.o", "-MD" });
        var unusable = Assert.IsType<CacheAnswerUse.Compile>(CacheHitPolicy.Use(found, withDeps, DependencyStyle.Gcc, 0, 0));
        Assert.True(unusable.Unexpected);
        var distrusted = Assert.IsType<CacheAnswerUse.Compile>(CacheHitPolicy.Use(new CacheFound("key", null, Distrusted: "its producer is distrusted"), Command, DependencyStyle.Gcc, 0, 0));
        Assert.Equal(("its producer is distrusted", false), (distrusted.Why, distrusted.Unexpected));
    }

    [Fact]
    public void A_local_compile_that_checks_a_cached_result_agrees_only_with_the_same_exit_bytes_and_diagnostics()
    {
        var outputs = new[] { new KeyValuePair<string, byte[]>("a.o", new byte[] { 1, 2, 3 }) };
        var same = new[] { new KeyValuePair<string, string>("a.o", ContentHash.Of(new byte[] { 1, 2, 3 })) };
        Assert.Null(CachedResultCheck.Difference(outputs, Hit.Stderr, new LocalDone(0, ContentHash.Of(Hit.Stderr), same)));
        Assert.Null(CachedResultCheck.Difference(outputs, Hit.Stderr, new LocalDone(0, null, same))); // diagnostics not reported: not compared
        Assert.Equal("the cached result succeeded, the local compile exited with 1", CachedResultCheck.Difference(outputs, Hit.Stderr, new LocalDone(1, null, same)));
        Assert.Equal("the local compile wrote other bytes than the cached result",
            CachedResultCheck.Difference(outputs, Hit.Stderr, new LocalDone(0, null, new[] { new KeyValuePair<string, string>("a.o", ContentHash.Of(new byte[] { 9 })) })));
        Assert.Equal("the local compile printed other diagnostics than the cached result",
            CachedResultCheck.Difference(outputs, Hit.Stderr, new LocalDone(0, ContentHash.Of(new byte[] { 7 }), same)));
    }

    [Fact]
    public void A_local_compile_contradicts_a_worker_by_its_exit_code_or_its_diagnostics()
    {
        var verdict = new RemoteVerdict("id-w1", "w1:1", 1, "errhash");
        Assert.Null(RemoteVerdictCheck.Difference(verdict, new LocalDone(1, "errhash")));
        Assert.Null(RemoteVerdictCheck.Difference(verdict, new LocalDone(1, null)));
        Assert.Equal("the worker's compiler exited with 1, the local one with 0", RemoteVerdictCheck.Difference(verdict, new LocalDone(0, "errhash")));
        Assert.Equal("the worker's compiler printed other diagnostics than the local one", RemoteVerdictCheck.Difference(verdict, new LocalDone(1, "other")));
    }
}
