using ActorCompile.Toolchain.Arguments;
using ActorCompile.Toolchain.Jobs;
using ActorCompile.Toolchain.Paths;
using ActorCompile.Toolchain.Processes;

namespace ActorCompile.Toolchain.DirectMode;

/// <summary>The outcome of recording a scan: the record, or why none may be kept.</summary>
/// <param name="TooNew">No record because an input was just modified: the everyday case right after an edit, not worth a word.</param>
public sealed record RecordResult(DirectRecord? Record, string? WhyNot, bool TooNew = false);

/// <summary>
/// Turns a finished dependency scan into a direct-mode record (see <see cref="DirectRecord"/> for the rule
/// for doubt). Runs after the inputs were hashed, so every status it takes is at least as new as the
/// content that was hashed; a file written in between is "too new" and keeps the record from being kept.
/// </summary>
public static class DirectRecorder
{
    /// <summary>A file changed this close to the record (mtime or ctime) may change again within the same timestamp tick.</summary>
    public static readonly TimeSpan DoubtWindow = TimeSpan.FromSeconds(2);

    /// <summary>More names to watch than this (a unit with thousands of headers on dozens of paths) is not worth a record.</summary>
    public const int MaxWatchedNames = 200_000;

    /// <param name="key">The record's name (<see cref="DirectStore.Key"/>).</param>
    /// <param name="command">The distributable compile.</param>
    /// <param name="cwd">The logical working directory.</param>
    /// <param name="dependencies">The scan's prerequisites as the compiler printed them (relative to <paramref name="cwd"/>).</param>
    /// <param name="inputs">What the scan collected, exactly as the manifest sends it.</param>
    /// <param name="systemIncludeDirectories">The compiler's own header directories the collection used.</param>
    /// <param name="compiler">The compiler as called (its real file is watched too).</param>
    /// <param name="now">The time of the record (the clock, except in tests of the doubt window).</param>
    public static RecordResult Record(string key, CompileCommand command, string cwd, IReadOnlyList<string> dependencies,
        JobInputs inputs, IReadOnlyList<string> systemIncludeDirectories, string compiler, DateTime now)
    {
        try
        {
            return RecordOrThrow(key, command, cwd, dependencies, inputs, systemIncludeDirectories, compiler, now);
        }
        catch (IOException e)
        {
            return new RecordResult(null, e.Message);
        }
    }

    private static RecordResult RecordOrThrow(string key, CompileCommand command, string cwd, IReadOnlyList<string> dependencies,
        JobInputs inputs, IReadOnlyList<string> systemIncludeDirectories, string compiler, DateTime now)
    {
        long recorded = ToNanoseconds(now), newest = recorded - DoubtWindow.Ticks * 100;
        var opened = OpenedPaths(cwd, dependencies);
        var files = new List<WatchedFile>();
        foreach (var entry in inputs.Entries)
        {
            if (entry.Kind == MirrorEntryKind.Directory) continue;
            if (entry.Kind == MirrorEntryKind.File && TimeMacros.Mentioned(inputs.Contents[entry.Hash!]))
                return new RecordResult(null, $"{entry.Path} mentions __DATE__, __TIME__ or __TIMESTAMP__");
            var path = opened.GetValueOrDefault(entry.Path, entry.Path);
            var status = Native.Status(path);
            if (status is not { IsRegularFile: true } s) return new RecordResult(null, $"{path} is not a regular file now");
            if (entry.Kind == MirrorEntryKind.File && s.Size != inputs.Contents[entry.Hash!].Length) return new RecordResult(null, $"{path} changed while it was hashed");
            if (s.ModifiedNanoseconds >= newest || s.ChangedNanoseconds >= newest)
                return new RecordResult(null, $"{path} was modified within {DoubtWindow.TotalSeconds:0} s", TooNew: true);
            files.Add(new WatchedFile(path, s, entry.Hash));
        }
        var real = Native.RealPath(compiler) ?? throw new IOException($"the compiler {compiler} is gone");
        files.Add(new WatchedFile(real, Native.Status(real) ?? throw new IOException($"the compiler {real} is gone"), null, ChangeTimeMoves: true));

        var directories = WatchedDirectories(command, cwd, inputs, systemIncludeDirectories, newest);
        if (directories is null) return new RecordResult(null, $"more than {MaxWatchedNames} header names to watch");
        return new RecordResult(new DirectRecord(key, recorded, systemIncludeDirectories.ToList(), inputs.PreincludeStdcPredef,
            inputs.Entries.ToList(), files, directories), null);
    }

