using ActorCompile.Toolchain.Arguments;
using Xunit;

namespace ActorCompile.Toolchain.Tests;

/// <summary>One test per row of the option table, plus the rules distcc keeps local, by name.</summary>
public class OptionTableTests
{
    public static IEnumerable<object[]> EveryRule() => OptionTable.Rules.Select(r => new object[] { r.Spelling });

    private static OptionRule RuleFor(string spelling) => OptionTable.Rules.Single(r => r.Spelling == spelling);

    /// <summary>A value that exercises the rule without tripping its check.</summary>
    private static string SampleValue(OptionRule rule) => rule.Spelling switch
    {
        "-x" => "c",
        "-march=" or "-mtune=" or "-mcpu=" => "x86-64",
        "-Wa," => "--noexecstack",
        "-Xassembler" => "--noexecstack",
        "-Wp," => "-DFROM_WP=1",
        "-fopt-info" => "-vec-missed",
        "-o" => "out.o",
        "-MF" => "out.d",
        "-ffile-prefix-map=" or "-fdebug-prefix-map=" or "-fmacro-prefix-map=" => "/old=/new",
        _ => "value",
    };

    private static List<string> Example(OptionRule rule)
    {
        var option = new List<string>();
        if (!rule.TakesValue) option.Add(rule.Spelling);
        else if (rule.Arity == OptionArity.Separate) { option.Add(rule.Spelling); option.Add(SampleValue(rule)); }
        else if (rule.Arity == OptionArity.JoinedOrSeparate) { option.Add(rule.Spelling); option.Add(SampleValue(rule)); }
        else option.Add(rule.Spelling + SampleValue(rule));

        var args = new List<string>();
        if (rule.Role is not (OptionRole.CompileToAssembly or OptionRole.CompileToObject)) args.Add("-c");
        args.AddRange(option);
        args.Add("x.c");
        if (rule.Role != OptionRole.Output) args.AddRange(new[] { "-o", "x.o" });
        return args;
    }

    [Theory]
    [MemberData(nameof(EveryRule))]
    public void Rule_behaves_as_its_row_says(string spelling)
    {
        var rule = RuleFor(spelling);
        var command = CompileCommand.Parse(Example(rule));
        if (rule.Role == OptionRole.Local)
        {
            Assert.False(command.IsDistributable);
            Assert.Equal(rule.Reason, command.LocalReason);
            return;
        }
        Assert.True(command.IsDistributable, $"{spelling}: {command.LocalReason}");
        var parsed = command.Parsed.Single(p => p.Rule == rule);
        if (rule.TakesValue) Assert.Equal(SampleValue(rule), parsed.Value);
        Assert.Equal("x.c", command.Source);
    }

    [Theory]
    [MemberData(nameof(EveryRule))]
    public void Every_rule_is_found_by_its_own_spelling(string spelling)
    {
        var rule = RuleFor(spelling);
        var token = rule.Arity == OptionArity.Joined ? spelling + "v" : spelling;
        if (rule.Arity == OptionArity.Joined && OptionTable.Rules.Any(r => r != rule && token.StartsWith(r.Spelling, StringComparison.Ordinal) && r.Spelling.Length > spelling.Length))
            return; // a longer spelling owns this token
        Assert.Same(rule, OptionTable.Find(token, out _));
    }

    [Fact]
    public void Longest_spelling_wins() // -MF is not -M with value F
    {
        Assert.Equal(OptionRole.DependencyFile, OptionTable.Find("-MFdeps.d", out var value)!.Role);
        Assert.Equal("deps.d", value);
        Assert.Equal(OptionRole.DependencyTarget, OptionTable.Find("-MTfoo", out _)!.Role);
        Assert.Equal(OptionRole.IncludeFile, OptionTable.Find("-include", out _)!.Role);
        Assert.Null(OptionTable.Find("-O2", out _));
    }

    // The rules distcc keeps local, and the others the issue names, each by name.

    private static string? ReasonFor(params string[] args) => CompileCommand.Parse(args).LocalReason;

