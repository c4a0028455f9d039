namespace ActorCompile.Toolchain.Jobs;

/// <summary>The environment variables that matter to a remote compile: those it carries, and those that keep it local.</summary>
public static class CompileEnvironment
{
    /// <summary>Carried to the worker's compiler: they change its messages (language, colours, width) or its output (SOURCE_DATE_EPOCH).</summary>
    public static readonly IReadOnlyList<string> Forwarded = new[]
    {
        "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "SOURCE_DATE_EPOCH", "GCC_COLORS", "GCC_URLS", "TERM_URLS", "COLUMNS",
    };

    /// <summary>Variables that change what the compiler reads or writes in ways the mirror does not reproduce.</summary>
    public static readonly IReadOnlyDictionary<string, string> KeepLocal = new Dictionary<string, string>
    {
        ["CPATH"] = "CPATH adds include directories",
        ["C_INCLUDE_PATH"] = "C_INCLUDE_PATH adds include directories",
        ["CPLUS_INCLUDE_PATH"] = "CPLUS_INCLUDE_PATH adds include directories",
        ["OBJC_INCLUDE_PATH"] = "OBJC_INCLUDE_PATH adds include directories",
        ["DEPENDENCIES_OUTPUT"] = "DEPENDENCIES_OUTPUT writes a dependency file",
        ["SUNPRO_DEPENDENCIES"] = "SUNPRO_DEPENDENCIES writes a dependency file",
        ["GCC_EXEC_PREFIX"] = "GCC_EXEC_PREFIX chooses the compiler's programs",
        ["COMPILER_PATH"] = "COMPILER_PATH chooses the compiler's programs",
    };

    /// <summary>A reason to stay local because of the environment, or null.</summary>
    public static string? LocalReason(Func<string, string?> getVariable)
    {
        foreach (var (name, why) in KeepLocal)
            if (!string.IsNullOrEmpty(getVariable(name))) return why;
        return null;
    }

    public static List<KeyValuePair<string, string>> Capture(Func<string, string?> getVariable)
    {
        var list = new List<KeyValuePair<string, string>>();
        foreach (var name in Forwarded)
            if (getVariable(name) is { } v) list.Add(new(name, v));
        return list;
    }
}
