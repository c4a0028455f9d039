using System.Security.Cryptography;
using ActorCompile.Toolchain.Processes;

namespace ActorCompile.Toolchain.Identity;

public enum ToolchainFileKind : byte
{
    File = 1,
    Directory = 2,
    Symlink = 3,
}

/// <summary>
/// One path of a toolchain's sealed root, as on the machine it was found on: a file (by content hash,
/// size and whether it is executable), a directory, or a symlink (with its target as written, so that
/// symlinks stay symlinks and paths resolve inside the root as they do outside).
/// </summary>
public sealed record ToolchainFile(ToolchainFileKind Kind, string Path, string? Hash, long Size, bool Executable, string? LinkTarget);

/// <summary>
/// Everything a compile with this toolchain executes or reads besides its inputs: the driver, the
/// compiler proper, the assembler, the files gcc opens from its own directories, the shared libraries all
/// of them load and the dynamic loader, the C.UTF-8 locale (so that diagnostics are quoted as locally)
/// and the loader's cache. <see cref="Driver"/> is the path a job runs inside the root. Headers are not
/// here: they travel as a job's inputs.
/// </summary>
public sealed record ToolchainManifest(string Fingerprint, string Driver, IReadOnlyList<ToolchainFile> Files)
{
    /// <summary>The bytes of its files as declared (a helper checks each against the content it holds).</summary>
    public long TotalBytes => Files.Where(f => f.Kind == ToolchainFileKind.File).Sum(f => f.Size);

    /// <summary>
    /// What the toolchain is, byte for byte: a SHA-256 over the fingerprint, the driver and every path with
    /// all its fields. Two roots with the same id are the same files; a helper keys the roots it was sent
    /// by this, never by the fingerprint a job claims. Every field is length-prefixed (a null one marked
    /// apart from an empty one), so that no two different manifests encode to the same bytes whatever
    /// their strings hold. Only defined once every file is hashed.
    /// </summary>
    public string ContentId => ContentIdOf(Fingerprint, Driver, Files);

    public static string ContentIdOf(string fingerprint, string driver, IEnumerable<ToolchainFile> files)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var number = new byte[8];
        void Number(long n)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(number, n);
            hash.AppendData(number);
        }
        void Text(string? s)
        {
            if (s is null) { Number(-1); return; }
            var bytes = System.Text.Encoding.UTF8.GetBytes(s);
            Number(bytes.Length);
            hash.AppendData(bytes);
        }
        Text("actorcompile-toolchain-2");
        Text(fingerprint);
        Text(driver);
        var ordered = files.OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
        Number(ordered.Count);
        foreach (var f in ordered)
        {
            if (f.Kind == ToolchainFileKind.File && f.Hash is null) throw new InvalidOperationException($"{f.Path} is not hashed");
            Number((byte)f.Kind);
            Text(f.Path);
            Text(f.Hash);
            Number(f.Size);
            Number(f.Executable ? 1 : 0);
            Text(f.LinkTarget);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}

/// <summary>
/// Finds a toolchain's files on the machine it is installed on. The programs come from the driver's own
/// answers (-print-prog-name, -print-file-name, -print-search-dirs); the shared libraries from the
/// dynamic loader itself (<c>ld.so --list</c>), never from parsing ELF files here. Every symlink on the way
/// to a file is kept as a symlink.
/// </summary>
public static class ToolchainFiles
{
    /// <summary>Programs a gcc driver may run for a compile (-c or -S, with or without -flto).</summary>
    // lto1 is left out: it runs when linking with -flto, never for -c.
    private static readonly string[] GccPrograms = { "cc1", "cc1plus", "cc1obj", "cc1objplus", "lto-wrapper" };

    /// <summary>Files gcc opens from its library directories when they exist.</summary>
    private static readonly string[] GccFiles = { "specs", "liblto_plugin.so" };

    /// <summary>The dynamic loaders of the architectures an x86-64 machine runs, tried in turn.</summary>
    private static readonly string[] Loaders =
    {
        "/lib64/ld-linux-x86-64.so.2", "/lib/ld-linux-x86-64.so.2", "/lib/ld-linux.so.2", "/libx32/ld-linux-x32.so.2",
    };

    /// <summary>Locale data that decides how diagnostics look (C.UTF-8 gives typographic quotes) and the loader's cache.</summary>
    private static readonly string[] SystemFiles =
    {
        "/etc/ld.so.cache", "/usr/lib/locale/C.utf8", "/usr/lib/locale/C.UTF-8", "/usr/lib/locale/locale-archive",
        "/usr/share/locale/locale.alias",
    };

