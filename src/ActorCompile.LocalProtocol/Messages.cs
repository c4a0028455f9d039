using ActorCompile.Toolchain.Jobs;
using ActorCompile.Toolchain.Processes;

namespace ActorCompile.LocalProtocol;

/// <summary>
/// The conversation between the wrapper (or the status CLI) and the local node, one compile per
/// connection:
/// <code>
/// wrapper                                   node
/// CompileRequest                    ->
///                                   <-      NeedToolchain        (first time this compiler is seen)
/// ToolchainInfo                     ->
///                                   <-      RunLocally           (not distributable, no worker offers it, ...; holds a local slot)
///                                   <-      Preprocess           (find the inputs now: with the include scanner when Scan, else the compiler's -M)
/// ScanRound                         ->                           (files found: path and status; contents and directives of those the node did not know)
///                                   <-      ScanAnswers          (per file asked about: its directives when this user's node remembers that version, else none: send it)
///   ... one round per level of the include graph ...
/// JobManifest                       ->                           (the mirror, each file by the path it was read from; the last contents)
///                                   <-      CompileResult        (Cached: a hit in the result cache; nothing more)
///                                   <-      NeedFiles            (a worker lacks contents the node only remembers: read them again)
/// FileContents                      ->
///                                   <-      Heartbeat ...        (while the job is queued or compiling)
///                                   <-      Rescan               (the scanner's job failed remotely: run the compiler's scan, then ScanRound/JobManifest again)
///                                   <-      CompileResult | RunLocally
/// LocalDone                         ->      (after any local compile: releases the slot, counts the job)
/// </code>
/// The wrapper never sends a content's hash: the node hashes what it receives (a user's job uses only contents
/// that user sent, now or for an earlier unit: hashing once per file version), and remembers per user, by path
/// and status (size, mtime, ctime, inode, device), each file's hash and directives.
/// A status request is a connection of its own: StatusRequest -> StatusReply; so is CacheClearRequest -> CacheCleared.
/// </summary>
public abstract record LocalMessage
{
    public abstract MessageType Type { get; }
    public abstract void Write(WireWriter w);
}

public enum MessageType : byte
{
    CompileRequest = 1,
    ToolchainInfo = 2,
    JobManifest = 3,
    FileContents = 4,
    LocalDone = 5,
    StatusRequest = 6,
    CacheClearRequest = 7,
    ScanRound = 8,

    NeedToolchain = 101,
    RunLocally = 102,
    Preprocess = 103,
    NeedFiles = 104,
    CompileResult = 105,
    Heartbeat = 106,
    StatusReply = 107,
    Error = 108,
    CacheCleared = 109,
    ScanAnswers = 110,
    Rescan = 111,
}

/// <summary>A file as the wrapper found it: the path the compiler opens (as gcc spells it, relative to the working directory or absolute) and its status then.</summary>
public sealed record FileRef(string Path, FileStatus Status)
{
    internal void Write(WireWriter w)
    {
        w.String(Path);
        WriteStatus(w, Status);
    }

    internal static FileRef Read(ref WireReader r) => new(r.String("file path"), ReadStatus(ref r));

    internal static void WriteStatus(WireWriter w, FileStatus s)
    {
        w.Int32(unchecked((int)s.Mode));
        w.Int64(s.Size);
        w.Int64(s.ModifiedNanoseconds);
        w.Int64(s.ChangedNanoseconds);
        w.Int64(unchecked((long)s.Inode));
        w.Int32(unchecked((int)s.DeviceMajor));
        w.Int32(unchecked((int)s.DeviceMinor));
    }

    internal static FileStatus ReadStatus(ref WireReader r) => new(
        unchecked((uint)r.Int32("mode")), r.Int64("size"), r.Int64("mtime"), r.Int64("ctime"),
        unchecked((ulong)r.Int64("inode")), unchecked((uint)r.Int32("device")), unchecked((uint)r.Int32("device")));
}

/// <summary>
/// A file's content as the wrapper read it, with the status of the open file it read (fstat) and what its
/// directives say (the scanner's compact form; empty when none were parsed). <paramref name="Settled"/>:
/// its mtime and ctime were more than the doubt window (2 s) before the wrapper read it, so a later change
/// shows in its status and the node may remember it by that status; a file changed within the window is
/// hashed again each time.
/// </summary>
public sealed record FileUpload(string Path, FileStatus Status, bool Settled, byte[] Directives, byte[] Content)
{
    internal void Write(WireWriter w)
    {
        w.String(Path);
        FileRef.WriteStatus(w, Status);
        w.Bool(Settled);
        w.Bytes(Directives);
        w.Bytes(Content);
    }

