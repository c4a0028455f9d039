using System.Security.Cryptography;
using System.Text;
using ActorCompile.Tests;
using ActorCompile.Toolchain.Identity;
using ActorCompile.Worker.Toolchains;
using Xunit;

namespace ActorCompile.Worker.Tests;

/// <summary>
/// The worker's store of toolchains as a target ships them: files checked as they enter, a root built once
/// and kept across restarts, verified when a new run first uses it, least recently used out, and no
/// manifest that could make building reach outside the store.
/// </summary>
public sealed class ToolchainStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new("ac-store");

    public void Dispose() => _dir.Dispose();

    private static (ToolchainFile File, byte[] Content) File(string path, string text, bool executable = false)
    {
        var content = Encoding.UTF8.GetBytes(text);
        return (new ToolchainFile(ToolchainFileKind.File, path, Convert.ToHexStringLower(SHA256.HashData(content)), content.Length, executable, null), content);
    }

    private static ToolchainFile Dir(string path) => new(ToolchainFileKind.Directory, path, null, 0, false, null);
    private static ToolchainFile Link(string path, string target) => new(ToolchainFileKind.Symlink, path, null, 0, false, target);

    /// <summary>A small toolchain: /usr/bin/cc (executable), a library reached through /lib -> usr/lib, a data file.</summary>
    private static (ToolchainManifest Manifest, Dictionary<string, (byte[] Content, bool Executable)> Files) Toolchain(string flavour = "one", long padding = 0)
    {
        var driver = File("/usr/bin/cc", "#driver " + flavour + new string('x', (int)padding), executable: true);
        var library = File("/usr/lib/libcc.so", "library " + flavour);
        var data = File("/usr/share/cc/data", "data " + flavour);
        var files = new[] { Dir("/usr"), Dir("/usr/bin"), Dir("/usr/lib"), Dir("/usr/share"), Dir("/usr/share/cc"), Link("/lib", "usr/lib"), driver.File, library.File, data.File };
        var contents = new[] { driver, library, data }.ToDictionary(f => f.File.Hash!, f => (f.Content, f.File.Executable));
        return (new ToolchainManifest(new string('f', 64), "/usr/bin/cc", files), contents);
    }

    private static void Give(ToolchainStore store, IEnumerable<string> hashes, Dictionary<string, (byte[] Content, bool Executable)> files)
    {
        foreach (var h in hashes) Assert.True(store.Add(h, files[h].Content, files[h].Executable));
    }

    [Fact]
    public async Task A_shipped_root_is_built_from_checked_files_and_holds_them_at_their_paths()
    {
        var store = new ToolchainStore(_dir.Combine("store"));
        var (manifest, files) = Toolchain();
        var missing = await store.MissingAsync(manifest);
        Assert.Equal(3, missing.Count);
        // A file that does not have its hash is refused and stays missing.
        Assert.False(store.Add(missing[0], Encoding.UTF8.GetBytes("not it"), executable: false));
        Give(store, missing, files);
        Assert.Empty(await store.MissingAsync(manifest));

        var root = await store.ShippedRootAsync(manifest);
        Assert.Equal("#driver one", System.IO.File.ReadAllText(root.Tree + "/usr/bin/cc"));
        Assert.Equal("library one", System.IO.File.ReadAllText(root.Tree + "/lib/libcc.so")); // through the symlink
        Assert.Equal("usr/lib", new FileInfo(root.Tree + "/lib").LinkTarget);
        Assert.NotEqual((UnixFileMode)0, System.IO.File.GetUnixFileMode(root.Tree + "/usr/bin/cc") & UnixFileMode.UserExecute);
        Assert.Equal((UnixFileMode)0, System.IO.File.GetUnixFileMode(root.Tree + "/usr/share/cc/data") & (UnixFileMode.UserWrite | UnixFileMode.UserExecute));
        Assert.Equal(new[] { "lib", "usr" }, root.TopLevel.Select(e => e.Name).ToArray());
        Assert.Equal(manifest.ContentId, Assert.Single(store.Held()).Id);
    }

    [Fact]
    public async Task A_restart_keeps_the_root_and_a_corrupted_file_is_dropped_to_be_fetched_again()
    {
        var (manifest, files) = Toolchain();
        var first = new ToolchainStore(_dir.Combine("store"));
        Give(first, await first.MissingAsync(manifest), files);
        await first.ShippedRootAsync(manifest);

        // The node restarts: nothing to fetch.
        var second = new ToolchainStore(_dir.Combine("store"));
        Assert.Single(second.Held());
        Assert.Empty(await second.MissingAsync(manifest));

        // A file of the store is changed behind its back (a disk error, a person): the next run finds out.
        var library = manifest.Files.Single(f => f.Path == "/usr/lib/libcc.so");
        var blob = _dir.Combine("store", "blobs", library.Hash!);
        System.IO.File.SetUnixFileMode(blob, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        System.IO.File.WriteAllText(blob, "library tampered");
        var third = new ToolchainStore(_dir.Combine("store"));
        Assert.Equal(new[] { library.Hash! }, await third.MissingAsync(manifest));
        Give(third, new[] { library.Hash! }, files);
        var root = await third.ShippedRootAsync(manifest);
        Assert.Equal("library one", System.IO.File.ReadAllText(root.Tree + "/usr/lib/libcc.so"));
    }

    [Fact]
    public async Task Over_its_size_the_least_recently_used_root_goes_but_never_one_in_use()
    {
        var store = new ToolchainStore(_dir.Combine("store"), shippedLimitBytes: 300);
        var (a, aFiles) = Toolchain("a", padding: 100);
        var (b, bFiles) = Toolchain("b", padding: 100);
        var (c, cFiles) = Toolchain("c", padding: 100);
        Give(store, await store.MissingAsync(a), aFiles);
        await store.ShippedRootAsync(a);
        using (store.Use(a.ContentId))
        {
            Give(store, await store.MissingAsync(b), bFiles);
            await store.ShippedRootAsync(b);
            Give(store, await store.MissingAsync(c), cFiles);
            await store.ShippedRootAsync(c); // over the limit: b goes, a is in use
            Assert.Equal(new[] { a.ContentId, c.ContentId }.Order(), store.Held().Select(h => h.Id).Order());
            Assert.False(Directory.Exists(_dir.Combine("store", "trees", b.ContentId)));
            Assert.NotEmpty(await store.MissingAsync(b)); // its files went with it
        }
        Assert.True(store.ShippedBytes <= 300 + a.TotalBytes);
    }

    [Theory]
    [InlineData("/usr/bin/../../etc/passwd", "not absolute and normalised")]
    [InlineData("/tmp/cc", "reserved for the sandbox")]
    [InlineData("/proc/self/root/etc/x", "reserved for the sandbox")]
    [InlineData("/actorcompile/job", "reserved for the sandbox")]
    [InlineData("/escape/passwd", "which the toolchain does not list as a directory")]
    public void A_manifest_that_would_reach_outside_its_root_is_refused(string path, string reason)
    {
        var (manifest, _) = Toolchain();
        var evil = File(path, "x").File;
        var e = Assert.Throws<ToolchainStoreException>(() => ToolchainStore.Validate(manifest with { Files = manifest.Files.Append(evil).ToList() }));
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void A_file_under_a_symlink_of_the_manifest_is_refused()
    {
        // Building would follow the link: /lib -> /etc would put this file in the worker's /etc.
        var (manifest, _) = Toolchain();
        var files = manifest.Files.Where(f => f.Path != "/lib").Append(Link("/lib", "/etc")).Append(File("/lib/passwd", "root::0:0").File).ToList();
        var e = Assert.Throws<ToolchainStoreException>(() => ToolchainStore.Validate(manifest with { Files = files }));
        Assert.Contains("/lib/passwd lies under /lib", e.Message);
    }
}
