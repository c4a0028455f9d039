using System.Text;
using System.Text.Unicode;

namespace ActorCompile.Toolchain.Scanning;

/// <summary>
/// Finds a file's include-like directives without preprocessing it: every <c>#include</c>,
/// <c>#include_next</c>, <c>#import</c>, <c>__has_include</c> and <c>#pragma GCC dependency</c> in every
/// branch, and the macro definitions a computed include may expand through. It lexes as the preprocessor
/// does what decides where a directive is: line splices, block and line comments, string, character and
/// raw string literals (where the dialect has them), digit separators, <c>%:</c>. Reading more than the
/// compiler reads is harmless (an inactive branch's header is mirrored too, and each name still resolves
/// to the same file); reading less is not, so whatever it does not understand makes the file
/// <see cref="FileDirectives.Unsure"/> instead of being skipped.
/// </summary>
public static class DirectiveParser
{
    public static FileDirectives Parse(ReadOnlySpan<byte> text, ScanDialect dialect)
    {
        if (dialect.Trigraphs && HasTrigraph(text))
            return new FileDirectives(Array.Empty<IncludeDirective>(), Array.Empty<MacroDefinition>(), "it contains trigraphs, which this dialect replaces");
        if (text.IndexOf((byte)0) >= 0)
            return new FileDirectives(Array.Empty<IncludeDirective>(), Array.Empty<MacroDefinition>(), "it contains a NUL byte");
        byte[]? spliced = Splice(text);
        var parser = new Parser(spliced ?? text, dialect);
        parser.Run();
        return new FileDirectives(parser.Includes, parser.Definitions, parser.Unsure);
    }

    private static bool HasTrigraph(ReadOnlySpan<byte> text)
    {
        int at = 0;
        while (true)
        {
            int k = text[at..].IndexOf("??"u8);
            if (k < 0) return false;
            at += k + 2;
            if (at < text.Length && "=(/)'<!>-"u8.Contains(text[at])) return true;
            at--; // "???=" holds one at the next position
        }
    }

    /// <summary>
    /// The text with every backslash-newline removed (a backslash followed by blanks before the newline is
    /// one too, as gcc takes it), or null when there is none. Newlines are normalised to '\n'.
    /// </summary>
    private static byte[]? Splice(ReadOnlySpan<byte> text)
    {
        if (text.IndexOf((byte)'\\') < 0 && text.IndexOf((byte)'\r') < 0) return null;
        var result = new byte[text.Length];
        int n = 0;
        for (int i = 0; i < text.Length; i++)
        {
            byte c = text[i];
            if (c == '\r')
            {
                // \r\n and a lone \r are both one newline.
                if (i + 1 < text.Length && text[i + 1] == '\n') i++;
                result[n++] = (byte)'\n';
                continue;
            }
            if (c == '\\')
            {
                int j = i + 1;
                while (j < text.Length && text[j] is (byte)' ' or (byte)'\t' or (byte)'\f' or (byte)'\v') j++;
                if (j < text.Length && text[j] == '\n') { i = j; continue; }
                if (j < text.Length && text[j] == '\r') { i = j + 1 < text.Length && text[j + 1] == '\n' ? j + 1 : j; continue; }
            }
            result[n++] = c;
        }
        return result.AsSpan(0, n).ToArray();
    }

