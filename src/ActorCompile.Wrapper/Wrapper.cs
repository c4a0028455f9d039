using System.Diagnostics;
using ActorCompile.LocalProtocol;
using ActorCompile.Toolchain.Arguments;
using ActorCompile.Toolchain.Dependencies;
using ActorCompile.Toolchain.Identity;
using ActorCompile.Toolchain.Jobs;
using ActorCompile.Toolchain.Processes;

namespace ActorCompile.Wrapper;

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

        InputFinder? finder = null;
        IReadOnlyList<string>? systemDirectories = null;
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
                    finder = new InputFinder(node, _compiler, _command, _cwd, Mark);
                    if (finder.Find(preprocess, scanner: true, out var problem, out var showError) is not { } manifest)
                    {
                        // The compiler's scan failed (a missing header, an #error): the compiler's own run says it best.
                        return showError ? RunLocally(node) : FallBack(problem!, node);
                    }
                    systemDirectories = manifest.SystemIncludeDirectories ?? preprocess.SystemIncludeDirectories;
                    node.Send(manifest);
                    Mark("manifest sent");
                    break;

                case NeedFiles need when finder is not null:
                    node.Send(finder.ReadAgain(need));
                    break;

                case Rescan when finder is not null && systemDirectories is not null:
                    // The scanner's job failed remotely: the compiler's own scan decides whether a file was missed.
                    if (finder.CompilerScan(systemDirectories, null, null, out var again, out var failed) is not { } rescanned)
                        return failed ? RunLocally(node) : FallBack(again!, node);
                    node.Send(rescanned);
                    break;

                case CompileResult result:
                    return Deliver(result);

                case var other:
                    throw new NodeUnavailableException($"the node sent an unexpected {other.Type}");
            }
        }
    }

    private void Verbose(string line)
    {
        if (_verbose) Console.Error.WriteLine($"actorcompile: {TerminalText.Printable(line)}");
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
                ? $"actorcompile: {_command.Source} fetched from the result cache (compiled on {TerminalText.Printable(result.Worker)})"
                : $"actorcompile: {_command.Source} compiled on {TerminalText.Printable(result.Worker)} in {result.ElapsedMilliseconds} ms");
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

    /// <summary>Never a half-written object (<see cref="AtomicFile"/>: Random.Shared names, seeded by the kernel, so a compile
    /// does not load the crypto library for them, which cost the wrapper milliseconds of start-up).</summary>
    public static void WriteAtomically(string path, byte[] data) => AtomicFile.Write(path, data);

    private int FallBack(string reason, NodeClient? node)
    {
        // A reason may carry a worker's words (a failure on another machine).
        reason = TerminalText.Printable(reason);
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
            hash = ContentHash.Of(stderr);
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
                hashes.Add(new(path, ContentHash.Of(file)));
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
