using System.Buffers.Binary;
using ActorCompile.LocalProtocol;
using ActorCompile.LocalProtocol.Status;
using ActorCompile.Toolchain.Jobs;
using Xunit;

namespace ActorCompile.LocalProtocol.Tests;

public class FramesTests
{
    private static readonly ActorCompile.Toolchain.Processes.FileStatus Status = new(0x81a4, 10, 1_700_000_000_123_456_789, 1_700_000_001_000_000_000, 42, 254, 1);
    private static readonly FileUpload Upload = new("a.c", Status, true, new byte[] { 1, 0 }, "int a;\n"u8.ToArray());

    public static IEnumerable<object[]> Messages() => new LocalMessage[]
    {
        new CompileRequest("/usr/bin/gcc", "key", new[] { "-c", "a.c", "-o", "a.o" }, "/home/u", null, "inc", new[] { new KeyValuePair<string, string>("LANG", "C.UTF-8") }, true),
        new CompileRequest("/usr/bin/gcc", "key", Array.Empty<string>(), "/", "linking", null, Array.Empty<KeyValuePair<string, string>>(), false),
        new ToolchainInfo(new string('a', 64), "gcc", "12.2.0", "x86_64-linux-gnu", "c"),
        new JobManifest(new[] { "/usr/include" }, true, new[] { new MirrorEntry(MirrorEntryKind.File, "/a.c", null, 10, 123), new MirrorEntry(MirrorEntryKind.Directory, "/", null, 0, 0), new MirrorEntry(MirrorEntryKind.Placeholder, "/b.h", null, 0, 7) },
            new[] { "a.c" }, new[] { Upload }, InputScan.Scanner),
        new JobManifest(null, false, Array.Empty<MirrorEntry>(), Array.Empty<string>(), Array.Empty<FileUpload>(), InputScan.Compiler, "a computed include"),
        new ScanRound(new[] { new FileRef("a.c", Status), new FileRef("/usr/include/stdio.h", Status with { Inode = ulong.MaxValue }) }, new[] { Upload }),
        new ScanRound(Array.Empty<FileRef>(), Array.Empty<FileUpload>()),
        new ScanAnswers(new byte[]?[] { null, new byte[] { 1, 2, 3 }, Array.Empty<byte>() }),
        new NeedFiles(new[] { "a.c", "inc/b.h" }),
        new FileContents(new[] { Upload }),
        new Rescan(),
        new LocalDone(1),
        new LocalDone(1, new string('d', 64)),
        new StatusRequest(),
        new NeedToolchain(),
        new RunLocally("no worker offers gcc", false),
        new Preprocess(null, true),
        new Preprocess(new[] { "/usr/include", "/usr/lib/gcc/x86_64-linux-gnu/12/include" }, false),
        new CompileResult(0, "out"u8.ToArray(), "√ ‘quotes’"u8.ToArray(), new[] { new KeyValuePair<string, byte[]>("a.o", new byte[] { 0x7f, 0x45 }) }, "127.0.0.1:7421", 55),
        new Heartbeat(),
        new StatusReply("{}"),
        new ErrorReply("bad frame"),
    }.Select(m => new object[] { m });

    [Theory]
    [MemberData(nameof(Messages))]
    public void Every_message_round_trips(LocalMessage message)
    {
        var frame = Frames.Encode(message);
        Assert.Equal((uint)(frame.Length - 4), BinaryPrimitives.ReadUInt32BigEndian(frame));
        Assert.Equal(Frames.Version, frame[4]);
        var back = Frames.Decode(frame.AsSpan(4));
        Assert.Equal(message.GetType(), back.GetType());
        Assert.Equal(Canonical(message), Canonical(back));
    }

    /// <summary>A form that compares lists and byte arrays by content.</summary>
    private static string Canonical(LocalMessage m) => Convert.ToBase64String(Frames.Encode(m));

    [Fact]
    public void Another_version_is_refused_with_a_message_that_says_what_to_do()
    {
        var frame = Frames.Encode(new StatusRequest());
        frame[4] = 9;
        var e = Assert.Throws<ProtocolException>(() => Frames.Decode(frame.AsSpan(4)));
        Assert.Contains("version 9", e.Message);
        Assert.Contains("matching", e.Message);
    }

    [Fact]
    public void Unknown_types_trailing_bytes_and_truncation_are_refused()
    {
        var unknown = Frames.Encode(new StatusRequest());
        unknown[5] = 77;
        Assert.Throws<ProtocolException>(() => Frames.Decode(unknown.AsSpan(4)));

        var trailing = Frames.Encode(new LocalDone(0)).Concat(new byte[] { 1 }).ToArray();
        Assert.Throws<ProtocolException>(() => Frames.Decode(trailing.AsSpan(4)));

        var full = Frames.Encode(new RunLocally("reason", true));
        for (int cut = 6; cut < full.Length; cut++)
            Assert.Throws<ProtocolException>(() => Frames.Decode(full.AsSpan(4, cut - 4)));
    }

