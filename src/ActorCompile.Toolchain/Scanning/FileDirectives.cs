using System.Text;

namespace ActorCompile.Toolchain.Scanning;

/// <summary>How a directive looks a file up.</summary>
public enum IncludeKind : byte
{
    Include = 1,
    IncludeNext = 2,
    /// <summary><c>#import</c> (Objective-C, and gcc's C): looked up as <c>#include</c>.</summary>
    Import = 3,
    /// <summary><c>__has_include</c> in <c>#if</c>/<c>#elif</c> or a macro body: the file only has to exist.</summary>
    HasInclude = 4,
    HasIncludeNext = 5,
    /// <summary><c>#pragma GCC dependency</c>: the file is only looked at (its time), never read.</summary>
    Dependency = 6,
}

/// <summary>How the directive names its file.</summary>
public enum HeaderForm : byte
{
    /// <summary><c>"name"</c>: the includer's directory first, then the quote chain.</summary>
    Quoted = 1,
    /// <summary><c>&lt;name&gt;</c>: the bracket chain.</summary>
    Angled = 2,
    /// <summary>A macro (its name in <see cref="IncludeDirective.Name"/>) that expands to one of the two forms.</summary>
    Macro = 3,
}

/// <summary>One look-up of a file in a file's directives (every branch of every conditional).</summary>
public readonly record struct IncludeDirective(IncludeKind Kind, HeaderForm Form, string Name)
{
    /// <summary>Whether the compiler reads the file (an include), or only asks whether it is there (a probe).</summary>
    public bool Reads => Kind is IncludeKind.Include or IncludeKind.IncludeNext or IncludeKind.Import;

    /// <summary>Whether the search starts after the directory the including file was found in.</summary>
    public bool Next => Kind is IncludeKind.IncludeNext or IncludeKind.HasIncludeNext;
}

/// <summary>
/// A <c>#define</c> that a computed include might use. <paramref name="Value"/> is, for an object-like macro,
/// its replacement when it can name a header (a <c>"quoted"</c> or <c>&lt;angled&gt;</c> name, or another
/// macro's name); for a function-like one of one parameter (<paramref name="Name"/> then ends with "()"),
/// "#" when it stringifies its argument and "->G" when it hands it to macro G; null when it cannot be
/// followed: a computed include that may expand through such a definition is not resolved (the scan declines).
/// </summary>
public readonly record struct MacroDefinition(string Name, string? Value);

/// <summary>
/// What one file's directives say, as far as finding the files a compile reads goes: every include and probe
/// in every branch, the macro definitions a computed include may expand through, and whether anything in it
/// could not be understood (then the scan declines and the compiler's own scan runs). Kept per file
/// version (the node keeps it for the user across units), so each header is parsed once per build.
/// </summary>
public sealed class FileDirectives
{
    private const byte FormatVersion = 1;

    public static readonly FileDirectives Empty = new(Array.Empty<IncludeDirective>(), Array.Empty<MacroDefinition>(), null);

    public FileDirectives(IReadOnlyList<IncludeDirective> includes, IReadOnlyList<MacroDefinition> definitions, string? unsure,
        IReadOnlyList<ulong>? unfollowable = null)
    {
        Includes = includes;
        _definitions = definitions;
        Unsure = unsure;
        _unfollowable = unfollowable ?? Array.Empty<ulong>();
    }

    /// <summary>Read from the compact form: the definitions wait there until a computed include asks for them.</summary>
    private FileDirectives(IReadOnlyList<IncludeDirective> includes, string? unsure, byte[] data, int definitionsAt)
    {
        Includes = includes;
        Unsure = unsure;
        _data = data;
        _definitionsAt = definitionsAt;
    }

    private IReadOnlyList<MacroDefinition>? _definitions;
    private IReadOnlyList<ulong>? _unfollowable;
    private readonly byte[]? _data;
    private readonly int _definitionsAt;

    /// <summary>
    /// The names (<see cref="DirectiveParser.NameHash(string)"/>; "NAME()" for a function-like one) of the
    /// definitions a computed include cannot be followed through: every other #define of the file. Kept as
    /// hashes: a header defines hundreds, and they only ever make a scan decline.
    /// </summary>
    public IReadOnlyList<ulong> Unfollowable
    {
        get
        {
            if (_unfollowable is null) ReadDefinitions();
            return _unfollowable!;
        }
    }

    public IReadOnlyList<IncludeDirective> Includes { get; }

    /// <summary>The definitions a computed include may expand through (read from the compact form only when asked for: most scans never do).</summary>
    public IReadOnlyList<MacroDefinition> Definitions
    {
        get
        {
            if (_definitions is null) ReadDefinitions();
            return _definitions!;
        }
    }

