using ActorCompile.Node.Configuration;
using ActorCompile.Setup.Joining;
using ActorCompile.Tests;
using ActorCompile.Toolchain.Processes;
using Xunit;

namespace ActorCompile.Node.Tests;

/// <summary>
/// A user's own cluster certificate: the first node makes it, the others find the same one, and a key
/// that others could read or replace is refused (it would admit them to the cluster).
/// </summary>
public sealed class UserClusterKeyTests : IDisposable
{
    private readonly TempDirectory _dir = new("ac-user-key");

    private string KeyDirectory => _dir.Combine("state", "actorcompile", UserClusterKey.DirectoryName);

    private static string Pin(string certificate, string passwordFile)
    {
        using var c = ClusterCertificate.Load(File.ReadAllBytes(certificate), File.ReadLines(passwordFile).First());
        return ClusterCertificate.PinText(ClusterCertificate.Pin(c));
    }

    [Fact]
    public void The_first_node_makes_the_key_for_this_user_alone_and_the_next_finds_the_same()
    {
        var first = UserClusterKey.FindOrCreate(KeyDirectory);
        Assert.True(first.Created);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(KeyDirectory));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(KeyDirectory)!));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(first.Certificate));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(first.PasswordFile));

        var second = UserClusterKey.FindOrCreate(KeyDirectory);
        Assert.False(second.Created);
        Assert.Equal(Pin(first.Certificate, first.PasswordFile), Pin(second.Certificate, second.PasswordFile));
        // Nothing but the key is left behind (no staging directories).
        Assert.Equal(new[] { UserClusterKey.DirectoryName }, Directory.GetFileSystemEntries(Path.GetDirectoryName(KeyDirectory)!).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Nodes_starting_at_once_all_use_one_key()
    {
        var start = new ManualResetEventSlim();
        var tasks = Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            start.Wait();
            return UserClusterKey.FindOrCreate(KeyDirectory);
        })).ToList();
        start.Set();
        var results = await Task.WhenAll(tasks);
        Assert.Single(results, r => r.Created);
        Assert.Single(results.Select(r => Pin(r.Certificate, r.PasswordFile)).Distinct());
        Assert.Single(Directory.GetFileSystemEntries(Path.GetDirectoryName(KeyDirectory)!));
    }

    [Theory]
    [InlineData("certificate", 0b110_100_000)]
    [InlineData("password", 0b110_000_100)]
    [InlineData("directory", 0b111_101_101)]
    public void A_key_others_may_read_is_refused(string which, int mode)
    {
        var key = UserClusterKey.FindOrCreate(KeyDirectory);
        var path = which switch { "certificate" => key.Certificate, "password" => key.PasswordFile, _ => KeyDirectory };
        File.SetUnixFileMode(path, (UnixFileMode)mode);
        var e = Assert.Throws<ConfigurationException>(() => UserClusterKey.FindOrCreate(KeyDirectory));
        Assert.Contains(path, e.Message);
        Assert.Contains("others may use it", e.Message);
    }

    [Fact]
    public void A_key_another_user_owns_is_refused()
    {
        Assert.Equal(0u, Native.EffectiveUserId()); // the premise: these tests run as root, who may give a file away
        var key = UserClusterKey.FindOrCreate(KeyDirectory);
        Assert.True(Native.ChangeOwner(key.Certificate, 65534, 65534));
        var e = Assert.Throws<ConfigurationException>(() => UserClusterKey.FindOrCreate(KeyDirectory));
        Assert.Contains("belongs to uid 65534", e.Message);
    }

    [Fact]
    public void A_symbolic_link_in_the_keys_place_is_refused()
    {
        var elsewhere = UserClusterKey.FindOrCreate(_dir.Combine("elsewhere", UserClusterKey.DirectoryName));
        Directory.CreateDirectory(Path.GetDirectoryName(KeyDirectory)!);
        File.CreateSymbolicLink(KeyDirectory, Path.GetDirectoryName(elsewhere.Certificate)!);
        var e = Assert.Throws<ConfigurationException>(() => UserClusterKey.FindOrCreate(KeyDirectory));
        Assert.Contains("not a plain directory", e.Message);
    }

    public void Dispose() => _dir.Dispose();
}
