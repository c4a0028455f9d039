using System.Collections.Concurrent;
using ActorCompile.Protocol.Storage;
using ActorCompile.Toolchain.Identity;
using ActorCompile.Toolchain.Processes;
using ActorCompile.Toolchain.Jobs;

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
/// A shipped toolchain reserved in the store for one job: its room is taken and it cannot be evicted
/// until disposed. A toolchain whose root was never built (its transfer failed or timed out) leaves the
/// store with the last reservation, and its files with it unless another toolchain lists them.
/// </summary>
public sealed class ToolchainReservation(string id, long bytes, Action release) : IDisposable
{
    private int _done;
    public string Id { get; } = id;
    /// <summary>The toolchain's bytes as declared, each file's size checked against its content as it arrives.</summary>
    public long Bytes { get; } = bytes;
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _done, 1) == 0) release();
    }
}

/// <summary>
/// The worker's store of toolchain files: contents by SHA-256 in <c>blobs/</c>, and for each toolchain a
/// read-only tree in <c>trees/</c> made of hard links to them, so that toolchains sharing files (gcc and
/// g++ share cc1plus, every one shares libc) hold them once. A tree becomes visible only when complete
/// (built aside, then renamed); every file is checked against its hash as it enters.
/// <para>
/// Two kinds of roots live here. The worker's own toolchains (<see cref="NativeRootAsync"/>) are built
/// from its files at first use in each run. Toolchains a target ships are reserved before their files
/// are fetched (<see cref="Reserve"/>), which counts their bytes and keeps them from eviction while a job
/// uses them; their roots (<see cref="ShippedRootAsync"/>) are kept by their content id across restarts,
/// within a size limit (least recently used out, never one in use). A new run verifies their files by hash
/// the first time it uses them (a corrupted file is dropped and fetched again) and builds their trees
/// again from those files. A file is on disk only while a toolchain held or reserved here lists it.
/// </para>
/// </summary>
public sealed class ToolchainStore
{
    private const string NativePrefix = "native-";

    private readonly string _blobs;
    private readonly string _trees;
    private readonly ConcurrentDictionary<string, Lazy<Task<SealedRoot>>> _roots = new(StringComparer.Ordinal);
    private readonly PinnedLru<ToolchainManifest> _shipped;
    /// <summary>Guards the index of shipped toolchains together with what follows from it on disk.</summary>
    private readonly object _gate = new();
    private readonly HashSet<string> _verified = new(StringComparer.Ordinal);
    /// <summary>Shipped toolchains whose tree is complete on disk (the others are on their way).</summary>
    private readonly HashSet<string> _built = new(StringComparer.Ordinal);
    /// <summary>For each stored file, how many shipped toolchains held or reserved here list it.</summary>
    private readonly Dictionary<string, int> _blobUsers = new(StringComparer.Ordinal);

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
    /// Takes stock of what an earlier run left: shipped trees with their manifests are kept (verified and
    /// built again at first use), the oldest used first out; native trees, half-built trees, files of
    /// transfers that never completed and stray blobs go.
    /// </summary>
    private void Load()
    {
        var manifests = new List<(ToolchainManifest Manifest, long Bytes, DateTime Used)>();
        foreach (var entry in new DirectoryInfo(_trees).EnumerateFileSystemInfos())
        {
            var name = entry.Name;
            if (!name.EndsWith(".manifest", StringComparison.Ordinal)) continue;
            var id = name[..^".manifest".Length];
            if (ManifestFile.Read(entry.FullName) is { } m && Directory.Exists(Path.Combine(_trees, id)) && SoundBytes(m, id) is { } bytes)
                manifests.Add((m, bytes, entry.LastWriteTimeUtc));
        }
        var kept = new HashSet<string>(manifests.Select(m => m.Manifest.ContentId), StringComparer.Ordinal);
        foreach (var entry in new DirectoryInfo(_trees).EnumerateFileSystemInfos())
        {
            var id = entry.Name.EndsWith(".manifest", StringComparison.Ordinal) ? entry.Name[..^".manifest".Length] : entry.Name;
            if (!kept.Contains(id)) RemovePath(entry.FullName);
        }
        lock (_gate)
        {
            foreach (var (manifest, bytes, _) in manifests.OrderBy(m => m.Used))
            {
                var id = manifest.ContentId;
                _built.Add(id);
                if (!_shipped.Contains(id)) Use(manifest);
                Forget(_shipped.Add(id, manifest, bytes));
            }
        }
        foreach (var blob in Directory.EnumerateFiles(_blobs))
            lock (_gate) if (!_blobUsers.ContainsKey(Path.GetFileName(blob))) File.Delete(blob);
    }

