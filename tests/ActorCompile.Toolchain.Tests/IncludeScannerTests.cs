using ActorCompile.Tests;
using ActorCompile.Toolchain.Arguments;
using ActorCompile.Toolchain.Dependencies;
using ActorCompile.Toolchain.Jobs;
using ActorCompile.Toolchain.Paths;
using ActorCompile.Toolchain.Scanning;
using Xunit;

namespace ActorCompile.Toolchain.Tests;

/// <summary>
/// The include scanner against the compiler itself: every file gcc's own dependency scan (-M) lists must be
/// in the scanner's set, for every unit of the real code bases the bench builds and for cases written on
/// purpose; a failure names the files it missed.
/// </summary>
public class IncludeScannerTests
{
    /// <summary>Scans with the scanner and with gcc -M, in the compile's directory; returns the scan.</summary>
    private static IncludeScan AssertCovers(string compiler, string cwd, params string[] args)
    {
        var command = CompileCommand.Parse(args);
        Assert.True(command.IsDistributable, command.LocalReason);
        var scan = Scan(compiler, cwd, command);
        Assert.Null(scan.Declined);
        var deps = Run.Program(compiler, CommandRewriter.ForDependencyScan(command), cwd);
        Assert.True(deps.ExitCode == 0, deps.Stderr);
        var expected = MakeDependencies.ParsePrerequisites(deps.Stdout).Select(p => Normal(p, cwd)).ToHashSet();
        var found = scan.Files.Select(f => Normal(f.Path, cwd)).ToHashSet();
        var missing = expected.Where(e => !found.Contains(e)).Order(StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0, $"{compiler} {string.Join(' ', args)}: the scanner missed {string.Join(", ", missing)}");
        return scan;
    }

    private static string Normal(string path, string cwd) => MirrorPaths.Normalize(MirrorPaths.Absolute(path, cwd));

    private static IncludeScan Scan(string compiler, string cwd, CompileCommand command) =>
        IncludeScanner.Scan(command, cwd, SystemDirectories(compiler, cwd, command), new ReadingDirectiveSource(ScanDialect.For(command), cwd));

    private static IReadOnlyList<string> SystemDirectories(string compiler, string cwd, CompileCommand command)
    {
        var (args, _) = CommandRewriter.ForSystemIncludeQuery(command);
        args[^1] = "/dev/null";
        var query = Run.Program(compiler, args, cwd);
        Assert.True(query.ExitCode == 0, query.Stderr);
        return SystemIncludeDirectories.Parse(query.Stderr);
    }

    // ---- the real code bases ----

    public static IEnumerable<object[]> LuaUnits() =>
        new[] { "lapi", "lauxlib", "lbaselib", "lcode", "lcorolib", "lctype", "ldblib", "ldebug", "ldo", "ldump", "lfunc", "lgc",
            "linit", "liolib", "llex", "lmathlib", "lmem", "loadlib", "lobject", "lopcodes", "loslib", "lparser", "lstate", "lstring",
            "lstrlib", "ltable", "ltablib", "ltm", "lua", "luac", "lundump", "lutf8lib", "lvm", "lzio" }.Select(u => new object[] { u });

    [Theory]
    [MemberData(nameof(LuaUnits))]
    public void Every_Lua_unit(string unit) =>
        AssertCovers("gcc", Path.Combine(Workloads.Directory, "lua-5.4.4", "src"),
            "-std=gnu99", "-O2", "-Wall", "-Wextra", "-DLUA_COMPAT_5_3", "-DLUA_USE_LINUX", "-c", unit + ".c", "-o", unit + ".o");

    [Fact]
    public void The_SQLite_amalgamation() =>
        AssertCovers("gcc", Path.Combine(Workloads.Directory, "sqlite3"), "-O2", "-c", "sqlite3.c", "-o", "sqlite3.o");

