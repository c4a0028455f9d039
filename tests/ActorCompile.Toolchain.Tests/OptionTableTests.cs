using ActorCompile.Toolchain.Arguments;
using Xunit;

namespace ActorCompile.Toolchain.Tests;

/// <summary>
/// The option table, row by row: each case states its own expected outcome (distributed, or local with
/// words of the reason), written here and not read from the table under test, so that a row changed by
/// mistake fails its case. Every row of the table has at least one case (checked below), and the
/// spellings an attacker would try (double dash, joined, separate) have theirs.
/// </summary>
public class OptionTableTests
{
    private const string Remote = "";

    /// <summary>Options, with the words the local reason must contain, or <see cref="Remote"/>.</summary>
    public static TheoryData<string, string> Cases => new()
    {
        // What the compile produces.
        { "-c", Remote }, { "-S", Remote }, { "-E", "-E only preprocesses" }, { "-o out.o", Remote }, { "-oout.o", Remote },
        { "-x c", Remote }, { "-xc", Remote }, { "-fsyntax-only", "produces no object" },
        // Dependency output.
        { "-MD", Remote }, { "-MMD", Remote }, { "-MF out.d", Remote }, { "-MFout.d", Remote }, { "-MT t", Remote }, { "-MQ t", Remote },
        { "-MP", Remote }, { "-M", "-M only lists" }, { "-MM", "-MM only lists" }, { "-MG", "generated files" },
        { "-Wp,-MD,out.d", Remote }, { "-Wp,-DX=1,-UY", Remote }, { "-Wp,-H", "-Wp,-H is not understood" },
        { "-Xpreprocessor -H", "-Xpreprocessor options are not analysed" },
        // Header search.
        { "-I inc", Remote }, { "-Iinc", Remote }, { "-I=/usr/include", "sysroot-relative" }, { "-iquote inc", Remote },
        { "-isystem inc", Remote }, { "-idirafter inc", Remote }, { "-I-", "split include path" }, { "-include config.h", Remote },
        { "-imacros m.h", Remote }, { "-iprefix /p", "-iprefix include paths" }, { "-iwithprefix d", "-iwithprefix include paths" },
        { "-iwithprefixbefore d", "-iwithprefixbefore include paths" }, { "-iplugindir=/p", "loads code" },
        { "-isysroot /s", Remote }, { "-imultilib m", Remote }, { "-imultiarch x86_64-linux-gnu", Remote }, { "--sysroot /s", Remote },
        { "--sysroot=/s", Remote }, { "-nostdinc", Remote }, { "-nostdinc++", Remote }, { "-D X=1", Remote }, { "-DX=1", Remote },
        { "-U X", Remote }, { "-A p(a)", Remote }, { "-undef", Remote }, { "-trigraphs", Remote }, { "-C", Remote }, { "-CC", Remote }, { "-P", Remote },
        // Prefix maps.
        { "-fdebug-prefix-map=/a=/b", Remote }, { "-ffile-prefix-map=/a=/b", Remote }, { "-fmacro-prefix-map=/a=/b", Remote },
        // Families.
        { "-fPIC", Remote }, { "-fno-strict-aliasing", Remote }, { "-fvisibility=hidden", Remote }, { "-fstack-protector-strong", Remote },
        { "-ffixed-r12", Remote }, { "-fno-builtin-memcpy", Remote }, { "-fdiagnostics-color=always", Remote },
        { "-fdiagnostics-format=json", Remote }, { "-fdiagnostics-format=sarif-file", "writes a file" },
        { "-finput-charset=UTF-8", Remote }, { "-finput-charset=latin1", "character set modules" },
        { "-ffancy-new-thing", "-ffancy-new-thing is not known to be safe" },
        { "-fno-fancy-new-thing", "-fno-fancy-new-thing is not known to be safe" },
        { "-Wall", Remote }, { "-W", Remote }, { "-Wno-unused-parameter", Remote }, { "-Werror=format-security", Remote },
        { "-Wx,evil", "-Wx,evil is not known to be safe" },
        { "-O", Remote }, { "-O2", Remote }, { "-Os", Remote }, { "-Ofast", Remote }, { "-O9", "-O9 is not known to be safe" },
        { "-g", Remote }, { "-g3", Remote }, { "-ggdb", Remote }, { "-gdwarf-4", Remote }, { "-gz=zlib", Remote },
        { "-gno-record-gcc-switches", Remote }, { "-gmodules", "-gmodules is not known to be safe" },
        { "-m64", Remote }, { "-mavx2", Remote }, { "-mno-red-zone", Remote }, { "-mfpmath=sse", Remote }, { "-m", "-m is not known to be safe" },
        { "-std=c11", Remote }, { "-stdlib=libc++", Remote }, { "-ansi", Remote }, { "-pedantic", Remote }, { "-pedantic-errors", Remote },
        { "-w", Remote }, { "-pipe", Remote }, { "-pthread", Remote }, { "-p", Remote }, { "-pg", Remote }, { "-no-canonical-prefixes", Remote },
        { "-pass-exit-codes", Remote }, { "-Qunused-arguments", Remote }, { "-Qn", Remote }, { "-Qy", Remote }, { "-integrated-as", Remote },
        { "-no-integrated-as", Remote }, { "--param max-inline-insns-single=100", Remote }, { "--param=l1-cache-size=48", Remote },
        // Code loaded, programs run, files read or written outside the job.
        { "-fplugin=evil.so", "-fplugin loads code" }, { "-fplugin-arg-evil-x=1", "-fplugin loads code" },
        { "-specs=my.specs", "-specs= changes the driver's programs" }, { "-specs my.specs", "-specs changes the driver's programs" },
        { "-B/opt/bin", "-B chooses" }, { "-B /opt/bin", "-B chooses" }, { "-wrapper gdb", "-wrapper runs another program" },
        { "-save-temps", "writes intermediate files" }, { "-save-temps=obj", "writes intermediate files" },
        { "-fdump-tree-all", "writes dump files" }, { "-aux-info x.aux", "-aux-info writes a file" },
        { "-dumpbase x", "-dumpbase names" }, { "-dumpbase-ext .c", "-dumpbase-ext names" }, { "-dumpdir d/", "-dumpdir names" },
        { "-fstack-usage", ".su file" }, { "-fcallgraph-info", ".ci file" }, { "-gsplit-dwarf", ".dwo file" },
        { "-frecord-gcc-switches", "records the worker's command line" }, { "-fsave-optimization-record", "writes a file beside" },
        { "-fopt-info-vec-missed", Remote }, { "-fopt-info-vec=vec.txt", "-fopt-info=FILE writes a file" },
        { "-Wa,--noexecstack", Remote }, { "-Wa,-adhln=x.lst", "assembler option -adhln=x.lst" }, { "-Wa,--MD,x.d", "assembler option --MD" },
        { "-Wa,@opts", "assembler option @opts" }, { "-Wa,-I/etc", "assembler option -I/etc" },
        { "-Xassembler --noexecstack", Remote }, { "-Xassembler -ahl=x.lst", "assembler option -ahl=x.lst" },
        { "-Wl,--as-needed", Remote }, { "-Xlinker --as-needed", Remote },
        { "-fsanitize-blacklist=list.txt", "sanitizer lists" }, { "-fsanitize-ignorelist=list.txt", "sanitizer lists" },
        { "-fcrash-diagnostics-dir=/tmp", "reproducers" },
        // Profiles and coverage.
        { "-fprofile-generate", "profile data" }, { "-fprofile-use=dir", "profile data" }, { "-fprofile-arcs", "profile data" },
        { "-fauto-profile=x.afdo", "reads profile data" }, { "-fcoverage-mapping", "coverage data" }, { "--coverage", "coverage notes" },
        { "-coverage", "coverage notes" }, { "-ftest-coverage", "coverage notes" }, { "-frepo", "template repository" },
        { "-fcompare-debug", "compiles twice" },
        // CPU.
        { "-march=x86-64-v2", Remote }, { "-march=native", "=native options are expanded" }, { "-mtune=generic", Remote },
        { "-mtune=native", "=native" }, { "-mcpu=native", "=native" }, { "-mcpu=x86-64", Remote },
        // Other inputs.
        { "-fdirectives-only", "changes what the compiler reads" }, { "-fpreprocessed", "compiled locally" },
        { "-fmodules", "module cache" }, { "-fmodule-map-file=m", "module cache" }, { "-fmodules-ts", "module mapper" },
        { "-traditional-cpp", "preprocessed locally" }, { "-traditional", "-traditional is compiled locally" },
        // Driver output.
        { "-v", "local driver at work" }, { "-###", "local driver's commands" }, { "-H", "headers as they are read" },
        { "-Q", "function names" }, { "-time", "local timings" }, { "-ftime-report", "local timings" }, { "-dM", "dump compiler state" },
        { "-print-search-dirs", "queries the local driver" }, { "--help", "answered locally" }, { "--version", "answered locally" },
        { "-dumpversion", "answered locally" }, { "-dumpfullversion", "answered locally" }, { "-dumpmachine", "answered locally" },
        { "-dumpspecs", "answered locally" },
        // clang.
        { "-Xclang -load", "-Xclang options are not analysed" }, { "-mllvm -info-output-file=x", "-mllvm options are not analysed" },
        { "-target x86_64-linux-gnu", Remote }, { "--target=x86_64-linux-gnu", Remote }, { "-arch x86_64", "Apple multi-architecture" },
        { "-include-pch x.pch", "precompiled headers" }, { "-ivfsoverlay o.yaml", "overlay file" }, { "-resource-dir /r", "compiler's files" },
        { "--gcc-toolchain=/opt", "compiler's files" }, { "-gcc-toolchain /opt", "compiler's files" },
        // Linker options (ignored with -c).
        { "-L lib", Remote }, { "-lm", Remote }, { "-T script.ld", Remote }, { "-u sym", Remote }, { "-e main", Remote }, { "-z now", Remote },
        { "-static", Remote }, { "-static-pie", Remote }, { "-static-libgcc", Remote }, { "-static-libstdc++", Remote }, { "-shared", Remote },
        { "-shared-libgcc", Remote }, { "-rdynamic", Remote }, { "-symbolic", Remote }, { "-s", Remote }, { "-pie", Remote },
        { "-no-pie", Remote }, { "-nostdlib", Remote }, { "-nodefaultlibs", Remote }, { "-nostartfiles", Remote },
        { "-rtlib=compiler-rt", Remote }, { "-unwindlib=libgcc", Remote },
        // Every double-dash spelling gcc and clang accept for something dangerous (gcc: --X is -fX).
        { "--specs=evil.specs", "--specs=evil.specs is not known to be safe" }, { "--specs evil.specs", "--specs is not known to be safe" },
        { "--plugin=evil.so", "--plugin=evil.so is not known to be safe" }, { "--dump-tree-all", "--dump-tree-all is not known" },
        { "--output x.o", "--output is not known to be safe" }, { "--output=x.o", "--output=x.o is not known" },
        { "--prefix=/opt/bin", "--prefix=/opt/bin is not known" }, { "--include-directory=/etc", "--include-directory=/etc is not known" },
        { "--save-temps", "--save-temps is not known" }, { "--profile-generate", "--profile-generate is not known" },
        // Options the table does not know at all.
        { "-frobnicate", "-frobnicate is not known to be safe" }, { "-Zfoo", "-Zfoo is not known to be safe" },
        { "-Xarch_x86_64 -O2", "-Xarch_x86_64 is not known to be safe" }, { "--", "-- is not known to be safe" },
    };

