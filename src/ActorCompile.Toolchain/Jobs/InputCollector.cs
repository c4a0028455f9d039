using System.Security.Cryptography;
using System.Text;
using ActorCompile.Toolchain.Arguments;
using ActorCompile.Toolchain.Paths;

namespace ActorCompile.Toolchain.Jobs;

/// <summary>The outcome of collecting a compile's inputs: the inputs, or why the compile must stay local.</summary>
public sealed record CollectResult(JobInputs? Inputs, string? LocalReason);

/// <summary>
/// Turns the target's dependency scan into the worker's mirror: every file the compile reads (with its
/// content), the directories that must exist, and placeholders for files that __has_include would find.
/// Runs in the wrapper, as the user, in the user's directory.
/// </summary>
public static class InputCollector
{
    private static readonly byte[] HasInclude = "__has_include"u8.ToArray();

    /// <param name="command">The distributable compile.</param>
    /// <param name="cwd">The logical working directory (what the compiler records as its directory).</param>
    /// <param name="dependencies">The prerequisites from the dependency scan (source first), as the compiler printed them.</param>
    /// <param name="systemIncludeDirectories">The compiler's own header directories for this command.</param>
    public static CollectResult Collect(CompileCommand command, string cwd, IReadOnlyList<string> dependencies, IReadOnlyList<string> systemIncludeDirectories)
    {
        var mirror = new Mirror();
        var includeDirectories = SearchedDirectories(command, cwd, systemIncludeDirectories);
        mirror.AddDirectory(cwd);
        foreach (var d in includeDirectories) mirror.AddDirectory(d);
        if (command.Output is { } output) mirror.AddDirectory(Path.GetDirectoryName(MirrorPaths.Absolute(output, cwd)) ?? "/");
        if (command.Dependencies is { } deps) mirror.AddDirectory(Path.GetDirectoryName(MirrorPaths.Absolute(deps.File, cwd)) ?? "/");

        foreach (var dependency in dependencies)
            if (mirror.AddFile(dependency, cwd) is { } why) return new CollectResult(null, why);
        mirror.AddProbes(includeDirectories);
        if (mirror.Entries() is not { } list) return new CollectResult(null, mirror.Conflict);
        return new CollectResult(new JobInputs(list, mirror.Contents, PreincludesStdcPredef(command, dependencies)), null);
    }

    /// <summary>The directories a header is searched in: -I, -iquote, -isystem, -idirafter, then the compiler's own.</summary>
    private static List<string> SearchedDirectories(CompileCommand command, string cwd, IReadOnlyList<string> systemIncludeDirectories)
    {
        var directories = command.IncludeDirectories.Select(dir => MirrorPaths.Absolute(dir, cwd)).ToList();
        directories.AddRange(systemIncludeDirectories);
        return directories;
    }

    /// <summary>
    /// gcc reads stdc-predef.h before the source unless told not to; the worker's -nostdinc turns that off,
    /// so the job says whether to put it back (the scan lists it right after the source when it was read).
    /// </summary>
    private static bool PreincludesStdcPredef(CompileCommand command, IReadOnlyList<string> dependencies) =>
        dependencies.Count > 1
        && dependencies[1].EndsWith("/stdc-predef.h", StringComparison.Ordinal)
        && !command.Parsed.Any(p => p.Token is "-nostdinc" or "-ffreestanding" or "-fno-hosted"
            || (p.Role == OptionRole.IncludeFile && p.Value is { } f && f.EndsWith("stdc-predef.h", StringComparison.Ordinal)));

    /// <summary>The mirror being collected: its files with their contents, its directories, and the __has_include probes to answer.</summary>
    private sealed class Mirror
    {
        private readonly Dictionary<string, MirrorEntry> _entries = new(StringComparer.Ordinal);
        private readonly HashSet<string> _directories = new(StringComparer.Ordinal);
        private readonly List<(string Name, string FromDirectory)> _probes = new();

        public Dictionary<string, byte[]> Contents { get; } = new(StringComparer.Ordinal);
        public string? Conflict { get; private set; }

        /// <summary>A directory that exists on the target (and every directory a ".." in its path walks through).</summary>
        public void AddDirectory(string absolute)
        {
            var traversed = new List<string>();
            var norm = MirrorPaths.Normalize(absolute, traversed);
            foreach (var t in traversed) _directories.Add(t);
            if (Directory.Exists(absolute)) _directories.Add(norm);
        }

