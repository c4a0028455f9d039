using System.Text;
using ActorCompile.Tests;
using ActorCompile.Toolchain.Arguments;
using ActorCompile.Toolchain.Dependencies;
using ActorCompile.Toolchain.Jobs;
using Xunit;

namespace ActorCompile.Toolchain.Tests;

public class InputCollectorTests
{
    [Theory]
    [InlineData("#if __has_include(<foo/bar.h>)\n", "foo/bar.h")]
    [InlineData("# if __has_include (\"linux/stat.h\")\n", "linux/stat.h")]
    [InlineData("#if __has_include_next(<stdlib.h>)\n", "stdlib.h")]
    [InlineData("#define X __has_include(<tbb/tbb.h>)\n", "tbb/tbb.h")]
    public void Literal_has_include_names_are_found(string text, string name)
    {
        var names = InputCollector.FindHasIncludeNames(Encoding.UTF8.GetBytes(text), out var computed);
        Assert.False(computed);
        Assert.Equal(new[] { name }, names);
    }

    [Theory]
    [InlineData("#ifdef __has_include\n")]
    [InlineData("#if defined(__has_include)\n")]
    [InlineData("#if defined __has_include && x\n")]
    [InlineData("int my__has_include(int);\n")]
    public void Mentions_without_a_probe_are_ignored(string text)
    {
        var names = InputCollector.FindHasIncludeNames(Encoding.UTF8.GetBytes(text), out var computed);
        Assert.False(computed);
        Assert.Empty(names);
    }

    [Fact]
    public void A_computed_argument_is_reported()
    {
        InputCollector.FindHasIncludeNames("#if __has_include(HEADER)\n"u8, out var computed);
        Assert.True(computed);
    }

    private static (CompileCommand Command, CollectResult Result) Collect(TempDirectory dir, params string[] args)
    {
        var command = CompileCommand.Parse(args);
        Assert.True(command.IsDistributable, command.LocalReason);
        var scan = Run.Program("gcc", CommandRewriter.ForDependencyScan(command), dir.Path);
        Assert.Equal(0, scan.ExitCode);
        var deps = MakeDependencies.ParsePrerequisites(scan.Stdout);
        return (command, InputCollector.Collect(command, dir.Path, deps, new[] { "/usr/include", "/usr/lib/gcc/x86_64-linux-gnu/12/include" }));
    }

    [Fact]
    public void Files_directories_and_probes_are_collected()
    {
        using var dir = new TempDirectory();
        dir.Write("inc/cfg.h", "#if __has_include(<present.h>)\n#define HAVE 1\n#endif\n#if __has_include(<absent.h>)\n#endif\n");
        dir.Write("inc/present.h", "/* exists, never included */\n");
        dir.Write("src/a.c", "#include \"../inc/cfg.h\"\n#include <stdio.h>\nint a = HAVE;\n");
        Directory.CreateDirectory(dir.Combine("build"));
        var (_, result) = Collect(dir, "-c", "src/a.c", "-Iinc", "-o", "build/a.o");
        Assert.Null(result.LocalReason);
        var inputs = result.Inputs!;
        var byPath = inputs.Entries.ToDictionary(e => e.Path);
        Assert.Equal(MirrorEntryKind.File, byPath[dir.Combine("src/a.c")].Kind);
        Assert.Equal(MirrorEntryKind.File, byPath[dir.Combine("inc/cfg.h")].Kind);
        Assert.Equal(MirrorEntryKind.File, byPath["/usr/include/stdio.h"].Kind);
        Assert.Equal(MirrorEntryKind.Placeholder, byPath[dir.Combine("inc/present.h")].Kind);
        Assert.DoesNotContain(inputs.Entries, e => e.Path.EndsWith("absent.h", StringComparison.Ordinal));
        Assert.Equal(MirrorEntryKind.Directory, byPath[dir.Path].Kind);
        Assert.Equal(MirrorEntryKind.Directory, byPath[dir.Combine("build")].Kind);
        Assert.Equal(MirrorEntryKind.Directory, byPath[dir.Combine("src")].Kind); // "src/../inc" walks through src
        Assert.True(inputs.PreincludeStdcPredef);
        var stdio = byPath["/usr/include/stdio.h"];
        Assert.Equal(File.ReadAllBytes("/usr/include/stdio.h"), inputs.Contents[stdio.Hash!]);
    }

    [Fact]
    public void Freestanding_compiles_have_no_preinclude()
    {
        using var dir = new TempDirectory();
        dir.Write("a.c", "int a;\n");
        var (_, result) = Collect(dir, "-ffreestanding", "-c", "a.c");
        Assert.False(result.Inputs!.PreincludeStdcPredef);
    }

    [Fact]
    public void A_precompiled_header_keeps_the_compile_local()
    {
        using var dir = new TempDirectory();
        dir.Write("pch.h", "#define P 1\n");
        Assert.Equal(0, Run.Gcc(dir.Path, "-x", "c-header", "pch.h", "-o", "pch.h.gch").ExitCode);
        dir.Write("a.c", "#include \"pch.h\"\nint a = P;\n");
        var (_, result) = Collect(dir, "-c", "a.c");
        Assert.Contains("precompiled header", result.LocalReason);
    }
}
