
namespace ActorCompile.Toolchain.Identity;

/// <summary>
/// Finds the real compiler for the wrapper: the first one of the name on PATH that is not actorcompile
/// itself (so that a masquerade directory of links named gcc, cc, ... in front of PATH works).
/// </summary>
public static class CompilerLocator
{
    /// <summary>Set by the wrapper for the compilers it starts; a wrapper that finds it set was started by itself.</summary>
    public const string SafeguardVariable = "ACTORCOMPILE_SAFEGUARD";

    public static string SelfPath => Environment.ProcessPath is { } p ? ExecutableSearch.Canonical(p) : "";

    /// <summary>The compiler to run, or null with <paramref name="error"/> saying why.</summary>
    public static string? Locate(string name, out string? error)
    {
        error = null;
        var self = SelfPath;
        var selfDirectory = Path.GetDirectoryName(self);
        bool IsSelf(string candidate) => ExecutableSearch.Canonical(candidate) == self;
        if (name.Contains('/'))
        {
            if (!ExecutableSearch.IsExecutableFile(name)) { error = $"{name}: no such compiler"; return null; }
            if (IsSelf(name)) { error = $"{name} is actorcompile itself; give the real compiler"; return null; }
            return name;
        }
        var found = ExecutableSearch.Find(name, Environment.GetEnvironmentVariable("PATH"), candidate =>
            IsSelf(candidate) || Path.GetDirectoryName(Path.GetFullPath(candidate)) == selfDirectory);
        if (found is null) error = $"no compiler named {name} on PATH (besides actorcompile itself)";
        return found;
    }

    /// <summary>
    /// The name the program was started as (argv[0]), which for a masquerade link is the compiler's
    /// name. .NET reports the resolved executable instead, so this reads /proc/self/cmdline.
    /// </summary>
    public static string InvokedName()
    {
        try
        {
            var cmdline = File.ReadAllBytes("/proc/self/cmdline");
            int end = Array.IndexOf(cmdline, (byte)0);
            var argv0 = System.Text.Encoding.UTF8.GetString(cmdline, 0, end < 0 ? cmdline.Length : end);
            return Path.GetFileName(argv0);
        }
        catch (IOException)
        {
            return Path.GetFileName(Environment.ProcessPath ?? "actorcompile");
        }
    }
}