    /// <param name="hash">Whether to hash every file now. A worker's own toolchains are hashed when their
    /// root is first built (the copy is checked then), so that starting a worker reads no compiler twice.</param>
    public static async Task<ToolchainManifest> FindAsync(ProbedToolchain toolchain, bool hash = true, CancellationToken cancellationToken = default)
    {
        var driver = System.IO.Path.GetFullPath(toolchain.Path);
        var wanted = new List<string> { driver };
        bool isGcc = toolchain.Identity.Family == "gcc";
        if (isGcc)
        {
            foreach (var program in GccPrograms)
                wanted.Add(await AskAsync(driver, "-print-prog-name=" + program, cancellationToken));
            foreach (var file in GccFiles)
                wanted.Add(await AskAsync(driver, "-print-file-name=" + file, cancellationToken));
            foreach (var catalogue in MessageCatalogues(toolchain.Identity.Version)) wanted.Add(catalogue);
        }
        if ((isGcc || toolchain.Identity.Family == "clang") && await AssemblerAsync(driver, toolchain.Assembler, cancellationToken) is { } assembler) wanted.Add(assembler);
        wanted.AddRange(SystemFiles);

        var files = new Dictionary<string, ToolchainFile>(StringComparer.Ordinal);
        var walker = new PathWalker(files);
        foreach (var path in wanted.Where(p => p.StartsWith('/') && (File.Exists(p) || Directory.Exists(p))))
            walker.Add(path);
        // Shared libraries of every executable found so far (the loader lists them transitively).
        foreach (var elf in walker.RealFiles.Where(IsElf).ToList())
            foreach (var library in await LibrariesAsync(elf, cancellationToken))
                walker.Add(library);

        var hashed = new List<ToolchainFile>(files.Count);
        foreach (var f in files.Values.OrderBy(f => f.Path, StringComparer.Ordinal))
            hashed.Add(f.Kind == ToolchainFileKind.File && hash ? f with { Hash = await HashAsync(f.Path, cancellationToken) } : f);
        return new ToolchainManifest(toolchain.Identity.Fingerprint, driver, hashed);
    }

    private static async Task<string> AskAsync(string driver, string question, CancellationToken cancellationToken)
    {
        var r = await ProcessRunner.RunAsync(driver, new[] { question }, environment: ProbeEnvironment(), cancellationToken: cancellationToken);
        return r.ExitCode == 0 ? r.StdoutText.Trim() : "";
    }

    /// <summary>
    /// The assembler the driver runs: its own answer when it is a path, else the first in its program directories,
    /// then PATH. The probe's answer is taken when it asked (it runs the driver with the same PATH and locale, the
    /// environment less what would move gcc's programs), so clang is not started once more for it.
    /// </summary>
    private static async Task<string?> AssemblerAsync(string driver, string? probedAnswer, CancellationToken cancellationToken)
    {
        var answer = probedAnswer ?? await AskAsync(driver, "-print-prog-name=as", cancellationToken);
        if (answer.Contains('/')) return answer;
        var dirs = await AskAsync(driver, "-print-search-dirs", cancellationToken);
        var programs = dirs.Split('\n').FirstOrDefault(l => l.StartsWith("programs: =", StringComparison.Ordinal))?["programs: =".Length..] ?? "";
        var search = programs + ":" + (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin");
        return ExecutableSearch.Find(answer.Length > 0 ? answer : "as", search);
    }

    /// <summary>gcc's translations (gcc-12.mo, cpplib-12.mo), so that a localised compile prints the same words remotely.</summary>
    private static IEnumerable<string> MessageCatalogues(string version)
    {
        const string locales = "/usr/share/locale";
        if (!Directory.Exists(locales)) yield break;
        var major = version.Split('.')[0];
        var names = new[] { "gcc.mo", "cpplib.mo", $"gcc-{major}.mo", $"cpplib-{major}.mo" };
        foreach (var language in Directory.EnumerateDirectories(locales))
            foreach (var name in names)
            {
                var path = System.IO.Path.Combine(language, "LC_MESSAGES", name);
                if (File.Exists(path)) yield return path;
            }
    }

    /// <summary>
    /// The libraries of each program as last listed, for the program's and the loader cache's identity (a
    /// node finds the toolchains of gcc and g++, clang and clang++, which share most programs: two loader
    /// runs per program each time). A program or /etc/ld.so.cache that changes is listed again.
    /// </summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string Elf, FileStatus Program, FileStatus? Cache), string[]> Listed = new();

    /// <summary>The shared libraries (and the loader) <paramref name="elf"/> loads, as the loader resolves them here.</summary>
    private static async Task<List<string>> LibrariesAsync(string elf, CancellationToken cancellationToken)
    {
        var program = Native.Status(elf);
        var cache = Native.Status("/etc/ld.so.cache");
        if (program is { } p && Listed.TryGetValue((elf, p, cache), out var known)) return known.ToList();
        var libraries = await ListLibrariesAsync(elf, cancellationToken);
        if (program is { } before && ToolchainProbe.Settled(before) && (cache is null || ToolchainProbe.Settled(cache.Value)) && Native.Status(elf) == before)
        {
            if (Listed.Count >= 4096) Listed.Clear(); // a toolchain has a few dozen programs; a bound all the same
            Listed[(elf, before, cache)] = libraries.ToArray();
        }
        return libraries;
    }

    private static async Task<List<string>> ListLibrariesAsync(string elf, CancellationToken cancellationToken)
    {
        string? problem = null;
        foreach (var loader in Loaders.Where(File.Exists))
        {
            // As ldd does: --verify answers 0 (a program of this loader), 2 (a library it can load) or 1
            // (not dynamic, or another architecture's: --list would crash on a static program).
            ProcessResult verify;
            try
            {
                verify = await ProcessRunner.RunAsync(loader, new[] { "--verify", elf }, environment: ProbeEnvironment(), cancellationToken: cancellationToken);
            }
            catch (ProcessStartException e) when (e.InnerException is System.ComponentModel.Win32Exception { NativeErrorCode: 8 })
            {
                // A loader this kernel cannot run (ENOEXEC: i386's without IA32 emulation): nor can any program of
                // its architecture, so none of the toolchain's is one. Any other failure to start (EAGAIN at a
                // process limit, say) is not an answer: it fails the listing, never to be taken for a static program.
                continue;
            }
            if (verify.ExitCode is not (0 or 2)) continue;
            var r = await ProcessRunner.RunAsync(loader, new[] { "--list", elf }, environment: ProbeEnvironment(), cancellationToken: cancellationToken);
            if (r.ExitCode != 0) { problem = r.StderrText.Trim(); continue; }
            var libraries = new List<string>();
            foreach (var line in r.StdoutText.Split('\n'))
            {
                var text = line.Trim();
                if (text.Contains("=> not found", StringComparison.Ordinal))
                    throw new ToolchainProbeException($"{elf} needs {text.Split(' ')[0]}, which the dynamic loader does not find");
                int arrow = text.IndexOf("=> ", StringComparison.Ordinal);
                var path = arrow >= 0 ? text[(arrow + 3)..] : text;
                int paren = path.IndexOf(" (", StringComparison.Ordinal);
                if (paren >= 0) path = path[..paren];
                if (path.StartsWith('/')) libraries.Add(path);
            }
            return libraries;
        }
        // A static program (no loader verifies it) has nothing to list.
        if (problem is null) return new List<string>();
        throw new ToolchainProbeException($"cannot list the shared libraries of {elf}: {problem}");
    }

    private static bool IsElf(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            Span<byte> magic = stackalloc byte[4];
            return stream.Read(magic) == 4 && magic[0] == 0x7f && magic[1] == (byte)'E' && magic[2] == (byte)'L' && magic[3] == (byte)'F';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // unreadable here: the hash below reports it
        }
    }

