using ActorCompile.LocalProtocol;
using ActorCompile.Toolchain.Arguments;
using ActorCompile.Toolchain.Dependencies;
using ActorCompile.Toolchain.Jobs;
using ActorCompile.Toolchain.Processes;
using ActorCompile.Toolchain.Scanning;

namespace ActorCompile.Wrapper;

/// <summary>
/// The wrapper's part in finding a job's inputs, as the user: the include scanner (no compiler runs), or the
/// compiler's own -M scan when the scanner declines or does not serve this compiler. The directives of each
/// file come from the node when it remembers that version of the file for this user (one round trip per
/// level of the include graph); the others are read here, parsed, and their contents go to the node, which
/// hashes them: the wrapper reads and hashes nothing the node already knows.
/// </summary>
internal sealed class InputFinder : IDirectiveSource
{
    /// <summary>Fault injection for tests: a file name (no directory) the include scanner leaves out, to make a scanner miss on purpose.</summary>
    public const string OmitVariable = "ACTORCOMPILE_TEST_SCANNER_OMITS";

    private readonly NodeClient _node;
    private readonly string _compiler;
    private readonly CompileCommand _command;
    private readonly string _cwd;
    private readonly ScanDialect _dialect;
    private readonly Action<string> _mark;
    private readonly List<FileUpload> _pending = new();
    /// <summary>The paths this job's manifests named: the only ones the node may ask to read again.</summary>
    private readonly HashSet<string> _named = new(StringComparer.Ordinal);

    /// <summary>Contents sent to the node (files it did not remember).</summary>
    public int Uploaded { get; private set; }

    /// <summary>A file that was found but could not be read (or changed while read): the job cannot name its content.</summary>
    private string? _unreadable;

    /// <summary>The node's max-job-size, and the bytes of the files found so far (each path once).</summary>
    private long _maxJobBytes = long.MaxValue, _bytes;
    private readonly HashSet<string> _counted = new(StringComparer.Ordinal);

    /// <summary>The job's files pass the node's max-job-size: no more is sent, it compiles here.</summary>
    private sealed class TooLargeException(string message) : Exception(message);

    public InputFinder(NodeClient node, string compiler, CompileCommand command, string cwd, Action<string> mark)
    {
        _node = node;
        _compiler = compiler;
        _command = command;
        _cwd = cwd;
        _dialect = ScanDialect.For(command);
        _mark = mark;
    }

    /// <summary>The manifest to send, or why not (<paramref name="showCompilerError"/>: the compiler's scan failed, its own run says why best).</summary>
    public JobManifest? Find(Preprocess preprocess, bool scanner, out string? problem, out bool showCompilerError)
    {
        _maxJobBytes = preprocess.MaxJobBytes;
        try
        {
            return FindInputs(preprocess, scanner, out problem, out showCompilerError);
        }
        catch (TooLargeException e)
        {
            problem = e.Message;
            showCompilerError = false;
            return null;
        }
    }

    private JobManifest? FindInputs(Preprocess preprocess, bool scanner, out string? problem, out bool showCompilerError)
    {
        showCompilerError = false;
        IReadOnlyList<string> system;
        if (preprocess.SystemIncludeDirectories is { } known) system = known;
        else if (QuerySystemDirectories() is { } queried) system = queried;
        else
        {
            problem = "cannot ask the compiler for its include directories";
            return null;
        }
        var sendSystem = preprocess.SystemIncludeDirectories is null ? system : null;
        string? declined = null;
        if (scanner && preprocess.Scan)
        {
            var scan = IncludeScanner.Scan(_command, _cwd, system, this);
            _mark("scanned");
            if (scan.Declined is null || _unreadable is not null)
                return Manifest(Omitting(scan.Files), scan.Probes, system, sendSystem, scan.PreincludeStdcPredef, InputScan.Scanner, null, out problem);
            declined = scan.Declined;
        }
        return CompilerScanInputs(system, sendSystem, declined, out problem, out showCompilerError);
    }

    /// <summary>The compiler's own scan (-M): every file it reads, then their directives for the __has_include probes.</summary>
    public JobManifest? CompilerScan(IReadOnlyList<string> system, IReadOnlyList<string>? sendSystem, string? declined, out string? problem, out bool showCompilerError)
    {
        try
        {
            return CompilerScanInputs(system, sendSystem, declined, out problem, out showCompilerError);
        }
        catch (TooLargeException e)
        {
            problem = e.Message;
            showCompilerError = false;
            return null;
        }
    }

    private JobManifest? CompilerScanInputs(IReadOnlyList<string> system, IReadOnlyList<string>? sendSystem, string? declined, out string? problem, out bool showCompilerError)
    {
        showCompilerError = false;
        var deps = ProcessRunner.RunAsync(_compiler, CommandRewriter.ForDependencyScan(_command), _cwd).GetAwaiter().GetResult();
        _mark("compiler scanned");
        if (deps.ExitCode != 0)
        {
            problem = "the dependency scan failed";
            showCompilerError = true;
            return null;
        }
        var dependencies = MakeDependencies.ParsePrerequisites(deps.StdoutText);
        var files = new List<ScannedFile>(dependencies.Count);
        foreach (var d in dependencies)
        {
            if (Native.Status(Path.Combine(_cwd, d)) is not { IsRegularFile: true } status)
            {
                problem = $"cannot read {d}";
                return null;
            }
            files.Add(new ScannedFile(d, status));
        }
        var directives = Directives(files);
        var probes = new List<ScannedFile>();
        if (!InputCollector.ProbesOf(files.Zip(directives).ToList(), _cwd, InputCollector.SearchedDirectories(_command, _cwd, system), probes))
        {
            problem = "a header uses __has_include with a computed argument";
            return null;
        }
        return Manifest(files, probes, system, sendSystem, InputCollector.PreincludesStdcPredef(_command, dependencies), InputScan.Compiler, declined, out problem);
    }

