namespace ActorCompile.Toolchain.Jobs;

/// <summary>
/// The macros whose expansion depends on the moment (or the file's time) of the compile: <c>__DATE__</c>,
/// <c>__TIME__</c>, <c>__TIMESTAMP__</c>. A compile whose inputs mention any of them gives another object
/// at another time, so its result is never cached and the wrapper's direct mode keeps no record of it.
/// The wrapper and the node ask this one helper, so that both draw the line at the same place.
/// </summary>
public static class TimeMacros
{
    private static readonly byte[][] Names = { "__DATE__"u8.ToArray(), "__TIME__"u8.ToArray(), "__TIMESTAMP__"u8.ToArray() };

    /// <summary>
    /// Whether the text names one of the macros as a whole identifier (<c>__TIME__X</c> is another name).
    /// It errs on the safe side: a mention in a comment, a string or a dead branch counts too.
    /// </summary>
    public static bool Mentioned(ReadOnlySpan<byte> text)
    {
        foreach (var name in Names)
        {
            int at = 0;
            while (true)
            {
                int found = text[at..].IndexOf(name);
                if (found < 0) break;
                int start = at + found, end = start + name.Length;
                if ((start == 0 || !IsIdentifierByte(text[start - 1])) && (end == text.Length || !IsIdentifierByte(text[end]))) return true;
                at = start + 1;
            }
        }
        return false;
    }

    private static bool IsIdentifierByte(byte b) => b == '_' || (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || b >= 0x80;
}
