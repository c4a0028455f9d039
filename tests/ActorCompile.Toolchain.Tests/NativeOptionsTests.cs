using ActorCompile.Tests;
using ActorCompile.Toolchain.Arguments;
using Xunit;

namespace ActorCompile.Toolchain.Tests;

public class NativeOptionsTests
{
    [Theory]
    [InlineData("-O2 -march=native")]
    [InlineData("-O2 -mtune=native")]
    [InlineData("-O3 -march=native -mtune=native -mno-avx")]
    [InlineData("-O2 -march=native -g -gno-record-gcc-switches")]
    public async Task Expanded_options_give_the_object_of_the_native_ones(string flags)
    {
        using var dir = new TempDirectory();
        dir.Write("a.c", "double dot(const double *a, const double *b, int n) { double s = 0; for (int i = 0; i < n; i++) s += a[i] * b[i]; return s; }\n");
        var args = flags.Split(' ').Concat(new[] { "-c", "a.c" }).ToList();
        var (expanded, reason) = await NativeOptions.ExpandAsync("gcc", args);
        Assert.Null(reason);
        Assert.DoesNotContain(expanded!, NativeOptions.IsNative);
        Assert.True(CompileCommand.Parse(expanded!).IsDistributable);
        Assert.Equal(0, Run.Program("gcc", args.Concat(new[] { "-o", "native.o" }), dir.Path).ExitCode);
        Assert.Equal(0, Run.Program("gcc", expanded!.Concat(new[] { "-o", "explicit.o" }), dir.Path).ExitCode);
        Assert.Equal(File.ReadAllBytes(dir.Combine("native.o")), File.ReadAllBytes(dir.Combine("explicit.o")));
    }

    [Fact]
    public async Task Native_with_recorded_debug_information_stays_local()
    {
        var (expanded, reason) = await NativeOptions.ExpandAsync("gcc", new[] { "-O2", "-g", "-march=native", "-c", "a.c" });
        Assert.Null(expanded);
        Assert.Contains("-gno-record-gcc-switches", reason);
    }

    [Theory]
    [InlineData("-g", true)]
    [InlineData("-g -g0", false)]
    [InlineData("-ggdb3", true)]
    [InlineData("-gdwarf-4", true)]
    [InlineData("-g -gno-record-gcc-switches", false)]
    [InlineData("-O2", false)]
    public void Debug_information_that_records_the_command_line_is_recognised(string flags, bool records) =>
        Assert.Equal(records, NativeOptions.RecordsSwitchesInDebugInfo(flags.Split(' ')));
}
