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
        using var reservation = store.Reserve(manifest, manifest.ContentId);
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
        using (first.Reserve(manifest, manifest.ContentId))
        {
            Give(first, await first.MissingAsync(manifest), files);
            await first.ShippedRootAsync(manifest);
        }

        // The node restarts: nothing to fetch.
        var second = new ToolchainStore(_dir.Combine("store"));
        Assert.Single(second.Held());
        using (second.Reserve(manifest, manifest.ContentId)) Assert.Empty(await second.MissingAsync(manifest));

        // A file of the store is changed behind its back (a disk error, a person): the next run finds out.
        var library = manifest.Files.Single(f => f.Path == "/usr/lib/libcc.so");
        var blob = _dir.Combine("store", "blobs", library.Hash!);
        System.IO.File.SetUnixFileMode(blob, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        System.IO.File.WriteAllText(blob, "library tampered");
        var third = new ToolchainStore(_dir.Combine("store"));
        using var reservation = third.Reserve(manifest, manifest.ContentId);
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
        // a is reserved before it is first fetched: a job's first run of a toolchain is as safe as any.
        using (store.Reserve(a, a.ContentId))
        {
            Give(store, await store.MissingAsync(a), aFiles);
            await store.ShippedRootAsync(a);
            await Fetch(store, b, bFiles);
            await Fetch(store, c, cFiles); // over the limit: b goes, a is in use
            Assert.Equal(new[] { a.ContentId, c.ContentId }.Order(), store.Held().Select(h => h.Id).Order());
            Assert.True(Directory.Exists(_dir.Combine("store", "trees", a.ContentId)));
            Assert.False(Directory.Exists(_dir.Combine("store", "trees", b.ContentId)));
            using (store.Reserve(b, b.ContentId)) Assert.NotEmpty(await store.MissingAsync(b)); // its files went with it
        }
        Assert.True(store.ShippedBytes <= 300 + a.TotalBytes);
    }

    /// <summary>Fetches and builds a toolchain as a job does, then lets it go.</summary>
    private static async Task Fetch(ToolchainStore store, ToolchainManifest manifest, Dictionary<string, (byte[] Content, bool Executable)> files)
    {
        using var reservation = store.Reserve(manifest, manifest.ContentId);
        Give(store, await store.MissingAsync(manifest), files);
        await store.ShippedRootAsync(manifest);
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
        var e = Assert.Throws<ToolchainStoreException>(() => ToolchainManifestCheck.Check(manifest with { Files = manifest.Files.Append(evil).ToList() }));
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void A_file_under_a_symlink_of_the_manifest_is_refused()
    {
        // Building would follow the link: /lib -> /etc would put this file in the worker's /etc.
        var (manifest, _) = Toolchain();
        var files = manifest.Files.Where(f => f.Path != "/lib").Append(Link("/lib", "/etc")).Append(File("/lib/passwd", "root::0:0").File).ToList();
        var e = Assert.Throws<ToolchainStoreException>(() => ToolchainManifestCheck.Check(manifest with { Files = files }));
        Assert.Contains("/lib/passwd lies under /lib", e.Message);
    }

    [Theory]
    [InlineData("tab in a path", "not absolute and normalised")]
    [InlineData("newline in a path", "not absolute and normalised")]
    [InlineData("DEL in a path", "not absolute and normalised")]
    [InlineData("newline in a link target", "without a valid target")]
    [InlineData("hash on a directory", "a directory with a file's or a symlink's fields")]
    [InlineData("link target on a directory", "a directory with a file's or a symlink's fields")]
    [InlineData("size on a directory", "a directory with a file's or a symlink's fields")]
    [InlineData("hash on a symlink", "a symlink with a file's fields")]
    [InlineData("file without a hash", "has no valid SHA-256")]
    [InlineData("file with a link target", "a file with a link target")]
    [InlineData("negative size", "negative size")]
    [InlineData("two sizes for one content", "two sizes")]
    [InlineData("sizes that overflow", "beyond any disk")]
    [InlineData("too deep", "not absolute and normalised")]
    [InlineData("too many entries", "more than 50000")]
    [InlineData("null entry", "without a path")]
    public void A_manifest_whose_fields_do_not_fit_their_kind_or_bounds_is_refused(string flaw, string reason)
    {
        var (manifest, _) = Toolchain();
        var files = manifest.Files.ToList();
        ToolchainFile Entry(string path) => files.Single(f => f.Path == path);
        void Replace(string path, ToolchainFile with) => files[files.FindIndex(f => f.Path == path)] = with;
        var driver = Entry("/usr/bin/cc");
        switch (flaw)
        {
            case "tab in a path": files.Add(File("/usr/bin/c\tc", "x").File); break;
            case "newline in a path": files.Add(File("/usr/bin/c\nc", "x").File); break;
            case "DEL in a path": files.Add(File("/usr/bin/c\u007fc", "x").File); break;
            case "newline in a link target": Replace("/lib", Link("/lib", "usr/lib\n3\t/x")); break;
            case "hash on a directory": Replace("/usr/bin", Dir("/usr/bin") with { Hash = driver.Hash }); break;
            case "link target on a directory": Replace("/usr/bin", Dir("/usr/bin") with { LinkTarget = "/etc" }); break;
            case "size on a directory": Replace("/usr/bin", Dir("/usr/bin") with { Size = 1L << 40 }); break;
            case "hash on a symlink": Replace("/lib", Link("/lib", "usr/lib") with { Hash = driver.Hash }); break;
            case "file without a hash": Replace("/usr/bin/cc", driver with { Hash = null }); break;
            case "file with a link target": Replace("/usr/bin/cc", driver with { LinkTarget = "/etc/passwd" }); break;
            case "negative size": Replace("/usr/bin/cc", driver with { Size = -(1L << 40) }); break;
            case "two sizes for one content": files.Add(driver with { Path = "/usr/bin/cc2", Size = 0 }); break;
            case "sizes that overflow":
                files.Add(driver with { Path = "/usr/bin/big1", Hash = new string('1', 64), Size = long.MaxValue });
                files.Add(driver with { Path = "/usr/bin/big2", Hash = new string('2', 64), Size = long.MaxValue });
                break;
            case "too deep":
                var path = "/usr";
                for (int i = 0; i < 70; i++) { path += "/d"; files.Add(Dir(path)); }
                break;
            case "too many entries":
                for (int i = 0; i < 50_001; i++) files.Add(Dir($"/usr/share/d{i}"));
                break;
            case "null entry": files.Add(null!); break;
        }
        var e = Assert.Throws<ToolchainStoreException>(() => ToolchainManifestCheck.Check(manifest with { Files = files }));
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void A_manifest_is_reserved_only_under_its_own_id_and_within_the_cache()
    {
        var store = new ToolchainStore(_dir.Combine("store"), shippedLimitBytes: 100);
        var (small, _) = Toolchain();
        var (other, _) = Toolchain("other");
        Assert.Contains("does not match its files", Assert.Throws<ToolchainStoreException>(() => store.Reserve(small, other.ContentId)).Message);
        var (large, _) = Toolchain("large", padding: 200);
        Assert.Contains("larger than this worker's toolchain cache", Assert.Throws<ToolchainStoreException>(() => store.Reserve(large, large.ContentId)).Message);
        Assert.Equal(0, store.ShippedBytes);
    }

    [Fact]
    public async Task A_manifest_that_understates_a_held_file_is_refused_so_the_cache_counts_real_bytes()
    {
        var store = new ToolchainStore(_dir.Combine("store"));
        var (honest, files) = Toolchain(padding: 1000);
        await Fetch(store, honest, files);
        // Another manifest lists the same (held) driver as an empty file: nothing would be fetched, and the
        // 1 KB would count as nothing against the limit.
        var understated = honest with { Driver = "/usr/bin/cc", Files = honest.Files.Select(f => f.Path == "/usr/bin/cc" ? f with { Size = 0 } : f).ToList() };
        using var reservation = store.Reserve(understated, understated.ContentId);
        var e = await Assert.ThrowsAsync<ToolchainStoreException>(() => store.MissingAsync(understated));
        Assert.Contains("declares 0 bytes for /usr/bin/cc", e.Message);
    }

    [Fact]
    public async Task The_files_of_a_transfer_that_never_completes_leave_with_it()
    {
        var store = new ToolchainStore(_dir.Combine("store"));
        var (manifest, files) = Toolchain();
        var reservation = store.Reserve(manifest, manifest.ContentId);
        var missing = await store.MissingAsync(manifest);
        Give(store, missing.Take(2), files);
        Assert.Equal(2, Directory.EnumerateFiles(_dir.Combine("store", "blobs")).Count());
        Assert.True(store.ShippedBytes > 0);

        reservation.Dispose(); // the job failed or timed out before its root was built
        Assert.Empty(Directory.EnumerateFiles(_dir.Combine("store", "blobs")));
        Assert.Equal(0, store.ShippedBytes);
        // A file still on its way when the transfer ended is not kept either.
        var late = missing.Last();
        Assert.False(store.Add(late, files[late].Content, files[late].Executable));
        Assert.Empty(Directory.EnumerateFiles(_dir.Combine("store", "blobs")));
    }

    [Fact]
    public async Task Evicting_a_toolchain_keeps_the_files_a_transfer_in_progress_shares_with_it()
    {
        var store = new ToolchainStore(_dir.Combine("store"), shippedLimitBytes: 300);
        var (a, aFiles) = Toolchain("a", padding: 150);
        await Fetch(store, a, aFiles);
        // c is a's toolchain with another driver: it shares a's library and data, which are held already.
        var (c, cFiles) = Toolchain("c", padding: 150);
        var shared = a.Files.Where(f => f.Path != "/usr/bin/cc").Append(c.Files.Single(f => f.Path == "/usr/bin/cc")).ToList();
        var sharing = a with { Files = shared };
        using var reservation = store.Reserve(sharing, sharing.ContentId); // a is evicted: c's reservation takes the room
        Assert.DoesNotContain(a.ContentId, store.Held().Select(h => h.Id));
        var missing = await store.MissingAsync(sharing);
        Assert.Equal(new[] { c.Files.Single(f => f.Path == "/usr/bin/cc").Hash! }, missing);
        Give(store, missing, cFiles);
        var root = await store.ShippedRootAsync(sharing);
        Assert.Equal("library a", System.IO.File.ReadAllText(root.Tree + "/usr/lib/libcc.so"));
    }

    [Fact]
    public async Task A_tree_left_by_an_earlier_run_is_built_again_from_the_verified_files()
    {
        var (manifest, files) = Toolchain();
        var first = new ToolchainStore(_dir.Combine("store"));
        await Fetch(first, manifest, files);
        // Between runs the tree is altered (its files are hard links to checked blobs, but its directories
        // and links are its own): a link redirected, a file added.
        var tree = _dir.Combine("store", "trees", manifest.ContentId);
        System.IO.File.SetUnixFileMode(tree, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        System.IO.File.Delete(tree + "/lib");
        System.IO.File.CreateSymbolicLink(tree + "/lib", "/etc");
        System.IO.File.WriteAllText(tree + "/planted", "not the toolchain's");

        var second = new ToolchainStore(_dir.Combine("store"));
        using var reservation = second.Reserve(manifest, manifest.ContentId);
        Assert.Empty(await second.MissingAsync(manifest));
        var root = await second.ShippedRootAsync(manifest);
        Assert.Equal("usr/lib", new FileInfo(root.Tree + "/lib").LinkTarget);
        Assert.False(System.IO.File.Exists(root.Tree + "/planted"));
        Assert.Equal(new[] { "lib", "usr" }, root.TopLevel.Select(e => e.Name).ToArray());
    }
}
