using System.Text;
using ActorCompile.Toolchain.Arguments;
using ActorCompile.Toolchain.Cache;
using ActorCompile.Toolchain.Dependencies;
using Xunit;

namespace ActorCompile.Toolchain.Tests;

public sealed class ResultOutputsTests
{
    private static KeyValuePair<string, byte[]> File(string name, string text) => new(name, Encoding.UTF8.GetBytes(text));

    private static Dictionary<string, string> Texts(List<KeyValuePair<string, byte[]>>? outputs) =>
        Assert.IsType<List<KeyValuePair<string, byte[]>>>(outputs).ToDictionary(o => o.Key, o => Encoding.UTF8.GetString(o.Value));

    [Fact]
    public void A_result_kept_for_one_output_is_used_under_another_with_its_dependency_target_renamed()
    {
        var first = CompileCommand.Parse(new[] { "-c", "a.c", "-o", "a.o", "-MD" });
        var kept = ResultOutputs.ToKept(first, new[] { File("a.o", "OBJ"), File("a.d", "a.o: a.c a.h\n") });
        Assert.Equal(new[] { ResultOutputs.Object, ResultOutputs.DependencyList }, kept!.Select(k => k.Key));

        var other = CompileCommand.Parse(new[] { "-c", "a.c", "-o", "out dir/b.o", "-MD" });
        var used = Texts(ResultOutputs.ForCommand(other, kept!, DependencyStyle.Gcc));
        Assert.Equal("OBJ", used["out dir/b.o"]);
        Assert.Equal("out\\ dir/b.o: a.c a.h\n", used["out dir/b.d"]);

        // -MT names the target itself (and is part of the key): the list is used as it was written.
        var named = CompileCommand.Parse(new[] { "-c", "a.c", "-o", "c.o", "-MD", "-MF", "c.d", "-MT", "a.o" });
        Assert.Equal("a.o: a.c a.h\n", Texts(ResultOutputs.ForCommand(named, kept!, DependencyStyle.Gcc))["c.d"]);
    }

    [Fact]
    public void A_result_that_does_not_fit_the_command_is_not_used_and_a_foreign_output_is_not_kept()
    {
        var withDeps = CompileCommand.Parse(new[] { "-c", "a.c", "-o", "a.o", "-MD" });
        var plain = CompileCommand.Parse(new[] { "-c", "a.c", "-o", "a.o" });
        Assert.Null(ResultOutputs.ToKept(plain, new[] { File("a.o", "OBJ"), File("elsewhere.txt", "x") }));
        var objectOnly = new[] { File(ResultOutputs.Object, "OBJ") };
        var both = new[] { File(ResultOutputs.Object, "OBJ"), File(ResultOutputs.DependencyList, "a.o: a.c\n") };
        Assert.Null(ResultOutputs.ForCommand(withDeps, objectOnly, DependencyStyle.Gcc)); // the list is missing
        Assert.Null(ResultOutputs.ForCommand(plain, both, DependencyStyle.Gcc)); // a file the command does not write
        Assert.Null(ResultOutputs.ForCommand(plain, objectOnly.Concat(objectOnly), DependencyStyle.Gcc)); // twice
        Assert.Null(ResultOutputs.ForCommand(plain, new[] { File("a.o", "OBJ") }, DependencyStyle.Gcc)); // a path, not a kept name
        Assert.Equal("OBJ", Texts(ResultOutputs.ForCommand(plain, objectOnly, DependencyStyle.Gcc))["a.o"]);
    }
}
