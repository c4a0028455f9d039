using ActorCompile.Tests;
using ActorCompile.Toolchain.Arguments;
using ActorCompile.Toolchain.Dependencies;
using ActorCompile.Toolchain.Jobs;
using ActorCompile.Toolchain.Processes;
using ActorCompile.Toolchain.Scanning;
using Xunit;

namespace ActorCompile.Toolchain.Tests;

public class InputCollectorTests
{
    private static readonly string[] System = { "/usr/lib/gcc/x86_64-linux-gnu/12/include", "/usr/local/include", "/usr/include/x86_64-linux-gnu", "/usr/include" };

    /// <summary>The include scanner's files, collected into a mirror, as the wrapper does.</summary>
    private static CollectResult Collect(TempDirectory dir, params string[] args)
    {
        var command = CompileCommand.Parse(args);
        Assert.True(command.IsDistributable, command.LocalReason);
        var scan = IncludeScanner.Scan(command, dir.Path, System, new ReadingDirectiveSource(ScanDialect.For(command), dir.Path));
        Assert.Null(scan.Declined);
        return InputCollector.Collect(command, dir.Path, scan.Files, scan.Probes, System, scan.PreincludeStdcPredef);
    }

    [Fact]
    public void Files_directories_and_probes_are_collected_with_where_each_file_is_read_from()
    {
        using var dir = new TempDirectory();
        dir.Write("inc/cfg.h", "#if __has_include(<present.h>)\n#define HAVE 1\n#endif\n#if __has_include(<absent.h>)\n#endif\n");
        dir.Write("inc/present.h", "/* exists, never included */\n");
        dir.Write("src/a.c", "#include \"../inc/cfg.h\"\n#include <stdio.h>\nint a = HAVE;\n");
        Directory.CreateDirectory(dir.Combine("build"));
        var result = Collect(dir, "-c", "src/a.c", "-Iinc", "-o", "build/a.o");
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
        // No hash leaves the wrapper: each file entry names the path it is read from, in order.
        var files = inputs.Entries.Where(e => e.Kind == MirrorEntryKind.File).ToList();
        Assert.All(files, f => Assert.Null(f.Hash));
        Assert.Equal(files.Count, inputs.Origins.Count);
        Assert.Equal("src/../inc/cfg.h", inputs.Origins[files.FindIndex(f => f.Path == dir.Combine("inc/cfg.h"))]);
        Assert.Equal(new FileInfo(dir.Combine("src/a.c")).Length, byPath[dir.Combine("src/a.c")].Size);
    }

    [Fact]
    public void The_compilers_list_gets_its_probes_from_the_directives()
    {
        using var dir = new TempDirectory();
        dir.Write("inc/present.h", "int p;\n");
        dir.Write("a.c", "#if __has_include(<present.h>)\n#endif\n");
        var command = CompileCommand.Parse(new[] { "-Iinc", "-c", "a.c" });
        var deps = MakeDependencies.ParsePrerequisites(Run.Program("gcc", CommandRewriter.ForDependencyScan(command), dir.Path).Stdout);
        var files = deps.Select(d => new ScannedFile(d, Native.Status(Path.Combine(dir.Path, d))!.Value))
            .Select(f => (f, DirectiveParser.Parse(File.ReadAllBytes(Path.Combine(dir.Path, f.Path)), default))).ToList();
        var probes = new List<ScannedFile>();
        Assert.True(InputCollector.ProbesOf(files, dir.Path, InputCollector.SearchedDirectories(command, dir.Path, System), probes));
        Assert.Contains(probes, p => p.Path == dir.Combine("inc/present.h"));
        Assert.True(InputCollector.PreincludesStdcPredef(command, deps));
    }

    [Fact]
    public void Freestanding_compiles_have_no_preinclude()
    {
        using var dir = new TempDirectory();
        dir.Write("a.c", "int a;\n");
        Assert.False(Collect(dir, "-ffreestanding", "-c", "a.c").Inputs!.PreincludeStdcPredef);
    }

    [Fact]
    public void A_precompiled_header_keeps_the_compile_local()
    {
        using var dir = new TempDirectory();
        dir.Write("pch.h", "#define P 1\n");
        Assert.Equal(0, Run.Gcc(dir.Path, "-x", "c-header", "pch.h", "-o", "pch.h.gch").ExitCode);
        dir.Write("a.c", "#include \"pch.h\"\nint a = P;\n");
        Assert.Contains("precompiled header", Collect(dir, "-c", "a.c").LocalReason);
    }

    [Fact]
    public void Two_files_that_name_one_place_in_the_mirror_keep_the_compile_local()
    {
        // link/../x.h is real/x.h to the kernel (link points into real/), but x.h to the mirror's lexical paths.
        using var dir = new TempDirectory();
        dir.Write("x.h", "int top;\n");
        dir.Write("real/x.h", "int real;\n");
        Directory.CreateDirectory(dir.Combine("real/sub"));
        File.CreateSymbolicLink(dir.Combine("link"), dir.Combine("real/sub"));
        dir.Write("a.c", "#include \"x.h\"\n#include \"link/../x.h\"\n");
        Assert.Contains("name the same place", Collect(dir, "-c", "a.c").LocalReason);
    }
}