    public static async Task<string> HashAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            return await ToolchainProbe.HashFileAsync(path, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ToolchainProbeException($"cannot read the toolchain's file {path}: {e.Message}");
        }
    }

    private static Dictionary<string, string> ProbeEnvironment() => new()
    {
        ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin",
        ["LC_ALL"] = "C",
    };

    /// <summary>
    /// Records a path with everything on the way to it: each directory, each symlink (and then where it
    /// points, recursively), and finally the file or the whole directory tree.
    /// </summary>
    private sealed class PathWalker(Dictionary<string, ToolchainFile> files)
    {
        private const int MaximumLinks = 40;

        public IEnumerable<string> RealFiles => files.Values.Where(f => f.Kind == ToolchainFileKind.File).Select(f => f.Path);

        public void Add(string path) => Add(path, 0);

        private void Add(string path, int links)
        {
            if (links > MaximumLinks) throw new ToolchainProbeException($"too many symbolic links on the way to {path}");
            var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
            var current = "";
            for (int i = 0; i < parts.Length; i++)
            {
                current += "/" + parts[i];
                var info = new FileInfo(current);
                if (info.LinkTarget is { } target)
                {
                    files.TryAdd(current, new ToolchainFile(ToolchainFileKind.Symlink, current, null, 0, false, target));
                    var resolved = target.StartsWith('/') ? target : System.IO.Path.GetDirectoryName(current) + "/" + target;
                    var rest = string.Join('/', parts[(i + 1)..]);
                    Add(Normalize(rest.Length > 0 ? resolved + "/" + rest : resolved), links + 1);
                    return;
                }
                bool last = i == parts.Length - 1;
                if (Directory.Exists(current))
                {
                    files.TryAdd(current, new ToolchainFile(ToolchainFileKind.Directory, current, null, 0, false, null));
                    if (last) AddTree(current, links);
                }
                else if (last && info.Exists)
                {
                    bool executable = (info.UnixFileMode & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
                    files.TryAdd(current, new ToolchainFile(ToolchainFileKind.File, current, null, info.Length, executable, null));
                }
                else return;
            }
        }

        private void AddTree(string directory, int links)
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(directory))
                Add(entry, links);
        }

        private static string Normalize(string path)
        {
            var stack = new List<string>();
            foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                if (part == ".") continue;
                if (part == "..") { if (stack.Count > 0) stack.RemoveAt(stack.Count - 1); continue; }
                stack.Add(part);
            }
            return "/" + string.Join('/', stack);
        }
    }
}
