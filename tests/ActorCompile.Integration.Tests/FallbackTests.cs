using ActorCompile.Tests;
using Xunit;

namespace ActorCompile.Integration.Tests;

/// <summary>The wrapper without a node: a local compile with one line saying why, or with ACTORCOMPILE_FALLBACK=0 exit code 111.</summary>
public sealed class FallbackTests
{
    [Fact]
    public void Without_a_node_the_compile_runs_locally_and_says_why_in_one_line()
    {
        using var dir = new TempDirectory("ac-nonode");
        dir.Write("a.c", "int answer(void) { return 42; }\n");
        var r = Wrapper.Run(dir.Path, dir.Combine("no-such.sock"), new[] { "gcc", "-O2", "-c", "a.c", "-o", "a.o" });
        Assert.Equal(0, r.ExitCode);
        var lines = r.Stderr.TrimEnd('\n').Split('\n');
        Assert.Single(lines);
        Assert.StartsWith("actorcompile: ", lines[0]);
        Assert.Contains("compiling locally", lines[0]);
        Assert.Equal(0, Run.Gcc(dir.Path, "-O2", "-c", "a.c", "-o", "ref.o").ExitCode);
        Assert.Equal(File.ReadAllBytes(dir.Combine("ref.o")), File.ReadAllBytes(dir.Combine("a.o")));
    }

    [Fact]
    public void With_fallback_off_an_undistributable_compile_fails_with_its_own_exit_code()
    {
        using var dir = new TempDirectory("ac-strict");
        dir.Write("a.c", "int answer(void) { return 42; }\n");
        var r = Wrapper.Run(dir.Path, dir.Combine("no-such.sock"), new[] { "gcc", "-c", "a.c", "-o", "a.o" },
            new Dictionary<string, string> { ["ACTORCOMPILE_FALLBACK"] = "0" });
        Assert.Equal(111, r.ExitCode);
        Assert.Contains("ACTORCOMPILE_FALLBACK=0", r.Stderr);
        Assert.False(File.Exists(dir.Combine("a.o")));
    }

    [Fact]
    public void Status_without_a_node_says_how_to_start_one()
    {
        using var dir = new TempDirectory("ac-nostatus");
        var r = Run.Program(Dist.Wrapper, new[] { "status" }, env: new Dictionary<string, string> { ["ACTORCOMPILE_SOCKET"] = dir.Combine("none.sock") });
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("actorcompile-node", r.Stderr);
    }

    [Fact]
    public void An_unknown_compiler_name_is_reported()
    {
        using var dir = new TempDirectory("ac-nocc");
        var r = Run.Program(Dist.Wrapper, new[] { "no-such-compiler-xyz", "-c", "a.c" }, dir.Path);
        Assert.Equal(110, r.ExitCode);
        Assert.Contains("no compiler named no-such-compiler-xyz", r.Stderr);
    }
}
