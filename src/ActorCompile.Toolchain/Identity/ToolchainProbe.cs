using System.Security.Cryptography;
using System.Text;
using ActorCompile.Toolchain.Processes;
using ActorCompile.Toolchain.Jobs;

namespace ActorCompile.Toolchain.Identity;

/// <summary>A compiler as found on a machine: how it is invoked, where it really is, and what it is.</summary>
/// <param name="Assembler">The driver's answer to <c>-print-prog-name=as</c> when the probe asked it (a path, or a
/// name the driver looks up), so that finding the toolchain's files need not start the driver again.</param>
public sealed record ProbedToolchain(string Path, string CanonicalPath, ToolchainIdentity Identity, string? Assembler = null);

/// <summary>Thrown when a program does not behave like a gcc or clang driver.</summary>
public sealed class ToolchainProbeException(string message) : Exception(message);

/// <summary>
/// Computes a compiler's <see cref="ToolchainIdentity"/>: target triple, full version, the driver's
/// configuration from -v, and the content hashes of the driver, the compiler proper (cc1/cc1plus, or
/// clang itself) and the assembler it runs. Costs a few process starts and reading the binaries, so
/// callers remember the answer by the compiler's key (<see cref="CompilerKey"/>).
/// </summary>
public static class ToolchainProbe
{
    private static readonly string[] ConfigurationPrefixes =
    {
        "Target:", "Configured with:", "Thread model:", "gcc version", "Supported LTO",
        "Selected multilib", "Candidate multilib",
    };

    public static async Task<ProbedToolchain> ProbeAsync(string path, CancellationToken cancellationToken = default)
    {
        var canonical = ExecutableSearch.Canonical(path);
        if (!ExecutableSearch.IsExecutableFile(canonical))
            throw new ToolchainProbeException($"{path} is not an executable file");

        var env = ProbeEnvironment();
        async Task<string> Ask(params string[] args)
        {
            var r = await ProcessRunner.RunAsync(path, args, environment: env, cancellationToken: cancellationToken);
            if (r.ExitCode != 0)
                throw new ToolchainProbeException($"{path} {string.Join(' ', args)} failed with exit code {r.ExitCode}: {r.StderrText.Trim()}");
            return r.StdoutText.Trim();
        }

        // clang answers -v and -print-prog-name=as in one run, and each of its runs costs 75-100 ms of CPU here
        // (libLLVM's relocations; far more on a Raspberry Pi): a worker offering clang and clang++ started the
        // driver eight times before. gcc prints no configuration when asked for a program's name, so it is
        // asked -v alone next (a gcc run costs about 3 ms).
        var first = await ProcessRunner.RunAsync(path, new[] { "-v", "-print-prog-name=as" }, environment: env, cancellationToken: cancellationToken);
        var configuration = first.ExitCode == 0 ? ConfigurationLines(first.StderrText + first.StdoutText) : new List<string>();
        string? assembler = null;
        if (IsClang(configuration) || IsGcc(configuration))
        {
            // Only from a run that identified the driver: a wrapper that hands -v to a compiler but answers
            // -print-prog-name itself must be asked that question alone, as before.
            if (first.StdoutText.Trim() is { Length: > 0 } answer && !answer.Contains('\n')) assembler = answer;
        }
        else
        {
            var verbose = await ProcessRunner.RunAsync(path, new[] { "-v" }, environment: env, cancellationToken: cancellationToken);
            configuration = ConfigurationLines(verbose.StderrText + verbose.StdoutText);
        }
        bool isClang = IsClang(configuration);
        bool isGcc = IsGcc(configuration);
        if (!isClang && !isGcc)
            throw new ToolchainProbeException($"{path} does not identify itself as gcc or clang (its -v output names neither)");

        // gcc prints its spec_machine and clang its triple both as -v's "Target:" line and for -dumpmachine;
        // only a driver without that line is asked.
        var target = configuration.FirstOrDefault(l => l.StartsWith(TargetPrefix, StringComparison.Ordinal))?[TargetPrefix.Length..].Trim() is { Length: > 0 } stated
            ? stated
            : await Ask("-dumpmachine");
        string version;
        if (isClang)
        {
            var line = configuration.First(l => l.Contains("clang version", StringComparison.Ordinal));
            version = line[(line.IndexOf("clang version", StringComparison.Ordinal) + "clang version".Length)..].Trim().Split(' ')[0];
        }
        else
        {
            version = await Ask("-dumpfullversion");
        }

        var invokedName = System.IO.Path.GetFileName(path);
        var canonicalName = System.IO.Path.GetFileName(canonical);
        string driverLanguage = isClang
            ? (invokedName.Contains("++", StringComparison.Ordinal) ? "c++" : "c")
            : (canonicalName.Contains("g++", StringComparison.Ordinal) || canonicalName.Contains("c++", StringComparison.Ordinal) ? "c++" : "c");

        var parts = new List<(string Name, string? File)> { ("driver", canonical) };
        if (isGcc)
        {
            foreach (var prog in new[] { "cc1", "cc1plus" })
            {
                var p = await Ask("-print-prog-name=" + prog);
                parts.Add((prog, p.Contains('/') && File.Exists(p) ? ExecutableSearch.Canonical(p) : null));
            }
        }
        assembler ??= await Ask("-print-prog-name=as");
        var asPath = assembler.Contains('/') ? assembler : ExecutableSearch.Find(assembler, Environment.GetEnvironmentVariable("PATH"));
        parts.Add(("as", asPath is not null ? ExecutableSearch.Canonical(asPath) : null));

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string s) => hash.AppendData(Encoding.UTF8.GetBytes(s + "\n"));
        Add(isClang ? "clang" : "gcc");
        Add(version);
        Add(target);
        Add(driverLanguage);
        foreach (var l in configuration) Add(l);
        foreach (var (name, file) in parts)
            Add(name + ":" + (file is null ? "absent" : await HashFileAsync(file, cancellationToken)));
        var fingerprint = Convert.ToHexStringLower(hash.GetHashAndReset());

