using System.Security.Cryptography;
using ActorCompile.Tests;
using ActorCompile.Worker.Execution;
using Xunit;

namespace ActorCompile.Worker.Tests;

/// <summary>The worker's cache of contents on disk: checked on entry, evicted least recently used, never leaking a file.</summary>
public sealed class BlobCacheTests : IDisposable
{
    private readonly TempDirectory _dir = new("ac-blobs");

    public void Dispose() => _dir.Dispose();

    private static (string Hash, byte[] Content) Content(int n, int size)
    {
        var content = new byte[size];
        new Random(n).NextBytes(content);
        return (Convert.ToHexStringLower(SHA256.HashData(content)), content);
    }

    [Fact]
    public async Task Jobs_that_store_and_let_go_of_the_same_contents_at_once_always_find_what_they_hold()
    {
        // Jobs on several threads store the same few contents in a cache that holds one of them, and let go:
        // each release evicts, while another job stores the same content again. A held content's file must be
        // there (a file deleted by an eviction of the older copy between the new file's move and its index
        // entry was seen under load as a job missing an input). A race, so many rounds on several threads; it
        // failed within these rounds with the move outside the lock.
        var cache = new BlobCache(_dir.Combine("blobs"), 4 << 10);
        var contents = Enumerable.Range(1, 4).Select(n => Content(n, 4 << 10)).ToArray();
        var problems = new System.Collections.Concurrent.ConcurrentBag<string>();
        var jobs = Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            for (int round = 0; round < 6000 && problems.IsEmpty; round++)
            {
                using var hold = cache.NewHold();
                var (hash, content) = contents[(round + t) % contents.Length];
                hold.KeepAndFindMissing(new[] { hash });
                Assert.True(hold.Add(hash, content));
                if (!File.Exists(cache.PathOf(hash))) problems.Add($"round {round} on thread {t}: {hash} held but its file is gone");
            }
        })).ToArray();
        await Task.WhenAll(jobs);
        Assert.Empty(problems);
    }

    [Fact]
    public void Content_that_does_not_have_its_hash_is_refused()
    {
        var cache = new BlobCache(_dir.Combine("blobs"), 1 << 20);
        var (hash, content) = Content(1, 100);
        content[0] ^= 1;
        Assert.False(cache.Add(hash, content));
        Assert.False(File.Exists(cache.PathOf(hash)));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Eviction_removes_the_files_of_the_least_recently_used_and_spares_pinned_ones()
    {
        var cache = new BlobCache(_dir.Combine("blobs"), 2500);
        var a = Content(1, 1000);
        var b = Content(2, 1000);
        var c = Content(3, 1000);
        Assert.True(cache.Add(a.Hash, a.Content));
        Assert.True(cache.Add(b.Hash, b.Content));
        using (cache.Pin(new[] { a.Hash }))
        {
            Assert.True(cache.Add(c.Hash, c.Content)); // over the limit: b goes, a is pinned
            Assert.True(File.Exists(cache.PathOf(a.Hash)));
            Assert.False(File.Exists(cache.PathOf(b.Hash)));
            Assert.Equal(new[] { b.Hash }, cache.Missing(new[] { a.Hash, b.Hash, c.Hash }));
        }
        Assert.Equal(2000, cache.Bytes);
        Assert.Equal(2, Directory.GetFiles(_dir.Combine("blobs")).Length);
    }

    [Fact]
    public void A_jobs_hold_keeps_every_content_from_its_arrival_even_beyond_the_cache_size_and_lets_go_when_disposed()
    {
        // A cache smaller than one job: without the hold, each content would evict the one before it.
        var cache = new BlobCache(_dir.Combine("blobs"), 1500);
        var a = Content(1, 1000);
        var b = Content(2, 1000);
        var c = Content(3, 1000);
        Assert.True(cache.Add(c.Hash, c.Content)); // stored before the job, found there by it
        using (var hold = cache.NewHold())
        {
            // As a job runner does: keep what is there first, then take in what came with the job.
            Assert.Equal(new[] { a.Hash, b.Hash }, hold.KeepAndFindMissing(new[] { a.Hash, b.Hash, c.Hash }));
            Assert.True(hold.Add(a.Hash, a.Content));
            Assert.True(hold.Add(b.Hash, b.Content));
            Assert.Empty(hold.KeepAndFindMissing(new[] { a.Hash, b.Hash, c.Hash }));
            var other = Content(4, 1000);
            Assert.True(cache.Add(other.Hash, other.Content)); // another job's content: it goes, the held ones stay
            Assert.Equal(new[] { other.Hash }, cache.Missing(new[] { a.Hash, b.Hash, c.Hash, other.Hash }));
            Assert.True(new[] { a, b, c }.All(x => File.Exists(cache.PathOf(x.Hash))));
        }
        // Let go: back within the size, the least recently used gone.
        Assert.True(cache.Bytes <= 1500, $"{cache.Bytes} bytes kept");
        Assert.Equal(1, cache.Count);
        Assert.Single(Directory.GetFiles(_dir.Combine("blobs")));
    }

    [Fact]
    public void A_file_that_cannot_be_deleted_is_remembered_and_deleted_later()
    {
        var cache = new BlobCache(_dir.Combine("blobs"), 1500);
        var a = Content(1, 1000);
        var b = Content(2, 1000);
        var c = Content(3, 1000);
        cache.Add(a.Hash, a.Content);
        // An immutable file (chattr +i) cannot be deleted, not even by root: the way to make a delete fail here.
        Assert.Equal(0, Run.Program("chattr", new[] { "+i", cache.PathOf(a.Hash) }).ExitCode);
        try
        {
            cache.Add(b.Hash, b.Content); // evicts a, whose file stays
            Assert.Equal(1, cache.Undeleted);
            Assert.True(File.Exists(cache.PathOf(a.Hash)));
        }
        finally
        {
            Run.Program("chattr", new[] { "-i", cache.PathOf(a.Hash) });
        }
        cache.Add(c.Hash, c.Content); // the next eviction deletes it
        Assert.Equal(0, cache.Undeleted);
        Assert.False(File.Exists(cache.PathOf(a.Hash)));
        Assert.Equal(new[] { cache.PathOf(c.Hash) }, Directory.GetFiles(_dir.Combine("blobs")));
    }
}
