using System.Diagnostics;
using ActorCompile.LocalProtocol;
using ActorCompile.Toolchain.Arguments;
using ActorCompile.Toolchain.Dependencies;
using ActorCompile.Toolchain.DirectMode;
using ActorCompile.Toolchain.Identity;
using ActorCompile.Toolchain.Jobs;
using ActorCompile.Toolchain.Processes;

namespace ActorCompile.Cli;

/// <summary>
/// The compiler wrapper: one compile, distributed when the command allows it and a node can place it,
/// otherwise run locally (under a local slot when a node runs). The result is always the one a local
/// compile gives: objects and dependency files byte for byte, diagnostics and exit code as printed.
/// </summary>
public sealed class Wrapper
{
    /// <summary>0 turns "could not distribute" into an error (exit 111) instead of a local compile.</summary>
    public const string FallbackVariable = "ACTORCOMPILE_FALLBACK";

    /// <summary>1 prints one line per compile saying where it ran.</summary>
    public const string VerboseVariable = "ACTORCOMPILE_VERBOSE";

    /// <summary>1 prints where a distributed compile's time went (for benchmarks).</summary>
    public const string TimingVariable = "ACTORCOMPILE_TIMING";

    /// <summary>0 keeps this compile away from the result cache: no lookup, nothing stored, no direct-mode record.</summary>
    public const string CacheVariable = "ACTORCOMPILE_CACHE";

    private static readonly TimeSpan NodeSilence = TimeSpan.FromSeconds(60);

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<(string Phase, long Milliseconds)> _marks = new();
    private readonly bool _timing = Environment.GetEnvironmentVariable(TimingVariable) == "1";

    private void Mark(string phase)
    {
        if (_timing) _marks.Add((phase, _clock.ElapsedMilliseconds));
    }

    /// <summary>The marks so far, each with the milliseconds since the one before (the first since the wrapper started).</summary>
    private string Phases() => string.Join(", ", _marks.Select((m, i) => $"{m.Phase} +{m.Milliseconds - (i == 0 ? 0 : _marks[i - 1].Milliseconds)}"));

    private readonly string _compiler;
    private readonly IReadOnlyList<string> _args;
    /// <summary>The arguments the job carries: the user's, with =native options made explicit.</summary>
    private readonly IReadOnlyList<string> _remoteArgs;
    private readonly string? _nativeReason;
    private readonly CompileCommand _command;
    private readonly string _cwd;
    private readonly bool _fallbackAllowed = Environment.GetEnvironmentVariable(FallbackVariable) != "0";
    private readonly bool _verbose = Environment.GetEnvironmentVariable(VerboseVariable) is "1" or "yes" or "true";
    private readonly bool _useCache = Environment.GetEnvironmentVariable(CacheVariable) is not ("0" or "no" or "false" or "off");

    public Wrapper(string compiler, IReadOnlyList<string> args)
    {
        _compiler = compiler;
        _args = args;
        _remoteArgs = args;
        if (NativeOptions.Mentions(args))
        {
            try
            {
                var (expanded, reason) = NativeOptions.ExpandAsync(compiler, args).GetAwaiter().GetResult();
                _remoteArgs = expanded ?? args;
                _nativeReason = reason;
            }
            catch (ProcessStartException e)
            {
                _nativeReason = e.Message;
            }
        }
        _command = CompileCommand.Parse(_remoteArgs);
        _cwd = LogicalWorkingDirectory();
    }

    /// <summary>Why this compile ran here (for ACTORCOMPILE_VERBOSE), or null while it may still run elsewhere.</summary>
    private string? _whyLocal;

    public int Run()
    {
        var localReason = _nativeReason ?? _command.LocalReason ?? CompileEnvironment.LocalReason(Environment.GetEnvironmentVariable);
        _whyLocal = localReason;
        bool wantsRemote = localReason is null;

        NodeClient node;
        try
        {
            node = NodeClient.Connect(SocketPath.ForClient());
        }
        catch (NodeUnavailableException e)
        {
            return wantsRemote ? FallBack($"{e.Message}", node: null) : RunLocally(node: null);
        }
        Mark("connected");
        using (node)
        {
            node.ReceiveTimeout = NodeSilence;
            // A result may be as large as the largest job any node may be configured for.
            node.MaximumFrameLength = (int)Math.Min(int.MaxValue, JobLimits.FrameBytes(JobLimits.LargestMaxJobBytes));
            try
            {
                return Converse(node, localReason);
            }
            catch (NodeUnavailableException e)
            {
                return wantsRemote ? FallBack(e.Message, node: null) : RunLocally(node: null);
            }
        }
    }

