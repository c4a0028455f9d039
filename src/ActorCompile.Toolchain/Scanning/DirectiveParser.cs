using System.Buffers;
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
/// <para>
/// Code between directives is skipped with vectorised searches for the few bytes that matter there
/// (newline, '/', quotes): a build parses every header it reads once, on the target.
/// </para>
/// </summary>
public static class DirectiveParser
{
    private static readonly SearchValues<byte> CodeStops = SearchValues.Create("\n/\"'"u8);
    private static readonly SearchValues<byte> DirectiveStops = SearchValues.Create("\n/\"'"u8);
    private static readonly SearchValues<byte> LiteralStops = SearchValues.Create("\n\\\"'"u8);

    public static FileDirectives Parse(ReadOnlySpan<byte> text, ScanDialect dialect)
    {
        if (dialect.Trigraphs && HasTrigraph(text))
            return new FileDirectives(Array.Empty<IncludeDirective>(), Array.Empty<MacroDefinition>(), "it contains trigraphs, which this dialect replaces");
        if (text.IndexOf((byte)0) >= 0)
            return new FileDirectives(Array.Empty<IncludeDirective>(), Array.Empty<MacroDefinition>(), "it contains a NUL byte");
        byte[]? spliced = Splice(text);
        var parser = new Parser(spliced ?? text, dialect);
        parser.Run();
        return new FileDirectives(parser.Includes ?? (IReadOnlyList<IncludeDirective>)Array.Empty<IncludeDirective>(),
            parser.Definitions ?? (IReadOnlyList<MacroDefinition>)Array.Empty<MacroDefinition>(), parser.Unsure,
            parser.Opaque?.ToArray() ?? Array.Empty<ulong>());
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
        if (text.IndexOfAny((byte)'\\', (byte)'\r') < 0) return null;
        var result = new byte[text.Length];
        int n = 0, i = 0;
        while (i < text.Length)
        {
            int k = text[i..].IndexOfAny((byte)'\\', (byte)'\r');
            if (k < 0) k = text.Length - i;
            text.Slice(i, k).CopyTo(result.AsSpan(n));
            n += k;
            i += k;
            if (i >= text.Length) break;
            if (text[i] == '\r')
            {
                // \r\n and a lone \r are both one newline.
                i += i + 1 < text.Length && text[i + 1] == '\n' ? 2 : 1;
                result[n++] = (byte)'\n';
                continue;
            }
            int j = i + 1;
            while (j < text.Length && text[j] is (byte)' ' or (byte)'\t' or (byte)'\f' or (byte)'\v') j++;
            if (j < text.Length && text[j] == '\n') { i = j + 1; continue; }
            if (j < text.Length && text[j] == '\r') { i = j + 1 < text.Length && text[j + 1] == '\n' ? j + 2 : j + 1; continue; }
            result[n++] = (byte)'\\';
            i++;
        }
        return result.AsSpan(0, n).ToArray();
    }

    /// <summary>FNV-1a over a name: how a definition that cannot be followed is remembered (a collision only makes a scan decline).</summary>
    public static ulong NameHash(ReadOnlySpan<byte> name, ulong h = 14695981039346656037UL)
    {
        foreach (var b in name) h = (h ^ b) * 1099511628211UL;
        return h;
    }

    public static ulong NameHash(string name) => NameHash(Encoding.UTF8.GetBytes(name));

