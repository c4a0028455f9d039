using ActorCompile.Toolchain.Paths;
using Xunit;

namespace ActorCompile.Toolchain.Tests;

public class MirrorPathsTests
{
    [Theory]
    [InlineData("/a/b/../c", "/a/c")]
    [InlineData("/a//b/./c/", "/a/b/c")]
    [InlineData("/..", "/")]
    [InlineData("/../../etc", "/etc")]
    [InlineData("/", "/")]
    public void Normalize_is_lexical(string path, string normalized) => Assert.Equal(normalized, MirrorPaths.Normalize(path));

    [Fact]
    public void Normalize_reports_directories_that_dotdot_walks_through()
    {
        var traversed = new List<string>();
        Assert.Equal("/usr/include/c++/12/vector", MirrorPaths.Normalize("/usr/lib/gcc/x/12/../../../../include/c++/12/vector", traversed));
        Assert.Equal(new[] { "/usr/lib/gcc/x/12", "/usr/lib/gcc/x", "/usr/lib/gcc", "/usr/lib" }, traversed);
    }

    [Theory]
    [InlineData("/usr/include/stdio.h", true)]
    [InlineData("/", true)]
    [InlineData("relative/x.h", false)]
    [InlineData("/a/../etc/passwd", false)]
    [InlineData("/a/./b", false)]
    [InlineData("/a//b", false)]
    [InlineData("/a/b/", false)]
    [InlineData("", false)]
    [InlineData("/a\0b", false)]
    public void Only_normalized_absolute_paths_are_safe(string path, bool safe) => Assert.Equal(safe, MirrorPaths.IsSafeMirrorPath(path));

    [Fact]
    public void Under_refuses_paths_that_escape_the_root()
    {
        Assert.Equal("/root/usr/x", MirrorPaths.Under("/root", "/usr/x"));
        Assert.Throws<ArgumentException>(() => MirrorPaths.Under("/root", "/../etc/passwd"));
    }

    [Fact]
    public void Arguments_map_only_when_absolute()
    {
        Assert.Equal("/r/abs/x.c", MirrorPaths.MapArgument("/r", "/abs/x.c"));
        Assert.Equal("src/x.c", MirrorPaths.MapArgument("/r", "src/x.c"));
    }
}