    internal static FileUpload Read(ref WireReader r) =>
        new(r.String("file path"), FileRef.ReadStatus(ref r), r.Bool("settled flag"), r.Bytes("directives"), r.Bytes("content"));
}

/// <summary>How the wrapper found a job's inputs.</summary>
public enum InputScan : byte
{
    /// <summary>The include scanner (no compiler ran on the target).</summary>
    Scanner = 1,
    /// <summary>The compiler's own dependency scan (-M): the scanner declined, is not used for this compiler, or missed a file.</summary>
    Compiler = 2,
}

/// <summary>A compile the wrapper was asked to run.</summary>
/// <param name="CompilerPath">The real compiler, as found by the wrapper: the node takes its files apart when it ships the toolchain
/// (it never runs it for the wrapper, and re-probes it itself, so a wrong path only ships nothing).</param>
/// <param name="CompilerKey">The compiler's cache key (path, canonical path, size, modification time).</param>
/// <param name="Args">The arguments after the compiler's name.</param>
/// <param name="WorkingDirectory">The logical working directory.</param>
/// <param name="LocalReason">Why the wrapper keeps this command local, or null when it asks to distribute it.</param>
/// <param name="SystemIncludeKey">The cache key of the compiler's default header directories for this command.</param>
/// <param name="Environment">The variables in <c>CompileEnvironment.Forwarded</c> that are set.</param>
/// <param name="ColorDiagnostics">The wrapper's stderr is a colour terminal: the worker asks gcc for colours.</param>
/// <param name="UseCache">The result cache may answer and keep this compile (ACTORCOMPILE_CACHE is not 0).</param>
public sealed record CompileRequest(
    string CompilerPath,
    string CompilerKey,
    IReadOnlyList<string> Args,
    string WorkingDirectory,
    string? LocalReason,
    string? SystemIncludeKey,
    IReadOnlyList<KeyValuePair<string, string>> Environment,
    bool ColorDiagnostics,
    bool UseCache = true) : LocalMessage
{
    public override MessageType Type => MessageType.CompileRequest;

    public override void Write(WireWriter w)
    {
        w.String(CompilerPath);
        w.String(CompilerKey);
        w.Strings(Args);
        w.String(WorkingDirectory);
        w.String(LocalReason);
        w.String(SystemIncludeKey);
        w.Int32(Environment.Count);
        foreach (var (k, v) in Environment) { w.String(k); w.String(v); }
        w.Bool(ColorDiagnostics);
        w.Bool(UseCache);
    }

    internal static CompileRequest Read(ref WireReader r)
    {
        var compiler = r.String("compiler path");
        var key = r.String("compiler key");
        var args = r.Strings("arguments");
        var cwd = r.String("working directory");
        var reason = r.NullableString("local reason");
        var includeKey = r.NullableString("system include key");
        int n = r.Count("environment", 8);
        var env = new List<KeyValuePair<string, string>>(n);
        for (int i = 0; i < n; i++) env.Add(new(r.String("variable name"), r.String("variable value")));
        var color = r.Bool("colour flag");
        var cache = r.Bool("cache flag");
        return new CompileRequest(compiler, key, args, cwd, reason, includeKey, env, color, cache);
    }
}

/// <summary>The identity of the wrapper's compiler (see ToolchainProbe).</summary>
public sealed record ToolchainInfo(string Fingerprint, string Family, string Version, string Target, string DriverLanguage) : LocalMessage
{
    public override MessageType Type => MessageType.ToolchainInfo;

    public override void Write(WireWriter w)
    {
        w.String(Fingerprint);
        w.String(Family);
        w.String(Version);
        w.String(Target);
        w.String(DriverLanguage);
    }

    internal static ToolchainInfo Read(ref WireReader r) =>
        new(r.String("fingerprint"), r.String("family"), r.String("version"), r.String("target"), r.String("driver language"));
}