    [Fact] public void Preprocess_only_is_local() => Assert.Contains("-E", ReasonFor("-E", "x.c"));
    [Fact] public void Dependency_listing_without_MD_is_local() => Assert.NotNull(ReasonFor("-M", "-c", "x.c"));
    [Fact] public void Dependency_listing_MM_without_MMD_is_local() => Assert.NotNull(ReasonFor("-MM", "-c", "x.c"));
    [Fact] public void MD_is_distributed() => Assert.Null(ReasonFor("-MD", "-c", "x.c"));
    [Fact] public void March_native_is_local() => Assert.Contains("native", ReasonFor("-march=native", "-c", "x.c"));
    [Fact] public void Mtune_native_is_local() => Assert.Contains("native", ReasonFor("-mtune=native", "-c", "x.c"));
    [Fact] public void Profile_options_are_local() => Assert.NotNull(ReasonFor("-fprofile-generate", "-c", "x.c"));
    [Fact] public void Profile_use_is_local() => Assert.NotNull(ReasonFor("-fprofile-use=dir", "-c", "x.c"));
    [Fact] public void Profile_arcs_is_local() => Assert.NotNull(ReasonFor("-fprofile-arcs", "-c", "x.c"));
    [Fact] public void Auto_profile_is_local() => Assert.NotNull(ReasonFor("-fauto-profile=x.afdo", "-c", "x.c"));
    [Fact] public void Coverage_is_local() => Assert.NotNull(ReasonFor("--coverage", "-c", "x.c"));
    [Fact] public void Test_coverage_is_local() => Assert.NotNull(ReasonFor("-ftest-coverage", "-c", "x.c"));
    [Fact] public void Frepo_is_local() => Assert.NotNull(ReasonFor("-frepo", "-c", "x.cc"));
    [Fact] public void Other_languages_are_local() => Assert.Contains("fortran", ReasonFor("-x", "fortran", "-c", "x.f"));
    [Fact] public void Assembler_language_is_local() => Assert.NotNull(ReasonFor("-x", "assembler", "-c", "x.s"));
    [Fact] public void Objective_c_is_distributed() => Assert.Null(ReasonFor("-x", "objective-c", "-c", "x.m"));
    [Fact] public void Several_sources_are_local() => Assert.Contains("several", ReasonFor("-c", "a.c", "b.c"));
    [Fact] public void Linking_is_local() => Assert.Contains("links", ReasonFor("a.c", "-o", "a"));
    [Fact] public void No_source_is_local() => Assert.Contains("no source", ReasonFor("-c", "-O2"));
    [Fact] public void Output_to_stdout_is_local() => Assert.Contains("standard output", ReasonFor("-c", "x.c", "-o", "-"));
    [Fact] public void Conftest_is_local() => Assert.Contains("configure", ReasonFor("-c", "conftest.c"));
    [Fact] public void Syntax_only_is_local() => Assert.NotNull(ReasonFor("-fsyntax-only", "-c", "x.c"));
    [Fact] public void Save_temps_is_local() => Assert.NotNull(ReasonFor("-save-temps", "-c", "x.c"));
    [Fact] public void Save_temps_obj_is_local() => Assert.NotNull(ReasonFor("-save-temps=obj", "-c", "x.c"));
    [Fact] public void Dump_options_are_local() => Assert.NotNull(ReasonFor("-fdump-tree-all", "-c", "x.c"));
    [Fact] public void B_prefix_is_local() => Assert.NotNull(ReasonFor("-B/opt/bin", "-c", "x.c"));
    [Fact] public void B_separate_is_local() => Assert.NotNull(ReasonFor("-B", "/opt/bin", "-c", "x.c"));
    [Fact] public void Specs_is_local() => Assert.NotNull(ReasonFor("-specs=my.specs", "-c", "x.c"));
    [Fact] public void Plugin_is_local() => Assert.NotNull(ReasonFor("-fplugin=evil.so", "-c", "x.c"));
    [Fact] public void Plugin_argument_is_local() => Assert.NotNull(ReasonFor("-fplugin-arg-evil-x=1", "-c", "x.c"));
    [Fact] public void Response_file_is_local() => Assert.Contains("response file", ReasonFor("@args.rsp"));
    [Fact] public void Stdin_is_local() => Assert.Contains("standard input", ReasonFor("-x", "c", "-c", "-", "-o", "x.o"));
    [Fact] public void Assembler_source_is_local() => Assert.Contains("assembler", ReasonFor("-c", "x.s"));
    [Fact] public void Preprocessed_assembler_is_local() => Assert.Contains("assembler", ReasonFor("-c", "x.S"));
    [Fact] public void Precompiled_header_output_is_local() => Assert.Contains("precompiled header", ReasonFor("-c", "x.h"));
    [Fact] public void Precompiled_header_with_language_is_local() => Assert.NotNull(ReasonFor("-x", "c-header", "-c", "x.h"));
    [Fact] public void Wa_listing_is_local() => Assert.NotNull(ReasonFor("-Wa,-adhln=x.lst", "-c", "x.c"));
    [Fact] public void Wa_harmless_is_distributed() => Assert.Null(ReasonFor("-Wa,--noexecstack", "-c", "x.c"));
    [Fact] public void Fopt_info_to_file_is_local() => Assert.NotNull(ReasonFor("-fopt-info-vec=vec.txt", "-c", "x.c"));
    [Fact] public void Sysroot_relative_include_is_local() => Assert.NotNull(ReasonFor("-I=/usr/include", "-c", "x.c"));
    [Fact] public void Wp_MD_is_a_dependency_file() => Assert.Equal("deps/x.d", CompileCommand.Parse(new[] { "-Wp,-MD,deps/x.d", "-c", "x.c" }).Dependencies!.File);
    [Fact] public void Wp_other_is_local() => Assert.NotNull(ReasonFor("-Wp,-H", "-c", "x.c"));
    [Fact] public void Missing_value_is_local() => Assert.Contains("missing its value", ReasonFor("-c", "x.c", "-o"));
    [Fact] public void Object_input_is_local() => Assert.NotNull(ReasonFor("-c", "x.c", "y.o"));
    [Fact] public void Two_outputs_are_local() => Assert.NotNull(ReasonFor("-c", "x.c", "-o", "a.o", "-o", "b.o"));
}
