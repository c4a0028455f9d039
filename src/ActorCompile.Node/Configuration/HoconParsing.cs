using Akka.Configuration;

namespace ActorCompile.Node.Configuration;

/// <summary>Reads one layer of the node's configuration, refusing what Akka's HOCON parser would quietly accept.</summary>
public static class HoconParsing
{
    /// <summary>
    /// The place where a brace or bracket is left open: the HOCON parser accepts the end of the file as
    /// closing it, which would silently take the rest of a file as part of that object.
    /// </summary>
    internal static string? UnclosedBracket(string text)
    {
        var open = new Stack<(char Bracket, int Line)>();
        int line = 1;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '\n') { line++; continue; }
            if (c == '#' || (c == '/' && i + 1 < text.Length && text[i + 1] == '/'))
            {
                while (i + 1 < text.Length && text[i + 1] != '\n') i++;
                continue;
            }
            if (c == '"')
            {
                bool triple = i + 2 < text.Length && text[i + 1] == '"' && text[i + 2] == '"';
                if (triple)
                {
                    int end = text.IndexOf("\"\"\"", i + 3, StringComparison.Ordinal);
                    if (end < 0) return $"line {line}: a \"\"\" string is not closed";
                    line += text.AsSpan(i, end - i).Count('\n');
                    i = end + 2;
                    continue;
                }
                for (i++; i < text.Length && text[i] != '"' && text[i] != '\n'; i++)
                    if (text[i] == '\\') i++;
                if (i >= text.Length || text[i] == '\n') return $"line {line}: a string is not closed";
                continue;
            }
            if (c is '{' or '[') open.Push((c, line));
            else if (c is '}' or ']')
            {
                if (open.Count == 0 || open.Pop().Bracket != (c == '}' ? '{' : '[')) return $"line {line}: '{c}' closes nothing";
            }
        }
        return open.Count > 0 ? $"line {open.Peek().Line}: '{open.Peek().Bracket}' is never closed" : null;
    }

    /// <summary>One layer of configuration; anything that is not valid HOCON stops the node with the file and the place.</summary>
    public static Config Parse(string origin, string text)
    {
        if (UnclosedBracket(text) is { } problem) throw new ConfigurationException($"{origin}: not valid HOCON: {problem}");
        try
        {
            return ConfigurationFactory.ParseString(text);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new ConfigurationException($"{origin}: not valid HOCON: {e.Message}");
        }
    }
}
