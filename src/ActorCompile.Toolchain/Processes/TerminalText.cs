namespace ActorCompile.Toolchain.Processes;

/// <summary>
/// Text that came from another machine (a worker's failure reason, another node's refusal reasons, a
/// worker's address, a manifest a peer sent) is printed or logged on a user's terminal only without control characters, so no peer can
/// move the cursor, retitle the terminal or hide a line with escape sequences. The compiler's own output
/// is not text of this kind: it is written as the compiler wrote it, colours included.
/// </summary>
public static class TerminalText
{
    public static string Printable(string text)
    {
        foreach (var c in text)
            if (char.IsControl(c)) return string.Create(text.Length, text, static (span, source) =>
            {
                for (int i = 0; i < source.Length; i++) span[i] = char.IsControl(source[i]) ? '?' : source[i];
            });
        return text;
    }
}
