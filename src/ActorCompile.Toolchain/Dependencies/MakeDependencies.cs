using System.Text;

namespace ActorCompile.Toolchain.Dependencies;

/// <summary>Whose layout a dependency file has.</summary>
public enum DependencyStyle
{
    /// <summary>libcpp's mkdeps: wrap before a name that would pass column 72; -MP lines follow directly.</summary>
    Gcc,
    /// <summary>clang's DependencyFile.cpp: wrap at 75 columns counting unquoted names; -MP lines separated by blank lines.</summary>
    Clang,
}

/// <summary>
/// Make-format dependency files as gcc and clang write them: names are "munged" (a space is preceded by
/// a backslash, '#' by a backslash, '$' doubled), the rule is wrapped at a column, and -MP adds one
/// "name:" rule per prerequisite after the first.
/// </summary>
public static class MakeDependencies
{
    /// <summary>The column at which gcc wraps the rule (deps_write(..., 72) in c-opts.cc).</summary>
    public const int WrapColumn = 72;

    /// <summary>The prerequisites of the first rule in make-format text, with the munging undone.</summary>
    public static List<string> ParsePrerequisites(string text)
    {
        var (_, prerequisites, _) = SplitFirstRule(text);
        return prerequisites.Select(Unmunge).ToList();
    }

    /// <summary>
    /// Rewrites every name in a dependency file written by gcc with <paramref name="map"/> (applied to the
    /// munged names) and wraps the result exactly as gcc would have wrapped the mapped names.
    /// </summary>
    public static string Rewrite(string text, Func<string, string> map, DependencyStyle style = DependencyStyle.Gcc) =>
        style == DependencyStyle.Clang ? RewriteClang(text, ts => ts.Select(map), map) : RewriteGcc(text, ts => ts.Select(map), map);

    /// <summary>
    /// The same dependency file for an object written elsewhere: the first rule's target becomes
    /// <paramref name="target"/> (quoted as -MQ quotes it, as the driver does when no -MT or -MQ names one),
    /// wrapped as the compiler would have wrapped it; the prerequisites stay.
    /// </summary>
    public static string Retarget(string text, string target, DependencyStyle style = DependencyStyle.Gcc)
    {
        var targets = new[] { Quote(target) };
        string Same(string name) => name;
        return style == DependencyStyle.Clang ? RewriteClang(text, _ => targets, Same) : RewriteGcc(text, _ => targets, Same);
    }

    /// <summary>
    /// A name quoted for make as -MQ quotes it (libcpp's munge, clang's quoteMakeTarget): a space or tab after N
    /// backslashes gets N more and one of its own, '#' a backslash, '$' another '$'.
    /// </summary>
    public static string Quote(string name)
    {
        var sb = new StringBuilder(name.Length + 8);
        for (int k = 0; k < name.Length; k++)
        {
            char c = name[k];
            switch (c)
            {
                case ' ' or '\t':
                    for (int j = k - 1; j >= 0 && name[j] == '\\'; j--) sb.Append('\\');
                    sb.Append('\\');
                    break;
                case '#': sb.Append('\\'); break;
                case '$': sb.Append('$'); break;
            }
            sb.Append(c);
        }
        return sb.ToString();
    }

