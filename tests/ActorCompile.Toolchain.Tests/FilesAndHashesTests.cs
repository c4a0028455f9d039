using System.Text;
using ActorCompile.Tests;
using ActorCompile.Toolchain.Jobs;
using ActorCompile.Toolchain.Processes;
using Xunit;

namespace ActorCompile.Toolchain.Tests;

/// <summary>The one content hash and the one way to replace a file whole, which every project uses.</summary>
public sealed class FilesAndHashesTests : IDisposable
{
    private readonly TempDirectory _dir = new("ac-atomic");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_content_is_named_by_its_SHA256_in_lowercase_hex_and_only_such_names_are_hashes()
    {
        const string abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; // FIPS 180-2's example
        Assert.Equal(abc, ContentHash.Of("abc"u8));
        Assert.Equal(abc, ContentHash.Of(new MemoryStream("abc"u8.ToArray())));
        Assert.True(ContentHash.IsValid(abc));
        Assert.False(ContentHash.IsValid(abc.ToUpperInvariant()));
        Assert.False(ContentHash.IsValid(abc[..63]));
        Assert.False(ContentHash.IsValid(abc + "0"));
        Assert.False(ContentHash.IsValid("../" + abc[3..]));
        Assert.False(ContentHash.IsValid(null));
        Assert.True(ContentHash.Matches("abc"u8, abc));
        Assert.False(ContentHash.Matches("abd"u8, abc));
        Assert.False(ContentHash.Matches("abc"u8, abc.ToUpperInvariant()));
    }

    [Fact]
    public void A_file_is_replaced_whole_with_its_mode_from_the_start_and_no_temporary_file_stays()
    {
        var path = _dir.Write("config", "old\n");
        var modes = new List<UnixFileMode>();
        AtomicFile.Write(path, "new\n"u8, UnixFileMode.UserRead | UnixFileMode.UserWrite, beforeRename: t => modes.Add(File.GetUnixFileMode(t)));
        Assert.Equal("new\n", File.ReadAllText(path));
        Assert.Equal(new[] { UnixFileMode.UserRead | UnixFileMode.UserWrite }, modes); // before the rename, already the file's mode
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(new[] { "config" }, Directory.GetFileSystemEntries(_dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void A_write_that_fails_leaves_the_old_file_and_nothing_else()
    {
        var path = _dir.Write("config", "old\n");
        Assert.Throws<IOException>(() => AtomicFile.Write(path, "new\n"u8, beforeRename: _ => throw new IOException("no")));
        Assert.Equal("old\n", File.ReadAllText(path));
        Assert.Equal(new[] { "config" }, Directory.GetFileSystemEntries(_dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void A_separate_temporary_directory_on_the_same_file_system_is_used_and_left_empty()
    {
        var incoming = Directory.CreateDirectory(_dir.Combine("incoming")).FullName;
        var path = _dir.Combine("entry");
        AtomicFile.WriteText(path, "text");
        AtomicFile.Write(path, Encoding.UTF8.GetBytes("again"), temporaryDirectory: incoming);
        Assert.Equal("again", File.ReadAllText(path));
        Assert.Empty(Directory.GetFileSystemEntries(incoming));
    }
}
