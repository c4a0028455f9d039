using ActorCompile.Toolchain.Arguments;
using ActorCompile.Toolchain.Processes;

namespace ActorCompile.Toolchain.Scanning;

/// <summary>A file the scan found, as the compiler opens it (the path as gcc spells it) and its status then.</summary>
public sealed record ScannedFile(string Path, FileStatus Status);

/// <summary>
/// Gives the directives of files the scan found, a whole level of the include graph at once (so that a
/// source that asks the node for what it remembers makes one round trip per level, not per file).
/// </summary>
public interface IDirectiveSource
{
    /// <summary>The directives of each file, in the same order.</summary>
    IReadOnlyList<FileDirectives> Directives(IReadOnlyList<ScannedFile> files);
}

/// <summary>What a scan found: every file the compile may read, every file it only looks for, or why the scan declined.</summary>
/// <param name="Files">The source first, then every file an include of any branch finds, in the order found.</param>
/// <param name="Probes">Files that are only looked for (__has_include, #pragma GCC dependency) and never read.</param>
/// <param name="Directories">The header search list (directories that exist).</param>
/// <param name="PreincludeStdcPredef">gcc reads stdc-predef.h before the source (the worker must put it back under -nostdinc).</param>
/// <param name="Declined">Why the scan cannot vouch for the list (the compiler's own scan must run), or null.</param>
/// <param name="Levels">How many levels of the include graph it took (round trips of the directive source).</param>
public sealed record IncludeScan(
    IReadOnlyList<ScannedFile> Files,
    IReadOnlyList<ScannedFile> Probes,
    IReadOnlyList<string> Directories,
    bool PreincludeStdcPredef,
    string? Declined,
    int Levels);

/// <summary>
/// Finds the files a compile reads from the directives alone, with gcc's own search rules (see
/// <see cref="IncludeChain"/>): <c>"name"</c> from the including file's directory and then the quote
/// chain, <c>&lt;name&gt;</c> from the bracket chain, <c>#include_next</c> after the directory the including
/// file was found in (from the quote chain's start for one found beside its includer; as <c>#include</c>
/// in the main file and for one named by an absolute path), <c>-include</c>/<c>-imacros</c> from the working
/// directory and then the quote chain, stdc-predef.h from the bracket chain unless -nostdinc or
/// -ffreestanding. Every branch of every conditional is taken: a header that exists only for an inactive
/// branch is found too, which costs a little more mirror and never changes what the compiler finds,
/// because each name still resolves to the first existing file exactly as it does here. A computed
/// include (<c>#include MACRO</c>) is followed through every definition of its macro in the files read
/// and on the command line; one with no definition anywhere cannot be the compiler's path (it would fail)
/// and is left; one that may expand through a definition it cannot follow declines, as does anything a
/// file's directives leave <see cref="FileDirectives.Unsure"/>.
/// </summary>
public sealed class IncludeScanner
{
    /// <summary>How deep a macro may name another before a computed include is given up on.</summary>
    private const int MacroDepth = 16;

    private readonly CompileCommand _command;
    private readonly IncludeChain _chain;
    private readonly IDirectiveSource _source;
    private readonly Func<string, FileStatus?> _status;

    /// <summary>Where a file was found, which decides where its #include_next searches.</summary>
    private const int NoSearchPath = -2, BesideIncluder = -1;