    private static string RewriteGcc(string text, Func<List<string>, IEnumerable<string>> targetMap, Func<string, string> map)
    {
        var (targets, prerequisites, rest) = SplitFirstRule(text);
        var sb = new StringBuilder(text.Length);
        int column = 0;
        foreach (var t in targetMap(targets)) column = WriteName(sb, t, column);
        sb.Append(':');
        column++;
        foreach (var d in prerequisites) column = WriteName(sb, map(d), column);
        sb.Append('\n');
        foreach (var line in rest)
        {
            // -MP phony targets: "name:" lines.
            if (line.EndsWith(':') && !line.EndsWith("\\:", StringComparison.Ordinal)) sb.Append(map(line[..^1])).Append(":\n");
            else sb.Append(line).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>clang 14's layout (clang/lib/Frontend/DependencyFile.cpp, outputDependencyFile).</summary>
    private static string RewriteClang(string text, Func<List<string>, IEnumerable<string>> targetMap, Func<string, string> map)
    {
        const int maxColumns = 75;
        var (targets, prerequisites, rest) = SplitFirstRule(text);
        var sb = new StringBuilder(text.Length);
        int columns = 0;
        foreach (var target in targetMap(targets))
        {
            int n = target.Length;
            if (columns == 0) columns += n;
            else if (columns + n + 2 > maxColumns) { columns = n + 2; sb.Append(" \\\n  "); }
            else { columns += n + 1; sb.Append(' '); }
            sb.Append(target);
        }
        sb.Append(':');
        columns += 1;
        var mapped = prerequisites.Select(map).ToList();
        foreach (var file in mapped)
        {
            int n = Unmunge(file).Length;
            if (columns + (n + 1) + 2 > maxColumns)
            {
                sb.Append(" \\\n ");
                columns = 2;
            }
            sb.Append(' ').Append(file);
            columns += n + 1;
        }
        sb.Append('\n');
        if (rest.Count > 0)
        {
            // -MP: a blank line, then "name:" for every prerequisite but the source.
            foreach (var file in mapped.Skip(1)) sb.Append('\n').Append(file).Append(":\n");
        }
        return sb.ToString();
    }

    private static int WriteName(StringBuilder sb, string name, int column)
    {
        if (column > 0)
        {
            if (column + name.Length > WrapColumn)
            {
                sb.Append(" \\\n");
                column = 0;
            }
            column++;
            sb.Append(' ');
        }
        sb.Append(name);
        return column + name.Length;
    }

    /// <summary>Splits off the first rule: munged target names, munged prerequisites, and the remaining lines.</summary>
    private static (List<string> Targets, List<string> Prerequisites, List<string> Remaining) SplitFirstRule(string text)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n');
        var rule = new StringBuilder();
        int i = 0;
        for (; i < lines.Length; i++)
        {
            var line = lines[i];
            if (EndsWithContinuation(line))
            {
                rule.Append(line, 0, line.Length - 1).Append(' ');
                continue;
            }
            rule.Append(line);
            i++;
            break;
        }
        var rest = lines.Skip(i).Where(l => l.Length > 0).ToList();
        var tokens = Tokenize(rule.ToString());
        var targets = new List<string>();
        var prerequisites = new List<string>();
        bool afterColon = false;
        foreach (var token in tokens)
        {
            if (afterColon) { prerequisites.Add(token); continue; }
            if (token == ":") { afterColon = true; continue; }
            if (token.EndsWith(':') && !token.EndsWith("\\:", StringComparison.Ordinal))
            {
                targets.Add(token[..^1]);
                afterColon = true;
                continue;
            }
            int colon = IndexOfRuleColon(token);
            if (colon >= 0)
            {
                targets.Add(token[..colon]);
                afterColon = true;
                if (colon + 1 < token.Length) prerequisites.Add(token[(colon + 1)..]);
                continue;
            }
            targets.Add(token);
        }
        return (targets, prerequisites, rest);
    }

    private static int IndexOfRuleColon(string token)
    {
        for (int k = 0; k < token.Length; k++)
        {
            if (token[k] == '\\') { k++; continue; }
            if (token[k] == ':' && k + 1 < token.Length && token[k + 1] == ' ') return k;
        }
        return -1;
    }

    private static bool EndsWithContinuation(string line)
    {
        int n = 0;
        for (int k = line.Length - 1; k >= 0 && line[k] == '\\'; k--) n++;
        return n % 2 == 1;
    }

    /// <summary>Splits at whitespace that is not escaped (a space after an odd number of backslashes is part of the name).</summary>
    private static List<string> Tokenize(string s)
    {
        var tokens = new List<string>();
        var current = new StringBuilder();
        for (int k = 0; k < s.Length; k++)
        {
            char c = s[k];
            if (c is ' ' or '\t')
            {
                int backslashes = 0;
                for (int j = k - 1; j >= 0 && s[j] == '\\'; j--) backslashes++;
                if (backslashes % 2 == 1) { current.Append(c); continue; }
                if (current.Length > 0) { tokens.Add(current.ToString()); current.Clear(); }
                continue;
            }
            current.Append(c);
        }
        if (current.Length > 0) tokens.Add(current.ToString());
        return tokens;
    }

    /// <summary>Undoes gcc's munging of one name.</summary>
    public static string Unmunge(string munged)
    {
        var sb = new StringBuilder(munged.Length);
        for (int k = 0; k < munged.Length; k++)
        {
            char c = munged[k];
            if (c == '$' && k + 1 < munged.Length && munged[k + 1] == '$') { sb.Append('$'); k++; continue; }
            if (c == '\\')
            {
                int run = 0;
                while (k + run < munged.Length && munged[k + run] == '\\') run++;
                char next = k + run < munged.Length ? munged[k + run] : '\0';
                if (next is ' ' or '\t')
                {
                    // 2N+1 backslashes before a space are N backslashes and the space.
                    sb.Append('\\', run / 2).Append(next);
                    k += run;
                    continue;
                }
                if (next == '#' && run == 1) { sb.Append('#'); k += 1; continue; }
                sb.Append('\\', run);
                k += run - 1;
                continue;
            }
            sb.Append(c);
        }
        return sb.ToString();
    }
}