    private int Converse(NodeClient node, string? localReason)
    {
        var compilerKey = CompilerKey.Of(_compiler) ?? _compiler;
        string? includeKey = null;
        if (localReason is null) includeKey = compilerKey + "\u001e" + CommandRewriter.ForSystemIncludeQuery(_command).CacheKey;
        node.Send(new CompileRequest(_compiler, compilerKey, _remoteArgs, _cwd, localReason, includeKey, ForwardedEnvironment(), ColorDiagnostics(), _useCache));

        Dictionary<string, byte[]>? contents = null;
        while (true)
        {
            switch (node.Receive())
            {
                case NeedToolchain:
                    ProbedToolchain probed;
                    try
                    {
                        probed = ToolchainProbe.ProbeAsync(_compiler).GetAwaiter().GetResult();
                    }
                    catch (Exception e) when (e is ToolchainProbeException or ProcessStartException)
                    {
                        return FallBack($"cannot identify the compiler {_compiler}: {e.Message}", node: null);
                    }
                    var id = probed.Identity;
                    node.Send(new ToolchainInfo(id.Fingerprint, id.Family, id.Version, id.Target, id.DriverLanguage));
                    break;

                case RunLocally { Confirm: true }:
                    return ConfirmLocally(node);

                case RunLocally local:
                    _whyLocal ??= local.Reason;
                    if (local.Quiet) return RunLocally(node);
                    return FallBack(local.Reason, node);

                case Preprocess preprocess:
                    Mark("granted");
                    if (DirectManifest(preprocess, compilerKey) is { } direct)
                    {
                        node.Send(direct);
                        Mark("direct");
                        break;
                    }
                    var scan = Scan(preprocess.SystemIncludeDirectories);
                    if (scan.Problem is not null)
                    {
                        // The dependency scan failed (a missing header, a #error): the compiler's own run says it best.
                        return scan.ShowCompilerError ? RunLocally(node) : FallBack(scan.Problem, node);
                    }
                    contents = new Dictionary<string, byte[]>(scan.Inputs!.Contents);
                    node.Send(new JobManifest(
                        preprocess.SystemIncludeDirectories is null ? scan.SystemDirectories : null,
                        scan.Inputs.PreincludeStdcPredef,
                        scan.Inputs.Entries));
                    Mark("manifest sent");
                    RecordScan(scan);
                    break;

                case NeedBlobs need when _directRecord is not null:
                    if (DirectContents(need) is not { } read)
                    {
                        node.Dispose();
                        return FallBack($"a file changed while the direct-mode record of {_command.Source} was in use", node: null);
                    }
                    node.Send(new Blobs(read));
                    break;

                case NeedBlobs need:
                    if (contents is null) throw new NodeUnavailableException("the node asked for contents before the scan");
                    var items = new List<KeyValuePair<string, byte[]>>(need.Hashes.Count);
                    foreach (var hash in need.Hashes)
                    {
                        if (!contents.TryGetValue(hash, out var data)) throw new NodeUnavailableException($"the node asked for unknown content {hash}");
                        items.Add(new(hash, data));
                    }
                    node.Send(new Blobs(items));
                    break;

                case CompileResult result:
                    return Deliver(result);

                case var other:
                    throw new NodeUnavailableException($"the node sent an unexpected {other.Type}");
            }
        }
    }

    private sealed record ScanResult(JobInputs? Inputs, IReadOnlyList<string> SystemDirectories, string? Problem, bool ShowCompilerError,
        IReadOnlyList<string>? Dependencies = null);

