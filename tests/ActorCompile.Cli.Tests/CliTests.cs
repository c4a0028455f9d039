using ActorCompile.Cli;
using ActorCompile.LocalProtocol.Status;
using ActorCompile.Tests;
using Xunit;

namespace ActorCompile.Cli.Tests;

public class CliTests
{
    private static ClusterStatus Sample() => new("127.0.0.1:7420", DateTimeOffset.UnixEpoch,
        new[] { new MemberStatus("127.0.0.1:7420", new[] { "coordinator" }, "up"), new MemberStatus("127.0.0.1:7421", new[] { "worker" }, "up") },
        new[] { new WorkerStatus("127.0.0.1:7421", "up", 4, 1, 3, 10, 2, 0, 8, 0.5, 0.25, new[] { new ToolchainStatus("gcc,cc", "12.2.0", "x86_64-linux-gnu", "c77f85fcc2ec" + new string('0', 52)) }, new[] { "127.0.0.2:7420: 127.0.0.2 is not in the allowed networks" }) },
        new[] { new CoordinatorStatus("127.0.0.1:7420", 3, 2, 2, 1, 100, 7, new[] { new UnservedToolchainStatus("gcc", "13.2.0", "x86_64-linux-gnu", new string('e', 64), 5) }) },
        new[] { new JobStatus("j1", "127.0.0.1:7420", "src/calc.c", "compiling", "127.0.0.1:7421", 1.5) });

    [Fact]
    public void The_plain_status_names_workers_toolchains_and_jobs()
    {
        var text = StatusCommand.Render(Sample());
        Assert.Contains("127.0.0.1:7421", text);
        Assert.Contains("gcc,cc 12.2.0 c77f85fcc2ec", text);
        Assert.Contains("src/calc.c", text);
        Assert.Contains("compiling", text);
        Assert.Contains("127.0.0.1:7421 refuses coordinator 127.0.0.2:7420", text);
        Assert.Contains("no worker offers gcc 13.2.0 (x86_64-linux-gnu, eeeeeeeeeeee): 5 compile(s)", text);
        Assert.StartsWith("cluster seen from 127.0.0.1:7420: 2 member(s), 1 worker(s), 4 slot(s)", text);
    }

    [Fact]
    public void Outputs_are_written_atomically()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("a.o");
        File.WriteAllText(path, "old");
        ActorCompile.Cli.Wrapper.WriteAtomically(path, "new"u8.ToArray());
        Assert.Equal("new", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void A_failed_write_leaves_nothing_behind()
    {
        using var dir = new TempDirectory();
        Assert.ThrowsAny<IOException>(() => ActorCompile.Cli.Wrapper.WriteAtomically(dir.Combine("missing-dir/a.o"), "x"u8.ToArray()));
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
