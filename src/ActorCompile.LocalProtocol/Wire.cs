using System.Buffers.Binary;
using System.Text;

namespace ActorCompile.LocalProtocol;

/// <summary>A frame or message that does not follow the protocol. The connection is answered with an error and closed.</summary>
public sealed class ProtocolException(string message) : Exception(message);

/// <summary>Writes the body of a message: little-endian integers, length-prefixed UTF-8 strings and byte arrays.</summary>
public sealed class WireWriter
{
    private readonly MemoryStream _buffer = new();

    public void Byte(byte v) => _buffer.WriteByte(v);
    public void Bool(bool v) => _buffer.WriteByte(v ? (byte)1 : (byte)0);

    public void Int32(int v)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(b, v);
        _buffer.Write(b);
    }

    public void Int64(long v)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(b, v);
        _buffer.Write(b);
    }

    public void String(string? v)
    {
        if (v is null) { Int32(-1); return; }
        var bytes = Encoding.UTF8.GetBytes(v);
        Int32(bytes.Length);
        _buffer.Write(bytes);
    }

    public void Bytes(ReadOnlySpan<byte> v)
    {
        Int32(v.Length);
        _buffer.Write(v);
    }

    public void Strings(IReadOnlyList<string>? v)
    {
        if (v is null) { Int32(-1); return; }
        Int32(v.Count);
        foreach (var s in v) String(s);
    }

    public byte[] ToArray() => _buffer.ToArray();
}

/// <summary>Reads a message body written by <see cref="WireWriter"/>, refusing anything malformed.</summary>
public ref struct WireReader
{
    private ReadOnlySpan<byte> _data;

    public WireReader(ReadOnlySpan<byte> data) => _data = data;

    public readonly bool AtEnd => _data.IsEmpty;

    private ReadOnlySpan<byte> Take(int n, string what)
    {
        if (n < 0 || n > _data.Length) throw new ProtocolException($"message truncated while reading {what}");
        var s = _data[..n];
        _data = _data[n..];
        return s;
    }

    public byte Byte(string what = "a byte") => Take(1, what)[0];

    public bool Bool(string what = "a flag") => Byte(what) switch
    {
        0 => false,
        1 => true,
        var b => throw new ProtocolException($"{what} must be 0 or 1, not {b}"),
    };

    public int Int32(string what = "an integer") => BinaryPrimitives.ReadInt32LittleEndian(Take(4, what));
    public long Int64(string what = "an integer") => BinaryPrimitives.ReadInt64LittleEndian(Take(8, what));

    public string? NullableString(string what = "a string")
    {
        int n = Int32(what);
        if (n == -1) return null;
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Take(n, what));
        }
        catch (DecoderFallbackException)
        {
            throw new ProtocolException($"{what} is not valid UTF-8");
        }
    }

    public string String(string what = "a string") => NullableString(what) ?? throw new ProtocolException($"{what} is missing");

    public byte[] Bytes(string what = "bytes") => Take(Int32(what), what).ToArray();

    public List<string>? NullableStrings(string what = "a list")
    {
        int n = Int32(what);
        if (n == -1) return null;
        if (n < 0 || n > _data.Length / 4) throw new ProtocolException($"{what} has an impossible length {n}");
        var list = new List<string>(n);
        for (int i = 0; i < n; i++) list.Add(String(what));
        return list;
    }

    public List<string> Strings(string what = "a list") => NullableStrings(what) ?? throw new ProtocolException($"{what} is missing");

    /// <summary>A count of items that each take at least <paramref name="minimumItemBytes"/> bytes, checked against what remains.</summary>
    public int Count(string what, int minimumItemBytes)
    {
        int n = Int32(what);
        if (n < 0 || (long)n * minimumItemBytes > _data.Length) throw new ProtocolException($"{what} has an impossible length {n}");
        return n;
    }
}
