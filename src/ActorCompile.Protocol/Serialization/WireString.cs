using System.Runtime.InteropServices;
using System.Text;
using MemoryPack;

namespace ActorCompile.Protocol.Serialization;

/// <summary>
/// How every string of a cluster message is read. MemoryPack's own reader trusts the UTF-16 length a
/// UTF-8 string declares up to three times the bytes that remain: a member could make a few kilobytes
/// allocate hundreds of megabytes (an array of such strings grows with the square of the frame). Here a
/// string never becomes larger than the bytes it arrived in: a UTF-16 string needs two bytes per character,
/// a UTF-8 string is decoded from exactly the bytes it names, and its declared length must match.
/// The generated code calls this for each string member marked <see cref="WireStringAttribute"/> (every one:
/// WireSchemaTests checks), and MemoryPack's provider for the elements of every string array.
/// </summary>
public sealed class WireStringFormatter : MemoryPackFormatter<string>
{
    public static readonly WireStringFormatter Instance = new();

    /// <summary>Refuses bytes that are not UTF-8 (as MemoryPack's own reader does) instead of replacing them.</summary>
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public override void Serialize<TBufferWriter>(ref MemoryPackWriter<TBufferWriter> writer, scoped ref string? value) =>
        writer.WriteString(value);

    public override void Deserialize(ref MemoryPackReader reader, scoped ref string? value) => value = Read(ref reader);

    /// <summary>Reads a string as <see cref="MemoryPackWriter{TBufferWriter}.WriteString"/> wrote it (either encoding), or refuses it.</summary>
    public static string? Read(ref MemoryPackReader reader)
    {
        reader.ReadUnmanaged(out int header);
        if (header == -1) return null;
        if (header == 0) return "";
        if (header > 0)
        {
            // UTF-16: the header is the number of characters.
            if ((long)header * 2 > reader.Remaining) throw Truncated(header * 2L, reader.Remaining);
            var chars = MemoryMarshal.Cast<byte, char>(MemoryMarshal.CreateReadOnlySpan(ref reader.GetSpanReference(header * 2), header * 2));
            var text = new string(chars);
            reader.Advance(header * 2);
            return text;
        }
        // UTF-8: the header is the complement of the number of bytes, followed by the number of characters.
        int bytes = ~header;
        reader.ReadUnmanaged(out int declared);
        if (bytes > reader.Remaining) throw Truncated(bytes, reader.Remaining);
        if (declared < 0 || declared > bytes) throw new MemoryPackSerializationException($"a string of {bytes} UTF-8 bytes cannot hold {declared} characters");
        var decoded = StrictUtf8.GetString(MemoryMarshal.CreateReadOnlySpan(ref reader.GetSpanReference(bytes), bytes));
        reader.Advance(bytes);
        if (decoded.Length != declared) throw new MemoryPackSerializationException($"a string declared {declared} characters and held {decoded.Length}");
        return decoded;
    }

    private static MemoryPackSerializationException Truncated(long needed, long remaining) =>
        new($"a string needs {needed} bytes and {remaining} remain");
}

/// <summary>Marks a message's string member to be read by <see cref="WireStringFormatter"/>.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class WireStringAttribute : MemoryPackCustomFormatterAttribute<WireStringFormatter, string>
{
    public override WireStringFormatter GetFormatter() => WireStringFormatter.Instance;
}