/// <summary>What the compile reads, after the scan.</summary>
/// <param name="SystemIncludeDirectories">The compiler's default header directories, when the node did not know them.</param>
/// <param name="Entries">The mirror: directories, placeholders and files; a file's hash is left out (null), the node knows it.</param>
/// <param name="Origins">For each file entry, in order, the path it was read from (a path of a ScanRound of this connection).</param>
/// <param name="Uploads">Contents the node did not know (the last level's, or every file's for the compiler's scan).</param>
/// <param name="Scan">How the files were found.</param>
/// <param name="Declined">Why the scanner declined (the compiler's scan ran instead), for the node's counters; null otherwise.</param>
public sealed record JobManifest(
    IReadOnlyList<string>? SystemIncludeDirectories,
    bool PreincludeStdcPredef,
    IReadOnlyList<MirrorEntry> Entries,
    IReadOnlyList<string> Origins,
    IReadOnlyList<FileUpload> Uploads,
    InputScan Scan,
    string? Declined = null) : LocalMessage
{
    public override MessageType Type => MessageType.JobManifest;

    public override void Write(WireWriter w)
    {
        w.Strings(SystemIncludeDirectories);
        w.Bool(PreincludeStdcPredef);
        w.Int32(Entries.Count);
        foreach (var e in Entries)
        {
            w.Byte((byte)e.Kind);
            w.String(e.Path);
            w.String(e.Hash);
            w.Int64(e.Size);
            w.Int64(e.ModifiedUnixMilliseconds);
        }
        w.Strings(Origins);
        w.Int32(Uploads.Count);
        foreach (var u in Uploads) u.Write(w);
        w.Byte((byte)Scan);
        w.String(Declined);
    }

    internal static JobManifest Read(ref WireReader r)
    {
        var dirs = r.NullableStrings("system include directories");
        var pre = r.Bool("pre-include flag");
        int n = r.Count("manifest", 25);
        var entries = new List<MirrorEntry>(n);
        for (int i = 0; i < n; i++)
            entries.Add(new MirrorEntry(EntryKind(r.Byte("entry kind")), r.String("entry path"), r.NullableString("entry hash"), r.Int64("entry size"), r.Int64("entry time")));
        var origins = r.Strings("origins");
        int u = r.Count("uploads", 60);
        var uploads = new List<FileUpload>(u);
        for (int i = 0; i < u; i++) uploads.Add(FileUpload.Read(ref r));
        var scan = r.Byte("scan kind") switch
        {
            1 => InputScan.Scanner,
            2 => InputScan.Compiler,
            var k => throw new ProtocolException($"unknown scan kind {k}"),
        };
        return new JobManifest(dirs, pre, entries, origins, uploads, scan, r.NullableString("declined"));
    }

    private static MirrorEntryKind EntryKind(byte kind) =>
        Enum.IsDefined((MirrorEntryKind)kind) ? (MirrorEntryKind)kind : throw new ProtocolException($"unknown entry kind {kind}");
}

/// <summary>
/// One level of the include scan (or the compiler's list at once): the files found, whose directives the
/// node may remember, and the contents of files the node said it did not know.
/// </summary>
public sealed record ScanRound(IReadOnlyList<FileRef> Queries, IReadOnlyList<FileUpload> Uploads) : LocalMessage
{
    public override MessageType Type => MessageType.ScanRound;

    public override void Write(WireWriter w)
    {
        w.Int32(Queries.Count);
        foreach (var q in Queries) q.Write(w);
        w.Int32(Uploads.Count);
        foreach (var u in Uploads) u.Write(w);
    }

    internal static ScanRound Read(ref WireReader r)
    {
        int n = r.Count("queries", 45);
        var queries = new List<FileRef>(n);
        for (int i = 0; i < n; i++) queries.Add(FileRef.Read(ref r));
        int u = r.Count("uploads", 60);
        var uploads = new List<FileUpload>(u);
        for (int i = 0; i < u; i++) uploads.Add(FileUpload.Read(ref r));
        return new ScanRound(queries, uploads);
    }
}

/// <summary>For each file of a ScanRound's queries, in order: its directives when the node remembers that version for this user, else null (send its content).</summary>
public sealed record ScanAnswers(IReadOnlyList<byte[]?> Directives) : LocalMessage
{
    public override MessageType Type => MessageType.ScanAnswers;

    public override void Write(WireWriter w)
    {
        w.Int32(Directives.Count);
        foreach (var d in Directives)
        {
            w.Bool(d is not null);
            if (d is not null) w.Bytes(d);
        }
    }

    internal static ScanAnswers Read(ref WireReader r)
    {
        int n = r.Count("answers", 1);
        var answers = new List<byte[]?>(n);
        for (int i = 0; i < n; i++) answers.Add(r.Bool("known flag") ? r.Bytes("directives") : null);
        return new ScanAnswers(answers);
    }
}

/// <summary>Contents a worker lacks that the node only remembers: the wrapper reads these files again.</summary>
public sealed record NeedFiles(IReadOnlyList<string> Paths) : LocalMessage
{
    public override MessageType Type => MessageType.NeedFiles;
    public override void Write(WireWriter w) => w.Strings(Paths);
    internal static NeedFiles Read(ref WireReader r) => new(r.Strings("paths"));
}