    [Fact]
    public void A_manifest_entry_of_a_kind_the_protocol_does_not_name_is_refused()
    {
        var manifest = new JobManifest(null, false, new[] { new MirrorEntry((MirrorEntryKind)9, "/a.c", null, 0, 0) }, Array.Empty<string>(), Array.Empty<FileUpload>(), InputScan.Scanner);
        var e = Assert.Throws<ProtocolException>(() => Frames.Decode(Frames.Encode(manifest).AsSpan(4)));
        Assert.Equal("unknown entry kind 9", e.Message);
    }

    [Fact]
    public void Frames_above_the_limit_are_refused_before_they_are_read()
    {
        var header = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(header, 1_000_000);
        var e = Assert.Throws<ProtocolException>(() => Frames.CheckLength(header, 1000));
        Assert.Contains("exceeds the limit", e.Message);
        BinaryPrimitives.WriteUInt32BigEndian(header, 1);
        Assert.Throws<ProtocolException>(() => Frames.CheckLength(header, 1000));
    }

    [Fact]
    public void Lists_with_impossible_lengths_are_refused_without_allocating_them()
    {
        var w = new WireWriter();
        w.Int32(int.MaxValue); // a list claiming two billion entries
        var frame = new byte[] { Frames.Version, (byte)MessageType.NeedFiles }.Concat(w.ToArray()).ToArray();
        Assert.Throws<ProtocolException>(() => Frames.Decode(frame));
    }

    [Fact]
    public async Task A_stream_of_frames_reads_back_and_ends_cleanly()
    {
        using var stream = new MemoryStream();
        foreach (var m in Messages().Select(o => (LocalMessage)o[0])) stream.Write(Frames.Encode(m));
        stream.Position = 0;
        int count = 0;
        while (await Frames.ReadAsync(stream, Frames.DefaultMaximumLength, CancellationToken.None) is not null) count++;
        Assert.Equal(Messages().Count(), count);
    }

    [Fact]
    public void Random_bytes_only_ever_produce_protocol_errors()
    {
        var random = new Random(1234);
        for (int i = 0; i < 20_000; i++)
        {
            var bytes = new byte[random.Next(0, 64)];
            random.NextBytes(bytes);
            if (bytes.Length > 0) bytes[0] = Frames.Version;
            if (bytes.Length > 1 && i % 2 == 0) bytes[1] = (byte)Messages().Select(o => ((LocalMessage)o[0]).Type).ElementAt(i % 17);
            try
            {
                Frames.Decode(bytes);
            }
            catch (ProtocolException)
            {
            }
        }
    }

    [Fact]
    public void Status_json_keeps_the_documented_names()
    {
        var status = new ClusterStatus("127.0.0.1:7420", DateTimeOffset.UnixEpoch,
            new[] { new MemberStatus("127.0.0.1:7421", new[] { "worker" }, "up") },
            new[] { new WorkerStatus("127.0.0.1:7421", "up", 4, 1, 3, 10, 2, 0, 8, 0.5, 0.25, new[] { new ToolchainStatus("gcc", "12.2.0", "x86_64-linux-gnu", new string('f', 64)) }, new[] { "127.0.0.2:7420: not allowed" }, "sandboxed (bubblewrap, sealed roots)") },
            new[] { new CoordinatorStatus("127.0.0.1:7420", 3, 2, 2, 1, 100, 7, new[] { new UnservedToolchainStatus("gcc", "13.2.0", "x86_64-linux-gnu", new string('e', 64), 5) }) },
            new[] { new JobStatus("j1", "127.0.0.1:7420", "a.c", "compiling", "127.0.0.1:7421", 1.5) },
            new[] { new RefusedConnectionStatus("127.0.0.1:7421", "127.0.0.2", 3, "127.0.0.2 is not in this worker's allowed networks") });
        var json = StatusJson.Serialize(status);
        foreach (var name in new[] { "\"workers\"", "\"address\"", "\"slots\"", "\"running\"", "\"completed\"", "\"failed\"", "\"toolchains\"", "\"fingerprint\"", "\"coordinators\"", "\"jobs\"", "\"phase\"", "\"elapsedSeconds\"", "\"unservedToolchains\"", "\"peakRunning\"", "\"refusedConnections\"", "\"node\"", "\"count\"", "\"reason\"" })
            Assert.Contains(name, json);
        Assert.Equal(json, StatusJson.Serialize(StatusJson.Deserialize(json)));
        Assert.Equal(4 + 2, status.SuggestedJobs(2));
    }
}