    private void ReadDefinitions()
    {
        var data = _data!.AsSpan();
        int at = _definitionsAt;
        int n = ReadCount(data, ref at);
        var definitions = new MacroDefinition[n];
        for (int k = 0; k < n; k++)
            definitions[k] = new MacroDefinition(ReadString(data, ref at)!, ReadString(data, ref at));
        n = ReadCount(data, ref at);
        var unfollowable = new ulong[n];
        for (int k = 0; k < n; k++, at += 8) unfollowable[k] = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(data.Slice(at, 8));
        _definitions = definitions;
        _unfollowable = unfollowable;
    }

    /// <summary>Why the file's directives cannot be trusted to name every file it reads, or null.</summary>
    public string? Unsure { get; }

    /// <summary>A compact form for the socket and the node's memory (opaque to the node).</summary>
    public byte[] ToBytes()
    {
        var buffer = new MemoryStream(64 + Includes.Count * 24 + Definitions.Count * 24);
        buffer.WriteByte(FormatVersion);
        WriteString(buffer, Unsure);
        WriteCount(buffer, Includes.Count);
        foreach (var i in Includes)
        {
            buffer.WriteByte((byte)i.Kind);
            buffer.WriteByte((byte)i.Form);
            WriteString(buffer, i.Name);
        }
        WriteCount(buffer, Definitions.Count);
        foreach (var d in Definitions)
        {
            WriteString(buffer, d.Name);
            WriteString(buffer, d.Value);
        }
        WriteCount(buffer, Unfollowable.Count);
        Span<byte> eight = stackalloc byte[8];
        foreach (var h in Unfollowable)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(eight, h);
            buffer.Write(eight);
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// Reads <see cref="ToBytes"/>; a malformed form (or another version) is an <see cref="InvalidDataException"/>.
    /// The whole form is checked now; the definitions are materialised when first asked for.
    /// </summary>
    public static FileDirectives FromBytes(byte[] data)
    {
        int at = 0;
        if (data.Length == 0 || data[at++] != FormatVersion) throw new InvalidDataException("directives of an unknown format");
        var span = data.AsSpan();
        var unsure = ReadString(span, ref at);
        int n = ReadCount(span, ref at);
        var includes = new IncludeDirective[n];
        for (int k = 0; k < n; k++)
        {
            if (at + 2 > data.Length) throw new InvalidDataException("directives cut short");
            var kind = (IncludeKind)data[at++];
            var form = (HeaderForm)data[at++];
            if (!Enum.IsDefined(kind) || !Enum.IsDefined(form)) throw new InvalidDataException("an unknown include kind");
            includes[k] = new IncludeDirective(kind, form, ReadString(span, ref at) ?? throw new InvalidDataException("an include without a name"));
        }
        int definitionsAt = at;
        n = ReadCount(span, ref at);
        for (int k = 0; k < n; k++)
        {
            if (SkipString(span, ref at) == 0) throw new InvalidDataException("a definition without a name");
            SkipString(span, ref at);
        }
        n = ReadCount(span, ref at);
        if (at + n * 8L != data.Length) throw new InvalidDataException("directives cut short or with trailing bytes");
        return new FileDirectives(includes, unsure, data, definitionsAt);
    }

    /// <summary>Steps over a string without reading it; returns its length + 1 (0 for null).</summary>
    private static int SkipString(ReadOnlySpan<byte> data, ref int at)
    {
        int n = ReadCount(data, ref at);
        if (n > 0 && at + n - 1 > data.Length) throw new InvalidDataException("directives cut short");
        at += Math.Max(0, n - 1);
        return n;
    }

    /// <summary>Reads a form that is not in an array of its own (a copy is kept).</summary>
    public static FileDirectives FromBytes(ReadOnlySpan<byte> data) => FromBytes(data.ToArray());

    private static void WriteCount(Stream s, int n)
    {
        uint v = (uint)n;
        while (v >= 0x80) { s.WriteByte((byte)(v | 0x80)); v >>= 7; }
        s.WriteByte((byte)v);
    }

    private static int ReadCount(ReadOnlySpan<byte> data, ref int at)
    {
        uint v = 0;
        for (int shift = 0; shift < 35; shift += 7)
        {
            if (at >= data.Length) throw new InvalidDataException("directives cut short");
            byte b = data[at++];
            v |= (uint)(b & 0x7f) << shift;
            if (b < 0x80) return v <= int.MaxValue && v <= (uint)data.Length ? (int)v : throw new InvalidDataException("a count beyond the data");
        }
        throw new InvalidDataException("a malformed count");
    }

    /// <summary>Length + 1 (0 for null), then UTF-8.</summary>
    private static void WriteString(Stream s, string? text)
    {
        if (text is null) { WriteCount(s, 0); return; }
        var bytes = Encoding.UTF8.GetBytes(text);
        WriteCount(s, bytes.Length + 1);
        s.Write(bytes);
    }

    private static string? ReadString(ReadOnlySpan<byte> data, ref int at)
    {
        int n = ReadCount(data, ref at);
        if (n == 0) return null;
        n--;
        if (at + n > data.Length) throw new InvalidDataException("directives cut short");
        var text = Encoding.UTF8.GetString(data.Slice(at, n));
        at += n;
        return text;
    }
}