    private readonly List<ScannedFile> _files = new();
    private readonly Dictionary<string, ScannedFile> _fileByPath = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FileDirectives> _directives = new(StringComparer.Ordinal);
    private readonly HashSet<string> _listed = new(StringComparer.Ordinal);
    private readonly List<ScannedFile> _probes = new();
    private readonly HashSet<string> _probed = new(StringComparer.Ordinal);
    private readonly HashSet<(string Path, int Found)> _visited = new();
    private readonly Dictionary<string, FileStatus?> _stats = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Path, FileStatus Status, int Found)?> _resolved = new(StringComparer.Ordinal);
    private List<(string Path, int Found)> _frontier = new();
    private readonly List<(IncludeDirective Include, string Includer, int Found)> _computed = new();
    private readonly HashSet<(int Computed, string Value)> _followed = new();
    private string? _declined;

    private IncludeScanner(CompileCommand command, IncludeChain chain, IDirectiveSource source, Func<string, FileStatus?> status)
    {
        _command = command;
        _chain = chain;
        _source = source;
        _status = status;
    }

    /// <param name="command">A distributable compile (its source, options and language).</param>
    /// <param name="systemDirectories">The compiler's own header directories for this command (its <c>-E -v</c> list).</param>
    /// <param name="source">Gives the directives of the files found.</param>
    /// <param name="status">The status of a path as opening it sees it (Native.Status; tests count or stage calls).</param>
    /// <param name="workingDirectory">The compile's directory: relative paths (kept as gcc spells them) are looked at from there.</param>
    public static IncludeScan Scan(CompileCommand command, string workingDirectory, IReadOnlyList<string> systemDirectories, IDirectiveSource source,
        Func<string, FileStatus?>? status = null)
    {
        var statusAt = status ?? Native.Status;
        status = path => statusAt(path.StartsWith('/') ? path : Path.Combine(workingDirectory, path));
        if (command.Source is null) return Declined("the command has no source");
        var chain = IncludeChain.Build(command, systemDirectories, status, out var problem);
        if (chain is null) return Declined($"a header directory cannot be looked at: {problem}");
        var scanner = new IncludeScanner(command, chain, source, status);
        try
        {
            return scanner.Run();
        }
        catch (IOException e)
        {
            return Declined($"a header cannot be looked at: {e.Message}");
        }

        static IncludeScan Declined(string why) =>
            new(Array.Empty<ScannedFile>(), Array.Empty<ScannedFile>(), Array.Empty<string>(), false, why, 0);
    }

    private IncludeScan Run()
    {
        var source = _command.Source!;
        if (Stat(source) is not { } sourceStatus || !IsRegular(sourceStatus)) return Result($"the source {source} is not a regular file", 0, false);
        Read(source, sourceStatus, NoSearchPath);

        bool predef = false;
        if (PreincludesStdcPredef() && Search("stdc-predef.h", _chain.BracketStart, null) is { } p)
        {
            Read(p.Path, p.Status, p.Found);
            predef = true;
        }
        foreach (var arg in _command.Parsed)
        {
            if (arg.Role != OptionRole.IncludeFile || arg.Value is not { Length: > 0 } name) continue;
            // -include and -imacros: the working directory first, then the quote chain.
            var found = name.StartsWith('/') ? FileAt(name, NoSearchPath) : Search(name, 0, "./");
            if (found is not { } f) return Result($"{arg.Token} {name} is not found", 0, predef);
            Read(f.Path, f.Status, f.Found);
        }

        int levels = 0;
        while (_declined is null)
        {
            if (_frontier.Count == 0 && !FollowComputedIncludes()) break;
            if (_frontier.Count == 0) continue;
            levels++;
            var level = _frontier;
            _frontier = new();
            var unknown = level.Select(l => l.Path).Where(p => !_directives.ContainsKey(p)).Distinct(StringComparer.Ordinal)
                .Select(p => _fileByPath[p]).ToList();
            if (unknown.Count > 0)
            {
                var got = _source.Directives(unknown);
                if (got.Count != unknown.Count) throw new InvalidOperationException("the directive source answered for other files than asked");
                for (int k = 0; k < unknown.Count; k++) _directives[unknown[k].Path] = got[k];
            }
            foreach (var (path, found) in level)
            {
                var d = _directives[path];
                if (d.Unsure is { } why) return Result($"{path}: {why}", levels, predef);
                foreach (var include in d.Includes)
                {
                    if (include.Form == HeaderForm.Macro) _computed.Add((include, path, found));
                    else Look(include, include.Form, include.Name, path, found);
                    if (_declined is not null) break;
                }
            }
        }
        return Result(_declined, levels, predef);
    }

    private IncludeScan Result(string? declined, int levels, bool predef) =>
        new(_files, _probes.Where(p => !_listed.Contains(p.Path)).ToList(), _chain.Directories, predef, declined, levels);

    /// <summary>gcc pre-includes stdc-predef.h for a hosted compile with the standard directories (c-opts.c), unless the user -includes it.</summary>
    private bool PreincludesStdcPredef() =>
        !_command.Parsed.Any(p => p.Token is "-nostdinc" or "-ffreestanding" or "-fno-hosted"
            || (p.Role == OptionRole.IncludeFile && p.Value is { } f && f.EndsWith("stdc-predef.h", StringComparison.Ordinal)));

    /// <summary>One include or probe with a header name: resolved as the compiler resolves it from the including file.</summary>
    private void Look(IncludeDirective include, HeaderForm form, string name, string includer, int includerFound)
    {
        (string Path, FileStatus Status, int Found)? hit;
        if (name.StartsWith('/')) hit = FileAt(name, NoSearchPath);
        else if (include.Next && includerFound != NoSearchPath) hit = Search(name, includerFound + 1, null);
        else if (form == HeaderForm.Angled) hit = Search(name, _chain.BracketStart, null);
        else hit = Search(name, 0, DirectoryOf(includer));
        if (hit is not { } h) return; // not there: only an inactive branch (or a failing compile) can want it
        if (include.Reads) Read(h.Path, h.Status, h.Found);
        else if (_probed.Add(h.Path)) _probes.Add(new ScannedFile(h.Path, h.Status));
    }

    /// <summary>A file the compile reads: listed once, and its includes followed once per place it was found in.</summary>
    private void Read(string path, FileStatus status, int found)
    {
        if (_listed.Add(path))
        {
            var file = new ScannedFile(path, status);
            _files.Add(file);
            _fileByPath[path] = file;
        }
        if (_visited.Add((path, found))) _frontier.Add((path, found));
    }

    /// <summary>
    /// The first regular file named <paramref name="name"/> in <paramref name="first"/> (the including
    /// file's directory, or "./" for -include; none when null) and then the chain from <paramref name="from"/>.
    /// </summary>
    private (string Path, FileStatus Status, int Found)? Search(string name, int from, string? first)
    {
        var key = $"{from}\u001f{first}\u001f{name}";
        if (_resolved.TryGetValue(key, out var known)) return known;
        (string, FileStatus, int)? hit = null;
        if (first is not null && InDirectory(first, name, BesideIncluder) is { } beside) hit = beside;
        for (int i = Math.Max(from, 0); hit is null && i < _chain.Directories.Count; i++)
            if (InDirectory(_chain.Directories[i], name, i) is { } inChain) hit = inChain;
        _resolved[key] = hit;
        return hit;
    }

    /// <summary>
    /// <paramref name="name"/> in a directory that exists (a chain's, or an includer's). A name with
    /// directories of its own (bits/types.h) is looked at only where its first directory exists: most of a
    /// search's misses are that directory missing, and it is looked at once per directory searched.
    /// </summary>
    private (string Path, FileStatus Status, int Found)? InDirectory(string directory, string name, int found)
    {
        int slash = name.IndexOf('/');
        if (slash > 0 && !IsDirectory(Join(directory, name[..slash]))) return null;
        return FileAt(Join(directory, name), found);
    }

    private bool IsDirectory(string path)
    {
        if (!_directories.TryGetValue(path, out bool exists)) _directories[path] = exists = Stat(path) is { IsDirectory: true };
        return exists;
    }

    private readonly Dictionary<string, bool> _directories = new(StringComparer.Ordinal);

    private (string Path, FileStatus Status, int Found)? FileAt(string path, int found) =>
        Stat(path) is { } s && IsRegular(s) ? (path, s, found) : null;

    private FileStatus? Stat(string path)
    {
        if (_stats.TryGetValue(path, out var s)) return s;
        s = _status(path);
        _stats[path] = s;
        return s;
    }

    private static bool IsRegular(FileStatus s) => (s.Mode & Native.FileTypeMask) == 0x8000;

    /// <summary>libcpp's append_file_to_dir: a '/' between them unless the directory ends with one; an empty directory adds nothing.</summary>
    private static string Join(string directory, string name) =>
        directory.Length == 0 ? name : directory[^1] == '/' ? directory + name : directory + "/" + name;

    /// <summary>libcpp's dir_name_of_file: the path up to and including its last '/', or "" for a name without one.</summary>
    private static string DirectoryOf(string path)
    {
        int slash = path.LastIndexOf('/');
        return slash < 0 ? "" : path[..(slash + 1)];
    }

    /// <summary>
    /// Follows the computed includes seen so far through every definition of their macros (in every file read
    /// and on the command line); true when that found something new to look at.
    /// </summary>
    private bool FollowComputedIncludes()
    {
        bool any = false;
        for (int k = 0; k < _computed.Count && _declined is null; k++)
        {
            var (include, includer, found) = _computed[k];
            var values = new List<string>();
            if (!Expand(include.Name, values, 0)) return false;
            foreach (var value in values)
            {
                if (!_followed.Add((k, value))) continue;
                var form = value[0] == '<' ? HeaderForm.Angled : HeaderForm.Quoted;
                var name = value[1..^1];
                if (form == HeaderForm.Angled && name.Any(char.IsWhiteSpace))
                {
                    _declined = $"{includer}: a computed include <{name}> with blanks inside";
                    return false;
                }
                int before = _frontier.Count + _probes.Count;
                Look(include, form, name, includer, found);
                any |= _frontier.Count + _probes.Count != before;
            }
        }
        return any;
    }

    /// <summary>
    /// The header names a computed include may expand to (<paramref name="expression"/> is a macro's name, or
    /// <c>F(ARGUMENT)</c>); false (and the scan declined) when a definition cannot be followed.
    /// </summary>
    private bool Expand(string expression, List<string> values, int depth)
    {
        if (depth > MacroDepth)
        {
            _declined = $"the computed include {expression} names macros {MacroDepth} deep";
            return false;
        }
        int open = expression.IndexOf('(');
        if (open > 0) return Call(expression[..open], expression[(open + 1)..^1], values, depth);
        if (expression is "__FILE__" or "__BASE_FILE__") return true; // names a file that is read already
        foreach (var value in Definitions(expression))
        {
            if (value is null)
            {
                _declined = $"the computed include {expression} may expand through a definition that is not a header name";
                return false;
            }
            if (value[0] is '"' or '<')
            {
                if (!values.Contains(value)) values.Add(value);
            }
            else if (!Expand(value, values, depth + 1)) return false;
        }
        return true;
    }

    /// <summary><c>F(ARGUMENT)</c> through every definition of F: stringified as written, or handed on (its argument expanded first).</summary>
    private bool Call(string function, string argument, List<string> values, int depth)
    {
        if (Definitions(function).Any())
        {
            _declined = $"the computed include {function}({argument}) calls an object-like macro";
            return false;
        }
        foreach (var body in Definitions(function + "()"))
        {
            if (body is null)
            {
                _declined = $"the computed include {function}({argument}) calls a macro this scan does not follow";
                return false;
            }
            if (body == "#")
            {
                var value = "\"" + argument + "\"";
                if (!values.Contains(value)) values.Add(value);
                continue;
            }
            // "->G": G receives the argument after its own expansion (an undefined name stays itself).
            var next = body[2..];
            foreach (var expanded in ArgumentExpansions(argument, depth))
            {
                if (expanded is null) return false;
                if (!Expand($"{next}({expanded})", values, depth + 1)) return false;
            }
        }
        return true;
    }

    /// <summary>What an argument may be after expansion: itself when nothing defines it, else each definition followed; null on one that cannot be.</summary>
    private IEnumerable<string?> ArgumentExpansions(string argument, int depth)
    {
        if (!IsIdentifier(argument) || depth > MacroDepth) { yield return argument; yield break; }
        var definitions = Definitions(argument).ToList();
        if (definitions.Count == 0) { yield return argument; yield break; }
        foreach (var d in definitions)
        {
            if (d is null || d[0] is '"' or '<')
            {
                _declined = $"the computed include's argument {argument} expands to what this scan does not follow";
                yield return null;
                yield break;
            }
            foreach (var e in ArgumentExpansions(d, depth + 1)) yield return e;
        }
    }

    /// <summary>Every definition of a macro in the files read so far and on the command line (-D; -U never removes one: all are followed).</summary>
    private IEnumerable<string?> Definitions(string macro)
    {
        ulong key = DirectiveParser.NameHash(macro);
        foreach (var d in _directives.Values)
        {
            foreach (var def in d.Definitions)
                if (def.Name == macro) yield return def.Value;
            if (d.Unfollowable.Contains(key)) yield return null;
        }
        foreach (var p in _command.Parsed)
        {
            if (p.Rule?.Spelling != "-D" || p.Value is not { } v) continue;
            int eq = v.IndexOf('=');
            var name = eq < 0 ? v : v[..eq];
            if (name.Contains('(')) { if (name[..name.IndexOf('(')] == macro) yield return null; continue; }
            if (name != macro) continue;
            var value = eq < 0 ? "1" : v[(eq + 1)..].Trim();
            yield return value.Length > 1 && ((value[0] == '"' && value[^1] == '"') || (value[0] == '<' && value[^1] == '>')) || IsIdentifier(value) ? value : null;
        }
    }

    private static bool IsIdentifier(string text) =>
        text.Length > 0 && (char.IsAsciiLetter(text[0]) || text[0] == '_') && text.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}

/// <summary>Reads and parses each file itself: for tests, and for files the node does not remember.</summary>
public sealed class ReadingDirectiveSource(ScanDialect dialect, string workingDirectory) : IDirectiveSource
{
    public IReadOnlyList<FileDirectives> Directives(IReadOnlyList<ScannedFile> files)
    {
        var result = new FileDirectives[files.Count];
        for (int i = 0; i < files.Count; i++)
        {
            try
            {
                result[i] = DirectiveParser.Parse(File.ReadAllBytes(Path.Combine(workingDirectory, files[i].Path)), dialect);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                result[i] = new FileDirectives(Array.Empty<IncludeDirective>(), Array.Empty<MacroDefinition>(), $"cannot be read: {e.Message}");
            }
        }
        return result;
    }
}
