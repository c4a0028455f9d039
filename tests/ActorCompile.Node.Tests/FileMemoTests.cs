using ActorCompile.Node.Sessions;
using ActorCompile.Toolchain.Processes;
using Xunit;

namespace ActorCompile.Node.Tests;

public class FileMemoTests
{
    private static FileStatus Status(ulong inode, long ctime = 1_000) => new(0x81a4, 10, 1_000, ctime, inode, 254, 1);

    private static RememberedFile File(ulong inode, int directivesBytes = 10) =>
        new(Status(inode), new string((char)('a' + (int)(inode % 20)), 64), new byte[directivesBytes], false);

    [Fact]
    public void A_version_is_found_only_for_the_user_who_sent_it_and_only_with_exactly_its_status()
    {
        var memo = new FileMemo(100, 1 << 20);
        memo.Put(1000, File(1));
        Assert.NotNull(memo.Get(1000, Status(1)));
        Assert.Null(memo.Get(1001, Status(1)));                       // another user: never shared
        Assert.Null(memo.Get(1000, Status(1, ctime: 1_001)));         // another version of the file
        Assert.Null(memo.Get(1000, Status(1) with { Size = 11 }));
    }

    [Fact]
    public void The_least_recently_used_go_first_and_one_user_holds_at_most_half()
    {
        var memo = new FileMemo(4, 1 << 20);
        memo.Put(1, File(1));
        memo.Put(1, File(2));
        memo.Put(1, File(3)); // user 1 at its share (2): its own oldest (1) goes
        Assert.Null(memo.Get(1, Status(1)));
        Assert.NotNull(memo.Get(1, Status(2)));
        memo.Put(2, File(10));
        memo.Put(2, File(11));
        Assert.Equal(4, memo.Count);
        Assert.NotNull(memo.Get(1, Status(3))); // used: 2 is now the oldest
        memo.Put(3, File(20));                  // full: the least recently used of anyone goes
        Assert.Null(memo.Get(1, Status(2)));
        Assert.Equal(4, memo.Count);
    }

    [Fact]
    public void Directives_are_bounded_in_bytes_and_a_hostile_size_is_not_kept()
    {
        var memo = new FileMemo(100, 1000);
        memo.Put(1, File(1, 300));
        memo.Put(1, File(2, 300)); // over the user's half of the bytes: its oldest goes
        Assert.Null(memo.Get(1, Status(1)));
        Assert.True(memo.Bytes <= 500);
        memo.Put(2, File(3, FileMemo.MaximumDirectivesBytes + 1));
        Assert.Null(memo.Get(2, Status(3)));
        memo.Clear();
        Assert.Equal((0, 0L), (memo.Count, memo.Bytes));
    }
}
