using ActorCompile.Toolchain.Identity;
using ActorCompile.Toolchain.Processes;

namespace ActorCompile.Worker.Execution;

/// <summary>
/// How a worker confines the compilers it runs: bubblewrap (no network, the whole system read-only, only
/// the job's directory writable) when it is installed and works here, and a memory limit through
/// prlimit. Decided once when the worker starts.
/// </summary>
public sealed class JobConfinement
{
    private readonly string? _bwrap;
    private readonly string? _prlimit;
    private readonly long _memoryBytes;

    /// <summary>Why jobs are refused (the sandbox is required but unavailable), or null.</summary>
    public string? Refusal { get; }
    public bool Sandboxed => _bwrap is not null;
    public string Description { get; }

    private JobConfinement(string? bwrap, string? prlimit, long memoryBytes, string? refusal, string description)
    {
        _bwrap = bwrap;
        _prlimit = prlimit;
        _memoryBytes = memoryBytes;
        Refusal = refusal;
        Description = description;
    }

    public static JobConfinement Create(SandboxMode mode, long memoryBytes)
    {
        var path = Environment.GetEnvironmentVariable("PATH");
        var prlimit = memoryBytes > 0 ? ExecutableSearch.Find("prlimit", path) : null;
        string? bwrap = null, refusal = null, why = "off";
        if (mode != SandboxMode.Off)
        {
            var candidate = ExecutableSearch.Find("bwrap", path);
            if (candidate is null) why = "bubblewrap (bwrap) is not installed";
            else
            {
                var probe = ProcessRunner.RunAsync(candidate, new[] { "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--unshare-net", "--die-with-parent", "--", "/bin/true" })
                    .GetAwaiter().GetResult();
                if (probe.ExitCode == 0) bwrap = candidate;
                else why = $"bubblewrap does not work here: {probe.StderrText.Trim()}";
            }
            if (bwrap is null && mode == SandboxMode.Required)
                refusal = $"refused: this worker requires a sandbox and {why}";
        }
        var memory = prlimit is null ? (memoryBytes > 0 ? "no memory limit (prlimit not found)" : "no memory limit")
            : $"memory limit {memoryBytes / (1024 * 1024)} MiB";
        var description = bwrap is not null ? $"sandboxed by bubblewrap, {memory}" : $"not sandboxed ({why}), {memory}";
        return new JobConfinement(bwrap, prlimit, memoryBytes, refusal, description);
    }

    /// <summary>The command that runs <paramref name="program"/> confined to <paramref name="jobDirectory"/>.</summary>
    public (string Program, List<string> Args) Wrap(string program, IReadOnlyList<string> args, string jobDirectory, string workingDirectory)
    {
        var command = new List<string> { program };
        command.AddRange(args);
        if (_prlimit is not null)
            command.InsertRange(0, new[] { _prlimit, $"--data={_memoryBytes}", "--" });
        if (_bwrap is not null)
        {
            command.InsertRange(0, new[]
            {
                _bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--bind", jobDirectory, jobDirectory,
                "--unshare-net", "--unshare-ipc", "--unshare-uts", "--die-with-parent", "--new-session", "--chdir", workingDirectory, "--",
            });
        }
        return (command[0], command.Skip(1).ToList());
    }
}