    private static CompileCommand Parse(string option)
    {
        var args = new List<string>();
        var tokens = option.Split(' ');
        if (!tokens.Contains("-c") && !tokens.Contains("-S")) args.Add("-c");
        args.AddRange(tokens);
        args.Add("x.c");
        if (!tokens.Contains("-o") && !tokens.Any(t => t.StartsWith("-o", StringComparison.Ordinal) && t != "-o"))
            args.AddRange(new[] { "-o", "x.o" });
        return CompileCommand.Parse(args);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_option_is_distributed_or_kept_local_for_its_reason(string option, string reason)
    {
        var command = Parse(option);
        if (reason == Remote)
        {
            Assert.True(command.IsDistributable, $"{option}: {command.LocalReason}");
            Assert.Equal("x.c", command.Source);
        }
        else
        {
            Assert.False(command.IsDistributable, option);
            Assert.Contains(reason, command.LocalReason);
        }
    }

    [Fact]
    public void Every_row_of_the_table_has_a_case()
    {
        var tokens = Cases.Select(c => ((string)c[0]).Split(' ')[0]).ToList();
        var missing = OptionTable.Rules
            .Where(rule => !tokens.Any(t => t == rule.Spelling || (rule.Arity != OptionArity.None && t.StartsWith(rule.Spelling, StringComparison.Ordinal))))
            .Select(rule => rule.Spelling)
            .ToList();
        Assert.Empty(missing);
    }

    [Fact]
    public void Longest_spelling_wins() // -MF is not -M with value F
    {
        Assert.Equal(OptionRole.DependencyFile, OptionTable.Find("-MFdeps.d", out var value)!.Role);
        Assert.Equal("deps.d", value);
        Assert.Equal(OptionRole.DependencyTarget, OptionTable.Find("-MTfoo", out _)!.Role);
        Assert.Equal(OptionRole.IncludeFile, OptionTable.Find("-include", out _)!.Role);
        Assert.Equal("-fplugin", OptionTable.Find("-fplugin=x.so", out _)!.Spelling);
        Assert.Equal("-f", OptionTable.Find("-fPIC", out var flag)!.Spelling);
        Assert.Equal("PIC", flag);
        Assert.Equal("--param=", OptionTable.Find("--param=x=1", out _)!.Spelling);
        Assert.Equal("--", OptionTable.Find("--plugin=x.so", out _)!.Spelling);
        Assert.Null(OptionTable.Find("-Zfoo", out _));
    }

    // Whole commands: the rules distcc keeps local, by name.

    private static string? ReasonFor(params string[] args) => CompileCommand.Parse(args).LocalReason;

    [Fact] public void MD_is_distributed() => Assert.Null(ReasonFor("-MD", "-c", "x.c"));
    [Fact] public void Other_languages_are_local() => Assert.Contains("fortran", ReasonFor("-x", "fortran", "-c", "x.f"));
    [Fact] public void Assembler_language_is_local() => Assert.Contains("'assembler' is not C", ReasonFor("-x", "assembler", "-c", "x.s"));
    [Fact] public void Objective_c_is_distributed() => Assert.Null(ReasonFor("-x", "objective-c", "-c", "x.m"));
    [Fact] public void Several_sources_are_local() => Assert.Contains("several", ReasonFor("-c", "a.c", "b.c"));
    [Fact] public void Linking_is_local() => Assert.Contains("links", ReasonFor("a.c", "-o", "a"));
    [Fact] public void No_source_is_local() => Assert.Contains("no source", ReasonFor("-c", "-O2"));
    [Fact] public void Output_to_stdout_is_local() => Assert.Contains("standard output", ReasonFor("-c", "x.c", "-o", "-"));
    [Fact] public void Conftest_is_local() => Assert.Contains("configure", ReasonFor("-c", "conftest.c"));
    [Fact] public void Response_file_is_local() => Assert.Contains("response file", ReasonFor("@args.rsp"));
    [Fact] public void Stdin_is_local() => Assert.Contains("standard input", ReasonFor("-x", "c", "-c", "-", "-o", "x.o"));
    [Fact] public void Assembler_source_is_local() => Assert.Contains("assembler input", ReasonFor("-c", "x.s"));
    [Fact] public void Preprocessed_assembler_is_local() => Assert.Contains("assembler input", ReasonFor("-c", "x.S"));
    [Fact] public void Precompiled_header_output_is_local() => Assert.Contains("precompiled header", ReasonFor("-c", "x.h"));
    [Fact] public void Precompiled_header_with_language_is_local() => Assert.Contains("'c-header' is not C", ReasonFor("-x", "c-header", "-c", "x.h"));
    [Fact] public void Wp_MD_is_a_dependency_file() => Assert.Equal("deps/x.d", CompileCommand.Parse(new[] { "-Wp,-MD,deps/x.d", "-c", "x.c" }).Dependencies!.File);
    [Fact] public void Missing_value_is_local() => Assert.Contains("missing its value", ReasonFor("-c", "x.c", "-o"));
    [Fact] public void Object_input_is_local() => Assert.Contains("y.o is not a C, C++ or Objective-C source", ReasonFor("-c", "x.c", "y.o"));
    [Fact] public void Two_outputs_are_local() => Assert.Contains("more than one -o", ReasonFor("-c", "x.c", "-o", "a.o", "-o", "b.o"));
    [Fact] public void The_first_reason_is_the_one_given() => Assert.Contains("--plugin=a.so", ReasonFor("-c", "--plugin=a.so", "-fplugin=b.so", "x.c"));
}
