using ActorCompile.Toolchain.Identity;
using Xunit;

namespace ActorCompile.Toolchain.Tests;

/// <summary>
/// A toolchain's content id is what a helper keys the roots it holds by: two different manifests must
/// never share one, whatever their strings hold.
/// </summary>
public class ToolchainManifestTests
{
    private const string Hash = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    private static ToolchainManifest Manifest(params ToolchainFile[] files) => new(new string('f', 64), "/usr/bin/cc", files);

    [Fact]
    public void A_field_with_a_separator_in_it_does_not_make_another_manifests_id()
    {
        // The fields once ran together separated by tabs and newlines: a path holding "\t<hash>\t1\t\n..."
        // produced the very bytes of two honest entries.
        var honest = Manifest(
            new ToolchainFile(ToolchainFileKind.File, "/usr/bin/cc", Hash, 10, true, null),
            new ToolchainFile(ToolchainFileKind.Directory, "/usr/bin/cd", null, 0, false, null));
        var forged = Manifest(
            new ToolchainFile(ToolchainFileKind.File, $"/usr/bin/cc\t{Hash}\t1\t\n2\t/usr/bin/cd", "", 10, false, null));
        Assert.NotEqual(honest.ContentId, forged.ContentId);
    }

    [Fact]
    public void Moving_text_between_the_path_and_the_link_target_changes_the_id()
    {
        var a = Manifest(new ToolchainFile(ToolchainFileKind.Symlink, "/lib\t\t0\tx", null, 0, false, "y"));
        var b = Manifest(new ToolchainFile(ToolchainFileKind.Symlink, "/lib", null, 0, false, "x\t\t0\ty"));
        Assert.NotEqual(a.ContentId, b.ContentId);
    }

    [Theory]
    [InlineData("size")]
    [InlineData("executable")]
    [InlineData("fingerprint")]
    [InlineData("hash on a directory")]
    [InlineData("empty link target")]
    public void Every_field_is_part_of_the_id(string field)
    {
        var file = new ToolchainFile(ToolchainFileKind.File, "/usr/bin/cc", Hash, 10, true, null);
        var dir = new ToolchainFile(ToolchainFileKind.Directory, "/usr", null, 0, false, null);
        var manifest = Manifest(dir, file);
        var changed = field switch
        {
            "size" => Manifest(dir, file with { Size = 11 }),
            "executable" => Manifest(dir, file with { Executable = false }),
            "fingerprint" => manifest with { Fingerprint = new string('e', 64) },
            "hash on a directory" => Manifest(dir with { Hash = "" }, file),
            "empty link target" => Manifest(dir with { LinkTarget = "" }, file),
            _ => throw new ArgumentException(field),
        };
        Assert.NotEqual(manifest.ContentId, changed.ContentId);
    }
}