    /// <summary>The compiler's default header directories for this command (its -E -v list).</summary>
    public IReadOnlyList<string>? QuerySystemDirectories()
    {
        var (args, _) = CommandRewriter.ForSystemIncludeQuery(_command);
        args[^1] = "/dev/null";
        var query = ProcessRunner.RunAsync(_compiler, args, _cwd).GetAwaiter().GetResult();
        _mark("system directories");
        return query.ExitCode == 0 ? SystemIncludeDirectories.Parse(query.StderrText) : null;
    }

    private JobManifest? Manifest(IReadOnlyList<ScannedFile> files, IReadOnlyList<ScannedFile> probes, IReadOnlyList<string> system,
        IReadOnlyList<string>? sendSystem, bool predef, InputScan how, string? declined, out string? problem)
    {
        if (_unreadable is { } unreadable)
        {
            problem = unreadable;
            return null;
        }
        var collected = InputCollector.Collect(_command, _cwd, files, probes, system, predef);
        _mark("collected");
        if (collected.Inputs is not { } inputs)
        {
            problem = collected.LocalReason;
            return null;
        }
        problem = null;
        foreach (var o in inputs.Origins) _named.Add(o);
        var uploads = _pending.ToList();
        _pending.Clear();
        return new JobManifest(sendSystem, inputs.PreincludeStdcPredef, inputs.Entries, inputs.Origins, uploads, how, declined);
    }

    private static IReadOnlyList<ScannedFile> Omitting(IReadOnlyList<ScannedFile> files) =>
        Environment.GetEnvironmentVariable(OmitVariable) is { Length: > 0 } name
            ? files.Where(f => Path.GetFileName(f.Path) != name).ToList()
            : files;

    /// <summary>
    /// One round with the node: the files found, with the contents it asked for in the round before; it
    /// answers with the directives it remembers. The others are read and parsed here, and go in the next round.
    /// </summary>
    public IReadOnlyList<FileDirectives> Directives(IReadOnlyList<ScannedFile> files)
    {
        foreach (var f in files)
            if (_counted.Add(f.Path)) _bytes += f.Status.Size;
        if (_bytes > _maxJobBytes)
            throw new TooLargeException($"the job's inputs ({Sizes.Format(_bytes)} so far) exceed the node's max-job-size ({Sizes.Format(_maxJobBytes)})");
        _node.Send(new ScanRound(files.Select(f => new FileRef(f.Path, f.Status)).ToList(), _pending.ToList()));
        _pending.Clear();
        if (_node.Receive() is not ScanAnswers answers || answers.Directives.Count != files.Count)
            throw new NodeUnavailableException("the node did not answer the scan's round");
        var result = new FileDirectives[files.Count];
        for (int i = 0; i < files.Count; i++)
        {
            if (answers.Directives[i] is { } known)
            {
                try
                {
                    result[i] = FileDirectives.FromBytes(known);
                    continue;
                }
                catch (InvalidDataException)
                {
                    // Not what this wrapper writes (another version): read it here.
                }
            }
            result[i] = ReadAndParse(files[i].Path);
        }
        return result;
    }

    private FileDirectives ReadAndParse(string path)
    {
        if (Read(path, parse: true) is not { } upload)
        {
            _unreadable ??= $"{path} cannot be read, or changed while it was read";
            return new FileDirectives(Array.Empty<IncludeDirective>(), Array.Empty<MacroDefinition>(), _unreadable);
        }
        _pending.Add(upload);
        Uploaded++;
        return FileDirectives.FromBytes(upload.Directives);
    }

    /// <summary>A file's content with the status of the open file it was read through; null when it cannot be read.</summary>
    private FileUpload? Read(string path, bool parse)
    {
        var readAt = DateTime.UtcNow;
        try
        {
            using var handle = File.OpenHandle(Path.Combine(_cwd, path));
            var status = Native.Status(handle);
            var content = new byte[status.Size];
            int read = 0;
            while (read < content.Length)
            {
                int n = RandomAccess.Read(handle, content.AsSpan(read), read);
                if (n == 0) break;
                read += n;
            }
            if (read != content.Length || Native.Status(handle) != status) return null; // changed while read
            var directives = parse ? DirectiveParser.Parse(content, _dialect).ToBytes() : Array.Empty<byte>();
            return new FileUpload(path, status, FileTimes.Settled(status, readAt), directives, content);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The node asks for contents it only remembers (a worker lacks them): read again, and only files this job named.</summary>
    public FileContents ReadAgain(NeedFiles need)
    {
        var files = new List<FileUpload>(need.Paths.Count);
        foreach (var path in need.Paths)
        {
            if (!_named.Contains(path)) throw new NodeUnavailableException($"the node asked for {path}, which this compile does not read");
            if (Read(path, parse: false) is { } upload) files.Add(upload);
        }
        return new FileContents(files);
    }
}