    private ref struct Parser
    {
        private readonly ReadOnlySpan<byte> _s;
        private readonly ScanDialect _dialect;
        public List<IncludeDirective> Includes;
        public List<MacroDefinition> Definitions;
        public string? Unsure;

        public Parser(ReadOnlySpan<byte> s, ScanDialect dialect)
        {
            _s = s;
            _dialect = dialect;
            Includes = new List<IncludeDirective>();
            Definitions = new List<MacroDefinition>();
            Unsure = null;
        }

        private void Doubt(string why) => Unsure ??= why;

        public void Run()
        {
            var s = _s;
            int i = 0;
            bool lineStart = true;
            while (i < s.Length)
            {
                byte c = s[i];
                if (c == '\n') { lineStart = true; i++; continue; }
                if (c is (byte)' ' or (byte)'\t' or (byte)'\f' or (byte)'\v') { i++; continue; }
                if (c == '/' && i + 1 < s.Length && s[i + 1] == '*') { i = SkipBlockComment(i); continue; }
                if (c == '/' && i + 1 < s.Length && s[i + 1] == '/') { i = EndOfLine(i); continue; }
                if (lineStart && (c == '#' || (c == '%' && i + 1 < s.Length && s[i + 1] == ':')))
                {
                    i = Directive(c == '#' ? i + 1 : i + 2);
                    continue;
                }
                lineStart = false;
                if (c is (byte)'"' or (byte)'\'') { i = SkipLiteral(i); continue; }
                if (IsIdentifierStart(c))
                {
                    int start = i;
                    i = IdentifierEnd(i);
                    if (i < s.Length && s[i] == '"' && _dialect.RawStrings && IsRawPrefix(s[start..i])) i = SkipRawString(i);
                    continue;
                }
                if (IsDigit(c) || (c == '.' && i + 1 < s.Length && IsDigit(s[i + 1]))) { i = SkipNumber(i); continue; }
                i++;
            }
        }

        // ---- lexing ----

        private readonly int SkipBlockComment(int i)
        {
            int k = _s[(i + 2)..].IndexOf("*/"u8);
            return k < 0 ? _s.Length : i + 2 + k + 2;
        }

        private readonly int EndOfLine(int i)
        {
            int k = _s[i..].IndexOf((byte)'\n');
            return k < 0 ? _s.Length : i + k;
        }

        /// <summary>A string or character literal; one that is not closed ends at the line's end (as the preprocessor does).</summary>
        private readonly int SkipLiteral(int i)
        {
            byte quote = _s[i];
            i++;
            while (i < _s.Length)
            {
                byte c = _s[i];
                if (c == quote) return i + 1;
                if (c == '\n') return i;
                i += c == '\\' && i + 1 < _s.Length && _s[i + 1] != '\n' ? 2 : 1;
            }
            return i;
        }

        private static bool IsRawPrefix(ReadOnlySpan<byte> identifier) =>
            identifier.SequenceEqual("R"u8) || identifier.SequenceEqual("LR"u8) || identifier.SequenceEqual("uR"u8)
            || identifier.SequenceEqual("UR"u8) || identifier.SequenceEqual("u8R"u8);

        /// <summary>R"delim( ... )delim": <paramref name="quote"/> is at the opening quote.</summary>
        private int SkipRawString(int quote)
        {
            int open = quote + 1;
            int k = open;
            while (k < _s.Length && k - open <= 16 && _s[k] != '(')
            {
                if (_s[k] is (byte)' ' or (byte)')' or (byte)'\\' or (byte)'\t' or (byte)'\v' or (byte)'\f' or (byte)'\n') break;
                k++;
            }
            if (k >= _s.Length || _s[k] != '(')
            {
                // Not a raw string's opening: gcc reports it and goes on as with an ordinary string.
                return SkipLiteral(quote);
            }
            var delimiter = _s[open..k];
            int at = k + 1;
            while (true)
            {
                int close = _s[at..].IndexOf((byte)')');
                if (close < 0)
                {
                    Doubt("an unterminated raw string literal");
                    return _s.Length;
                }
                at += close + 1;
                if (_s[at..].StartsWith(delimiter) && at + delimiter.Length < _s.Length && _s[at + delimiter.Length] == '"')
                    return at + delimiter.Length + 1;
            }
        }

        /// <summary>A preprocessing number (with C++14's digit separators where the dialect has them).</summary>
        private readonly int SkipNumber(int i)
        {
            i++;
            while (i < _s.Length)
            {
                byte c = _s[i];
                if ((c is (byte)'+' or (byte)'-') && _s[i - 1] is (byte)'e' or (byte)'E' or (byte)'p' or (byte)'P') { i++; continue; }
                if (c == '\'' && _dialect.DigitSeparators && i + 1 < _s.Length && IsIdentifierByte(_s[i + 1])) { i += 2; continue; }
                if (IsIdentifierByte(c) || c == '.') { i++; continue; }
                break;
            }
            return i;
        }

        private readonly int IdentifierEnd(int i)
        {
            while (i < _s.Length && IsIdentifierByte(_s[i])) i++;
            return i;
        }

        private static bool IsIdentifierStart(byte c) => c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
        private static bool IsIdentifierByte(byte c) => IsIdentifierStart(c) || IsDigit(c);
        private static bool IsDigit(byte c) => c >= '0' && c <= '9';

        /// <summary>Blanks and block comments within a directive (a comment may span lines and stays part of the directive).</summary>
        private readonly int SkipBlanks(int i, int end)
        {
            while (i < end)
            {
                byte c = _s[i];
                if (c is (byte)' ' or (byte)'\t' or (byte)'\f' or (byte)'\v') { i++; continue; }
                if (c == '/' && i + 1 < end && _s[i + 1] == '*') { i = Math.Min(SkipBlockComment(i), end); continue; }
                break;
            }
            return i;
        }

        /// <summary>Where the directive that starts at <paramref name="i"/> ends: its newline, outside comments and literals.</summary>
        private readonly int DirectiveEnd(int i)
        {
            while (i < _s.Length)
            {
                byte c = _s[i];
                if (c == '\n') return i;
                if (c == '/' && i + 1 < _s.Length && _s[i + 1] == '*') { i = SkipBlockComment(i); continue; }
                if (c == '/' && i + 1 < _s.Length && _s[i + 1] == '/') return EndOfLine(i);
                if (c is (byte)'"' or (byte)'\'') { i = SkipLiteral(i); continue; }
                i++;
            }
            return i;
        }

        private string Text(ReadOnlySpan<byte> bytes)
        {
            if (!Utf8.IsValid(bytes)) Doubt("a name that is not UTF-8");
            return Encoding.UTF8.GetString(bytes);
        }

        // ---- directives ----

        /// <summary>The directive after its '#': returns the index of its newline.</summary>
        private int Directive(int i)
        {
            int end = DirectiveEnd(i);
            int p = SkipBlanks(i, end);
            int nameEnd = IdentifierEnd(p);
            var name = _s[p..nameEnd];
            p = SkipBlanks(nameEnd, end);
            if (name.SequenceEqual("include"u8)) Include(IncludeKind.Include, p, end);
            else if (name.SequenceEqual("include_next"u8)) Include(IncludeKind.IncludeNext, p, end);
            else if (name.SequenceEqual("import"u8)) Include(IncludeKind.Import, p, end);
            else if (name.SequenceEqual("define"u8)) Define(p, end);
            else if (name.SequenceEqual("if"u8) || name.SequenceEqual("elif"u8)) Probes(p, end, parameters: null);
            else if (name.SequenceEqual("pragma"u8)) Pragma(p, end);
            return end;
        }

        private void Include(IncludeKind kind, int p, int end)
        {
            if (p >= end)
            {
                Doubt("an #include without a name");
                return;
            }
            if (HeaderName(p, end, out var form, out var header, out _) is { } problem)
            {
                Doubt(problem);
                return;
            }
            Includes.Add(new IncludeDirective(kind, form, header));
        }

        /// <summary>
        /// A header name at <paramref name="p"/>: &lt;...&gt;, "...", or a single macro name; null when found,
        /// else why not. <paramref name="after"/> is where the name ends.
        /// </summary>
        private string? HeaderName(int p, int end, out HeaderForm form, out string name, out int after)
        {
            form = HeaderForm.Quoted;
            name = "";
            after = p;
            byte c = _s[p];
            if (c is (byte)'<' or (byte)'"')
            {
                byte close = c == '<' ? (byte)'>' : (byte)'"';
                int k = _s[(p + 1)..end].IndexOf(close);
                if (k <= 0) return k == 0 ? "an empty header name" : "a header name that is not closed";
                form = c == '<' ? HeaderForm.Angled : HeaderForm.Quoted;
                name = Text(_s.Slice(p + 1, k));
                after = p + 1 + k + 1;
                return null;
            }
            if (IsIdentifierStart(c) && c < 0x80)
            {
                int e = IdentifierEnd(p);
                form = HeaderForm.Macro;
                name = Text(_s[p..e]);
                after = e;
                int rest = SkipBlanks(e, end);
                if (rest < end && _s[rest] == '(')
                {
                    // MACRO(ARGUMENT): one argument without parentheses of its own (the stringify idiom).
                    int close = _s[rest..end].IndexOf((byte)')');
                    if (close < 0) return "a computed header name with an unclosed call";
                    var argument = StripComments(rest + 1, rest + close).Trim();
                    if (argument.Length == 0 || argument.IndexOfAny(new[] { '(', ',', '"', '\'', '<' }) >= 0)
                        return "a computed header name with a call this scan does not follow";
                    name = $"{name}({argument})";
                    after = rest + close + 1;
                    rest = SkipBlanks(after, end);
                }
                // Anything more after it: not a single macro.
                if (rest < end && !(_s[rest] == '/' && rest + 1 < end && _s[rest + 1] == '/') && _s[rest] != ')')
                    return "a computed header name that is not a single macro";
                return null;
            }
            return "a header name of an unknown form";
        }

        private void Define(int p, int end)
        {
            int nameEnd = IdentifierEnd(p);
            if (nameEnd == p) return; // malformed: the compiler reports it
            var name = Text(_s[p..nameEnd]);
            bool hasIncludeItself = name is "__has_include" or "__has_include_next" or "__has_include__";
            if (nameEnd < end && _s[nameEnd] == '(')
            {
                // Function-like: never followed by a computed include; a __has_include of a parameter in its body
                // is a probe whose name only its callers know.
                int close = _s[nameEnd..end].IndexOf((byte)')');
                if (close < 0) return;
                var parameters = new List<string>();
                foreach (var raw in Encoding.UTF8.GetString(_s.Slice(nameEnd + 1, close - 1)).Split(','))
                    parameters.Add(raw.Trim());
                if (!hasIncludeItself) Probes(nameEnd + close + 1, end, parameters);
                Definitions.Add(new MacroDefinition(name + "()", parameters.Count == 1 ? Forwarding(parameters[0], nameEnd + close + 1, end) : null));
                return;
            }
            if (hasIncludeItself) return; // gcc refuses this where it is active: only an inactive branch holds it
            Probes(nameEnd, end, parameters: null);
            Definitions.Add(new MacroDefinition(name, HeaderValue(nameEnd, end)));
        }

        /// <summary>An object-like macro's replacement when it can name a header (a header name or one identifier), else null.</summary>
        private string? HeaderValue(int p, int end)
        {
            p = SkipBlanks(p, end);
            if (p >= end) return null;
            var body = StripComments(p, end).Trim();
            if (body.Length == 0) return null;
            if (body[0] == '"' && body.Length >= 2 && body[^1] == '"' && body.IndexOf('"', 1) == body.Length - 1) return body;
            if (body[0] == '<' && body[^1] == '>' && body.IndexOf('>') == body.Length - 1) return body;
            if (IsIdentifier(body)) return body;
            return null;
        }

        /// <summary>
        /// What a one-parameter function-like macro does with its argument when a computed include can follow
        /// it: "#" (stringifies it: <c>#define STR(x) #x</c>) or "->G" (hands it to macro G:
        /// <c>#define XSTR(x) STR(x)</c>); null for any other body.
        /// </summary>
        private string? Forwarding(string parameter, int p, int end)
        {
            var body = StripComments(p, end).Trim();
            if (body.StartsWith('#') && body[1..].Trim() == parameter) return "#";
            int open = body.IndexOf('(');
            if (open > 0 && body[^1] == ')' && IsIdentifier(body[..open].Trim()) && body[(open + 1)..^1].Trim() == parameter)
                return "->" + body[..open].Trim();
            return null;
        }

        private string StripComments(int p, int end)
        {
            var sb = new StringBuilder(end - p);
            int i = p;
            int runStart = i;
            while (i < end)
            {
                byte c = _s[i];
                if (c == '/' && i + 1 < end && _s[i + 1] == '*')
                {
                    sb.Append(Text(_s[runStart..i])).Append(' ');
                    i = Math.Min(SkipBlockComment(i), end);
                    runStart = i;
                    continue;
                }
                if (c == '/' && i + 1 < end && _s[i + 1] == '/') break;
                if (c is (byte)'"' or (byte)'\'') { i = Math.Min(SkipLiteral(i), end); continue; }
                i++;
            }
            sb.Append(Text(_s[runStart..Math.Min(i, end)]));
            return sb.ToString();
        }

        private static bool IsIdentifier(string text)
        {
            if (text.Length == 0 || !(char.IsAsciiLetter(text[0]) || text[0] == '_')) return false;
            foreach (var ch in text)
                if (!(char.IsAsciiLetterOrDigit(ch) || ch == '_' || ch == '$')) return false;
            return true;
        }

        /// <summary>Every __has_include(...) between <paramref name="p"/> and <paramref name="end"/>, outside literals and comments.</summary>
        private void Probes(int p, int end, List<string>? parameters)
        {
            int i = p;
            while (i < end)
            {
                byte c = _s[i];
                if (c == '/' && i + 1 < end && _s[i + 1] == '*') { i = Math.Min(SkipBlockComment(i), end); continue; }
                if (c == '/' && i + 1 < end && _s[i + 1] == '/') return;
                if (c is (byte)'"' or (byte)'\'') { i = Math.Min(SkipLiteral(i), end); continue; }
                if (!IsIdentifierStart(c)) { i++; continue; }
                int e = IdentifierEnd(i);
                var word = _s[i..e];
                i = e;
                IncludeKind kind;
                if (word.SequenceEqual("__has_include"u8) || word.SequenceEqual("__has_include__"u8)) kind = IncludeKind.HasInclude;
                else if (word.SequenceEqual("__has_include_next"u8) || word.SequenceEqual("__has_include_next__"u8)) kind = IncludeKind.HasIncludeNext;
                else continue;
                int open = SkipBlanks(e, end);
                if (open >= end || _s[open] != '(') continue; // defined(__has_include), #ifdef __has_include
                int arg = SkipBlanks(open + 1, end);
                if (arg >= end)
                {
                    Doubt("a __has_include without its argument");
                    return;
                }
                if (HeaderName(arg, end, out var form, out var header, out var after) is { } problem)
                {
                    Doubt($"{problem} in __has_include");
                    return;
                }
                if (form == HeaderForm.Macro && parameters is not null && parameters.Contains(header))
                {
                    Doubt("__has_include of a macro parameter");
                    return;
                }
                Includes.Add(new IncludeDirective(kind, form, header));
                i = after;
            }
        }

        private void Pragma(int p, int end)
        {
            int e = IdentifierEnd(p);
            if (!_s[p..e].SequenceEqual("GCC"u8)) return;
            p = SkipBlanks(e, end);
            e = IdentifierEnd(p);
            if (!_s[p..e].SequenceEqual("dependency"u8)) return;
            p = SkipBlanks(e, end);
            if (p >= end) return;
            // The name may be followed by free text (a message): only the name counts.
            if (_s[p] is not ((byte)'<' or (byte)'"') || HeaderName(p, end, out var form, out var header, out _) is not null)
            {
                Doubt("a #pragma GCC dependency of an unknown form");
                return;
            }
            Includes.Add(new IncludeDirective(IncludeKind.Dependency, form, header));
        }
    }
}