    /// <summary>The bytes of a manifest read back from disk when it is sound and has the id it is stored under; else null.</summary>
    private static long? SoundBytes(ToolchainManifest manifest, string id)
    {
        try
        {
            var bytes = ToolchainManifestCheck.Check(manifest);
            return manifest.ContentId == id ? bytes : null;
        }
        catch (ToolchainStoreException)
        {
            return null; // edited or damaged: removed with its tree
        }
    }

    /// <summary>
    /// The sealed root of one of this worker's own toolchains, built on first use from its files here.
    /// Callers asking at the same time share one build; a failed build is forgotten, so that the next job
    /// tries again.
    /// </summary>
    public Task<SealedRoot> NativeRootAsync(ToolchainManifest manifest) =>
        RootOnce(NativePrefix + manifest.Fingerprint, () => Build(NativePrefix + manifest.Fingerprint, manifest, file => file.Path, hashed: false));

    /// <summary>
    /// Checks a shipped toolchain's manifest (see <see cref="Validate"/>) and that it has the id it was sent
    /// with, then takes its room in the store and keeps it from eviction until the reservation is disposed.
    /// Its cost grows with the manifest's entries: call it off an actor's thread.
    /// </summary>
    public ToolchainReservation Reserve(ToolchainManifest manifest, string id)
    {
        var bytes = ToolchainManifestCheck.Check(manifest);
        if (manifest.ContentId != id) throw new ToolchainStoreException("the shipped toolchain's id does not match its files");
        if (bytes > _shipped.Limit)
            throw new ToolchainStoreException($"the shipped toolchain ({bytes >> 20} MiB) is larger than this worker's toolchain cache ({_shipped.Limit >> 20} MiB)");
        lock (_gate)
        {
            if (!_shipped.Contains(id)) Use(manifest);
            Forget(_shipped.Add(id, manifest, bytes, pin: true));
        }
        return new ToolchainReservation(id, bytes, () => Unreserve(id));
    }

    private void Unreserve(string id)
    {
        lock (_gate)
        {
            var gone = _shipped.Unpin(new[] { id });
            // Never built (its files did not all arrive): nothing to keep it for.
            if (!_built.Contains(id) && !_shipped.IsPinned(id) && _shipped.TryPeek(id, out var manifest) && _shipped.Remove(id))
                gone.Add((id, manifest));
            Forget(gone);
        }
    }

    /// <summary>
    /// The hashes of a reserved toolchain's files that this store lacks (each once). A toolchain first used
    /// in this run is verified first: files whose content no longer has its hash are dropped and listed. A
    /// file held here whose length is not the size the manifest declares is refused: the bytes counted
    /// against the cache are the bytes on disk.
    /// </summary>
    public Task<List<string>> MissingAsync(ToolchainManifest manifest) => Task.Run(() =>
    {
        Verify(manifest);
        var missing = new List<string>();
        foreach (var f in manifest.Files.Where(f => f.Kind == ToolchainFileKind.File).DistinctBy(f => (f.Hash, f.Executable)))
        {
            var info = new FileInfo(BlobPath(f.Hash!, f.Executable));
            if (!info.Exists) missing.Add(f.Hash!);
            else if (info.Length != f.Size)
                throw new ToolchainStoreException($"the toolchain declares {f.Size} bytes for {f.Path}, whose content has {info.Length}");
        }
        return missing.Distinct().ToList();
    });

    /// <summary>
    /// Takes in a file of a shipped toolchain; false (nothing stored) when it does not have its hash, or when
    /// no toolchain held or reserved here lists it (its transfer ended while it was on its way).
    /// </summary>
    public bool Add(string hash, byte[] content, bool executable)
    {
        if (!ContentHash.Matches(content, hash)) return false;
        var name = BlobName(hash, executable);
        var incoming = Path.Combine(_blobs, $".incoming-{Guid.NewGuid():N}");
        try
        {
            File.WriteAllBytes(incoming, content);
            File.SetUnixFileMode(incoming, Mode(executable));
            lock (_gate)
            {
                if (!_blobUsers.ContainsKey(name)) return false;
                var path = Path.Combine(_blobs, name);
                if (!File.Exists(path)) File.Move(incoming, path);
            }
            return true;
        }
        finally
        {
            if (File.Exists(incoming)) File.Delete(incoming);
        }
    }