    private ref struct Parser
    {
        private readonly ReadOnlySpan<byte> _s;
        private readonly ScanDialect _dialect;
        public List<IncludeDirective>? Includes;
        public List<MacroDefinition>? Definitions;
        public List<ulong>? Opaque;
        public string? Unsure;

        public Parser(ReadOnlySpan<byte> s, ScanDialect dialect)
        {
            _s = s;
            _dialect = dialect;
        }

        private void Doubt(string why) => Unsure ??= why;

        private void Add(IncludeDirective include) => (Includes ??= new()).Add(include);

        public void Run()
        {
            var s = _s;
            int i = 0;
            while (i < s.Length)
            {
                // At the start of a line: blanks and comments, then a directive or code.
                i = SkipBlanks(i, s.Length);
                if (i >= s.Length) return;
                byte c = s[i];
                if (c == '#' || (c == '%' && i + 1 < s.Length && s[i + 1] == ':'))
                {
                    i = Directive(c == '#' ? i + 1 : i + 2) + 1;
                    continue;
                }
                i = SkipCode(i) + 1;
            }
        }

        /// <summary>Code up to its line's end (comments and literals may carry it over lines): returns the newline's index.</summary>
        private int SkipCode(int i)
        {
            var s = _s;
            while (true)
            {
                int k = s[i..].IndexOfAny(CodeStops);
                if (k < 0) return s.Length;
                i += k;
                switch (s[i])
                {
                    case (byte)'\n':
                        return i;
                    case (byte)'/':
                        if (i + 1 < s.Length && s[i + 1] == '*') i = SkipBlockComment(i);
                        else if (i + 1 < s.Length && s[i + 1] == '/') return EndOfLine(i);
                        else i++;
                        break;
                    case (byte)'"':
                        i = _dialect.RawStrings && RawPrefixBefore(i) ? SkipRawString(i) : SkipLiteral(i);
                        break;
                    default: // '\''
                        i = _dialect.DigitSeparators && InNumber(i) ? i + 1 : SkipLiteral(i);
                        break;
                }
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
                int k = _s[i..].IndexOfAny(LiteralStops);
                if (k < 0) return _s.Length;
                i += k;
                byte c = _s[i];
                if (c == quote) return i + 1;
                if (c == '\n') return i;
                if (c == '\\') i += i + 1 < _s.Length && _s[i + 1] != '\n' ? 2 : 1;
                else i++;
            }
            return i;
        }

        /// <summary>Whether the identifier right before a quote is a raw string's prefix (R, LR, uR, UR, u8R).</summary>
        private readonly bool RawPrefixBefore(int quote)
        {
            if (quote == 0 || _s[quote - 1] != 'R') return false;
            int start = quote - 1;
            while (start > 0 && IsIdentifierByte(_s[start - 1])) start--;
            var prefix = _s[start..quote];
            return prefix.SequenceEqual("R"u8) || prefix.SequenceEqual("LR"u8) || prefix.SequenceEqual("uR"u8)
                || prefix.SequenceEqual("UR"u8) || prefix.SequenceEqual("u8R"u8);
        }

        /// <summary>Whether a quote is a digit separator: inside a preprocessing number and followed by a digit or letter.</summary>
        private readonly bool InNumber(int quote)
        {
            if (quote + 1 >= _s.Length || !IsIdentifierByte(_s[quote + 1])) return false;
            int start = quote;
            while (start > 0 && (IsIdentifierByte(_s[start - 1]) || _s[start - 1] is (byte)'.' or (byte)'\'')) start--;
            return start < quote && (IsDigit(_s[start]) || (_s[start] == '.' && start + 1 < quote && IsDigit(_s[start + 1])));
        }

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

        private readonly int IdentifierEnd(int i)
        {
            while (i < _s.Length && IsIdentifierByte(_s[i])) i++;
            return i;
        }

        private static bool IsIdentifierStart(byte c) => c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
        private static bool IsIdentifierByte(byte c) => IsIdentifierStart(c) || IsDigit(c);
        private static bool IsDigit(byte c) => c >= '0' && c <= '9';

        /// <summary>Blanks and block comments (a comment may span lines, and stays where it started).</summary>
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
            while (true)
            {
                int k = _s[i..].IndexOfAny(DirectiveStops);
                if (k < 0) return _s.Length;
                i += k;
                byte c = _s[i];
                if (c == '\n') return i;
                if (c == '/')
                {
                    if (i + 1 < _s.Length && _s[i + 1] == '*') { i = SkipBlockComment(i); continue; }
                    if (i + 1 < _s.Length && _s[i + 1] == '/') return EndOfLine(i);
                    i++;
                    continue;
                }
                i = SkipLiteral(i);
            }
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
            switch (name.Length)
            {
                case 6 when name.SequenceEqual("define"u8): Define(p, end); break;
                case 2 when name.SequenceEqual("if"u8): Probes(p, end, null); break;
                case 4 when name.SequenceEqual("elif"u8): Probes(p, end, null); break;
                case 7 when name.SequenceEqual("include"u8): Include(IncludeKind.Include, p, end); break;
                case 12 when name.SequenceEqual("include_next"u8): Include(IncludeKind.IncludeNext, p, end); break;
                case 6 when name.SequenceEqual("import"u8): Include(IncludeKind.Import, p, end); break;
                case 6 when name.SequenceEqual("pragma"u8): Pragma(p, end); break;
            }
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
            Add(new IncludeDirective(kind, form, header));
        }

