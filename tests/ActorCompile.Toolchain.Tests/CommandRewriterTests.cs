using ActorCompile.Toolchain.Arguments;
using Xunit;

namespace ActorCompile.Toolchain.Tests;

public class CommandRewriterTests
{
    [Fact]
    public void Dependency_scan_drops_outputs_and_dependency_options()
    {
        var c = CompileCommand.Parse(new[] { "-O2", "-c", "a.c", "-o", "a.o", "-MD", "-MF", "a.d", "-MT", "t", "-MP", "-Iinc" });
        Assert.Equal(new[] { "-O2", "a.c", "-Iinc", "-M" }, CommandRewriter.ForDependencyScan(c));
    }

    [Fact]
    public void System_include_query_keeps_only_options_that_can_change_the_defaults()
    {
        var c = CompileCommand.Parse(new[] { "-m32", "-O2", "-Iinc", "-isystem", "/x", "-DA=1", "-include", "cfg.h", "-c", "a.cpp", "-o", "a.o", "--sysroot=/sr" });
        var (args, key) = CommandRewriter.ForSystemIncludeQuery(c);
        Assert.Equal(new[] { "-m32", "-O2", "--sysroot=/sr", "-x", "c++", "-E", "-v", "-" }, args);
        var (_, otherKey) = CommandRewriter.ForSystemIncludeQuery(CompileCommand.Parse(new[] { "-m32", "-O2", "-c", "b.cpp", "--sysroot=/sr" }));
        Assert.Equal(key, otherKey);
    }

    [Fact]
    public void Worker_command_moves_absolute_paths_under_the_root_and_replaces_default_directories()
    {
        var c = CompileCommand.Parse(new[]
        {
            "-c", "/home/u/p/src/a.c", "-o", "/home/u/p/build/a.o", "-I/home/u/p/inc", "-Irel", "-isystem", "/opt/x/include",
            "-include", "/home/u/p/cfg.h", "-MD", "-MF", "/home/u/p/build/a.d", "-ffile-prefix-map=/home/u/p=/src", "-O2",
        });
        Assert.True(c.IsDistributable, c.LocalReason);
        var args = CommandRewriter.ForWorker(c, "/w/j/r", new[] { "/usr/include", "/usr/lib/gcc/x/12/include" }, preincludeStdcPredef: true);
        Assert.Equal(new[]
        {
            "-ffile-prefix-map=/w/j/r=", "-include", "stdc-predef.h",
            "-c", "/w/j/r/home/u/p/src/a.c", "-o", "/w/j/r/home/u/p/build/a.o", "-I/w/j/r/home/u/p/inc", "-Irel", "-isystem", "/w/j/r/opt/x/include",
            "-include", "/w/j/r/home/u/p/cfg.h", "-MD", "-MF", "/w/j/r/home/u/p/build/a.d", "-ffile-prefix-map=/w/j/r/home/u/p=/src", "-O2",
            "-nostdinc", "-isystem", "/w/j/r/usr/include", "-isystem", "/w/j/r/usr/lib/gcc/x/12/include",
        }, args);
    }

    [Fact]
    public void Worker_command_moves_the_path_inside_Wp_MD()
    {
        var c = CompileCommand.Parse(new[] { "-c", "a.c", "-Wp,-MD,/tmp/x.d" });
        Assert.Contains("-Wp,-MD,/r/tmp/x.d", CommandRewriter.ForWorker(c, "/r", Array.Empty<string>(), false));
    }

    [Fact]
    public void Worker_command_refuses_a_local_command()
    {
        var c = CompileCommand.Parse(new[] { "-E", "a.c" });
        Assert.Throws<InvalidOperationException>(() => CommandRewriter.ForWorker(c, "/r", Array.Empty<string>(), false));
    }
}