    /// <summary>The dependency scan, run here as the user: every file the compile reads.</summary>
    private ScanResult Scan(IReadOnlyList<string>? knownSystemDirectories)
    {
        // The scan runs the job's command (=native made explicit), which predefines the same macros.
        var deps = ProcessRunner.RunAsync(_compiler, CommandRewriter.ForDependencyScan(_command), _cwd).GetAwaiter().GetResult();
        Mark("scanned");
        if (deps.ExitCode != 0) return new ScanResult(null, Array.Empty<string>(), "the dependency scan failed", ShowCompilerError: true);
        IReadOnlyList<string> system;
        if (knownSystemDirectories is not null) system = knownSystemDirectories;
        else
        {
            var (args, _) = CommandRewriter.ForSystemIncludeQuery(_command);
            var query = ProcessRunner.RunAsync(_compiler, args, _cwd).GetAwaiter().GetResult();
            if (query.ExitCode != 0) return new ScanResult(null, Array.Empty<string>(), "cannot ask the compiler for its include directories", false);
            system = SystemIncludeDirectories.Parse(query.StderrText);
            Mark("system directories");
        }
        var dependencies = MakeDependencies.ParsePrerequisites(deps.StdoutText);
        var collected = InputCollector.Collect(_command, _cwd, dependencies, system);
        Mark("inputs hashed");
        return collected.Inputs is null
            ? new ScanResult(null, system, collected.LocalReason, false)
            : new ScanResult(collected.Inputs, system, null, false, dependencies);
    }

    /// <summary>The direct-mode store, its key for this command, and the record the manifest was sent from (null after a scan).</summary>
    private DirectStore? _directStore;
    private string? _directKey;
    private DirectRecord? _directRecord;

    /// <summary>
    /// The manifest of this command's direct-mode record when it still holds (see <see cref="DirectRecord"/>
    /// for the rule for doubt), so that no scan runs; null when there is none, the cache is off, or it is in doubt.
    /// </summary>
    private JobManifest? DirectManifest(Preprocess preprocess, string compilerKey)
    {
        if (!_useCache) return null;
        if (DirectStore.DefaultDirectory(Environment.GetEnvironmentVariable) is not { } directory)
        {
            Verbose("no direct mode: neither HOME nor XDG_CACHE_HOME is set");
            return null;
        }
        _directStore = DirectStore.Open(directory, out var problem);
        if (_directStore is null)
        {
            Verbose($"no direct mode: {problem}");
            return null;
        }
        _directKey = DirectStore.Key(compilerKey, _remoteArgs, _cwd, ForwardedEnvironment());
        var record = _directStore.Load(_directKey, out problem);
        if (record is null)
        {
            if (problem is not null) Verbose($"direct-mode record of {_command.Source} not used: {problem}");
            return null;
        }
        var doubt = preprocess.SystemIncludeDirectories is { } known && !known.SequenceEqual(record.SystemIncludeDirectories, StringComparer.Ordinal)
            ? "the compiler's include directories changed"
            : record.Doubt();
        if (doubt is not null)
        {
            Verbose($"direct-mode record of {_command.Source} not used: {doubt}");
            return null;
        }
        _directRecord = record;
        return new JobManifest(preprocess.SystemIncludeDirectories is null ? record.SystemIncludeDirectories : null,
            record.PreincludeStdcPredef, record.Entries, Direct: true);
    }