/// <summary>The files NeedFiles asked for, read again (a file that cannot be read is left out).</summary>
public sealed record FileContents(IReadOnlyList<FileUpload> Files) : LocalMessage
{
    public override MessageType Type => MessageType.FileContents;

    public override void Write(WireWriter w)
    {
        w.Int32(Files.Count);
        foreach (var f in Files) f.Write(w);
    }

    internal static FileContents Read(ref WireReader r)
    {
        int n = r.Count("files", 60);
        var files = new List<FileUpload>(n);
        for (int i = 0; i < n; i++) files.Add(FileUpload.Read(ref r));
        return new FileContents(files);
    }
}

/// <summary>The job's files came from the include scanner and its remote compile failed: run the compiler's own scan and send the manifest again.</summary>
public sealed record Rescan : LocalMessage
{
    public override MessageType Type => MessageType.Rescan;
    public override void Write(WireWriter w) { }
}

/// <summary>A local compile (granted by RunLocally) has finished.</summary>
/// <param name="StderrHash">SHA-256 of what it printed on stderr, for a compile that confirms a worker's verdict or verifies a cache hit.</param>
/// <param name="OutputHashes">For a compile that verifies a cache hit: the SHA-256 of each file it wrote, by its path in the command.</param>
public sealed record LocalDone(int ExitCode, string? StderrHash = null, IReadOnlyList<KeyValuePair<string, string>>? OutputHashes = null) : LocalMessage
{
    public override MessageType Type => MessageType.LocalDone;

    public override void Write(WireWriter w)
    {
        w.Int32(ExitCode);
        w.String(StderrHash);
        w.Int32(OutputHashes?.Count ?? -1);
        foreach (var (path, hash) in OutputHashes ?? Array.Empty<KeyValuePair<string, string>>()) { w.String(path); w.String(hash); }
    }

    internal static LocalDone Read(ref WireReader r)
    {
        var exit = r.Int32("exit code");
        var stderr = r.NullableString("stderr hash");
        var n = r.Int32("output count");
        if (n < 0) return new LocalDone(exit, stderr);
        if (n > 8) throw new ProtocolException($"a compile writes at most 8 files, not {n}");
        var hashes = new List<KeyValuePair<string, string>>(n);
        for (int i = 0; i < n; i++) hashes.Add(new(r.String("output path"), r.String("output hash")));
        return new LocalDone(exit, stderr, hashes);
    }
}

public sealed record StatusRequest : LocalMessage
{
    public override MessageType Type => MessageType.StatusRequest;
    public override void Write(WireWriter w) { }
}

/// <summary>Empty the node's result cache (actorcompile cache clear); only the node's own user and root may.</summary>
public sealed record CacheClearRequest : LocalMessage
{
    public override MessageType Type => MessageType.CacheClearRequest;
    public override void Write(WireWriter w) { }
}

/// <summary>The node's result cache is empty: how many entries and bytes it dropped.</summary>
public sealed record CacheCleared(long Entries, long Bytes) : LocalMessage
{
    public override MessageType Type => MessageType.CacheCleared;
    public override void Write(WireWriter w) { w.Int64(Entries); w.Int64(Bytes); }
    internal static CacheCleared Read(ref WireReader r) => new(r.Int64("entries"), r.Int64("bytes"));
}

public sealed record NeedToolchain : LocalMessage
{
    public override MessageType Type => MessageType.NeedToolchain;
    public override void Write(WireWriter w) { }
}

/// <summary>Compile locally. The node holds a local slot for this connection until LocalDone or disconnect.</summary>
/// <param name="Reason">Why (printed by the wrapper unless <paramref name="Quiet"/>).</param>
/// <param name="Quiet">Nothing to report: the command was never meant to be distributed (linking, -E, ...), or the target compiles it as a helper for itself.</param>
/// <param name="Confirm">The compile failed on a worker, or this compile verifies a cache hit: the wrapper reports the SHA-256 of its
/// own stderr and of each file it wrote, so that the two results can be compared.</param>
public sealed record RunLocally(string Reason, bool Quiet, bool Confirm = false) : LocalMessage
{
    public override MessageType Type => MessageType.RunLocally;
    public override void Write(WireWriter w) { w.String(Reason); w.Bool(Quiet); w.Bool(Confirm); }
    internal static RunLocally Read(ref WireReader r) => new(r.String("reason"), r.Bool("quiet flag"), r.Bool("confirm flag"));
}

