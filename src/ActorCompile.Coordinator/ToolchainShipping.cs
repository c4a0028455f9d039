using System.Collections.Concurrent;
using System.Security.Cryptography;
using ActorCompile.Protocol;
using ActorCompile.Protocol.Messages;
using ActorCompile.Toolchain.Identity;
using ActorCompile.Toolchain.Processes;

namespace ActorCompile.Coordinator;

/// <summary>A toolchain this node can ship, and where each of its files is read from here.</summary>
public sealed record ShippableToolchain(ShippedToolchain Toolchain, IReadOnlyDictionary<string, string> Sources);

/// <summary>The answer to "can this compiler be shipped": the toolchain, or why not.</summary>
public sealed record Shippable(ShippableToolchain? Toolchain, string? Reason);

/// <summary>
/// The target's side of shipped toolchains: finds a compiler's files (its sealed root) once per compiler,
/// and reads them for workers that lack them, batch by batch. The node does this itself, as its own
/// user, and only for compilers installed by root: it runs the compiler to identify it, and a build user
/// must not be able to make the node run a program of theirs. The node's own identification must give
/// the fingerprint the user's wrapper reported, or nothing is shipped.
/// </summary>
public sealed class ToolchainShipping
{
    private readonly ConcurrentDictionary<string, Lazy<Task<Shippable>>> _byCompiler = new(StringComparer.Ordinal);
    private long _bytesRead;
    private long _bytesSent;

    /// <summary>Bytes of toolchain files read for workers, and the same compressed as they travelled.</summary>
    public long BytesRead => Interlocked.Read(ref _bytesRead);
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    /// <summary>Whether the compiler at <paramref name="path"/> can be shipped as <paramref name="expected"/> (computed once per compiler binary).</summary>
    public Task<Shippable> PrepareAsync(string path, ToolchainIdentity expected)
    {
        var key = CompilerKey.Of(path);
        if (key is null) return Task.FromResult(new Shippable(null, $"{path} does not exist on the target's node"));
        return _byCompiler.GetOrAdd(key + "\u001e" + expected.Fingerprint, _ => new Lazy<Task<Shippable>>(() => Task.Run(() => Prepare(path, expected)))).Value;
    }

    private static async Task<Shippable> Prepare(string path, ToolchainIdentity expected)
    {
        if (NotInstalledByRoot(path) is { } why) return new Shippable(null, why);
        ProbedToolchain probed;
        ToolchainManifest manifest;
        try
        {
            probed = await ToolchainProbe.ProbeAsync(path);
            if (probed.Identity.Fingerprint != expected.Fingerprint)
                return new Shippable(null, $"the node finds another compiler at {path} ({probed.Identity}) than the wrapper reported ({expected})");
            manifest = await ToolchainFiles.FindAsync(probed, hash: true);
        }
        catch (Exception e) when (e is ToolchainProbeException or ProcessStartException or IOException or UnauthorizedAccessException)
        {
            return new Shippable(null, $"the node cannot take {path} apart: {e.Message}");
        }
        foreach (var file in manifest.Files.Where(f => f.Kind == ToolchainFileKind.File))
            if (NotInstalledByRoot(file.Path) is { } problem) return new Shippable(null, problem);
        var identity = probed.Identity;
        var shipped = new ShippedToolchain(manifest.ContentId, identity.Fingerprint, identity.Family, identity.Version, identity.Target,
            identity.DriverLanguage, manifest.Driver, manifest.Files.ToArray());
        var sources = manifest.Files.Where(f => f.Kind == ToolchainFileKind.File).GroupBy(f => f.Hash!).ToDictionary(g => g.Key, g => g.First().Path, StringComparer.Ordinal);
        return new Shippable(new ShippableToolchain(shipped, sources), null);
    }

    /// <summary>Why a file is not one of root's (or its directories are writable by others), or null when it is.</summary>
    private static string? NotInstalledByRoot(string path)
    {
        var canonical = Native.RealPath(path) ?? path;
        for (var p = canonical; !string.IsNullOrEmpty(p); p = Path.GetDirectoryName(p))
        {
            if (Native.OwnerAndMode(p) is not { } info) return $"{p} cannot be inspected";
            if (info.Uid != 0) return $"{canonical} is not installed by root ({p} belongs to uid {info.Uid}); only system compilers are shipped";
            bool directory = p != canonical;
            bool sticky = (info.Mode & 0x200) != 0;
            if ((info.Mode & 0x12) != 0 && !(directory && sticky)) return $"{p} is writable by users other than root; only system compilers are shipped";
            if (p == "/") break;
        }
        return null;
    }

    /// <summary>
    /// The next batch of files for a worker, starting at <paramref name="from"/> in <paramref name="hashes"/>:
    /// as many as fit in <paramref name="budgetBytes"/> compressed (at least one), each read here and checked
    /// against its hash. Returns the batch and where the next one starts (hashes.Count when done).
    /// Files a toolchain does not have are refused.
    /// </summary>
    public Task<(Blob[] Batch, int Next)> ReadBatchAsync(ShippableToolchain toolchain, IReadOnlyList<string> hashes, int from, long budgetBytes) => Task.Run(() =>
    {
        var batch = new List<Blob>();
        long size = 0;
        int i = from;
        for (; i < hashes.Count; i++)
        {
            var hash = hashes[i];
            if (!toolchain.Sources.TryGetValue(hash, out var path))
                throw new InvalidDataException($"{hash} is not a file of toolchain {toolchain.Toolchain.Id[..12]}");
            var content = File.ReadAllBytes(path);
            if (Convert.ToHexStringLower(SHA256.HashData(content)) != hash)
                throw new InvalidDataException($"{path} changed since the toolchain was identified");
            var blob = Payload.ToBlob(hash, content);
            if (batch.Count > 0 && size + blob.Compressed.Length > budgetBytes) break;
            if (blob.Compressed.Length > budgetBytes)
                throw new InvalidDataException($"{path} is too large for one message of the cluster ({blob.Compressed.Length >> 20} MiB compressed)");
            batch.Add(blob);
            size += blob.Compressed.Length;
            Interlocked.Add(ref _bytesRead, content.Length);
            Interlocked.Add(ref _bytesSent, blob.Compressed.Length);
        }
        return (batch.ToArray(), i);
    });
}
