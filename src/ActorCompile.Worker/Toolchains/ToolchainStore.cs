using System.Collections.Concurrent;
using System.Security.Cryptography;
using ActorCompile.Protocol.Storage;
using ActorCompile.Toolchain.Identity;
using ActorCompile.Toolchain.Processes;

namespace ActorCompile.Worker.Toolchains;

/// <summary>
/// A toolchain's sealed root, built once: a read-only directory tree holding the toolchain's files at
/// their paths (the tree's top-level entries are bound into each job's sandbox), and the path of its
/// driver inside it.
/// </summary>
public sealed record SealedRoot(string Key, string Tree, string Driver, IReadOnlyList<RootEntry> TopLevel);

/// <summary>A top-level name of a sealed root: a directory to bind, or a symlink to recreate (lib -> usr/lib).</summary>
public sealed record RootEntry(string Name, string? LinkTarget);

/// <summary>A shipped toolchain this worker holds, for status.</summary>
public sealed record HeldToolchain(string Id, string Fingerprint, long Bytes, bool InUse);

/// <summary>Why a toolchain's root cannot be built (a file is missing or not what the manifest says).</summary>
public sealed class ToolchainStoreException(string message) : Exception(message);

/// <summary>
/// The worker's store of toolchain files: contents by SHA-256 in <c>blobs/</c>, and for each toolchain a
/// read-only tree in <c>trees/</c> made of hard links to them, so that toolchains sharing files (gcc and
/// g++ share cc1plus, every one shares libc) hold them once. A tree becomes visible only when complete
/// (built aside, then renamed); every file is checked against its hash as it enters.
/// <para>
/// Two kinds of roots live here. The worker's own toolchains (<see cref="NativeRootAsync"/>) are built
/// from its files at first use in each run. Toolchains a target ships (<see cref="ShippedRootAsync"/>) are
/// kept by their content id across restarts, within a size limit (least recently used out, never one in
/// use), and their files are verified by hash the first time a run uses them: a corrupted file is
/// dropped and fetched again.
/// </para>
/// </summary>
public sealed class ToolchainStore
{
    /// <summary>Top-level names a root may not use: the sandbox mounts its own there.</summary>
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal) { "dev", "proc", "tmp", "actorcompile" };

    private const string NativePrefix = "native-";

    private readonly string _blobs;
    private readonly string _trees;
    private readonly ConcurrentDictionary<string, Lazy<Task<SealedRoot>>> _roots = new(StringComparer.Ordinal);
    private readonly PinnedLru<ToolchainManifest> _shipped;
    private readonly object _gate = new();
    private readonly HashSet<string> _verified = new(StringComparer.Ordinal);

    public ToolchainStore(string directory, long shippedLimitBytes = 2L << 30)
    {
        _blobs = Path.Combine(directory, "blobs");
        _trees = Path.Combine(directory, "trees");
        PrivateDirectory.Create(directory);
        PrivateDirectory.Create(_blobs);
        PrivateDirectory.Create(_trees);
        _shipped = new PinnedLru<ToolchainManifest>(shippedLimitBytes);
        Load();
    }

    public long ShippedBytes => _shipped.Bytes;

    /// <summary>
    /// Takes stock of what an earlier run left: shipped trees with their manifests are kept (verified at
    /// first use), the oldest used first out; native trees, half-built trees and stray blobs go.
    /// </summary>
    private void Load()
    {
        var manifests = new List<(ToolchainManifest Manifest, DateTime Used)>();
        foreach (var entry in new DirectoryInfo(_trees).EnumerateFileSystemInfos())
        {
            var name = entry.Name;
            if (name.EndsWith(".manifest", StringComparison.Ordinal) && ManifestFile.Read(entry.FullName) is { } m
                && Directory.Exists(Path.Combine(_trees, name[..^".manifest".Length])) && HasId(m, name[..^".manifest".Length]))
                manifests.Add((m, entry.LastWriteTimeUtc));
        }
        var kept = new HashSet<string>(manifests.Select(m => m.Manifest.ContentId), StringComparer.Ordinal);
        foreach (var entry in new DirectoryInfo(_trees).EnumerateFileSystemInfos())
        {
            var id = entry.Name.EndsWith(".manifest", StringComparison.Ordinal) ? entry.Name[..^".manifest".Length] : entry.Name;
            if (!kept.Contains(id)) RemovePath(entry.FullName);
        }
        foreach (var (manifest, _) in manifests.OrderBy(m => m.Used))
            DeleteBlobsOf(_shipped.Add(manifest.ContentId, manifest, manifest.TotalBytes));
        var referenced = manifests.SelectMany(m => BlobNames(m.Manifest)).ToHashSet(StringComparer.Ordinal);
        foreach (var blob in Directory.EnumerateFiles(_blobs))
            if (!referenced.Contains(Path.GetFileName(blob))) File.Delete(blob);
    }

    private static bool HasId(ToolchainManifest manifest, string id) =>
        manifest.Files.All(f => f.Kind != ToolchainFileKind.File || f.Hash is not null) && manifest.ContentId == id;

    /// <summary>
    /// The sealed root of one of this worker's own toolchains, built on first use from its files here.
    /// Callers asking at the same time share one build; a failed build is forgotten, so that the next job
    /// tries again.
    /// </summary>
    public Task<SealedRoot> NativeRootAsync(ToolchainManifest manifest) =>
        RootOnce(NativePrefix + manifest.Fingerprint, () => Build(NativePrefix + manifest.Fingerprint, manifest, file => file.Path));

    /// <summary>
    /// The hashes of a shipped toolchain's files that this store lacks (each once). A toolchain first used
    /// in this run is verified first: files whose content no longer has its hash are dropped and listed.
    /// </summary>
    public Task<List<string>> MissingAsync(ToolchainManifest manifest) => Task.Run(() =>
    {
        Verify(manifest);
        return manifest.Files.Where(f => f.Kind == ToolchainFileKind.File && !File.Exists(BlobPath(f.Hash!, f.Executable)))
            .Select(f => f.Hash!).Distinct().ToList();
    });

    /// <summary>Takes in a file of a shipped toolchain; false (nothing stored) when it does not have its hash.</summary>
    public bool Add(string hash, byte[] content, bool executable)
    {
        if (!IsHash(hash) || Convert.ToHexStringLower(SHA256.HashData(content)) != hash) return false;
        var path = BlobPath(hash, executable);
        if (File.Exists(path)) return true;
        var incoming = Path.Combine(_blobs, $".incoming-{Guid.NewGuid():N}");
        File.WriteAllBytes(incoming, content);
        File.SetUnixFileMode(incoming, Mode(executable));
        File.Move(incoming, path, overwrite: true);
        return true;
    }

    /// <summary>
    /// The sealed root of a shipped toolchain whose files are all here (see <see cref="MissingAsync"/>),
    /// built once and kept across restarts. Use it under <see cref="Use"/>, which keeps it from eviction.
    /// </summary>
    public Task<SealedRoot> ShippedRootAsync(ToolchainManifest manifest)
    {
        var id = manifest.ContentId;
        return RootOnce(id, () =>
        {
            var root = Build(id, manifest, file => BlobPath(file.Hash!, file.Executable));
            var manifestFile = Path.Combine(_trees, id + ".manifest");
            if (!File.Exists(manifestFile)) ManifestFile.Write(manifestFile, manifest);
            File.SetLastWriteTimeUtc(manifestFile, DateTime.UtcNow);
            lock (_gate) _verified.Add(id);
            DeleteBlobsOf(_shipped.Add(id, manifest, manifest.TotalBytes));
            return root;
        });
    }

    /// <summary>Keeps a shipped toolchain from eviction while a job uses it.</summary>
    public IDisposable Use(string id)
    {
        var pinned = _shipped.Pin(new[] { id });
        return new Release(() => { if (pinned) DeleteBlobsOf(_shipped.Unpin(new[] { id })); });
    }

    /// <summary>The shipped toolchains held, for status.</summary>
    public IReadOnlyList<HeldToolchain> Held()
    {
        var held = new List<HeldToolchain>();
        foreach (var id in Directory.EnumerateFiles(_trees, "*.manifest").Select(f => Path.GetFileNameWithoutExtension(f)))
            if (_shipped.TryPeek(id, out var m)) held.Add(new HeldToolchain(id, m.Fingerprint, m.TotalBytes, _shipped.IsPinned(id)));
        return held;
    }

    private Task<SealedRoot> RootOnce(string key, Func<SealedRoot> build)
    {
        var lazy = _roots.GetOrAdd(key, _ => new Lazy<Task<SealedRoot>>(() => Task.Run(build)));
        var task = lazy.Value;
        task.ContinueWith(t => _roots.TryRemove(new KeyValuePair<string, Lazy<Task<SealedRoot>>>(key, lazy)),
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);
        return task;
    }

    private SealedRoot Build(string key, ToolchainManifest manifest, Func<ToolchainFile, string> source)
    {
        Validate(manifest);
        var final = Path.Combine(_trees, key);
        if (!Directory.Exists(final))
        {
            var building = Path.Combine(_trees, $".building-{Guid.NewGuid():N}");
            try
            {
                Directory.CreateDirectory(building);
                foreach (var file in manifest.Files.OrderBy(f => f.Path, StringComparer.Ordinal))
                    Place(building, file, source);
                foreach (var dir in RealDirectories(building)) File.SetUnixFileMode(dir, Mode(executable: true));
                Directory.Move(building, final);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ToolchainStoreException($"cannot build the root of toolchain {manifest.Fingerprint[..Math.Min(12, manifest.Fingerprint.Length)]}: {e.Message}");
            }
            finally
            {
                RemovePath(building);
            }
        }
        var top = Directory.EnumerateFileSystemEntries(final)
            .Select(p => new RootEntry(Path.GetFileName(p), new FileInfo(p).LinkTarget))
            .OrderBy(e => e.Name, StringComparer.Ordinal)
            .ToList();
        return new SealedRoot(key, final, manifest.Driver, top);
    }

    private static UnixFileMode Mode(bool executable) =>
        UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead
        | (executable ? UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute : 0);

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
            // packages replace files rather than write into them. Otherwise a copy.
            bool linked = Native.HardLink(from, incoming);
            if (!linked) File.Copy(from, incoming);
            string hash;
            using (var stream = File.OpenRead(incoming)) hash = Convert.ToHexStringLower(SHA256.HashData(stream));
            if (file.Hash is not null && hash != file.Hash)
                throw new ToolchainStoreException($"{file.Path} is not the file the toolchain was identified with (its content changed)");
            if (!linked) File.SetUnixFileMode(incoming, Mode(file.Executable));
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

    private static IEnumerable<string> BlobNames(ToolchainManifest manifest) =>
        manifest.Files.Where(f => f.Kind == ToolchainFileKind.File).Select(f => f.Executable ? f.Hash + ".x" : f.Hash!);

    /// <summary>
    /// Checks, once per run, that every stored file of a shipped toolchain still has its hash; a tree with
    /// a file that does not is removed with the bad files, so that they are fetched again.
    /// </summary>
    private void Verify(ToolchainManifest manifest)
    {
        var id = manifest.ContentId;
        lock (_gate) if (_verified.Contains(id)) return;
        bool intact = true;
        foreach (var f in manifest.Files.Where(f => f.Kind == ToolchainFileKind.File).DistinctBy(f => (f.Hash, f.Executable)))
        {
            var path = BlobPath(f.Hash!, f.Executable);
            if (!File.Exists(path)) continue;
            string actual;
            using (var stream = File.OpenRead(path)) actual = Convert.ToHexStringLower(SHA256.HashData(stream));
            if (actual == f.Hash) continue;
            intact = false;
            File.Delete(path);
        }
        if (!intact)
        {
            _roots.TryRemove(id, out _);
            _shipped.Remove(id);
            RemovePath(Path.Combine(_trees, id));
            RemovePath(Path.Combine(_trees, id + ".manifest"));
        }
        lock (_gate) _verified.Add(id);
    }

    /// <summary>Removes evicted trees, and the files no other shipped tree uses.</summary>
    private void DeleteBlobsOf(List<(string Key, ToolchainManifest Value)> evicted)
    {
        if (evicted.Count == 0) return;
        foreach (var (id, _) in evicted)
        {
            _roots.TryRemove(id, out _);
            RemovePath(Path.Combine(_trees, id));
            RemovePath(Path.Combine(_trees, id + ".manifest"));
        }
        var stillUsed = Directory.EnumerateFiles(_trees, "*.manifest")
            .Select(ManifestFile.Read).Where(m => m is not null).SelectMany(m => BlobNames(m!)).ToHashSet(StringComparer.Ordinal);
        foreach (var (_, manifest) in evicted)
            foreach (var name in BlobNames(manifest).Where(n => !stillUsed.Contains(n)))
                RemovePath(Path.Combine(_blobs, name));
    }

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
            if (f.Kind == ToolchainFileKind.Symlink && (string.IsNullOrEmpty(f.LinkTarget) || f.LinkTarget.Contains('\0')))
                throw new ToolchainStoreException($"symlink {f.Path} has no valid target");
            if (!Enum.IsDefined(f.Kind)) throw new ToolchainStoreException($"{f.Path} is of an unknown kind");
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
        path.Length <= 4096 && path.StartsWith('/') && !path.Contains('\0') && !path.EndsWith('/') &&
        path[1..].Split('/').All(part => part.Length is > 0 and <= 255 && part is not "." and not "..");

    private static bool IsHash(string hash) => hash.Length == 64 && hash.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    /// <summary>Removes a file, or a tree this store built (read-only directories included); what is not there is done.</summary>
    private static void RemovePath(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null || File.Exists(path)) { File.Delete(path); return; }
        if (!Directory.Exists(path)) return;
        foreach (var dir in RealDirectories(path))
            File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.Delete(path, recursive: true);
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

    private sealed class Release(Action release) : IDisposable
    {
        private int _done;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) release();
        }
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

