using ActorCompile.Toolchain.Identity;
using ActorCompile.Cli;
using ActorCompile.LocalProtocol.Status;
using ActorCompile.Tests;
using Spectre.Console.Testing;
using Xunit;

namespace ActorCompile.Cli.Tests;

public class CliTests
{
    private static ClusterStatus Sample() => new("127.0.0.1:7420", DateTimeOffset.UnixEpoch,
        new[] { new MemberStatus("127.0.0.1:7420", new[] { "coordinator" }, "up"), new MemberStatus("127.0.0.1:7421", new[] { "worker" }, "up") },
        new[] { new WorkerStatus("127.0.0.1:7421", "up", 4, 1, 3, 10, 2, 0, 8, 0.5, 0.25, new[] { new ToolchainStatus("gcc,cc", "12.2.0", "x86_64-linux-gnu", "c77f85fcc2ec" + new string('0', 52)) }, Array.Empty<string>(), "sandboxed (bubblewrap, sealed roots)",
            "on (x86_64, i386)", new[] { new ShippedToolchainStatus(new string('a', 64), new string('d', 64), 83L << 20, "held") }) },
        new[] { new CoordinatorStatus("127.0.0.1:7420", 3, 2, 2, 1, 100, 7, new[] { new UnservedToolchainStatus("gcc", "13.2.0", "x86_64-linux-gnu", new string('e', 64), 5) }, 31L << 20) },
        new[] { new JobStatus("j1", "127.0.0.1:7420", "src/calc.c", "compiling", "127.0.0.1:7421", 1.5) },
        new[] { new RefusedConnectionStatus("127.0.0.1:7421", "127.0.0.2", 3, "127.0.0.2 is not in the allowed networks") });

    /// <summary>The status view of a known cluster, compared with a snapshot (Snapshots/status.txt).</summary>
    [Fact]
    public void The_status_view_matches_its_snapshot()
    {
        var console = new TestConsole().Width(150);
        console.Write(StatusView.Build(Sample()));
        var snapshot = Path.Combine(AppContext.BaseDirectory, "Snapshots", "status.txt");
        var actual = console.Output.Replace("\r\n", "\n");
        if (Environment.GetEnvironmentVariable("UPDATE_SNAPSHOTS") == "1")
            File.WriteAllText(Path.Combine(SourceDirectory(), "Snapshots", "status.txt"), actual);
        Assert.Equal(File.ReadAllText(snapshot), actual);
    }

    [Fact]
    public void The_status_view_names_workers_toolchains_jobs_and_what_no_worker_offers()
    {
        var console = new TestConsole().Width(150);
        console.Write(StatusView.Build(Sample()));
        var text = console.Output;
        Assert.Contains("127.0.0.1:7421", text);
        Assert.Contains("gcc,cc 12.2.0 c77f85fcc2ec", text);
        Assert.Contains("shipped dddddddddddd 83 MiB held", text);
        Assert.Contains("31 MiB", text);
        Assert.Contains("src/calc.c", text);
        Assert.Contains("compiling", text);
        Assert.Contains("127.0.0.1:7421 refused 3 connection(s) with 127.0.0.2: 127.0.0.2 is not in the allowed networks", text);
        Assert.Contains("No worker offers gcc 13.2.0 (x86_64-linux-gnu, eeeeeeeeeeee): 5 compile(s)", text);
    }

    [Fact]
    public void A_worker_that_serves_no_job_or_runs_unsandboxed_is_named()
    {
        var s = Sample();
        var w = s.Workers[0];
        s = s with { Workers = new[] { w with { Sandbox = "unavailable: bubblewrap does not work here" }, w with { Address = "127.0.0.1:7422", Sandbox = "unsandboxed (actorcompile.worker.sandbox = off)" } } };
        var console = new TestConsole().Width(150);
        console.Write(StatusView.Build(s));
        Assert.Contains("127.0.0.1:7421 serves no job: sandbox unavailable: bubblewrap does not work here", console.Output.Replace("\n", " "));
        Assert.Contains("127.0.0.1:7422 compiles unsandboxed (actorcompile.worker.sandbox = off)", console.Output.Replace("\n", " "));
        Assert.DoesNotContain("serves no job", Render(Sample()));
    }

    [Fact]
    public void Refused_messages_are_named_with_what_they_mean()
    {
        var versions = Render(Sample() with { RefusedMessages = new[] { new RefusedMessageStatus("wire version 0", 12) } }).Replace("\n", " ");
        Assert.Contains("refused messages from other nodes: wire version 0 x12", versions);
        Assert.Contains("a release with another wire version", versions);
        Assert.DoesNotContain("tried to stop", versions);
        var control = Render(Sample() with { RefusedMessages = new[] { new RefusedMessageStatus("Kill", 2), new RefusedMessageStatus("malformed CacheDrop", 1) } }).Replace("\n", " ");
        Assert.Contains("Kill x2, malformed CacheDrop x1", control);
        Assert.Contains("tried to stop, restart or remove members", control);
        Assert.Contains("cannot read", control);
        Assert.DoesNotContain("wire version", control);
    }

    private static string Render(ClusterStatus s)
    {
        var console = new TestConsole().Width(150);
        console.Write(StatusView.Build(s));
        return console.Output;
    }

    [Fact]
    public void Backed_off_and_unreachable_workers_are_marked()
    {
        var s = Sample();
        var w = s.Workers[0];
        s = s with { Workers = new[] { w with { State = "backed-off" }, w with { Address = "127.0.0.1:7422", State = "unreachable" } } };
        var console = new TestConsole().Width(150);
        console.Write(StatusView.Build(s));
        Assert.Contains("backed-off", console.Output);
        Assert.Contains("unreachable", console.Output);
        Assert.Contains("0/2 worker(s) up", console.Output);
    }

    private static string SourceDirectory([System.Runtime.CompilerServices.CallerFilePath] string file = "") => Path.GetDirectoryName(file)!;

    [Fact]
    public void Outputs_are_written_atomically()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("a.o");
        File.WriteAllText(path, "old");
        ActorCompile.Wrapper.Wrapper.WriteAtomically(path, "new"u8.ToArray());
        Assert.Equal("new", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void A_failed_write_leaves_nothing_behind()
    {
        using var dir = new TempDirectory();
        Assert.ThrowsAny<IOException>(() => ActorCompile.Wrapper.Wrapper.WriteAtomically(dir.Combine("missing-dir/a.o"), "x"u8.ToArray()));
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void A_compiler_is_found_on_PATH_and_a_missing_one_is_reported()
    {
        Assert.NotNull(CompilerLocator.Locate("gcc", out var error));
        Assert.Null(error);
        Assert.Null(CompilerLocator.Locate("no-such-compiler-xyz", out error));
        Assert.Contains("no compiler named no-such-compiler-xyz", error);
        Assert.Null(CompilerLocator.Locate("/nonexistent/gcc", out error));
    }
}
