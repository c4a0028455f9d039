using ActorCompile.Tests;
using ActorCompile.Toolchain.Identity;
using Xunit;

namespace ActorCompile.Toolchain.Tests;

/// <summary>
/// Paths only root can change. The tests run as root (as CI does) so that they can make files of root's
/// and give others to another user (uid 65534, nobody) with chown.
/// </summary>
public sealed class RootOwnedPathTests : IDisposable
{
    private const string Nobody = "65534";
    private readonly TempDirectory _dir = new("ac-rootowned");

    public RootOwnedPathTests()
    {
        Assert.Equal(0u, ActorCompile.Toolchain.Processes.Native.EffectiveUserId()); // the premise: root makes root's files
        Chmod("755", _dir.Path);
    }

    public void Dispose() => _dir.Dispose();

    private static void Shell(string command) => Assert.Equal(0, Run.Shell(command).ExitCode);
    private static void Chmod(string mode, string path) => Shell($"chmod {mode} '{path}'");

    /// <summary>A directory of root's (0755) with a program of root's in it, and a symlink of root's to it from another such directory.</summary>
    private (string Bin, string Tool, string Link) Tree()
    {
        var bin = Directory.CreateDirectory(_dir.Combine("bin")).FullName;
        var links = Directory.CreateDirectory(_dir.Combine("links")).FullName;
        var tool = Path.Combine(bin, "tool");
        File.Copy("/bin/true", tool);
        Chmod("755", bin);
        Chmod("755", links);
        Chmod("755", tool);
        var link = Path.Combine(links, "cc");
        File.CreateSymbolicLink(link, "../bin/tool");
        return (bin, tool, link);
    }

    [Fact]
    public void The_systems_gcc_and_roots_own_files_and_links_are_roots_alone()
    {
        Assert.Null(RootOwnedPath.Problem("/usr/bin/gcc"));
        var (_, tool, link) = Tree();
        Assert.Null(RootOwnedPath.Problem(tool));
        Assert.Null(RootOwnedPath.Problem(link));
    }

    [Fact]
    public void A_link_that_another_user_owns_is_refused_even_when_it_points_at_roots_gcc()
    {
        var (_, _, link) = Tree();
        var mine = Path.Combine(Path.GetDirectoryName(link)!, "gcc");
        File.CreateSymbolicLink(mine, "/usr/bin/gcc");
        Shell($"chown -h {Nobody} '{mine}'");
        Assert.Contains($"{mine} belongs to uid {Nobody}, not root", RootOwnedPath.Problem(mine));
    }

    [Fact]
    public void A_directory_on_the_way_that_another_user_owns_or_anyone_may_write_is_refused()
    {
        var (bin, _, link) = Tree();
        // Reached through the symlink's "..": the directory of its target is checked, not only the link's.
        Shell($"chown {Nobody} '{bin}'");
        Assert.Contains($"{bin} belongs to uid {Nobody}, not root", RootOwnedPath.Problem(link));
        Shell($"chown 0 '{bin}'");
        Chmod("777", bin);
        Assert.Contains($"{bin} is writable by users other than root", RootOwnedPath.Problem(link));
        // A sticky directory (as /tmp, which this test's directory is in) is fine on the way.
        Chmod("1777", bin);
        Assert.Null(RootOwnedPath.Problem(link));
    }

    [Fact]
    public void A_program_that_others_may_write_or_that_another_user_owns_is_refused()
    {
        var (_, tool, link) = Tree();
        Chmod("775", tool);
        Assert.Contains($"{tool} is writable by users other than root", RootOwnedPath.Problem(link));
        Chmod("755", tool);
        Shell($"chown {Nobody} '{tool}'");
        Assert.Contains($"{tool} belongs to uid {Nobody}, not root", RootOwnedPath.Problem(tool));
    }

    [Fact]
    public void Relative_missing_and_looping_paths_are_refused()
    {
        Assert.Contains("is not an absolute path", RootOwnedPath.Problem("usr/bin/gcc"));
        Assert.Contains("does not exist", RootOwnedPath.Problem(_dir.Combine("missing")));
        var loop = _dir.Combine("loop");
        File.CreateSymbolicLink(loop, loop);
        Assert.Contains("too many symlinks", RootOwnedPath.Problem(loop));
    }
}
