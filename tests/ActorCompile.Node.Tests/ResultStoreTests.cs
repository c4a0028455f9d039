using ActorCompile.Node.Cache;
using ActorCompile.Node.Configuration;
using ActorCompile.Protocol;
using ActorCompile.Protocol.Messages;
using ActorCompile.Tests;
using Xunit;

namespace ActorCompile.Node.Tests;

public sealed class ResultStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new("ac-results");

    public void Dispose() => _dir.Dispose();

    private static string Key(int i) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i)));

    private static CachedResult Result(int size, byte fill = 1) =>
        new("out"u8.ToArray(), "warning: x"u8.ToArray(), new[] { Payload.ToOutput("a.o", RandomBytes(size, fill)) }, "127.0.0.1:7420", 1);

    private static byte[] RandomBytes(int size, int seed)
    {
        var b = new byte[size];
        new Random(seed).NextBytes(b);
        return b;
    }

    private string EntryPath(string key) => Path.Combine(_dir.Path, "results", key[..2], key);

    [Fact]
    public void A_result_written_reads_back_whole_and_survives_a_restart()
    {
        var store = new ResultStore(_dir.Path, 1 << 20);
        store.Write(Key(1), Result(1000));
        var again = new ResultStore(_dir.Path, 1 << 20).TryRead(Key(1));
        Assert.NotNull(again);
        Assert.Equal(RandomBytes(1000, 1), Payload.Decompress(again!.Outputs[0].Compressed, again.Outputs[0].Length));
        Assert.Equal("warning: x"u8.ToArray(), again.Stderr);
        Assert.Equal("127.0.0.1:7420", again.Producer);
        Assert.Null(store.TryRead(Key(2)));
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("flipped")]
    [InlineData("empty")]
    public void A_damaged_entry_reads_as_a_miss_and_is_dropped(string damage)
    {
        var store = new ResultStore(_dir.Path, 1 << 20);
        store.Write(Key(1), Result(1000));
        var path = EntryPath(Key(1));
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, damage switch
        {
            "truncated" => bytes[..(bytes.Length - 10)],
            "flipped" => bytes.Select((b, i) => i == bytes.Length - 5 ? (byte)(b ^ 1) : b).ToArray(),
            _ => Array.Empty<byte>(),
        });
        Assert.Null(store.TryRead(Key(1)));
        Assert.Equal(1, store.Corrupt);
        Assert.False(File.Exists(path));
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public void What_a_killed_writer_left_is_never_visible_and_is_removed_at_the_next_start()
    {
        new ResultStore(_dir.Path, 1 << 20).Write(Key(1), Result(100));
        // A write cut short: the temporary file exists, the entry was never renamed into place.
        var partial = _dir.Write($"incoming/{Key(2)}.0123456789abcdef", "ACRESULT1\npartial");
        var store = new ResultStore(_dir.Path, 1 << 20);
        Assert.False(File.Exists(partial));
        Assert.Null(store.TryRead(Key(2)));
        Assert.NotNull(store.TryRead(Key(1)));
    }

    [Fact]
    public void Past_its_size_the_store_drops_the_least_recently_used_entries_and_their_files()
    {
        var store = new ResultStore(_dir.Path, 64 << 10);
        for (int i = 0; i < 3; i++) store.Write(Key(i), Result(20_000, (byte)i));
        Assert.NotNull(store.TryRead(Key(0))); // used: now the most recent
        store.Write(Key(3), Result(20_000, 3));
        Assert.True(store.Bytes <= 64 << 10);
        Assert.Null(store.TryRead(Key(1)));
        Assert.False(File.Exists(EntryPath(Key(1))));
        Assert.NotNull(store.TryRead(Key(0)));
        Assert.NotNull(store.TryRead(Key(3)));
    }

    [Fact]
    public void Clear_removes_every_entry_and_file()
    {
        var store = new ResultStore(_dir.Path, 1 << 20);
        for (int i = 0; i < 3; i++) store.Write(Key(i), Result(100, (byte)i));
        var (entries, bytes) = store.Clear();
        Assert.Equal(3, entries);
        Assert.True(bytes > 0);
        Assert.Equal(0, store.Count);
        Assert.Empty(Directory.GetFiles(Path.Combine(_dir.Path, "results"), "*", SearchOption.AllDirectories));
    }

    [Fact]
    public void A_second_node_on_the_same_directory_is_told_so_and_keeps_nothing()
    {
        var settings = new CacheSettings(true, _dir.Path, 1 << 20, 0, TimeSpan.FromSeconds(1), Protocol.Cluster.AllowedNetworks.Loopback, 1 << 20, TimeSpan.FromHours(1));
        using var first = ResultStoreLock.Open(settings, out var none);
        Assert.NotNull(first);
        Assert.Null(none);
        // .NET takes the lock with flock, which is per open file description: a second open in this
        // process conflicts just as another process's would.
        Assert.Null(ResultStoreLock.Open(settings, out var problem));
        Assert.Contains("in use by another node", problem);
    }

    [Theory]
    [InlineData("1%", 0.01)]
    [InlineData("100%", 1.0)]
    [InlineData("0.5 %", 0.005)]
    [InlineData("0.25", 0.25)]
    [InlineData("0", 0.0)]
    [InlineData("101%", null)]
    [InlineData("-1%", null)]
    [InlineData("often", null)]
    public void Verify_rates_read_as_percentages_or_fractions(string text, double? expected)
    {
        var rate = NodeConfiguration.ParseRate(text);
        if (expected is null) Assert.Null(rate);
        else Assert.Equal(expected.Value, rate!.Value, 6);
    }
}
