using ActorCompile.Tests;
using ActorCompile.Toolchain.Identity;
using Xunit;

namespace ActorCompile.Toolchain.Tests;

public class ToolchainProbeTests
{
    [Fact]
    public async Task Gcc_is_identified()
    {
        var gcc = await ToolchainProbe.ProbeAsync(ExecutableSearch.Find("gcc", Environment.GetEnvironmentVariable("PATH"))!);
        Assert.Equal("gcc", gcc.Identity.Family);
        Assert.Equal("c", gcc.Identity.DriverLanguage);
        Assert.Equal(Run.Program("gcc", new[] { "-dumpfullversion" }).Stdout.Trim(), gcc.Identity.Version);
        Assert.Equal(Run.Program("gcc", new[] { "-dumpmachine" }).Stdout.Trim(), gcc.Identity.Target);
        Assert.Equal(64, gcc.Identity.Fingerprint.Length);
    }

    [Fact]
    public async Task Names_of_the_same_binary_share_a_fingerprint_and_gcc_is_not_gplusplus()
    {
        var path = Environment.GetEnvironmentVariable("PATH");
        var gcc = await ToolchainProbe.ProbeAsync(ExecutableSearch.Find("gcc", path)!);
        var cc = await ToolchainProbe.ProbeAsync(ExecutableSearch.Find("cc", path)!);
        var gxx = await ToolchainProbe.ProbeAsync(ExecutableSearch.Find("g++", path)!);
        Assert.Equal(gcc.Identity, cc.Identity);
        Assert.NotEqual(gcc.Identity.Fingerprint, gxx.Identity.Fingerprint);
        Assert.Equal("c++", gxx.Identity.DriverLanguage);
    }

    [Fact]
    public async Task A_program_that_is_not_a_compiler_is_refused()
    {
        await Assert.ThrowsAsync<ToolchainProbeException>(() => ToolchainProbe.ProbeAsync("/bin/true"));
    }

    [Fact]
    public void Cache_keys_change_with_the_binary()
    {
        using var dir = new TempDirectory();
        var file = dir.Write("tool", "a");
        var key = ToolchainCache.KeyOf(file);
        File.WriteAllText(file, "ab");
        Assert.NotEqual(key, ToolchainCache.KeyOf(file));
        Assert.Null(ToolchainCache.KeyOf(dir.Combine("missing")));
    }
}
