namespace ActorCompile.Toolchain.Cache;

/// <summary>
/// The macros whose value is the time of the compile (or of the source's last change): an object built
/// from a source that uses them differs from one built a second later, so its result is never cached
/// and no direct-mode record is kept for it. The search is over the raw bytes of every input: a mention in
/// a comment or a string also counts (a false "uncacheable" costs a compile; a false "cacheable" would
/// give a stale object).
/// </summary>
public static class TimeMacros
{
    private static readonly byte[][] Names = { "__DATE__"u8.ToArray(), "__TIME__"u8.ToArray(), "__TIMESTAMP__"u8.ToArray() };

    public static bool Mentioned(ReadOnlySpan<byte> content)
    {
        // __TIMESTAMP__ does not contain __TIME__ as a whole token (__TIMES...), so each is searched for itself.
        foreach (var name in Names)
            if (content.IndexOf(name) >= 0) return true;
        return false;
    }
}
