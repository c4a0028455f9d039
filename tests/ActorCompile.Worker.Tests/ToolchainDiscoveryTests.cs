using ActorCompile.Tests;
using ActorCompile.Toolchain.Identity;
using Xunit;

namespace ActorCompile.Worker.Tests;

public class ToolchainDiscoveryTests
{
    /// <summary>
    /// clang takes its target from the name it is run by: a link named aarch64-linux-gnu-clang compiles for arm64.
    /// Probed once per program, that link was offered with plain clang's identity (x86-64). Each name is probed.
    /// </summary>
    [Fact]
    public async Task A_link_to_clang_named_for_another_target_is_offered_with_that_target()
    {
        using var dir = new TempDirectory("ac-cross-clang");
        var clang = ExecutableSearch.Find("clang", Environment.GetEnvironmentVariable("PATH"))!;
        var cross = dir.Combine("aarch64-linux-gnu-clang");
        File.CreateSymbolicLink(cross, clang);
        var offered = await ToolchainDiscovery.DiscoverAsync(new[] { clang, cross });
        Assert.Equal(2, offered.Count);
        Assert.Equal("x86_64-pc-linux-gnu", offered.Single(t => t.Names.Contains("clang")).Identity.Target);
        Assert.Equal("aarch64-unknown-linux-gnu", offered.Single(t => t.Names.Contains("aarch64-linux-gnu-clang")).Identity.Target);
    }

    /// <summary>gcc and cc are one program with one identity: still one toolchain that answers to both names.</summary>
    [Fact]
    public async Task Names_of_one_gcc_are_still_one_toolchain()
    {
        var offered = await ToolchainDiscovery.DiscoverAsync(new[] { "gcc", "cc" });
        var only = Assert.Single(offered);
        Assert.Equal(new[] { "cc", "gcc" }, only.Names.Order());
    }
}