    public static IEnumerable<object[]> YamlCppUnits()
    {
        var root = Path.Combine(Workloads.Directory, "yaml-cpp-0.7.0");
        return Directory.GetFiles(Path.Combine(root, "src"), "*.cpp", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(f => new object[] { Path.GetRelativePath(root, f) });
    }

    [Theory]
    [MemberData(nameof(YamlCppUnits))]
    public void Every_yaml_cpp_unit(string unit) =>
        AssertCovers("g++", Path.Combine(Workloads.Directory, "yaml-cpp-0.7.0"), "-std=c++11", "-O2", "-g", "-Iinclude", "-c", unit, "-o", "u.o");

    public static IEnumerable<object[]> SampleProjectUnits()
    {
        var root = Path.Combine(Workloads.RepositoryRoot, "tests", "sample-project");
        return Directory.GetFiles(root, "*.c", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(f => new object[] { Path.GetRelativePath(root, f) });
    }

    [Theory]
    [MemberData(nameof(SampleProjectUnits))]
    public void Every_sample_project_unit(string unit) =>
        AssertCovers("gcc", Path.Combine(Workloads.RepositoryRoot, "tests", "sample-project"), "-std=c11", "-Wall", "-O2", "-Iinclude", "-MMD", "-MP", "-c", unit, "-o", "/tmp/unused.o");

    public static IEnumerable<object[]> SampleCppUnits()
    {
        var root = Path.Combine(Workloads.RepositoryRoot, "tests", "sample-cpp");
        return Directory.GetFiles(root, "*.cpp").Order(StringComparer.Ordinal).Select(f => new object[] { Path.GetFileName(f) });
    }

    [Theory]
    [MemberData(nameof(SampleCppUnits))]
    public void Every_sample_cpp_unit_with_libstdcxx(string unit) =>
        AssertCovers("g++", Path.Combine(Workloads.RepositoryRoot, "tests", "sample-cpp"), "-std=c++17", "-O2", "-g", "-c", unit, "-o", "/tmp/unused.o");

    // ---- cases written on purpose ----

    [Fact]
    public void Include_next_continues_after_the_directory_the_header_was_found_in()
    {
        using var dir = new TempDirectory();
        dir.Write("a/limits.h", "#include_next <limits.h>\n#define A_LIMITS 1\n");
        dir.Write("b/limits.h", "#include_next <limits.h>\n#define B_LIMITS 1\n");
        dir.Write("beside/q.h", "#include_next <q.h>\n");
        dir.Write("c/q.h", "int q;\n");
        dir.Write("x.c", "#include <limits.h>\n#include \"beside/q.h\"\nint x;\n");
        var scan = AssertCovers("gcc", dir.Path, "-Ia", "-Ib", "-Ic", "-c", "x.c");
        Assert.Contains(scan.Files, f => f.Path == "b/limits.h");
        Assert.Contains(scan.Files, f => f.Path == "c/q.h"); // from a header found beside its includer: the quote chain's start
    }

    [Fact]
    public void Has_include_and_has_include_next_probes_are_found_without_being_read()
    {
        using var dir = new TempDirectory();
        dir.Write("inc/probe.h", "this is never read: #include \"not-there.h\"\n");
        dir.Write("inc/next.h", "#if __has_include_next(<next.h>)\n#endif\n");
        dir.Write("more/next.h", "not read either\n");
        dir.Write("x.c", "#if __has_include(<probe.h>)\n#define HAVE 1\n#endif\n#include <next.h>\n#if defined(__has_include) && __has_include (\"absent.h\")\n#endif\nint x;\n");
        var scan = AssertCovers("gcc", dir.Path, "-Iinc", "-Imore", "-c", "x.c");
        Assert.Equal(new[] { "inc/probe.h", "more/next.h" }, scan.Probes.Select(p => p.Path).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Forced_includes_search_the_working_directory_first()
    {
        using var dir = new TempDirectory();
        dir.Write("config.h", "#include \"cfg/inner.h\"\n");
        dir.Write("cfg/inner.h", "#define INNER 1\n");
        dir.Write("q/macros.h", "#define FROM_IMACROS 1\n#include <deep.h>\n");
        dir.Write("q/deep.h", "int deep;\n");
        dir.Write("src/x.c", "int x = INNER + FROM_IMACROS;\n");
        AssertCovers("gcc", dir.Path, "-include", "config.h", "-imacros", "macros.h", "-iquote", "q", "-Iq", "-c", "src/x.c");
    }

    [Fact]
    public void Iquote_isystem_and_idirafter_keep_their_places_in_the_chain()
    {
        using var dir = new TempDirectory();
        dir.Write("quote/h.h", "#include \"same.h\"\n");
        dir.Write("quote/same.h", "int from_quote;\n");
        dir.Write("sys/same.h", "int from_sys;\n");
        dir.Write("sys/angle.h", "int angle_from_sys;\n");
        dir.Write("after/angle.h", "int angle_from_after;\n");
        dir.Write("after/only.h", "int only_after;\n");
        dir.Write("x.c", "#include \"h.h\"\n#include <same.h>\n#include <angle.h>\n#include <only.h>\n");
        var scan = AssertCovers("gcc", dir.Path, "-iquote", "quote", "-isystem", "sys", "-idirafter", "after", "-c", "x.c");
        Assert.Contains(scan.Files, f => f.Path == "sys/same.h"); // <> never searches the quote chain
        Assert.DoesNotContain(scan.Files, f => f.Path == "after/angle.h");
    }

    [Fact]
    public void An_include_directory_that_is_a_system_directory_keeps_the_system_place()
    {
        // gcc ignores -I/usr/include (it stays after its own directory), so <limits.h> is gcc's own, which
        // includes the C library's with #include_next. Searching /usr/include first would miss gcc's.
        using var dir = new TempDirectory();
        dir.Write("x.c", "#include <limits.h>\n#include <stddef.h>\n");
        var scan = AssertCovers("gcc", dir.Path, "-I/usr/include", "-c", "x.c");
        Assert.Contains(scan.Files, f => f.Path.StartsWith("/usr/lib/gcc/", StringComparison.Ordinal) && f.Path.EndsWith("/limits.h", StringComparison.Ordinal));
    }

    [Fact]
    public void A_sysroot_changes_the_compilers_directories()
    {
        using var dir = new TempDirectory();
        dir.Write("root/usr/include/stdio.h", "#include <sysroot-only.h>\n");
        dir.Write("root/usr/include/sysroot-only.h", "int only_in_the_sysroot;\n");
        dir.Write("x.c", "#include <stdio.h>\n");
        var scan = AssertCovers("gcc", dir.Path, "--sysroot=" + dir.Combine("root"), "-c", "x.c");
        Assert.Contains(scan.Files, f => f.Path.EndsWith("root/usr/include/sysroot-only.h", StringComparison.Ordinal));
    }

    [Fact]
    public void Directives_split_spaced_and_commented_are_directives()
    {
        using var dir = new TempDirectory();
        foreach (var n in new[] { "a", "b", "c", "d", "e", "f", "g" }) dir.Write(n + ".h", $"int {n};\n");
        dir.Write("x.c",
            "#  include \"a.h\"\n" +
            "#\\\ninclude \"b.h\"\n" +
            "# /* before */ include /* between */ \"c.h\" // after\n" +
            "/* a comment\n that ends here */ #include \"d.h\"\n" +
            "%:include \"e.h\"\n" +
            "\t #\tinclude\t<f.h>\n" +
            "#inc\\\nlude \"g.h\"\n" +
            "const char *s = \"#include \\\"not-a-directive.h\\\"\";\n");
        var scan = AssertCovers("gcc", dir.Path, "-I.", "-c", "x.c");
        Assert.Equal(8, scan.Files.Count(f => !f.Path.StartsWith('/'))); // x.c and the seven headers
    }

    [Fact]
    public void Comments_and_literals_hide_what_they_hold_and_nothing_more()
    {
        using var dir = new TempDirectory();
        dir.Write("real.h", "int real;\n");
        dir.Write("raw.h", "int raw;\n");
        dir.Write("x.cpp",
            "/* #include \"commented.h\" */\n" +
            "// #include \"line-commented.h\"\n" +
            "const char *r = R\"x(\" /*)x\";\n" +   // a raw string that holds "/*": the next line is code
            "#include \"raw.h\"\n" +
            "int n = 1'000'000; /* */\n" +          // digit separators are not character literals
            "#include \"real.h\"\n");
        var scan = AssertCovers("g++", dir.Path, "-std=c++17", "-c", "x.cpp");
        Assert.DoesNotContain(scan.Files, f => f.Path.Contains("commented"));
    }

    [Fact]
    public void A_computed_include_is_followed_through_its_definitions()
    {
        using var dir = new TempDirectory();
        dir.Write("config.h", "#define PLATFORM_HEADER \"plat/linux.h\"\n#define INDIRECT PLATFORM_HEADER\n");
        dir.Write("plat/linux.h", "int linux_h;\n");
        dir.Write("plat/other.h", "int other_h;\n");
        dir.Write("cmdline.h", "int cmdline_h;\n");
        dir.Write("x.c",
            "#include \"config.h\"\n" +
            "#include INDIRECT\n" +
            "#include FROM_COMMAND_LINE\n" +
            "#ifdef NEVER_DEFINED\n#include NEVER_DEFINED\n#endif\n" + // no definition anywhere: an inactive path
            "#if 0\n#undef PLATFORM_HEADER\n#define PLATFORM_HEADER <plat/other.h>\n#endif\n");
        var scan = AssertCovers("gcc", dir.Path, "-I.", "-DFROM_COMMAND_LINE=\"cmdline.h\"", "-c", "x.c");
        Assert.Contains(scan.Files, f => f.Path.EndsWith("plat/other.h", StringComparison.Ordinal)); // every definition is followed
    }

    [Fact]
    public void A_computed_include_it_cannot_follow_declines()
    {
        using var dir = new TempDirectory();
        dir.Write("x.c", "#define STR(x) #x\n#define HEADER(name) STR(name.h)\n#define H HEADER(stdio)\n#include H\n");
        var command = CompileCommand.Parse(new[] { "-c", "x.c" });
        var scan = Scan("gcc", dir.Path, command);
        Assert.NotNull(scan.Declined);
        Assert.Contains("H", scan.Declined);
    }

    [Fact]
    public void The_stringify_idiom_is_followed_with_its_argument_expanded()
    {
        using var dir = new TempDirectory();
        dir.Write("myconfig", "int custom;\n");
        dir.Write("x.c",
            "#define STR_(f) #f\n#define STR(f) STR_(f)\n" +
            "#ifdef CUSTOM\n#include STR(CUSTOM)\n#endif\n" +
            "#ifdef UNSET\n#include STR(UNSET)\n#endif\n"); // expands to "UNSET": not there, an inactive path
        var scan = AssertCovers("gcc", dir.Path, "-DCUSTOM=myconfig", "-c", "x.c");
        Assert.Contains(scan.Files, f => f.Path == "myconfig");
    }

    [Fact]
    public void Trigraphs_in_an_iso_dialect_decline()
    {
        using var dir = new TempDirectory();
        dir.Write("a.h", "int a;\n");
        dir.Write("x.c", "??=include \"a.h\"\n");
        Assert.Contains("trigraphs", Scan("gcc", dir.Path, CompileCommand.Parse(new[] { "-std=c99", "-c", "x.c" })).Declined);
        // GNU dialects leave trigraphs alone: nothing to include, nothing to decline.
        Assert.Null(Scan("gcc", dir.Path, CompileCommand.Parse(new[] { "-std=gnu99", "-c", "x.c" })).Declined);
    }

    [Fact]
    public void Directives_survive_their_compact_form_and_a_damaged_one_is_refused()
    {
        var parsed = DirectiveParser.Parse("#include <a.h>\n#include_next \"b.h\"\n#if __has_include(<c.h>)\n#endif\n#define H \"d.h\"\n#define F(x) #x\n"u8, default);
        var bytes = parsed.ToBytes();
        var back = FileDirectives.FromBytes(bytes);
        Assert.Equal(parsed.Includes, back.Includes);
        Assert.Equal(parsed.Definitions, back.Definitions);
        Assert.Equal(new[] { new MacroDefinition("H", "\"d.h\""), new MacroDefinition("F()", "#") }, back.Definitions);
        Assert.Throws<InvalidDataException>(() => FileDirectives.FromBytes(bytes.AsSpan(0, bytes.Length - 1)));
        Assert.Throws<InvalidDataException>(() => FileDirectives.FromBytes(bytes.Append((byte)0).ToArray()));
        Assert.Throws<InvalidDataException>(() => FileDirectives.FromBytes(new byte[] { 99 }));
    }

    [Fact]
    public void A_header_only_an_inactive_branch_wants_is_found_too()
    {
        using var dir = new TempDirectory();
        dir.Write("win.h", "int windows;\n");
        dir.Write("x.c", "#ifdef _WIN32\n#include \"win.h\"\n#else\n#include <stdio.h>\n#endif\n#if 0\n#include \"absent.h\"\n#endif\n");
        var scan = AssertCovers("gcc", dir.Path, "-c", "x.c");
        Assert.Contains(scan.Files, f => f.Path == "win.h");
    }

    [Fact]
    public void A_header_on_an_earlier_directory_shadows_the_later_one()
    {
        using var dir = new TempDirectory();
        dir.Write("late/h.h", "int late;\n");
        dir.Write("x.c", "#include <h.h>\n");
        var before = AssertCovers("gcc", dir.Path, "-Iearly", "-Ilate", "-c", "x.c");
        Assert.Contains(before.Files, f => f.Path == "late/h.h");
        dir.Write("early/h.h", "int early;\n"); // the directory and the header appear between two compiles
        var after = AssertCovers("gcc", dir.Path, "-Iearly", "-Ilate", "-c", "x.c");
        Assert.Contains(after.Files, f => f.Path == "early/h.h");
        Assert.DoesNotContain(after.Files, f => f.Path == "late/h.h");
    }

    [Fact]
    public void A_header_generated_between_two_compiles_is_found_by_the_second()
    {
        using var dir = new TempDirectory();
        dir.Write("x.c", "#if __has_include(\"gen.h\")\n#include \"gen.h\"\n#endif\nint x;\n");
        var before = AssertCovers("gcc", dir.Path, "-c", "x.c");
        Assert.DoesNotContain(before.Files, f => f.Path == "gen.h");
        dir.Write("gen.h", "#include \"gen2.h\"\n");
        dir.Write("gen2.h", "int generated;\n");
        var after = AssertCovers("gcc", dir.Path, "-c", "x.c");
        Assert.Contains(after.Files, f => f.Path == "gen2.h");
    }

    [Fact]
    public void Stdc_predef_is_read_unless_the_compile_is_freestanding()
    {
        using var dir = new TempDirectory();
        dir.Write("x.c", "int x;\n");
        var hosted = AssertCovers("gcc", dir.Path, "-c", "x.c");
        Assert.True(hosted.PreincludeStdcPredef);
        Assert.Contains(hosted.Files, f => f.Path.EndsWith("/stdc-predef.h", StringComparison.Ordinal));
        var freestanding = AssertCovers("gcc", dir.Path, "-ffreestanding", "-c", "x.c");
        Assert.False(freestanding.PreincludeStdcPredef);
    }

    [Fact]
    public void The_scan_walks_the_include_graph_a_level_at_a_time()
    {
        using var dir = new TempDirectory();
        dir.Write("a.h", "#include \"b.h\"\n");
        dir.Write("b.h", "#include \"c.h\"\n");
        dir.Write("c.h", "int c;\n");
        dir.Write("x.c", "#include \"a.h\"\n#include \"c.h\"\n");
        var source = new CountingSource(new ReadingDirectiveSource(default, dir.Path));
        var scan = IncludeScanner.Scan(CompileCommand.Parse(new[] { "-ffreestanding", "-nostdinc", "-c", "x.c" }), dir.Path, Array.Empty<string>(), source);
        Assert.Null(scan.Declined);
        Assert.Equal(new[] { "x.c", "a.h", "c.h", "b.h" }, scan.Files.Select(f => f.Path));
        Assert.Equal(new[] { 1, 2, 1 }, source.Batches); // x.c; a.h and c.h; b.h: each file asked for once
    }

    private sealed class CountingSource(IDirectiveSource inner) : IDirectiveSource
    {
        public List<int> Batches { get; } = new();

        public IReadOnlyList<FileDirectives> Directives(IReadOnlyList<ScannedFile> files)
        {
            Batches.Add(files.Count);
            return inner.Directives(files);
        }
    }
}