        var identity = new ToolchainIdentity(fingerprint, isClang ? "clang" : "gcc", version, target, driverLanguage);
        return new ProbedToolchain(path, canonical, identity, assembler);
    }

    private const string TargetPrefix = "Target:";

    /// <summary>The lines of -v's output that say what the compiler is (the fingerprint hashes them).</summary>
    private static List<string> ConfigurationLines(string verboseText) => verboseText.Split('\n')
        .Select(l => l.TrimEnd())
        .Where(l => ConfigurationPrefixes.Any(p => l.StartsWith(p, StringComparison.Ordinal)) || l.Contains("clang version", StringComparison.Ordinal))
        .ToList();

    // "clang version 14.0.6" or, from distributions, "Debian clang version 14.0.6".
    private static bool IsClang(List<string> configuration) => configuration.Any(l => l.Contains("clang version", StringComparison.Ordinal));

    private static bool IsGcc(List<string> configuration) => configuration.Any(l => l.StartsWith("gcc version", StringComparison.Ordinal));

    /// <summary>The probes run in the C locale so that -v prints the same words everywhere.</summary>
    private static Dictionary<string, string> ProbeEnvironment()
    {
        var env = new Dictionary<string, string>();
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
            env[(string)e.Key] = (string?)e.Value ?? "";
        env["LC_ALL"] = "C";
        env.Remove("GCC_EXEC_PREFIX");
        env.Remove("COMPILER_PATH");
        return env;
    }

    /// <summary>
    /// The SHA-256 of a file. One toolchain's files are shared by its names (gcc, cc, g++ and c++ all run the
    /// same cc1 and cc1plus, some 70 MB): a node start hashed them once per name, about 0.6 s of CPU per
    /// worker start. A hash is remembered for the file's identity (device, inode, size, modification and
    /// change times, taken before and after reading: a file changed meanwhile is not remembered, nor one
    /// changed within the last seconds), so a file replaced or rewritten in place is hashed again.
    /// </summary>
    public static async Task<string> HashFileAsync(string file, CancellationToken cancellationToken = default)
    {
        var before = Native.Status(file);
        if (before is { } known && Hashes.TryGetValue((file, known), out var remembered)) return remembered;
        string hash;
        await using (var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true))
            hash = await ContentHash.OfAsync(stream, cancellationToken);
        if (before is { } b && Settled(b) && Native.Status(file) == b)
        {
            if (Hashes.Count >= MaxRememberedHashes) Hashes.Clear(); // toolchain files are few; a bound all the same
            Hashes[(file, b)] = hash;
        }
        return hash;
    }

    /// <summary>
    /// Whether a file's status is old enough to stand for its content: the kernel stamps times from a coarse
    /// clock, so two writes within one tick leave the same status. Only files untouched for the doubt
    /// window (FileTimes) are remembered (a toolchain's files are months old; a test's fresh one is not).
    /// </summary>
    internal static bool Settled(FileStatus status) => FileTimes.Settled(status);

    private const int MaxRememberedHashes = 4096;
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string Path, FileStatus Status), string> Hashes = new();
}
