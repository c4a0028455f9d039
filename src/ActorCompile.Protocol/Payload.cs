using ActorCompile.Protocol.Messages;
using K4os.Compression.LZ4;

namespace ActorCompile.Protocol;

/// <summary>
/// The payload path: how file contents and outputs travel between nodes. Everything big goes through
/// here (LZ4, fast level), so that moving it to a stream or a side channel touches one place.
/// </summary>
public static class Payload
{
    public static byte[] Compress(ReadOnlySpan<byte> data) => LZ4Pickler.Pickle(data, LZ4Level.L00_FAST);

    /// <summary>
    /// Decompresses and checks the length; throws <see cref="InvalidDataException"/> for anything malformed.
    /// The length the compressed data declares is compared with <paramref name="expectedLength"/> before
    /// anything is allocated, so a payload cannot make the receiver allocate more than the sender said
    /// (and the receiver bounds what a sender may say).
    /// </summary>
    public static byte[] Decompress(byte[] compressed, int expectedLength)
    {
        if (expectedLength < 0) throw new InvalidDataException($"payload length {expectedLength} is negative");
        int declared;
        try
        {
            declared = LZ4Pickler.UnpickledSize(compressed);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"malformed compressed payload: {e.Message}", e);
        }
        if (declared != expectedLength)
            throw new InvalidDataException($"payload is {declared} bytes, expected {expectedLength}");
        var data = new byte[declared];
        try
        {
            LZ4Pickler.Unpickle(compressed, data);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"malformed compressed payload: {e.Message}", e);
        }
        return data;
    }

    public static Blob ToBlob(string hash, ReadOnlySpan<byte> data) => new(hash, Compress(data), data.Length);

    public static JobOutput ToOutput(string path, ReadOnlySpan<byte> data) => new(path, Compress(data), data.Length);
}
