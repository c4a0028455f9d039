namespace ActorCompile.Toolchain.Jobs;

/// <summary>Reads the compiler's header search list from the output of <c>-E -v</c>.</summary>
public static class SystemIncludeDirectories
{
    /// <summary>
    /// The directories between "#include &lt;...&gt; search starts here:" and "End of search list.", in order.
    /// The query is run without any -I/-isystem option, so these are the compiler's own directories.
    /// </summary>
    public static List<string> Parse(string verboseOutput)
    {
        var result = new List<string>();
        bool inside = false;
        foreach (var raw in verboseOutput.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith("#include <...> search starts here:", StringComparison.Ordinal)) { inside = true; continue; }
            if (!inside) continue;
            if (line.StartsWith("End of search list.", StringComparison.Ordinal)) break;
            if (!line.StartsWith(' ')) continue;
            var dir = line.Trim();
            const string framework = " (framework directory)";
            if (dir.EndsWith(framework, StringComparison.Ordinal)) dir = dir[..^framework.Length];
            result.Add(dir);
        }
        return result;
    }
}
