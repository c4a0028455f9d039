using ActorCompile.Toolchain.Processes;

namespace ActorCompile.Toolchain.Arguments;

/// <summary>
/// -march=native, -mtune=native and -mcpu=native mean "this machine's CPU": before a job leaves the
/// target they are replaced by the explicit options the local gcc would use (what its driver passes to
/// cc1), so that a helper with another CPU builds for the target's. The explicit options go first, where
/// the driver puts its own expansion, so that the user's later -m and --param options still win.
/// </summary>
public static class NativeOptions
{
    public static bool IsNative(string arg) => arg is "-march=native" or "-mtune=native" or "-mcpu=native";

    public static bool Mentions(IReadOnlyList<string> args) => args.Any(IsNative);

    /// <summary>
    /// The arguments with the native options replaced, or a reason to compile locally: clang (whose
    /// expansion is not expressible as driver options), and debug information that records the command
    /// line (gcc records the driver's own expansion in another order than explicit options, so the
    /// DW_AT_producer of a local build could not be reproduced).
    /// </summary>
    public static async Task<(List<string>? Args, string? LocalReason)> ExpandAsync(string compiler, IReadOnlyList<string> args, CancellationToken cancellationToken = default)
    {
        if (RecordsSwitchesInDebugInfo(args))
            return (null, "-march=native with -g: gcc records its own expansion in another order than explicit options (-gno-record-gcc-switches allows distributing it)");
        var native = args.Where(IsNative).Distinct().ToList();
        var probe = await ProcessRunner.RunAsync(compiler, native.Concat(new[] { "-###", "-c", "-x", "c", "/dev/null", "-o", "/dev/null" }), cancellationToken: cancellationToken);
        if (probe.ExitCode != 0) return (null, $"the compiler cannot expand {string.Join(' ', native)}");
        var cc1 = probe.StderrText.Split('\n').FirstOrDefault(l => l.StartsWith(' ') && (l.Contains("/cc1 ", StringComparison.Ordinal) || l.Contains("\"-cc1\"", StringComparison.Ordinal)));
        if (cc1 is null) return (null, "cannot find the compiler proper's command line in -### output");
        if (cc1.Contains("\"-cc1\"", StringComparison.Ordinal)) return (null, "clang's =native options are compiled locally");
        var tokens = Tokenize(cc1);
        // cc1 -quiet ... /dev/null <the driver's expansion> -quiet -dumpbase ...
        int start = tokens.IndexOf("/dev/null");
        int end = start < 0 ? -1 : tokens.IndexOf("-quiet", start);
        if (start < 0 || end < 0) return (null, "cannot read the native expansion from -### output");
        var expansion = new List<string>();
        for (int i = start + 1; i < end; i++)
        {
            if (tokens[i] == "--param" && i + 1 < end) { expansion.Add("--param=" + tokens[++i]); continue; }
            if (!tokens[i].StartsWith("-m", StringComparison.Ordinal) && !tokens[i].StartsWith("--param=", StringComparison.Ordinal))
                return (null, $"unexpected option {tokens[i]} in the native expansion");
            expansion.Add(tokens[i]);
        }
        if (expansion.Count == 0 || expansion.Any(IsNative)) return (null, "the native expansion is empty");
        return (expansion.Concat(args.Where(a => !IsNative(a))).ToList(), null);
    }

    /// <summary>Whether the last debug-level option turns debug information on and the command line is recorded in it.</summary>
    public static bool RecordsSwitchesInDebugInfo(IReadOnlyList<string> args)
    {
        bool debug = false, record = true;
        foreach (var a in args)
        {
            if (a == "-g0") debug = false;
            else if (a == "-gno-record-gcc-switches") record = false;
            else if (a == "-grecord-gcc-switches") record = true;
            else if (a == "-g" || a is "-g1" or "-g2" or "-g3" || a.StartsWith("-ggdb", StringComparison.Ordinal) || a.StartsWith("-gdwarf", StringComparison.Ordinal)
                     || a.StartsWith("-gstabs", StringComparison.Ordinal) || a.StartsWith("-gxcoff", StringComparison.Ordinal) || a.StartsWith("-gvms", StringComparison.Ordinal)
                     || a is "-gbtf" or "-gctf")
                debug = true;
        }
        return debug && record;
    }

    /// <summary>Splits a -### command line: space-separated, double quotes around some tokens.</summary>
    private static List<string> Tokenize(string line)
    {
        var tokens = new List<string>();
        var current = new System.Text.StringBuilder();
        bool quoted = false, any = false;
        foreach (var c in line)
        {
            if (c == '"') { quoted = !quoted; any = true; continue; }
            if (c == ' ' && !quoted)
            {
                if (any) tokens.Add(current.ToString());
                current.Clear();
                any = false;
                continue;
            }
            current.Append(c);
            any = true;
        }
        if (any) tokens.Add(current.ToString());
        return tokens;
    }
}