        /// <summary>
        /// A header name at <paramref name="p"/>: &lt;...&gt;, "...", a single macro name, or <c>MACRO(ARGUMENT)</c>;
        /// null when found, else why not. <paramref name="after"/> is where the name ends.
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
            var name = _s[p..nameEnd];
            bool hasIncludeItself = name.SequenceEqual("__has_include"u8) || name.SequenceEqual("__has_include_next"u8) || name.SequenceEqual("__has_include__"u8);
            bool mentionsProbe = _s[nameEnd..end].IndexOf("__has_include"u8) >= 0;
            if (nameEnd < end && _s[nameEnd] == '(')
            {
                // Function-like: a computed include may call it (the stringify idiom); a __has_include of a
                // parameter in its body is a probe whose name only its callers know.
                int close = _s[nameEnd..end].IndexOf((byte)')');
                if (close < 0) return;
                var parameters = _s.Slice(nameEnd + 1, close - 1);
                int bodyStart = nameEnd + close + 1;
                if (hasIncludeItself) return;
                if (mentionsProbe) Probes(bodyStart, end, ParameterNames(parameters));
                string? forwarding = parameters.IndexOf((byte)',') < 0 ? Forwarding(Trimmed(parameters), bodyStart, end) : null;
                if (forwarding is null) Unfollowable(name, functionLike: true);
                else (Definitions ??= new()).Add(new MacroDefinition(Text(name) + "()", forwarding));
                return;
            }
            if (hasIncludeItself) return; // gcc refuses this where it is active: only an inactive branch holds it
            if (mentionsProbe) Probes(nameEnd, end, null);
            if (HeaderValue(nameEnd, end) is { } value) (Definitions ??= new()).Add(new MacroDefinition(Text(name), value));
            else Unfollowable(name, functionLike: false);
        }

        /// <summary>A definition a computed include cannot be followed through: only its name's hash is kept (a function-like one's as "NAME()").</summary>
        private void Unfollowable(ReadOnlySpan<byte> name, bool functionLike) =>
            (Opaque ??= new()).Add(functionLike ? NameHash("()"u8, NameHash(name)) : NameHash(name));

        private List<string> ParameterNames(ReadOnlySpan<byte> parameters)
        {
            var names = new List<string>();
            foreach (var raw in Encoding.UTF8.GetString(parameters).Split(',')) names.Add(raw.Trim());
            return names;
        }

        private static ReadOnlySpan<byte> Trimmed(ReadOnlySpan<byte> span)
        {
            int a = 0, b = span.Length;
            while (a < b && span[a] is (byte)' ' or (byte)'\t') a++;
            while (b > a && span[b - 1] is (byte)' ' or (byte)'\t') b--;
            return span[a..b];
        }

        /// <summary>
        /// What a one-parameter function-like macro does with its argument when a computed include can follow
        /// it: "#" (stringifies it: <c>#define STR(x) #x</c>) or "->G" (hands it to macro G:
        /// <c>#define XSTR(x) STR(x)</c>); null for any other body.
        /// </summary>
        private string? Forwarding(ReadOnlySpan<byte> parameter, int p, int end)
        {
            if (parameter.Length == 0) return null;
            int b = SkipBlanks(p, end);
            if (b >= end) return null;
            if (_s[b] == '#')
            {
                int q = SkipBlanks(b + 1, end);
                int e = IdentifierEnd(q);
                return _s[q..e].SequenceEqual(parameter) && SkipBlanks(e, end) >= end ? "#" : null;
            }
            int g = IdentifierEnd(b);
            if (g == b) return null;
            int open = SkipBlanks(g, end);
            if (open >= end || _s[open] != '(') return null;
            int a = SkipBlanks(open + 1, end);
            int ae = IdentifierEnd(a);
            int close = SkipBlanks(ae, end);
            if (!_s[a..ae].SequenceEqual(parameter) || close >= end || _s[close] != ')' || SkipBlanks(close + 1, end) < end) return null;
            return "->" + Text(_s[b..g]);
        }

        /// <summary>An object-like macro's replacement when it can name a header (a header name or one identifier), else null.</summary>
        private string? HeaderValue(int p, int end)
        {
            p = SkipBlanks(p, end);
            if (p >= end) return null;
            byte c = _s[p];
            int e;
            if (c == '"')
            {
                int k = _s[(p + 1)..end].IndexOfAny((byte)'"', (byte)'\\');
                if (k < 0 || _s[p + 1 + k] != '"') return null;
                e = p + 1 + k + 1;
            }
            else if (c == '<')
            {
                int k = _s[(p + 1)..end].IndexOf((byte)'>');
                if (k < 0) return null;
                e = p + 1 + k + 1;
            }
            else if (IsIdentifierStart(c) && c < 0x80) e = IdentifierEnd(p);
            else return null;
            int rest = SkipBlanks(e, end);
            if (rest < end && !(_s[rest] == '/' && rest + 1 < end && _s[rest + 1] == '/')) return null;
            return Text(_s[p..e]);
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

        /// <summary>Every __has_include(...) between <paramref name="p"/> and <paramref name="end"/>, outside literals and comments.</summary>
        private void Probes(int p, int end, List<string>? parameters)
        {
            if (_s[p..end].IndexOf("__has_include"u8) < 0) return;
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
                Add(new IncludeDirective(kind, form, header));
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
            Add(new IncludeDirective(IncludeKind.Dependency, form, header));
        }
    }
}