    /// <summary>
    /// Reads the contents the node lacks for a direct-mode manifest, each from its file now and checked
    /// against the hash the record holds; null (and the record deleted) when one differs or cannot be read.
    /// </summary>
    private List<KeyValuePair<string, byte[]>>? DirectContents(NeedBlobs need)
    {
        var byHash = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var f in _directRecord!.Files)
            if (f.Hash is { } h) byHash.TryAdd(h, f.Path);
        var items = new List<KeyValuePair<string, byte[]>>(need.Hashes.Count);
        foreach (var hash in need.Hashes)
        {
            if (!byHash.TryGetValue(hash, out var path)) throw new NodeUnavailableException($"the node asked for unknown content {hash}");
            byte[] data;
            try
            {
                data = File.ReadAllBytes(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                data = Array.Empty<byte>();
            }
            if (Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(data)) != hash)
            {
                _directStore!.Delete(_directKey!);
                return null;
            }
            items.Add(new(hash, data));
        }
        return items;
    }

    /// <summary>Keeps a direct-mode record of the scan just sent, when the cache is on and the rule for doubt allows one.</summary>
    private void RecordScan(ScanResult scan)
    {
        if (_directStore is null || _directKey is null) return;
        var made = DirectRecorder.Record(_directKey, _command, _cwd, scan.Dependencies!, scan.Inputs!, scan.SystemDirectories, _compiler, DateTime.UtcNow);
        string? problem = made.WhyNot;
        if (made.Record is not null) _directStore.Save(made.Record, out problem);
        else _directStore.Delete(_directKey);
        if (problem is not null && !made.TooNew) Verbose($"no direct-mode record of {_command.Source}: {problem}");
        Mark("recorded");
    }

    private void Verbose(string line)
    {
        if (_verbose) Console.Error.WriteLine($"actorcompile: {line}");
    }

    /// <summary>Writes what the worker returned, as the compiler would have here.</summary>
    private int Deliver(CompileResult result)
    {
        Mark("result");
        if (MissingOrForeignOutput(result) is { } problem) return FallBack(problem, node: null);
        foreach (var (path, data) in result.Outputs)
        {
            try
            {
                WriteAtomically(Path.Combine(_cwd, path), data);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"actorcompile: cannot write {path}: {e.Message}");
                return ExitCodes.OutputNotWritten;
            }
        }
        using (var stdout = Console.OpenStandardOutput()) stdout.Write(result.Stdout);
        using (var stderr = Console.OpenStandardError()) stderr.Write(result.Stderr);
        if (_verbose)
            Console.Error.WriteLine(result.Cached
                ? $"actorcompile: {_command.Source} fetched from the result cache (compiled on {result.Worker})"
                : $"actorcompile: {_command.Source} compiled on {result.Worker} in {result.ElapsedMilliseconds} ms");
        if (_timing)
        {
            Mark("written");
            var t = result.Timing ?? new JobTiming(0, 0, 0, 0, 0);
            Console.Error.WriteLine($"actorcompile timing: {Phases()}; node: queue {t.Queue}, remote {t.Remote}, worker {t.Worker} (mirror {t.Mirror}, compiler {t.Compiler}) ms");
        }
        return result.ExitCode;
    }

    /// <summary>
    /// Why a remote result cannot stand for the local compile, or null when it can: a successful result
    /// must hold the object the command names, and the dependency file when it asks for one, each once;
    /// nothing else is written. Such a result then compiles locally (nothing of it was written).
    /// </summary>
    private string? MissingOrForeignOutput(CompileResult result)
    {
        var expected = new HashSet<string>(StringComparer.Ordinal) { _command.Output! };
        if (_command.Dependencies is { } d) expected.Add(d.File);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (path, _) in result.Outputs)
        {
            if (!expected.Contains(path)) return $"the remote result holds a file the command does not produce ({path})";
            if (!seen.Add(path)) return $"the remote result holds {path} twice";
        }
        if (result.ExitCode != 0) return null; // a failed compile writes no object; its diagnostics are the result
        var missing = expected.Where(p => !seen.Contains(p)).ToList();
        return missing.Count == 0 ? null : $"the remote result lacks {string.Join(" and ", missing)}";
    }

    /// <summary>
    /// Writes to a temporary file in the same directory, then renames it over the target: never a
    /// half-written object. The temporary file has an unpredictable name and is created exclusively
    /// (O_EXCL: never through a link or a file someone else put there), and is removed when anything fails.
    /// </summary>
    public static void WriteAtomically(string path, byte[] data)
    {
        var dir = Path.GetDirectoryName(path) ?? ".";
        var temporary = Path.Combine(dir, $".{Path.GetFileName(path)}.actorcompile-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12))}.tmp");
        var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        try
        {
            using (file) file.Write(data);
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            try { File.Delete(temporary); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // the original error is the one to report
            throw;
        }
    }

    private int FallBack(string reason, NodeClient? node)
    {
        if (!_fallbackAllowed)
        {
            Console.Error.WriteLine($"actorcompile: {reason}; not compiling locally because {FallbackVariable}=0");
            return ExitCodes.DistributionRequired;
        }
        Console.Error.WriteLine($"actorcompile: {reason}; compiling locally");
        _whyLocal ??= reason;
        return RunLocally(node);
    }

    private int RunLocally(NodeClient? node)
    {
        Mark("local slot");
        var started = Stopwatch.StartNew();
        int exit;
        try
        {
            exit = ProcessRunner.RunInheritingTerminal(_compiler, _args);
        }
        catch (ProcessStartException e)
        {
            Console.Error.WriteLine($"actorcompile: {e.Message}");
            exit = ExitCodes.CompilerNotFound;
        }
        if (node is not null) TellDone(node, new LocalDone(exit));
        if (_verbose && _command.Source is not null)
            Console.Error.WriteLine($"actorcompile: {_command.Source} compiled locally{(_whyLocal is null ? "" : $" ({_whyLocal})")} in {started.ElapsedMilliseconds} ms");
        if (_timing) { Mark("compiler ran"); Console.Error.WriteLine($"actorcompile timing: {Phases()}; local"); }
        return exit;
    }

    /// <summary>
    /// The compile failed on a worker, or the node verifies a cache hit; the local compile gives the user's
    /// result, and what it printed and wrote is hashed so that the node can tell whether the worker (or the
    /// cache) and this machine disagree. Its stderr passes through a pipe, so gcc is asked for colours as it
    /// was on the worker when this is a terminal.
    /// </summary>
    private int ConfirmLocally(NodeClient node)
    {
        Mark("local slot");
        var args = ColorDiagnostics() ? _args.Append("-fdiagnostics-color=always").ToList() : _args.ToList();
        int exit;
        string? hash = null;
        try
        {
            var (code, stderr) = ProcessRunner.RunTeeingStderr(_compiler, args);
            exit = code;
            hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stderr));
        }
        catch (ProcessStartException e)
        {
            Console.Error.WriteLine($"actorcompile: {e.Message}");
            exit = ExitCodes.CompilerNotFound;
        }
        TellDone(node, new LocalDone(exit, hash, exit == 0 ? OutputHashes() : null));
        if (_verbose && _command.Source is not null)
            Console.Error.WriteLine($"actorcompile: {_command.Source} compiled locally (to check a remote or cached result)");
        if (_timing) { Mark("compiler ran"); Console.Error.WriteLine($"actorcompile timing: {Phases()}; local"); }
        return exit;
    }

    /// <summary>The SHA-256 of each file the command writes (the object, the dependency file), as it is now; a missing one has none.</summary>
    private List<KeyValuePair<string, string>> OutputHashes()
    {
        var paths = new List<string>();
        if (_command.Output is { } o) paths.Add(o);
        if (_command.Dependencies is { } d) paths.Add(d.File);
        var hashes = new List<KeyValuePair<string, string>>();
        foreach (var path in paths)
        {
            try
            {
                using var file = File.OpenRead(Path.Combine(_cwd, path));
                hashes.Add(new(path, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(file))));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Not written: the node sees that it lacks this file.
            }
        }
        return hashes;
    }

    /// <summary>
    /// Tells the node that the local compile finished. A node that went away meanwhile changes nothing for
    /// this compile, whose result stands; the node frees the slot when the connection closes anyway. Said
    /// on stderr only with ACTORCOMPILE_VERBOSE, since the build itself is fine.
    /// </summary>
    private void TellDone(NodeClient node, LocalDone done)
    {
        try
        {
            node.Send(done);
        }
        catch (NodeUnavailableException e)
        {
            if (_verbose) Console.Error.WriteLine($"actorcompile: {e.Message} (after the local compile, which stands)");
        }
    }

    private static List<KeyValuePair<string, string>> ForwardedEnvironment()
    {
        var env = CompileEnvironment.Capture(Environment.GetEnvironmentVariable);
        // gcc sizes its source excerpts by COLUMNS, else by the terminal on standard input.
        if (Environment.GetEnvironmentVariable("COLUMNS") is null && Native.TerminalColumns(0) is { } width)
            env.Add(new("COLUMNS", width.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return env;
    }

    /// <summary>gcc colours diagnostics on a terminal; the worker's stderr is a pipe, so it is told to when this one is a terminal.</summary>
    private bool ColorDiagnostics()
    {
        if (_args.Any(a => a.StartsWith("-fdiagnostics-color", StringComparison.Ordinal) || a.StartsWith("-fno-diagnostics-color", StringComparison.Ordinal)))
            return false;
        var term = Environment.GetEnvironmentVariable("TERM");
        return Native.IsTerminal(2) && !string.IsNullOrEmpty(term) && term != "dumb" && Environment.GetEnvironmentVariable("GCC_COLORS") != "";
    }

    /// <summary>The directory the compiler records: $PWD when it names the current directory, as getpwd() does.</summary>
    private static string LogicalWorkingDirectory()
    {
        var physical = Directory.GetCurrentDirectory();
        var pwd = Environment.GetEnvironmentVariable("PWD");
        if (pwd is { Length: > 0 } && pwd.StartsWith('/') && Native.RealPath(pwd) is { } resolved && resolved == Native.RealPath(physical))
            return pwd;
        return physical;
    }
}
