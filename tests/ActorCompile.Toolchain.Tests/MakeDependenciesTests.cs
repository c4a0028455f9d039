using ActorCompile.Tests;
using ActorCompile.Toolchain.Dependencies;
using Xunit;

namespace ActorCompile.Toolchain.Tests;

public class MakeDependenciesTests
{
    [Theory]
    [InlineData(@"sp\ ace/h\#x$$y.h", "sp ace/h#x$y.h")]
    [InlineData(@"plain.h", "plain.h")]
    [InlineData(@"back\\\ slash", @"back\ slash")]
    [InlineData(@"a\b", @"a\b")]
    public void Unmunge_undoes_gcc_quoting(string munged, string name) => Assert.Equal(name, MakeDependencies.Unmunge(munged));

    [Fact]
    public void Prerequisites_of_gcc_output_are_the_files_it_read()
    {
        using var dir = new TempDirectory();
        dir.Write("sp ace/h#x$y.h", "int x;\n");
        dir.Write("w.c", "#include \"sp ace/h#x$y.h\"\n#include <stddef.h>\n");
        var run = Run.Gcc(dir.Path, "-M", "w.c");
        Assert.Equal(0, run.ExitCode);
        var deps = MakeDependencies.ParsePrerequisites(run.Stdout);
        Assert.Equal("w.c", deps[0]);
        Assert.Contains("sp ace/h#x$y.h", deps);
        Assert.Contains(deps, d => d.EndsWith("/stddef.h", StringComparison.Ordinal));
        Assert.All(deps, d => Assert.True(File.Exists(Path.IsPathRooted(d) ? d : dir.Combine(d)), d));
    }

    /// <summary>
    /// What the worker does: gcc writes the dependency file with the mirror's root in front of absolute
    /// paths; taking the root out and wrapping again gives exactly what gcc writes without the root.
    /// </summary>
    [Theory]
    [InlineData("gcc", "-MD")]
    [InlineData("gcc", "-MMD")]
    [InlineData("clang", "-MD")]
    [InlineData("clang", "-MMD")]
    public void Rewrite_with_root_removed_equals_the_file_the_compiler_writes_without_it(string compiler, string flag)
    {
        using var dir = new TempDirectory();
        var shortRoot = dir.Combine("s");
        var prefix = dir.Combine("mirror-root-with-a-long-name/r");
        var longRoot = prefix + shortRoot;
        foreach (var root in new[] { shortRoot, longRoot })
        {
            Directory.CreateDirectory(Path.Combine(root, "build"));
            Directory.CreateDirectory(Path.Combine(root, "inc/a-rather-long-directory-name-for-wrapping"));
            File.WriteAllText(Path.Combine(root, "inc/a-rather-long-directory-name-for-wrapping/one.h"), "#define ONE 1\n");
            File.WriteAllText(Path.Combine(root, "inc/a-rather-long-directory-name-for-wrapping/two words.h"), "#define TWO 2\n");
            File.WriteAllText(Path.Combine(root, "x.c"), "#include <one.h>\n#include <two words.h>\n#include <stdio.h>\nint x = ONE + TWO;\n");
            var run = Run.Program(compiler, new[] { "-c", Path.Combine(root, "x.c"), "-I" + Path.Combine(root, "inc/a-rather-long-directory-name-for-wrapping"),
                flag, "-MP", "-o", Path.Combine(root, "build/x.o") }, root);
            Assert.Equal(0, run.ExitCode);
        }
        var expected = File.ReadAllText(Path.Combine(shortRoot, "build/x.d"));
        var mirrored = File.ReadAllText(Path.Combine(longRoot, "build/x.d"));
        Assert.NotEqual(expected, mirrored);
        var style = compiler == "clang" ? DependencyStyle.Clang : DependencyStyle.Gcc;
        Assert.Equal(expected, MakeDependencies.Rewrite(mirrored, n => n.Replace(prefix, "", StringComparison.Ordinal), style));
    }

    /// <summary>
    /// What a cache hit written elsewhere does: the dependency file of "-o a.o", its target renamed to another
    /// output (longer, so that the rule wraps elsewhere, with a space, '#' and '$' that -MQ quotes), is exactly
    /// what the compiler writes for that output.
    /// </summary>
    [Theory]
    [InlineData("gcc", "-MD")]
    [InlineData("gcc", "-MMD")]
    [InlineData("clang", "-MD")]
    [InlineData("clang", "-MMD")]
    public void Retarget_equals_the_file_the_compiler_writes_for_the_other_output(string compiler, string flag)
    {
        using var dir = new TempDirectory();
        dir.Write("inc/a-rather-long-directory-name-for-wrapping/one.h", "#define ONE 1\n");
        dir.Write("x.c", "#include <one.h>\n#include <stdio.h>\nint x = ONE;\n");
        var other = @"a long output directory/with #, $ and a \ before a space/x.o";
        Directory.CreateDirectory(dir.Combine(Path.GetDirectoryName(other)!));
        string Compile(string output)
        {
            var run = Run.Program(compiler, new[] { "-c", "x.c", "-Iinc/a-rather-long-directory-name-for-wrapping", flag, "-MP", "-o", output }, dir.Path);
            Assert.True(run.ExitCode == 0, run.Stderr);
            return File.ReadAllText(dir.Combine(Path.ChangeExtension(output, ".d")));
        }
        var first = Compile("a.o");
        var expected = Compile(other);
        Assert.NotEqual(first, expected);
        var style = compiler == "clang" ? DependencyStyle.Clang : DependencyStyle.Gcc;
        Assert.Equal(expected, MakeDependencies.Retarget(first, other, style));
        Assert.Equal(first, MakeDependencies.Retarget(expected, "a.o", style));
    }
}
