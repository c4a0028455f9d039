using System.Collections.Concurrent;
using ActorCompile.Protocol;
using ActorCompile.Protocol.Messages;
using ActorCompile.Toolchain.Identity;
using ActorCompile.Toolchain.Processes;
using ActorCompile.Toolchain.Jobs;

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
    /// <summary>Most compilers whose files are kept found: root-owned paths are few, but /proc offers endless names for one file.</summary>
    private const int MaxCompilers = 64;

    private readonly ConcurrentDictionary<string, Lazy<Task<Found>>> _byCompiler = new(StringComparer.Ordinal);
    private long _bytesRead;
    private long _bytesSent;

    /// <summary>What the node found at a compiler's path: its identity and files, or why they cannot be shipped.</summary>
    private sealed record Found(ProbedToolchain? Probed, ShippableToolchain? Toolchain, string? Reason);

    /// <summary>Bytes of toolchain files read for workers, and the same compressed as they travelled.</summary>
    public long BytesRead => Interlocked.Read(ref _bytesRead);
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    /// <summary>
    /// Whether the compiler a wrapper named at <paramref name="path"/> can be shipped as <paramref name="expected"/>.
    /// Only a path that no one but root can change is looked at (<see cref="RootOwnedPath"/>); what the node
    /// finds there is kept per path (its key has the file's size and time), and the node's own fingerprint
    /// must be the one the wrapper reported. A refusal is not kept, so a user's made-up names cost nothing.
    /// </summary>
    public async Task<Shippable> PrepareAsync(string path, ToolchainIdentity expected)
    {
        var normalised = Path.IsPathRooted(path) ? Path.GetFullPath(path) : path;
        if (RootOwnedPath.Problem(normalised) is { } why) return new Shippable(null, why);
        if (CompilerKey.Of(normalised) is not { } key) return new Shippable(null, $"{path} does not exist on the target's node");
        if (_byCompiler.Count >= MaxCompilers && !_byCompiler.ContainsKey(key)) _byCompiler.Clear();
        var found = await _byCompiler.GetOrAdd(key, _ => new Lazy<Task<Found>>(() => Task.Run(() => Find(normalised)))).Value;
        if (found.Toolchain is null) return new Shippable(null, found.Reason);
        if (found.Probed!.Identity.Fingerprint != expected.Fingerprint)
            return new Shippable(null, $"the node finds another compiler at {path} ({found.Probed.Identity}) than the wrapper reported ({expected})");
        return new Shippable(found.Toolchain, null);
    }

    /// <summary>Identifies the compiler at a root-owned path and finds its files, all of them root's too.</summary>
    private static async Task<Found> Find(string path)
    {
        ProbedToolchain probed;
        ToolchainManifest manifest;
        try
        {
            probed = await ToolchainProbe.ProbeAsync(path);
            manifest = await ToolchainFiles.FindAsync(probed, hash: true);
        }
        catch (Exception e) when (e is ToolchainProbeException or ProcessStartException or IOException or UnauthorizedAccessException)
        {
            return new Found(null, null, $"the node cannot take {path} apart: {e.Message}");
        }
        // The paths come from the compiler's own answers; each file read for a worker must be root's alone.
        foreach (var file in manifest.Files.Where(f => f.Kind == ToolchainFileKind.File))
            if (RootOwnedPath.Problem(file.Path) is { } problem) return new Found(probed, null, problem);
        var identity = probed.Identity;
        var shipped = new ShippedToolchain(manifest.ContentId, identity.Fingerprint, identity.Family, identity.Version, identity.Target,
            identity.DriverLanguage, manifest.Driver, manifest.Files.ToArray());
        var sources = manifest.Files.Where(f => f.Kind == ToolchainFileKind.File).GroupBy(f => f.Hash!).ToDictionary(g => g.Key, g => g.First().Path, StringComparer.Ordinal);
        return new Found(probed, new ShippableToolchain(shipped, sources), null);
    }

    /// <summary>
    /// A batch of the files a worker asked for, from the first of <paramref name="hashes"/>:
    /// files while their sizes here stay within <paramref name="batchBytes"/> (at least one, so a large
    /// compiler proper travels alone), each read here, checked against its hash and compressed; one whose
    /// compressed form exceeds <paramref name="messageBytes"/> cannot travel. Returns the batch and how many
    /// of the hashes it answers (hashes.Count when all). Files a toolchain does not have are refused.
    /// </summary>
    public Task<(Blob[] Batch, int Next)> ReadBatchAsync(ShippableToolchain toolchain, IReadOnlyList<string> hashes, long batchBytes, long messageBytes) => Task.Run(() =>
    {
        var batch = new List<Blob>();
        long size = 0;
        int i = 0;
        for (; i < hashes.Count; i++)
        {
            var hash = hashes[i];
            if (!toolchain.Sources.TryGetValue(hash, out var path))
                throw new InvalidDataException($"{hash} is not a file of toolchain {toolchain.Toolchain.Id[..12]}");
            // Measured before reading, so that no file is read and compressed for a batch it does not join.
            var length = new FileInfo(path).Length;
            if (batch.Count > 0 && size + length > batchBytes) break;
            var content = File.ReadAllBytes(path);
            if (ContentHash.Of(content) != hash)
                throw new InvalidDataException($"{path} changed since the toolchain was identified");
            var blob = Payload.ToBlob(hash, content);
            if (blob.Compressed.Length > messageBytes)
                throw new InvalidDataException($"{path} is too large for one message of the cluster ({blob.Compressed.Length >> 20} MiB compressed)");
            batch.Add(blob);
            size += content.Length;
            Interlocked.Add(ref _bytesRead, content.Length);
            Interlocked.Add(ref _bytesSent, blob.Compressed.Length);
        }
        return (batch.ToArray(), i);
    });
}