    /// <summary>
    /// The sealed root of a reserved shipped toolchain whose files are all here (see <see cref="MissingAsync"/>),
    /// built once in each run (a tree an earlier run left is built again from the verified files) and kept
    /// across restarts.
    /// </summary>
    public Task<SealedRoot> ShippedRootAsync(ToolchainManifest manifest)
    {
        var id = manifest.ContentId;
        if (!_shipped.IsPinned(id)) throw new ToolchainStoreException("the shipped toolchain is not reserved in the store");
        return RootOnce(id, () =>
        {
            var root = Build(id, manifest, file => BlobPath(file.Hash!, file.Executable), hashed: true);
            var manifestFile = Path.Combine(_trees, id + ".manifest");
            ManifestFile.Write(manifestFile, manifest);
            lock (_gate)
            {
                _verified.Add(id);
                _built.Add(id);
            }
            return root;
        });
    }

    /// <summary>The shipped toolchains held, for status.</summary>
    public IReadOnlyList<HeldToolchain> Held()
    {
        var held = new List<HeldToolchain>();
        lock (_gate)
            foreach (var id in _built)
                if (_shipped.TryPeek(id, out var m)) held.Add(new HeldToolchain(id, m.Fingerprint, _shipped.SizeOf(id) ?? 0, _shipped.IsPinned(id)));
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

    /// <summary>Builds a root's tree from scratch: whatever is at its place (an earlier run's tree, perhaps altered) goes first.</summary>
    private SealedRoot Build(string key, ToolchainManifest manifest, Func<ToolchainFile, string> source, bool hashed)
    {
        ToolchainManifestCheck.Check(manifest, hashed);
        var final = Path.Combine(_trees, key);
        var building = Path.Combine(_trees, $".building-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(building);
            foreach (var file in manifest.Files.OrderBy(f => f.Path, StringComparer.Ordinal))
                Place(building, file, source);
            foreach (var dir in RealDirectories(building)) File.SetUnixFileMode(dir, Mode(executable: true));
            RemovePath(final);
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
            using (var stream = File.OpenRead(incoming)) hash = ContentHash.Of(stream);
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

    private string BlobPath(string hash, bool executable) => Path.Combine(_blobs, BlobName(hash, executable));

    private static string BlobName(string hash, bool executable) => executable ? hash + ".x" : hash;

    private static IEnumerable<string> BlobNames(ToolchainManifest manifest) =>
        manifest.Files.Where(f => f.Kind == ToolchainFileKind.File).Select(f => BlobName(f.Hash!, f.Executable)).Distinct();

    /// <summary>Counts a toolchain entering the index as a user of its files (under the gate).</summary>
    private void Use(ToolchainManifest manifest)
    {
        foreach (var name in BlobNames(manifest)) _blobUsers[name] = _blobUsers.GetValueOrDefault(name) + 1;
    }

    /// <summary>
    /// Removes toolchains that left the index (under the gate): their trees, and the files no other
    /// toolchain held or reserved here lists.
    /// </summary>
    private void Forget(List<(string Key, ToolchainManifest Value)> gone)
    {
        foreach (var (id, manifest) in gone)
        {
            _roots.TryRemove(id, out _);
            _built.Remove(id);
            _verified.Remove(id);
            RemovePath(Path.Combine(_trees, id));
            RemovePath(Path.Combine(_trees, id + ".manifest"));
            foreach (var name in BlobNames(manifest))
            {
                if (_blobUsers.GetValueOrDefault(name) > 1) { _blobUsers[name]--; continue; }
                _blobUsers.Remove(name);
                RemovePath(Path.Combine(_blobs, name));
            }
        }
    }

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
            using (var stream = File.OpenRead(path)) actual = ContentHash.Of(stream);
            if (actual == f.Hash) continue;
            intact = false;
            File.Delete(path);
        }
        lock (_gate)
        {
            if (!intact)
            {
                _roots.TryRemove(id, out _);
                _built.Remove(id);
                RemovePath(Path.Combine(_trees, id));
                RemovePath(Path.Combine(_trees, id + ".manifest"));
            }
            _verified.Add(id);
        }
    }

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
}
