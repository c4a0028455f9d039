using System.Collections.Concurrent;
using System.Security.Cryptography;
using ActorCompile.Toolchain.Identity;
using ActorCompile.Toolchain.Processes;

namespace ActorCompile.Worker.Toolchains;

/// <summary>
/// A toolchain's sealed root, built once: a read-only directory tree holding the toolchain's files at
/// their paths (the tree's top-level entries are bound into each job's sandbox), and the path of its
/// driver inside it.
/// </summary>
public sealed record SealedRoot(string Fingerprint, string Tree, string Driver, IReadOnlyList<RootEntry> TopLevel);

/// <summary>A top-level name of a sealed root: a directory to bind, or a symlink to recreate (lib -> usr/lib).</summary>
public sealed record RootEntry(string Name, string? LinkTarget);

/// <summary>Why a toolchain's root cannot be built (a file is missing or not what the manifest says).</summary>
public sealed class ToolchainStoreException(string message) : Exception(message);

/// <summary>
/// The worker's store of toolchain files: contents by SHA-256 in <c>blobs/</c>, and for each toolchain a
/// read-only tree in <c>trees/FINGERPRINT</c> made of hard links to them, so that toolchains sharing files
/// (gcc and g++ share cc1plus, every one shares libc) hold them once. A tree becomes visible only when
/// complete (built aside, then renamed); a file is checked against its hash as it enters. The same store
/// holds the toolchains a target ships to a helper without a compiler of its own.
/// </summary>
public sealed class ToolchainStore
{
    /// <summary>Top-level names a root may not use: the sandbox mounts its own there.</summary>
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal) { "dev", "proc", "tmp", "actorcompile" };

    private readonly string _blobs;
    private readonly string _trees;
    private readonly ConcurrentDictionary<string, Lazy<Task<SealedRoot>>> _roots = new(StringComparer.Ordinal);

    public ToolchainStore(string directory)
    {
        _blobs = Path.Combine(directory, "blobs");
        _trees = Path.Combine(directory, "trees");
        PrivateDirectory.Create(directory);
        PrivateDirectory.Create(_blobs);
        PrivateDirectory.Create(_trees);
    }

    /// <summary>
    /// The sealed root of a toolchain, built on first use from <paramref name="source"/> (where each file's
    /// content can be read: the worker's own path for its native toolchains). Callers asking at the same
    /// time share one build; a failed build is forgotten, so that the next job tries again.
    /// </summary>
    public Task<SealedRoot> RootAsync(ToolchainManifest manifest, Func<ToolchainFile, string> source)
    {
        var lazy = _roots.GetOrAdd(manifest.Fingerprint, _ => new Lazy<Task<SealedRoot>>(() => Task.Run(() => Build(manifest, source))));
        var task = lazy.Value;
        task.ContinueWith(t => _roots.TryRemove(new KeyValuePair<string, Lazy<Task<SealedRoot>>>(manifest.Fingerprint, lazy)),
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);
        return task;
    }

    private SealedRoot Build(ToolchainManifest manifest, Func<ToolchainFile, string> source)
    {
        Validate(manifest);
        var final = Path.Combine(_trees, manifest.Fingerprint);
        if (!Directory.Exists(final))
        {
            var building = Path.Combine(_trees, $".building-{Guid.NewGuid():N}");
            try
            {
                Directory.CreateDirectory(building);
                foreach (var file in manifest.Files.OrderBy(f => f.Path, StringComparer.Ordinal))
                    Place(building, file, source);
                foreach (var dir in RealDirectories(building)) File.SetUnixFileMode(dir, ReadOnlyDirectory);
                Directory.Move(building, final);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ToolchainStoreException($"cannot build the root of toolchain {manifest.Fingerprint[..12]}: {e.Message}");
            }
            finally
            {
                Remove(building);
            }
        }
        var top = Directory.EnumerateFileSystemEntries(final)
            .Select(p => new RootEntry(Path.GetFileName(p), new FileInfo(p).LinkTarget))
            .OrderBy(e => e.Name, StringComparer.Ordinal)
            .ToList();
        return new SealedRoot(manifest.Fingerprint, final, manifest.Driver, top);
    }

    private const UnixFileMode ReadOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private void Place(string tree, ToolchainFile file, Func<ToolchainFile, string> source)
    {
        var target = tree + file.Path;
        switch (file.Kind)
        {
            case ToolchainFileKind.Directory:
                Directory.CreateDirectory(target);
                break;
            case ToolchainFileKind.Symlink:
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.CreateSymbolicLink(target, file.LinkTarget!);
                break;
            case ToolchainFileKind.File:
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                var blob = Blob(file, source(file));
                if (!Native.HardLink(blob, target)) File.Copy(blob, target);
                break;
        }
    }

    /// <summary>The stored content of a file (by hash, and whether it is executable), taken in from <paramref name="from"/> when missing.</summary>
    private string Blob(ToolchainFile file, string from)
    {
        if (file.Hash is { } known && File.Exists(BlobPath(known, file.Executable))) return BlobPath(known, file.Executable);
        var incoming = Path.Combine(_blobs, $".incoming-{Guid.NewGuid():N}");
        try
        {
            // A file of this machine is linked when the file system allows it (no copy of a 100 MB library
            // per worker); such a link keeps the file's own mode, and it stays what was hashed because
            // packages replace files rather than write into them. Otherwise, and for shipped files, a copy.
            bool linked = Native.HardLink(from, incoming);
            if (!linked) File.Copy(from, incoming);
            string hash;
            using (var stream = File.OpenRead(incoming)) hash = Convert.ToHexStringLower(SHA256.HashData(stream));
            if (file.Hash is not null && hash != file.Hash)
                throw new ToolchainStoreException($"{file.Path} is not the file the toolchain was identified with (its content changed)");
            if (!linked)
                File.SetUnixFileMode(incoming, file.Executable ? ReadOnlyDirectory : UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            var path = BlobPath(hash, file.Executable);
            File.Move(incoming, path, overwrite: true);
            return path;
        }
        finally
        {
            if (File.Exists(incoming)) File.Delete(incoming);
        }
    }

    private string BlobPath(string hash, bool executable) => Path.Combine(_blobs, executable ? hash + ".x" : hash);

    /// <summary>
    /// A manifest must describe a tree that cannot reach outside itself while it is built: absolute,
    /// normalised paths; every parent a directory of the manifest (never a symlink, which building would
    /// follow); no name the sandbox mounts over.
    /// </summary>
    public static void Validate(ToolchainManifest manifest)
    {
        var kinds = new Dictionary<string, ToolchainFileKind>(StringComparer.Ordinal);
        foreach (var f in manifest.Files)
        {
            if (!IsNormalAbsolute(f.Path) || f.Path == "/")
                throw new ToolchainStoreException($"the toolchain's path '{f.Path}' is not absolute and normalised");
            if (!kinds.TryAdd(f.Path, f.Kind)) throw new ToolchainStoreException($"the toolchain lists {f.Path} twice");
            if (f.Kind == ToolchainFileKind.File && f.Hash is { } h && !IsHash(h)) throw new ToolchainStoreException($"{f.Path} has no valid SHA-256");
            if (f.Kind == ToolchainFileKind.Symlink && string.IsNullOrEmpty(f.LinkTarget)) throw new ToolchainStoreException($"symlink {f.Path} has no target");
            if (Reserved.Contains(f.Path.Split('/')[1])) throw new ToolchainStoreException($"the toolchain's path {f.Path} is reserved for the sandbox");
        }
        foreach (var f in manifest.Files)
        {
            for (var parent = Path.GetDirectoryName(f.Path); parent is not null && parent != "/"; parent = Path.GetDirectoryName(parent))
            {
                if (!kinds.TryGetValue(parent, out var kind) || kind != ToolchainFileKind.Directory)
                    throw new ToolchainStoreException($"{f.Path} lies under {parent}, which the toolchain does not list as a directory");
            }
        }
        if (!kinds.ContainsKey(manifest.Driver)) throw new ToolchainStoreException($"the toolchain's driver {manifest.Driver} is not among its files");
    }

    private static bool IsNormalAbsolute(string path) =>
        path.StartsWith('/') && !path.Contains('\0') && !path.EndsWith('/') &&
        path[1..].Split('/').All(part => part.Length > 0 && part is not "." and not "..");

    private static bool IsHash(string hash) => hash.Length == 64 && hash.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    /// <summary>Removes a tree this store built, read-only directories included.</summary>
    private static void Remove(string directory)
    {
        if (!Directory.Exists(directory)) return;
        foreach (var dir in RealDirectories(directory))
            File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.Delete(directory, recursive: true);
    }

    /// <summary>A directory and every directory under it, never following a symlink (a root's links may point anywhere on this machine).</summary>
    private static List<string> RealDirectories(string top)
    {
        var found = new List<string> { top };
        for (int i = 0; i < found.Count; i++)
            foreach (var entry in new DirectoryInfo(found[i]).EnumerateFileSystemInfos())
                if (entry.LinkTarget is null && entry is DirectoryInfo) found.Add(entry.FullName);
        return found;
    }
}

/// <summary>Directories of the worker that no other user may enter (mode 0700).</summary>
public static class PrivateDirectory
{
    public static void Create(string path)
    {
        var info = Directory.CreateDirectory(path);
        info.UnixFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    }
}