    /// <summary>Each input's manifest path (normalised) to the path the compiler opened, where they differ ("a/../b.h").</summary>
    private static Dictionary<string, string> OpenedPaths(string cwd, IReadOnlyList<string> dependencies)
    {
        var opened = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var d in dependencies)
        {
            var absolute = MirrorPaths.Absolute(d, cwd);
            var norm = MirrorPaths.Normalize(absolute);
            if (norm != absolute) opened.TryAdd(norm, absolute);
        }
        return opened;
    }

    /// <summary>
    /// The roots (every place a header is searched: the command's include directories, the system ones,
    /// the working directory, the directory of every input), and below every root each directory where an
    /// input's relative path, or a __has_include name, could be found first.
    /// </summary>
    private static List<WatchedDirectory>? WatchedDirectories(CompileCommand command, string cwd, JobInputs inputs,
        IReadOnlyList<string> systemIncludeDirectories, long newest)
    {
        var inputPaths = inputs.Entries.Where(e => e.Kind != MirrorEntryKind.Directory).Select(e => e.Path).ToList();
        var roots = new List<string> { MirrorPaths.Normalize(cwd) };
        roots.AddRange(command.IncludeDirectories.Select(d => MirrorPaths.Normalize(MirrorPaths.Absolute(d, cwd))));
        roots.AddRange(systemIncludeDirectories.Select(d => MirrorPaths.Normalize(MirrorPaths.Absolute(d, cwd))));
        roots.AddRange(inputPaths.Select(Parent));
        roots = roots.Distinct(StringComparer.Ordinal).ToList();

        var relative = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in inputPaths)
            foreach (var root in roots)
                if (Below(p, root) is { } r) relative.Add(r);
        var candidates = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in relative)
            foreach (var root in roots)
                candidates.Add(MirrorPaths.Normalize(root + "/" + r));
        AddHasIncludeCandidates(inputs, roots, candidates);
        if (candidates.Count > MaxWatchedNames) return null;

        var names = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var d in roots.Concat(inputs.Entries.Where(e => e.Kind == MirrorEntryKind.Directory).Select(e => e.Path)))
            names.TryAdd(d, new List<string>());
        var statuses = new Dictionary<string, FileStatus?>(StringComparer.Ordinal);
        foreach (var c in candidates)
        {
            var dir = Parent(c);
            if (!names.TryGetValue(dir, out var list)) names[dir] = list = new List<string>();
            if (Status(statuses, dir) is not { IsDirectory: true }) continue; // nothing can be below an absent directory: it is watched itself
            if (Native.Status(c) is not { IsRegularFile: true }) list.Add(c[(dir == "/" ? 1 : dir.Length + 1)..]);
        }
        return names.Select(n =>
        {
            var status = Status(statuses, n.Key);
            bool settled = status is null || (status.Value.ModifiedNanoseconds < newest && status.Value.ChangedNanoseconds < newest);
            return new WatchedDirectory(n.Key, status, settled, n.Value);
        }).ToList();
    }

    /// <summary>Each name of a __has_include in an input, where the preprocessor would look for it.</summary>
    private static void AddHasIncludeCandidates(JobInputs inputs, List<string> roots, HashSet<string> candidates)
    {
        foreach (var entry in inputs.Entries)
        {
            if (entry.Kind != MirrorEntryKind.File) continue;
            var content = inputs.Contents[entry.Hash!];
            if (content.AsSpan().IndexOf("__has_include"u8) < 0) continue;
            foreach (var name in InputCollector.FindHasIncludeNames(content, out _))
            {
                if (name.StartsWith('/')) { candidates.Add(MirrorPaths.Normalize(name)); continue; }
                candidates.Add(MirrorPaths.Normalize(Parent(entry.Path) + "/" + name));
                foreach (var root in roots) candidates.Add(MirrorPaths.Normalize(root + "/" + name));
            }
        }
    }

    private static FileStatus? Status(Dictionary<string, FileStatus?> known, string path)
    {
        if (!known.TryGetValue(path, out var status)) known[path] = status = Native.Status(path);
        return status;
    }

    /// <summary>The path of <paramref name="path"/> relative to <paramref name="root"/>, or null when it is not below it.</summary>
    private static string? Below(string path, string root)
    {
        if (root == "/") return path.Length > 1 ? path[1..] : null;
        return path.Length > root.Length + 1 && path.StartsWith(root, StringComparison.Ordinal) && path[root.Length] == '/' ? path[(root.Length + 1)..] : null;
    }

    private static string Parent(string path)
    {
        int slash = path.LastIndexOf('/');
        return slash <= 0 ? "/" : path[..slash];
    }

    public static long ToNanoseconds(DateTime utc) => (utc.ToUniversalTime() - DateTime.UnixEpoch).Ticks * 100;
}