/// <summary>
/// Find the compile's inputs now (a local slot is held). Carries the default header directories when the
/// node knows them; <paramref name="Scan"/>: the include scanner serves this compiler (gcc's search rules),
/// else the compiler's own scan runs. <paramref name="MaxJobBytes"/>: the node's max-job-size, so that the
/// wrapper stops sending a job that cannot be taken (the node counts the real bytes all the same).
/// </summary>
public sealed record Preprocess(IReadOnlyList<string>? SystemIncludeDirectories, bool Scan, long MaxJobBytes = long.MaxValue) : LocalMessage
{
    public override MessageType Type => MessageType.Preprocess;
    public override void Write(WireWriter w) { w.Strings(SystemIncludeDirectories); w.Bool(Scan); w.Int64(MaxJobBytes); }
    internal static Preprocess Read(ref WireReader r) => new(r.NullableStrings("system include directories"), r.Bool("scan flag"), r.Int64("max job size"));
}

/// <summary>Where a remote compile's time went, in milliseconds, as the node and the worker measured it.</summary>
/// <param name="Queue">From submission to a worker taking the job.</param>
/// <param name="Remote">From a worker taking the job to its result arriving at the coordinator.</param>
/// <param name="Worker">On the worker: from receiving the job to sending the result.</param>
/// <param name="Mirror">On the worker: building the mirror.</param>
/// <param name="Compiler">On the worker: the compiler's own run.</param>
public sealed record JobTiming(long Queue, long Remote, long Worker, long Mirror, long Compiler);

/// <summary>The remote compile's result: what the compiler printed, its exit code, and the files it wrote (by their paths in the original command).</summary>
/// <param name="Worker">Where it was compiled (for a cached result: the worker that produced it).</param>
/// <param name="Cached">A hit in the result cache: no compiler ran for this command now.</param>
public sealed record CompileResult(
    int ExitCode,
    byte[] Stdout,
    byte[] Stderr,
    IReadOnlyList<KeyValuePair<string, byte[]>> Outputs,
    string Worker,
    long ElapsedMilliseconds,
    JobTiming? Timing = null,
    bool Cached = false) : LocalMessage
{
    public override MessageType Type => MessageType.CompileResult;

    public override void Write(WireWriter w)
    {
        w.Int32(ExitCode);
        w.Bytes(Stdout);
        w.Bytes(Stderr);
        w.Int32(Outputs.Count);
        foreach (var (path, data) in Outputs) { w.String(path); w.Bytes(data); }
        w.String(Worker);
        w.Int64(ElapsedMilliseconds);
        var t = Timing ?? new JobTiming(0, 0, 0, 0, 0);
        w.Int64(t.Queue); w.Int64(t.Remote); w.Int64(t.Worker); w.Int64(t.Mirror); w.Int64(t.Compiler);
        w.Bool(Cached);
    }

    internal static CompileResult Read(ref WireReader r)
    {
        var exit = r.Int32("exit code");
        var stdout = r.Bytes("stdout");
        var stderr = r.Bytes("stderr");
        int n = r.Count("outputs", 8);
        var outputs = new List<KeyValuePair<string, byte[]>>(n);
        for (int i = 0; i < n; i++) outputs.Add(new(r.String("output path"), r.Bytes("output")));
        var worker = r.String("worker");
        var elapsed = r.Int64("elapsed");
        var timing = new JobTiming(r.Int64("queue time"), r.Int64("remote time"), r.Int64("worker time"), r.Int64("mirror time"), r.Int64("compiler time"));
        var cached = r.Bool("cached flag");
        return new CompileResult(exit, stdout, stderr, outputs, worker, elapsed, timing, cached);
    }
}

public sealed record Heartbeat : LocalMessage
{
    public override MessageType Type => MessageType.Heartbeat;
    public override void Write(WireWriter w) { }
}

/// <summary>The cluster's status as JSON in the documented schema (<see cref="Status.ClusterStatus"/>).</summary>
public sealed record StatusReply(string Json) : LocalMessage
{
    public override MessageType Type => MessageType.StatusReply;
    public override void Write(WireWriter w) => w.String(Json);
    internal static StatusReply Read(ref WireReader r) => new(r.String("status"));
}

/// <summary>The node refused a frame; the connection closes after it.</summary>
public sealed record ErrorReply(string Message) : LocalMessage
{
    public override MessageType Type => MessageType.Error;
    public override void Write(WireWriter w) => w.String(Message);
    internal static ErrorReply Read(ref WireReader r) => new(r.String("message"));
}
