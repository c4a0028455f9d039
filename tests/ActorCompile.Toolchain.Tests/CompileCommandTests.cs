using ActorCompile.Tests;
using ActorCompile.Toolchain.Arguments;
using Xunit;

namespace ActorCompile.Toolchain.Tests;

public class CompileCommandTests
{
    [Fact]
    public void A_plain_compile_is_distributable()
    {
        var c = CompileCommand.Parse(new[] { "-O2", "-Iinclude", "-DX=1", "-c", "src/a.c", "-o", "build/a.o" });
        Assert.True(c.IsDistributable);
        Assert.Equal("src/a.c", c.Source);
        Assert.Equal(SourceLanguage.C, c.Language);
        Assert.Equal("build/a.o", c.Output);
        Assert.Null(c.Dependencies);
    }

    [Theory]
    [InlineData("x.cpp", SourceLanguage.CPlusPlus)]
    [InlineData("x.cc", SourceLanguage.CPlusPlus)]
    [InlineData("x.cxx", SourceLanguage.CPlusPlus)]
    [InlineData("x.C", SourceLanguage.CPlusPlus)]
    [InlineData("x.m", SourceLanguage.ObjectiveC)]
    [InlineData("x.mm", SourceLanguage.ObjectiveCPlusPlus)]
    public void Language_follows_the_extension(string source, SourceLanguage language) =>
        Assert.Equal(language, CompileCommand.Parse(new[] { "-c", source }).Language);

    [Fact]
    public void Dash_x_applies_to_following_inputs_only()
    {
        Assert.Equal(SourceLanguage.CPlusPlus, CompileCommand.Parse(new[] { "-x", "c++", "-c", "x.c" }).Language);
        Assert.Equal(SourceLanguage.C, CompileCommand.Parse(new[] { "-c", "x.c", "-x", "c++" }).Language);
        Assert.Equal(SourceLanguage.C, CompileCommand.Parse(new[] { "-x", "c++", "-x", "none", "-c", "x.c" }).Language);
    }

    [Theory]
    [InlineData(new[] { "-c", "src/foo.c" }, "foo.o")]
    [InlineData(new[] { "-S", "src/foo.c" }, "foo.s")]
    [InlineData(new[] { "-c", "src/foo.c", "-obuild/foo.o" }, "build/foo.o")]
    public void Output_is_the_drivers_default_when_not_given(string[] args, string output) =>
        Assert.Equal(output, CompileCommand.Parse(args).Output);

    [Fact]
    public void Separate_values_are_not_mistaken_for_sources()
    {
        var c = CompileCommand.Parse(new[] { "-c", "-include", "config.h", "-I", "inc", "-MF", "x.d", "-MD", "-MT", "x.o", "x.c", "-Xlinker", "foo.o" });
        Assert.True(c.IsDistributable, c.LocalReason);
        Assert.Equal("x.c", c.Source);
        Assert.Equal("x.d", c.Dependencies!.File);
    }

    /// <summary>The dependency file name rule is checked against the real driver.</summary>
    [Theory]
    [InlineData("-o", "out/x.o")]
    [InlineData("-o", "out/x")]
    [InlineData("-o", "out.dir/x")]
    [InlineData("-o", "out/x.tar.o")]
    [InlineData(null, null)]
    public void Default_dependency_file_matches_gcc(string? flag, string? output)
    {
        using var dir = new TempDirectory();
        dir.Write("src/x.c", "int x;\n");
        Directory.CreateDirectory(dir.Combine("out"));
        Directory.CreateDirectory(dir.Combine("out.dir"));
        var args = new List<string> { "-c", "src/x.c", "-MD" };
        if (flag is not null) { args.Add(flag); args.Add(output!); }
        var run = Run.Program("gcc", args, dir.Path);
        Assert.Equal(0, run.ExitCode);
        var expected = CompileCommand.Parse(args).Dependencies!.File;
        Assert.True(File.Exists(dir.Combine(expected)), $"gcc did not write {expected}; files: {string.Join(", ", Directory.GetFiles(dir.Path, "*.d", SearchOption.AllDirectories))}");
    }

    [Fact]
    public void Include_directories_are_listed_in_command_order_in_every_spelling()
    {
        var command = CompileCommand.Parse(new[] { "-c", "a.c", "-Iinc", "-I", "../x", "-iquote", "q", "-isystem/s", "-idirafter", "late", "-include", "f.h", "-DI=1", "-o", "a.o" });
        Assert.Equal(new[] { "inc", "../x", "q", "/s", "late" }, command.IncludeDirectories);
    }

    [Fact]
    public void Every_argument_is_accounted_for()
    {
        var args = new[] { "-c", "-o", "x.o", "-Ifoo", "-I", "bar", "x.c", "-Wall" };
        var c = CompileCommand.Parse(args);
        var covered = c.Parsed.Sum(p => p.SeparateValue ? 2 : 1);
        Assert.Equal(args.Length, covered);
    }
}
