using ActorCompile.Protocol.Storage;
using Xunit;

namespace ActorCompile.Protocol.Tests;

/// <summary>The one least-recently-used index with pins that the coordinator's store and the worker's cache share.</summary>
public sealed class PinnedLruTests
{
    private static List<string> Keys(List<(string Key, int Value)> evicted) => evicted.Select(e => e.Key).ToList();

    [Fact]
    public void The_least_recently_used_entries_go_first_when_over_the_limit()
    {
        var lru = new PinnedLru<int>(30);
        Assert.Empty(lru.Add("a", 1, 10));
        Assert.Empty(lru.Add("b", 2, 10));
        Assert.Empty(lru.Add("c", 3, 10));
        Assert.True(lru.TryGet("a", out _)); // a is now the most recently used
        Assert.Equal(new[] { "b" }, Keys(lru.Add("d", 4, 10)));
        Assert.Equal(new[] { "c", "a" }, Keys(lru.Add("e", 5, 20)));
        Assert.Equal(30, lru.Bytes);
        Assert.Equal(2, lru.Count);
    }

    [Fact]
    public void Pinned_entries_never_go_and_take_their_place_in_line_when_unpinned()
    {
        var lru = new PinnedLru<int>(20);
        lru.Add("a", 1, 10);
        lru.Add("b", 2, 10);
        Assert.True(lru.Pin(new[] { "a" }));
        Assert.True(lru.Pin(new[] { "a" })); // pins count
        Assert.Equal(new[] { "b" }, Keys(lru.Add("c", 3, 10)));
        Assert.Equal(new[] { "c" }, Keys(lru.Add("d", 4, 10))); // a is pinned: c is the oldest unpinned
        Assert.Empty(lru.Unpin(new[] { "a" }));
        Assert.True(lru.Contains("a"));
        // Unpinned for good: a is now the most recent of a and d, and over the limit d goes first.
        lru.Unpin(new[] { "a" });
        Assert.Equal(new[] { "d" }, Keys(lru.Add("e", 5, 10)));
        Assert.True(lru.Contains("a"));
    }

    [Fact]
    public void When_everything_else_is_pinned_a_new_entry_is_the_one_to_go()
    {
        var lru = new PinnedLru<int>(10);
        lru.Add("a", 1, 10);
        Assert.True(lru.Pin(new[] { "a" }));
        Assert.Equal(new[] { "b" }, Keys(lru.Add("b", 2, 10)));
        Assert.True(lru.Contains("a"));
        Assert.Empty(lru.Unpin(new[] { "a" })); // at the limit, not over it
        Assert.Equal(10, lru.Bytes);
    }

    [Fact]
    public void A_pin_is_all_or_nothing()
    {
        var lru = new PinnedLru<int>(100);
        lru.Add("a", 1, 10);
        Assert.False(lru.Pin(new[] { "a", "missing" }));
        Assert.True(lru.Remove("a")); // not pinned by the failed call
        Assert.Equal(0, lru.Bytes);
    }

    [Fact]
    public void Adding_a_present_key_keeps_its_value_and_counts_it_once()
    {
        var lru = new PinnedLru<int>(100);
        lru.Add("a", 1, 10);
        lru.Add("a", 2, 10);
        Assert.True(lru.TryGet("a", out var value));
        Assert.Equal(1, value);
        Assert.Equal(10, lru.Bytes);
        Assert.Equal(new[] { "b" }, lru.Missing(new[] { "a", "b", "b" }));
    }

    [Fact]
    public void A_pinned_entry_cannot_be_removed()
    {
        var lru = new PinnedLru<int>(100);
        lru.Add("a", 1, 10);
        lru.Pin(new[] { "a" });
        Assert.False(lru.Remove("a"));
        lru.Unpin(new[] { "a" });
        Assert.True(lru.Remove("a"));
        Assert.False(lru.Contains("a"));
    }
}