        /// <summary>A file the compile reads, with its content; the reason to stay local when it cannot be mirrored.</summary>
        public string? AddFile(string dependency, string cwd)
        {
            var absolute = MirrorPaths.Absolute(dependency, cwd);
            var traversed = new List<string>();
            var norm = MirrorPaths.Normalize(absolute, traversed);
            foreach (var t in traversed) _directories.Add(t);
            if (norm.EndsWith(".gch", StringComparison.Ordinal) || norm.EndsWith(".pch", StringComparison.Ordinal))
                return $"{dependency} is a precompiled header";
            // gcc lists the header, not the .gch it actually loads; precompiled headers stay on this machine.
            if (File.Exists(absolute + ".gch") || Directory.Exists(absolute + ".gch"))
                return $"{dependency}.gch is a precompiled header";
            byte[] content;
            FileInfo info;
            try
            {
                info = new FileInfo(absolute);
                content = File.ReadAllBytes(absolute);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return $"cannot read {dependency}: {e.Message}";
            }
            var hash = Convert.ToHexStringLower(SHA256.HashData(content));
            if (_entries.TryGetValue(norm, out var existing))
                return existing.Hash == hash ? null : $"{dependency} and another path name the same place ({norm}) with different contents";
            _entries[norm] = new MirrorEntry(MirrorEntryKind.File, norm, hash, content.Length, ToUnixMilliseconds(info.LastWriteTimeUtc));
            Contents[hash] = content;
            if (content.AsSpan().IndexOf(HasInclude) < 0) return null;
            var names = FindHasIncludeNames(content, out var computed);
            if (computed) return $"{dependency} uses __has_include with a computed argument";
            var from = Path.GetDirectoryName(norm) ?? "/";
            foreach (var n in names) _probes.Add((n, from));
            return null;
        }

        /// <summary>Placeholders for the files __has_include finds on the target, where the worker's compiler will look.</summary>
        public void AddProbes(IReadOnlyList<string> includeDirectories)
        {
            foreach (var (name, from) in _probes)
            {
                if (name.StartsWith('/'))
                {
                    AddPlaceholder(name);
                    continue;
                }
                AddPlaceholder(from + "/" + name);
                foreach (var d in includeDirectories) AddPlaceholder(d + "/" + name);
            }
        }

        private void AddPlaceholder(string absolute)
        {
            var traversed = new List<string>();
            var norm = MirrorPaths.Normalize(absolute, traversed);
            if (_entries.ContainsKey(norm) || !File.Exists(absolute)) return;
            foreach (var t in traversed) _directories.Add(t);
            _entries[norm] = new MirrorEntry(MirrorEntryKind.Placeholder, norm, null, 0, ToUnixMilliseconds(File.GetLastWriteTimeUtc(absolute)));
        }

        /// <summary>Directories first (in order, so parents come before children), then files and placeholders; null on a conflict.</summary>
        public List<MirrorEntry>? Entries()
        {
            var list = new List<MirrorEntry>(_directories.Count + _entries.Count);
            foreach (var d in _directories.Order(StringComparer.Ordinal))
            {
                if (_entries.ContainsKey(d))
                {
                    Conflict = $"{d} is both a file and a directory in the mirror";
                    return null;
                }
                list.Add(new MirrorEntry(MirrorEntryKind.Directory, d, null, 0, 0));
            }
            list.AddRange(_entries.Values);
            return list;
        }
    }

    public static long ToUnixMilliseconds(DateTime utc) => new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)).ToUnixTimeMilliseconds();

    /// <summary>
    /// The header names in <c>__has_include(&lt;name&gt;)</c> / <c>__has_include("name")</c> (and the _next
    /// forms). <paramref name="computed"/> is set when an argument is neither form (a macro), which the
    /// mirror cannot answer for.
    /// </summary>
    public static List<string> FindHasIncludeNames(ReadOnlySpan<byte> text, out bool computed)
    {
        computed = false;
        var names = new List<string>();
        int at = 0;
        while (true)
        {
            int found = text[at..].IndexOf(HasInclude);
            if (found < 0) break;
            int start = at + found;
            int i = start + HasInclude.Length;
            at = i;
            if (start > 0 && IsIdentifierByte(text[start - 1])) continue;
            if (text[i..].StartsWith("_next"u8)) i += 5;
            if (i < text.Length && IsIdentifierByte(text[i])) continue;
            i = SkipSpace(text, i);
            if (i >= text.Length || text[i] != (byte)'(') continue; // #ifdef __has_include, defined(__has_include)
            i = SkipSpace(text, i + 1);
            if (i >= text.Length) { computed = true; break; }
            byte close = text[i] switch { (byte)'<' => (byte)'>', (byte)'"' => (byte)'"', _ => 0 };
            if (close == 0) { computed = true; continue; }
            int end = text[(i + 1)..].IndexOf(close);
            if (end < 0) { computed = true; break; }
            var name = Encoding.UTF8.GetString(text.Slice(i + 1, end));
            if (name.Contains('\n')) { computed = true; continue; }
            names.Add(name);
            at = i + 1 + end;
        }
        return names;

        static int SkipSpace(ReadOnlySpan<byte> t, int k)
        {
            while (k < t.Length && (t[k] is (byte)' ' or (byte)'\t')) k++;
            return k;
        }

        static bool IsIdentifierByte(byte b) => b == '_' || (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z');
    }
}
