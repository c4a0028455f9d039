using ActorCompile.Toolchain.Arguments;
using ActorCompile.Toolchain.Paths;
using ActorCompile.Toolchain.Processes;
using ActorCompile.Toolchain.Scanning;

namespace ActorCompile.Toolchain.Jobs;

/// <summary>The outcome of collecting a compile's inputs: the inputs, or why the compile must stay local.</summary>
public sealed record CollectResult(JobInputs? Inputs, string? LocalReason);

/// <summary>
/// Turns the files a scan found (the include scanner's, or the compiler's -M list with their statuses) into
/// the worker's mirror: every file the compile reads, the directories that must exist, and placeholders for
/// files that are only looked for. Contents are not read here: each file entry names the path it is read
/// from (<see cref="JobInputs.Origins"/>), and the node knows its hash. Runs in the wrapper, as the user.
/// </summary>
public static class InputCollector
{
    /// <param name="command">The distributable compile.</param>
    /// <param name="cwd">The logical working directory (what the compiler records as its directory).</param>
    /// <param name="files">Every file the compile may read, the source first, each as the compiler opens it.</param>
    /// <param name="probes">Files that are only looked for (__has_include, #pragma GCC dependency).</param>
    /// <param name="systemIncludeDirectories">The compiler's own header directories for this command.</param>
    /// <param name="preincludeStdcPredef">gcc reads stdc-predef.h first (the worker must say so under -nostdinc).</param>
    public static CollectResult Collect(CompileCommand command, string cwd, IReadOnlyList<ScannedFile> files, IReadOnlyList<ScannedFile> probes,
        IReadOnlyList<string> systemIncludeDirectories, bool preincludeStdcPredef)
    {
        var mirror = new Mirror();
        mirror.AddDirectory(cwd);
        foreach (var d in SearchedDirectories(command, cwd, systemIncludeDirectories)) mirror.AddDirectory(d);
        if (command.Output is { } output) mirror.AddDirectory(Path.GetDirectoryName(MirrorPaths.Absolute(output, cwd)) ?? "/");
        if (command.Dependencies is { } deps) mirror.AddDirectory(Path.GetDirectoryName(MirrorPaths.Absolute(deps.File, cwd)) ?? "/");
        foreach (var file in files)
            if (mirror.AddFile(file, cwd) is { } why) return new CollectResult(null, why);
        foreach (var probe in probes) mirror.AddPlaceholder(probe, cwd);
        if (mirror.Entries() is not { } list) return new CollectResult(null, mirror.Conflict);
        return new CollectResult(new JobInputs(list, mirror.Origins, preincludeStdcPredef), null);
    }

    /// <summary>The directories a header is searched in: -I, -iquote, -isystem, -idirafter, then the compiler's own.</summary>
    public static List<string> SearchedDirectories(CompileCommand command, string cwd, IReadOnlyList<string> systemIncludeDirectories)
    {
        var directories = command.IncludeDirectories.Select(dir => MirrorPaths.Absolute(dir, cwd)).ToList();
        directories.AddRange(systemIncludeDirectories);
        return directories;
    }

    /// <summary>
    /// gcc reads stdc-predef.h before the source unless told not to; the worker's -nostdinc turns that off,
    /// so the job says whether to put it back (the compiler's -M list names it right after the source when it was read).
    /// </summary>
    public static bool PreincludesStdcPredef(CompileCommand command, IReadOnlyList<string> dependencies) =>
        dependencies.Count > 1
        && dependencies[1].EndsWith("/stdc-predef.h", StringComparison.Ordinal)
        && !command.Parsed.Any(p => p.Token is "-nostdinc" or "-ffreestanding" or "-fno-hosted"
            || (p.Role == OptionRole.IncludeFile && p.Value is { } f && f.EndsWith("stdc-predef.h", StringComparison.Ordinal)));

