using System.Buffers.Binary;

namespace ActorCompile.LocalProtocol;

/// <summary>
/// Frames on the local socket: a 4-byte big-endian length, then that many bytes: the protocol version
/// (1 byte), the message type (1 byte) and the message body. A frame longer than the reader's limit, of
/// another version, of an unknown type, or whose body does not decode exactly is refused.
/// </summary>
public static class Frames
{
    /// <summary>
    /// The protocol's version; the wrapper and the node ship together and refuse another. 2: the compile
    /// request no longer names the compiler's path, nor LocalDone the compile's time (the node used neither).
    /// 4: the include scan's rounds; the node hashes contents and remembers files by status (no hashes from
    /// the wrapper); NeedFiles/FileContents instead of NeedBlobs/Blobs; Rescan.
    /// </summary>
    public const byte Version = 4;

    /// <summary>
    /// The limit on one frame where nothing better is known (the status CLI). The node derives its
    /// limits from actorcompile.max-job-size; the wrapper raises this to the largest result a node may send.
    /// </summary>
    public const int DefaultMaximumLength = 256 * 1024 * 1024;

    public static byte[] Encode(LocalMessage message)
    {
        var w = new WireWriter();
        message.Write(w);
        var body = w.ToArray();
        var frame = new byte[4 + 2 + body.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)(2 + body.Length));
        frame[4] = Version;
        frame[5] = (byte)message.Type;
        body.CopyTo(frame, 6);
        return frame;
    }

    /// <summary>Checks a frame's length field against the limit.</summary>
    public static int CheckLength(ReadOnlySpan<byte> header, int maximumLength)
    {
        uint length = BinaryPrimitives.ReadUInt32BigEndian(header);
        if (length < 2) throw new ProtocolException($"frame length {length} is too short for a version and a type");
        if (length > (uint)maximumLength)
            throw new ProtocolException($"frame of {length} bytes exceeds the limit of {maximumLength} bytes");
        return (int)length;
    }

    /// <summary>Decodes the bytes after the length field.</summary>
    public static LocalMessage Decode(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < 2) throw new ProtocolException("frame too short");
        if (frame[0] != Version)
            throw new ProtocolException($"protocol version {frame[0]} is not supported (this side speaks version {Version}); use matching actorcompile and actorcompile-node");
        var r = new WireReader(frame[2..]);
        LocalMessage message = (MessageType)frame[1] switch
        {
            MessageType.CompileRequest => CompileRequest.Read(ref r),
            MessageType.ToolchainInfo => ToolchainInfo.Read(ref r),
            MessageType.JobManifest => JobManifest.Read(ref r),
            MessageType.FileContents => FileContents.Read(ref r),
            MessageType.ScanRound => ScanRound.Read(ref r),
            MessageType.LocalDone => LocalDone.Read(ref r),
            MessageType.StatusRequest => new StatusRequest(),
            MessageType.CacheClearRequest => new CacheClearRequest(),
            MessageType.CacheCleared => CacheCleared.Read(ref r),
            MessageType.NeedToolchain => new NeedToolchain(),
            MessageType.RunLocally => RunLocally.Read(ref r),
            MessageType.Preprocess => Preprocess.Read(ref r),
            MessageType.NeedFiles => NeedFiles.Read(ref r),
            MessageType.ScanAnswers => ScanAnswers.Read(ref r),
            MessageType.Rescan => new Rescan(),
            MessageType.CompileResult => CompileResult.Read(ref r),
            MessageType.Heartbeat => new Heartbeat(),
            MessageType.StatusReply => StatusReply.Read(ref r),
            MessageType.Error => ErrorReply.Read(ref r),
            var t => throw new ProtocolException($"unknown message type {(byte)t}"),
        };
        if (!r.AtEnd) throw new ProtocolException($"{message.Type} message has trailing bytes");
        return message;
    }

    /// <summary>Reads one frame; null at a clean end of stream (before any byte of a frame).</summary>
    public static async Task<LocalMessage?> ReadAsync(Stream stream, int maximumLength, CancellationToken cancellationToken)
    {
        var header = new byte[4];
        int got = await ReadAtLeastAsync(stream, header, cancellationToken);
        if (got == 0) return null;
        if (got < 4) throw new ProtocolException("connection closed inside a frame header");
        int length = CheckLength(header, maximumLength);
        return Decode(await ReadBodyAsync(stream, length, cancellationToken));
    }

    /// <summary>
    /// The <paramref name="length"/> bytes of a frame after its header. Memory grows with the bytes that
    /// actually arrive, not with what a header claims; nothing but the returned array keeps them.
    /// </summary>
    public static async Task<byte[]> ReadBodyAsync(Stream stream, int length, CancellationToken cancellationToken)
    {
        var frame = new byte[Math.Min(length, 1 << 20)];
        int read = 0;
        while (read < length)
        {
            if (read == frame.Length) Array.Resize(ref frame, (int)Math.Min(length, (long)frame.Length * 2));
            int n = await stream.ReadAsync(frame.AsMemory(read, frame.Length - read), cancellationToken);
            if (n == 0) throw new ProtocolException("connection closed inside a frame");
            read += n;
        }
        return frame;
    }

    /// <summary>Blocking read of one frame, for the wrapper; null at a clean end of stream.</summary>
    public static LocalMessage? Read(Stream stream, int maximumLength)
    {
        var header = new byte[4];
        int got = stream.ReadAtLeast(header, 4, throwOnEndOfStream: false);
        if (got == 0) return null;
        if (got < 4) throw new ProtocolException("connection closed inside a frame header");
        int length = CheckLength(header, maximumLength);
        // As in ReadBodyAsync: memory follows the bytes that arrive, not the header.
        var frame = new byte[Math.Min(length, 1 << 20)];
        int read = 0;
        while (read < length)
        {
            if (read == frame.Length) Array.Resize(ref frame, (int)Math.Min(length, (long)frame.Length * 2));
            int n = stream.Read(frame, read, frame.Length - read);
            if (n == 0) throw new ProtocolException("connection closed inside a frame");
            read += n;
        }
        return Decode(frame);
    }

    private static async Task<int> ReadAtLeastAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken) =>
        await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
}