/// <summary>
/// A shipped toolchain's manifest on disk, beside its tree, so that the tree is known (and verified) after
/// a restart. One line for the toolchain (fingerprint and driver), then one per path: kind, path, hash,
/// executable bit, link target, separated by tabs (none of which a path of a root can hold).
/// </summary>
internal static class ManifestFile
{
    public static void Write(string path, ToolchainManifest manifest)
    {
        var lines = new List<string> { $"actorcompile-toolchain\t1\t{manifest.Fingerprint}\t{manifest.Driver}" };
        lines.AddRange(manifest.Files.Select(f => $"{(byte)f.Kind}\t{f.Path}\t{f.Hash}\t{f.Size}\t{(f.Executable ? 1 : 0)}\t{f.LinkTarget}"));
        var temporary = path + ".tmp";
        File.WriteAllLines(temporary, lines);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The manifest in a file, or null when the file is not one (left half-written, edited, or of another version).</summary>
    public static ToolchainManifest? Read(string path)
    {
        try
        {
            var lines = File.ReadAllLines(path);
            var head = lines.FirstOrDefault()?.Split('\t');
            if (head is not ["actorcompile-toolchain", "1", var fingerprint, var driver]) return null;
            var files = new List<ToolchainFile>();
            foreach (var line in lines.Skip(1))
            {
                var p = line.Split('\t');
                if (p.Length != 6 || !byte.TryParse(p[0], out var kind) || !long.TryParse(p[3], out var size)) return null;
                files.Add(new ToolchainFile((ToolchainFileKind)kind, p[1], p[2].Length == 0 ? null : p[2], size, p[4] == "1", p[5].Length == 0 ? null : p[5]));
            }
            return new ToolchainManifest(fingerprint, driver, files);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // unreadable: treated as absent, and removed with its tree
        }
    }
}