    /// <summary>
    /// Where the compiler's -M list (which names no probe) needs placeholders: each __has_include name found in
    /// the files' directives, beside the file that asks and in every searched directory where it exists; false
    /// when a probe's name is computed (a macro), which the mirror cannot answer for.
    /// </summary>
    public static bool ProbesOf(IReadOnlyList<(ScannedFile File, FileDirectives Directives)> files, string cwd, IReadOnlyList<string> searchedDirectories,
        List<ScannedFile> probes)
    {
        foreach (var (file, directives) in files)
        {
            foreach (var probe in directives.Includes)
            {
                if (probe.Reads) continue;
                if (probe.Form == HeaderForm.Macro) return false;
                var candidates = probe.Name.StartsWith('/')
                    ? new[] { probe.Name }
                    : new[] { Path.Combine(Path.GetDirectoryName(MirrorPaths.Absolute(file.Path, cwd)) ?? "/", probe.Name) }
                        .Concat(searchedDirectories.Select(d => Path.Combine(d, probe.Name)));
                foreach (var candidate in candidates)
                    if (Native.Status(candidate) is { IsRegularFile: true } status) probes.Add(new ScannedFile(candidate, status));
            }
        }
        return true;
    }

    /// <summary>The mirror being collected: its files with where they are read from, its directories, and its placeholders.</summary>
    private sealed class Mirror
    {
        private readonly Dictionary<string, MirrorEntry> _entries = new(StringComparer.Ordinal);
        private readonly Dictionary<string, FileStatus> _identity = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _origin = new(StringComparer.Ordinal);
        private readonly HashSet<string> _directories = new(StringComparer.Ordinal);
        private readonly Dictionary<string, bool> _holdsPrecompiled = new(StringComparer.Ordinal);

        public string? Conflict { get; private set; }
        public List<string> Origins { get; } = new();

        /// <summary>A directory that exists on the target (and every directory a ".." in its path walks through).</summary>
        public void AddDirectory(string absolute)
        {
            var traversed = new List<string>();
            var norm = MirrorPaths.Normalize(absolute, traversed);
            foreach (var t in traversed) _directories.Add(t);
            if (Directory.Exists(absolute)) _directories.Add(norm);
        }

        /// <summary>A file the compile reads; the reason to stay local when it cannot be mirrored.</summary>
        public string? AddFile(ScannedFile file, string cwd)
        {
            var absolute = MirrorPaths.Absolute(file.Path, cwd);
            var traversed = new List<string>();
            var norm = MirrorPaths.Normalize(absolute, traversed);
            foreach (var t in traversed) _directories.Add(t);
            if (norm.EndsWith(".gch", StringComparison.Ordinal) || norm.EndsWith(".pch", StringComparison.Ordinal))
                return $"{file.Path} is a precompiled header";
            // gcc loads name.gch instead of name when it is there (and valid): precompiled headers stay on this machine.
            // Looked at in directories that hold any .gch at all (one readdir per directory instead of a stat per file).
            var directory = Path.GetDirectoryName(absolute) ?? "/";
            if (!_holdsPrecompiled.TryGetValue(directory, out var holds))
                _holdsPrecompiled[directory] = holds = Native.HasEntryEnding(directory, ".gch"u8) ?? true;
            if (holds && Native.Status(absolute + ".gch") is not null) return $"{file.Path}.gch is a precompiled header";
            if (_identity.TryGetValue(norm, out var existing))
            {
                // Two spellings of one place (a/../b.h and b.h): one file, or two that a symlink tells apart.
                return Same(existing, file.Status) ? null : $"{file.Path} and {_origin[norm]} name the same place ({norm}) but are different files";
            }
            _identity[norm] = file.Status;
            _origin[norm] = file.Path;
            _entries[norm] = new MirrorEntry(MirrorEntryKind.File, norm, null, file.Status.Size, file.Status.ModifiedNanoseconds / 1_000_000);
            return null;
        }

        private static bool Same(FileStatus a, FileStatus b) => a.Inode == b.Inode && a.DeviceMajor == b.DeviceMajor && a.DeviceMinor == b.DeviceMinor;

        /// <summary>A file that exists on the target but is only looked for: an empty stand-in with its time.</summary>
        public void AddPlaceholder(ScannedFile probe, string cwd)
        {
            var traversed = new List<string>();
            var norm = MirrorPaths.Normalize(MirrorPaths.Absolute(probe.Path, cwd), traversed);
            if (_entries.ContainsKey(norm)) return;
            foreach (var t in traversed) _directories.Add(t);
            _entries[norm] = new MirrorEntry(MirrorEntryKind.Placeholder, norm, null, 0, probe.Status.ModifiedNanoseconds / 1_000_000);
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
            foreach (var e in _entries.Values)
            {
                list.Add(e);
                if (e.Kind == MirrorEntryKind.File) Origins.Add(_origin[e.Path]);
            }
            return list;
        }
    }

    public static long ToUnixMilliseconds(DateTime utc) => new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)).ToUnixTimeMilliseconds();
}
