using ActorCompile.LocalProtocol;
using ActorCompile.Toolchain.Jobs;

namespace ActorCompile.Node.Sessions;

/// <summary>
/// The files of one wrapper's job as the node knows them: for each path the wrapper read from, the version's
/// hash (remembered for this user, or computed now from the bytes it sent), and the contents sent for this
/// job, which stay in memory only while the job lasts. Every hash here was computed by the node from bytes
/// this user sent (now or for an earlier unit): possession, not a claim. Hashing runs on the caller's
/// thread, which is never an actor's (the session calls it from the thread pool when contents came; a round
/// or manifest without contents is only lookups, and the session answers it on its own thread).
/// </summary>
public sealed class JobFiles(uint uid, string workingDirectory, FileMemo memo, long maxJobBytes)
{
    /// <summary>Longest path the wrapper may name.</summary>
    public const int MaximumPathLength = 4096;

    /// <param name="Bytes">The content's real length (what max-job-size counts).</param>
    public readonly record struct Version(string Hash, long Bytes, bool MentionsTimeMacros);

    private readonly object _lock = new();
    private readonly Dictionary<string, Version> _byPath = new(StringComparer.Ordinal);
    private readonly Dictionary<string, byte[]> _contents = new(StringComparer.Ordinal);
    private long _contentBytes;

    /// <summary>Files whose content the wrapper sent (the rest the node remembered).</summary>
    public int Uploaded { get; private set; }

    /// <summary>Files the node remembered: neither read nor hashed again.</summary>
    public int Remembered { get; private set; }

    /// <summary>One level of the scan: the contents sent are hashed and remembered, the files asked about answered.</summary>
    public ScanAnswers Round(ScanRound round)
    {
        Take(round.Uploads);
        var answers = new List<byte[]?>(round.Queries.Count);
        foreach (var q in round.Queries)
        {
            Check(q.Path);
            if (memo.Get(uid, q.Status) is { } known)
            {
                lock (_lock)
                {
                    // A version is this path's only if the wrapper did not send another for it in this job.
                    if (_byPath.TryAdd(q.Path, new Version(known.Hash, known.Status.Size, known.MentionsTimeMacros))) Remembered++;
                }
                answers.Add(known.Directives);
            }
            else answers.Add(null);
        }
        return new ScanAnswers(answers);
    }

    /// <summary>Hashes and keeps the contents the wrapper sent; remembers the settled ones for this user.</summary>
    /// <exception cref="InvalidDataException">A path or content that breaks the protocol's bounds.</exception>
    /// <exception cref="JobTooLargeException">The job's contents pass max-job-size.</exception>
    public void Take(IReadOnlyList<FileUpload> uploads)
    {
        foreach (var u in uploads)
        {
            Check(u.Path);
            if (u.Content.LongLength != u.Status.Size)
                throw new InvalidDataException($"{u.Path}: {u.Content.LongLength} bytes sent for a file of {u.Status.Size}");
            var hash = ContentHash.Of(u.Content);
            bool time = TimeMacros.Mentioned(u.Content);
            lock (_lock)
            {
                _byPath[u.Path] = new Version(hash, u.Content.LongLength, time);
                if (_contents.TryAdd(hash, u.Content))
                {
                    _contentBytes += u.Content.LongLength;
                    if (_contentBytes > maxJobBytes) throw new JobTooLargeException(_contentBytes);
                }
                Uploaded++;
            }
            if (u.Settled) memo.Put(uid, new RememberedFile(u.Status, hash, u.Directives, time));
        }
    }

    private static void Check(string path)
    {
        if (path.Length == 0 || path.Length > MaximumPathLength || path.Contains('\0'))
            throw new InvalidDataException($"a path must be 1 to {MaximumPathLength} characters without NUL");
    }

    /// <summary>The version of the file read from <paramref name="origin"/>, or null when the wrapper never named it in a round or sent it.</summary>
    public Version? Of(string origin)
    {
        lock (_lock) return _byPath.TryGetValue(origin, out var v) ? v : null;
    }

    /// <summary>The contents sent for this job that are among <paramref name="hashes"/>.</summary>
    public Dictionary<string, byte[]> Held(IEnumerable<string> hashes)
    {
        lock (_lock)
        {
            var held = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            foreach (var h in hashes)
                if (_contents.TryGetValue(h, out var c)) held[h] = c;
            return held;
        }
    }

    /// <summary>A path each of these contents was read from (for the wrapper to read it again).</summary>
    public List<string> PathsOf(IEnumerable<string> hashes)
    {
        var wanted = hashes.ToHashSet(StringComparer.Ordinal);
        lock (_lock)
        {
            var paths = new List<string>();
            foreach (var (path, v) in _byPath)
                if (wanted.Remove(v.Hash)) paths.Add(path);
            return paths;
        }
    }

    /// <summary>
    /// Contents read again for a worker that lacks them: each must hash to what the job names, or the file
    /// changed since the scan (the job then compiles locally). Returns those that match.
    /// </summary>
    public Dictionary<string, byte[]> Verify(FileContents again, IReadOnlyCollection<string> wanted)
    {
        var found = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var f in again.Files)
        {
            Check(f.Path);
            var hash = ContentHash.Of(f.Content);
            if (wanted.Contains(hash)) found[hash] = f.Content;
        }
        return found;
    }

    /// <summary>
    /// The manifest's contents taken (hashed, <see cref="Take"/>), and each file entry given the hash and
    /// size of the version read from its origin; or why not (an origin no round of this job named).
    /// </summary>
    /// <exception cref="InvalidDataException">A path or content that breaks the protocol's bounds.</exception>
    /// <exception cref="JobTooLargeException">The job's contents pass max-job-size.</exception>
    public (MirrorEntry[]? Mirror, long Bytes, string? Problem) Resolve(JobManifest manifest)
    {
        Take(manifest.Uploads);
        var mirror = new MirrorEntry[manifest.Entries.Count];
        int origin = 0;
        long bytes = 0;
        for (int i = 0; i < mirror.Length; i++)
        {
            var e = manifest.Entries[i];
            if (e.Kind != MirrorEntryKind.File)
            {
                mirror[i] = e;
                continue;
            }
            var path = manifest.Origins[origin++];
            if (Of(path) is not { } version)
                return (null, 0, $"the manifest names {path}, which no scan round of this connection sent or asked about");
            mirror[i] = e with { Hash = version.Hash, Size = version.Bytes };
            bytes += version.Bytes;
        }
        return (mirror, bytes, null);
    }

    /// <summary>
    /// Whether a result built from these files may be kept in the result cache: each is known and none names
    /// __DATE__, __TIME__ or __TIMESTAMP__ (an object that changes with the clock is never the same twice).
    /// </summary>
    public bool Keepable(IEnumerable<string> origins) => origins.All(o => Of(o) is { MentionsTimeMacros: false });

    public string WorkingDirectory => workingDirectory;
}

/// <summary>A job's contents passed max-job-size while they arrived.</summary>
public sealed class JobTooLargeException(long bytes) : Exception($"the job's inputs ({Sizes.Format(bytes)}) exceed the node's max-job-size")
{
    public long Bytes { get; } = bytes;
}
