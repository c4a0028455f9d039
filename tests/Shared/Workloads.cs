namespace ActorCompile.Tests;

/// <summary>
/// The real code bases the bench builds (Lua, the SQLite amalgamation, yaml-cpp), fetched once by
/// tests/bench/fetch-workloads.sh (pinned versions, checked by SHA-256) into bench/workloads, where the bench
/// keeps them too. The first test that needs them pays the download; later runs find them there.
/// </summary>
public static class Workloads
{
    private static readonly Lazy<string> Fetched = new(Fetch, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>The directory holding lua-5.4.4, sqlite3 and yaml-cpp-0.7.0.</summary>
    public static string Directory => Fetched.Value;

    private static string FindRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "ActorCompile.sln"))) dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("cannot find the repository root (ActorCompile.sln) above " + AppContext.BaseDirectory);
    }

    private static string Fetch()
    {
        var dest = Path.Combine(RepositoryRoot, "bench", "workloads");
        var result = Run.Program(Path.Combine(RepositoryRoot, "tests", "bench", "fetch-workloads.sh"), new[] { dest }, timeout: TimeSpan.FromMinutes(10));
        if (result.ExitCode != 0) throw new InvalidOperationException($"fetch-workloads.sh failed ({result.ExitCode}): {result.Stderr}");
        return dest;
    }
}
