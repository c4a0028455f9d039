using ActorCompile.Coordinator;
using ActorCompile.Tests;
using ActorCompile.Toolchain.Identity;
using Xunit;

namespace ActorCompile.Coordinator.Tests;

/// <summary>What the target's node agrees to ship, from the real gcc of this machine (the tests run as root, as CI does).</summary>
public sealed class ToolchainShippingTests
{
    [Fact]
    public async Task The_systems_gcc_is_shipped_with_its_compiler_proper_when_the_fingerprints_agree()
    {
        var gcc = (await ToolchainProbe.ProbeAsync("/usr/bin/gcc")).Identity;
        var shipping = new ToolchainShipping();
        var r = await shipping.PrepareAsync("/usr/bin/gcc", gcc);
        Assert.True(r.Toolchain is not null, r.Reason);
        Assert.Equal(gcc.Fingerprint, r.Toolchain.Toolchain.Fingerprint);
        Assert.Contains(r.Toolchain.Toolchain.Files, f => f.Kind == ToolchainFileKind.File && Path.GetFileName(f.Path) == "cc1");

        var other = gcc with { Fingerprint = new string('0', 64) };
        Assert.Contains("the node finds another compiler at /usr/bin/gcc", (await shipping.PrepareAsync("/usr/bin/gcc", other)).Reason);
    }

    [Fact]
    public async Task A_users_own_link_to_the_systems_gcc_is_not_looked_at()
    {
        // The user could point the link elsewhere between the node's check and its use: the node runs
        // nothing and ships nothing through a path that someone other than root can change.
        var gcc = (await ToolchainProbe.ProbeAsync("/usr/bin/gcc")).Identity;
        using var dir = new TempDirectory("ac-userlink");
        Assert.Equal(0, Run.Shell($"chmod 755 '{dir.Path}'").ExitCode);
        var link = dir.Combine("gcc");
        File.CreateSymbolicLink(link, "/usr/bin/gcc");
        Assert.Equal(0, Run.Shell($"chown -h 65534 '{link}'").ExitCode);
        var r = await new ToolchainShipping().PrepareAsync(link, gcc);
        Assert.Null(r.Toolchain);
        Assert.Contains($"{link} belongs to uid 65534, not root", r.Reason);
    }
}
