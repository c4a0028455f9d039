using System.Security.Cryptography;
using System.Text;
using ActorCompile.Protocol;
using ActorCompile.Protocol.Messages;
using ActorCompile.Tests;
using ActorCompile.Toolchain.Identity;
using ActorCompile.Worker.Toolchains;
using Xunit;

namespace ActorCompile.Worker.Tests;

/// <summary>
/// A shipped toolchain's files as they arrive for a job, without the runner: what a coordinator may send
/// (only what was asked, each once, at its declared length, no more compressed than it can be), and that
/// batches are stored one at a time and in order.
/// </summary>
public sealed class ToolchainTransferTests : IDisposable
{
    private readonly TempDirectory _dir = new("ac-transfer");

    public void Dispose() => _dir.Dispose();

    private static (string Hash, byte[] Content) Content(string text)
    {
        var content = Encoding.UTF8.GetBytes(text);
        return (Convert.ToHexStringLower(SHA256.HashData(content)), content);
    }

    private static readonly (string Hash, byte[] Content) A = Content("the driver"), B = Content("a library"), C = Content("a data file");

    private static ToolchainTransfer Transfer(params (string Hash, byte[] Content)[] asked) =>
        new(asked.Select(a => a.Hash), new[] { A, B, C }.ToDictionary(c => c.Hash, c => ((long)c.Content.Length, new[] { c.Hash == A.Hash })));

    private static Blob Blob((string Hash, byte[] Content) c) => new(c.Hash, Payload.Compress(c.Content), c.Content.Length);

    private static ToolchainFileBatch Batch(bool last, params Blob[] blobs) => new("job", blobs, last);

    [Fact]
    public void Only_files_asked_for_each_once_at_their_declared_length_are_taken()
    {
        Assert.Equal($"file {C.Hash} was not asked for, or was sent twice", Transfer(A, B).Accept(Batch(false, Blob(C))));
        var twice = Transfer(A, B);
        Assert.Null(twice.Accept(Batch(false, Blob(A))));
        Assert.Equal(new[] { B.Hash }, twice.Outstanding);
        Assert.Equal($"file {A.Hash} was not asked for, or was sent twice", twice.Accept(Batch(false, Blob(A))));
        Assert.Equal($"file {A.Hash} is 11 bytes, but the toolchain declares {A.Content.Length}",
            Transfer(A).Accept(Batch(true, new Blob(A.Hash, Payload.Compress(A.Content), 11))));
        Assert.Equal($"file {A.Hash} is larger compressed than its content can be",
            Transfer(A).Accept(Batch(true, new Blob(A.Hash, new byte[A.Content.Length + 65], A.Content.Length))));
        Assert.Equal("an empty batch of toolchain files", Transfer(A).Accept(Batch(false)));
        Assert.Equal("a batch of toolchain files is malformed", Transfer(A).Accept(new ToolchainFileBatch("job", null!, true)));
        var ended = Transfer(A, B);
        Assert.Null(ended.Accept(Batch(true, Blob(A))));
        Assert.Equal("toolchain files came that were not asked for", ended.Accept(Batch(true, Blob(B))));
    }

    [Fact]
    public void Batches_are_handed_out_one_at_a_time_in_order_with_each_files_modes()
    {
        var t = Transfer(A, B, C);
        Assert.Null(t.NextToStore());
        Assert.Null(t.Accept(Batch(false, Blob(A))));
        Assert.Null(t.Accept(Batch(false, Blob(B))));
        var first = t.NextToStore()!.Value;
        Assert.Equal(A.Hash, Assert.Single(first.Batch.Blobs).Hash);
        Assert.Equal(new[] { true }, first.Modes[A.Hash]);
        Assert.Null(t.NextToStore()); // one at a time
        Assert.Null(t.Accept(Batch(true, Blob(C))));
        Assert.True(t.Stored());
        Assert.Equal(B.Hash, t.NextToStore()!.Value.Batch.Blobs.Single().Hash);
        Assert.True(t.Stored());
        var last = t.NextToStore()!.Value;
        Assert.True(last.Batch.Last);
        Assert.False(t.Stored());
        Assert.Empty(t.Outstanding);
    }

    [Fact]
    public void Stored_files_are_checked_against_their_hash_and_a_cancelled_job_stores_nothing_more()
    {
        var store = new ToolchainStore(_dir.Combine("store"));
        var manifest = new ToolchainManifest(new string('f', 64), "/usr/bin/cc", new[]
        {
            new ToolchainFile(ToolchainFileKind.Directory, "/usr", null, 0, false, null),
            new ToolchainFile(ToolchainFileKind.Directory, "/usr/bin", null, 0, false, null),
            new ToolchainFile(ToolchainFileKind.Directory, "/usr/lib", null, 0, false, null),
            new ToolchainFile(ToolchainFileKind.File, "/usr/bin/cc", A.Hash, A.Content.Length, true, null),
            new ToolchainFile(ToolchainFileKind.File, "/usr/lib/libcc.so", B.Hash, B.Content.Length, false, null),
        });
        using var reservation = store.Reserve(manifest, manifest.ContentId); // the store takes only files of a toolchain it holds or reserved
        var modes = new Dictionary<string, bool[]> { [A.Hash] = new[] { true }, [B.Hash] = new[] { false } };
        Assert.Null(ToolchainTransfer.Store(new[] { Blob(A) }, store, modes, 1 << 20, CancellationToken.None));
        var lying = new Blob(B.Hash, Payload.Compress(Encoding.UTF8.GetBytes("not a lib")), 9);
        Assert.Equal($"file sent as {B.Hash} does not have that SHA-256", ToolchainTransfer.Store(new[] { lying }, store, modes, 1 << 20, CancellationToken.None));
        Assert.StartsWith($"file {B.Hash} is malformed", ToolchainTransfer.Store(new[] { new Blob(B.Hash, new byte[] { 0xff, 0xff }, 9) }, store, modes, 1 << 20, CancellationToken.None));
        Assert.Equal("the job ended", ToolchainTransfer.Store(new[] { Blob(B) }, store, modes, 1 << 20, new CancellationToken(canceled: true)));
    }
}
