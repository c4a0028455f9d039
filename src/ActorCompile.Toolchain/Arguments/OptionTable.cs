namespace ActorCompile.Toolchain.Arguments;

using static OptionArity;
using static OptionRole;

/// <summary>
/// The one table that decides how every compiler option is treated: whether it keeps the command local,
/// whether it takes a value, and whether that value is a path the worker must see through its mirror of
/// the target's directories. The wrapper consults it to decide "can this run elsewhere"; the worker
/// consults the same table to refuse what a coordinator should never have sent. Options not in the
/// table pass through unchanged without a value (every -f, -m, -W, -O, -g, -std option not named here).
/// </summary>
public static class OptionTable
{
    public static readonly IReadOnlyList<OptionRule> Rules = new OptionRule[]
    {
        // What the compile produces.
        new("-c", None, CompileToObject),
        new("-S", None, CompileToAssembly),
        new("-E", None, Local, "-E only preprocesses"),
        new("-o", JoinedOrSeparate, Output),
        new("-x", JoinedOrSeparate, Language),
        new("-fsyntax-only", None, Local, "-fsyntax-only produces no object"),

        // Dependency output: written by the worker's compile in the mirror, then by the wrapper here.
        new("-MD", None, DependencyOutput),
        new("-MMD", None, DependencyOutput),
        new("-MF", JoinedOrSeparate, DependencyFile),
        new("-MT", JoinedOrSeparate, DependencyTarget),
        new("-MQ", JoinedOrSeparate, DependencyTarget),
        new("-MP", None, DependencyPhony),
        new("-M", None, Local, "-M only lists dependencies"),
        new("-MM", None, Local, "-MM only lists dependencies"),
        new("-MG", None, Local, "-MG treats missing headers as generated files"),
        new("-Wp,", Joined, PreprocessorOptions, Check: CheckPreprocessorOptions),
        new("-Xpreprocessor", Separate, Local, "-Xpreprocessor options are not analysed"),

        // Header search and forced includes: their paths are mirrored on the worker.
        new("-I", JoinedOrSeparate, IncludeDirectory, Check: CheckIncludePath),
        new("-iquote", JoinedOrSeparate, IncludeDirectory, Check: CheckIncludePath),
        new("-isystem", JoinedOrSeparate, IncludeDirectory, Check: CheckIncludePath),
        new("-idirafter", JoinedOrSeparate, IncludeDirectory, Check: CheckIncludePath),
        new("-I-", None, Local, "-I- (split include path) is obsolete and not supported remotely"),
        new("-include", JoinedOrSeparate, IncludeFile),
        new("-imacros", JoinedOrSeparate, IncludeFile),
        new("-iprefix", JoinedOrSeparate, Local, "-iprefix include paths are not mirrored"),
        new("-iwithprefix", JoinedOrSeparate, Local, "-iwithprefix include paths are not mirrored"),
        new("-iwithprefixbefore", JoinedOrSeparate, Local, "-iwithprefixbefore include paths are not mirrored"),
        new("-iplugindir=", Joined, Local, "-iplugindir= loads code into the compiler"),
        new("-isysroot", JoinedOrSeparate, PassThrough),
        new("-imultilib", Separate, PassThrough),
        new("-imultiarch", Separate, PassThrough),
        new("--sysroot", Separate, PassThrough),
        new("--sysroot=", Joined, PassThrough),
        new("-D", JoinedOrSeparate, PassThrough),
        new("-U", JoinedOrSeparate, PassThrough),
        new("-A", JoinedOrSeparate, PassThrough),

        // Paths recorded in the output: OLD is rewritten to its place in the mirror.
        new("-fdebug-prefix-map=", Joined, PrefixMap),
        new("-ffile-prefix-map=", Joined, PrefixMap),
        new("-fmacro-prefix-map=", Joined, PrefixMap),

        // Options that load code, run other programs, or read and write files outside the job.
        new("-fplugin", Joined, Local, "-fplugin loads code into the compiler"),
        new("-specs=", Joined, Local, "-specs= changes the driver's programs"),
        new("-specs", Separate, Local, "-specs changes the driver's programs"),
        new("-B", JoinedOrSeparate, Local, "-B chooses the compiler's programs"),
        new("-wrapper", Separate, Local, "-wrapper runs another program"),
        new("-save-temps", Joined, Local, "-save-temps writes intermediate files"),
        new("-fdump-", Joined, Local, "-fdump-* writes dump files"),
        new("-aux-info", Separate, Local, "-aux-info writes a file"),
        new("-fstack-usage", None, Local, "-fstack-usage writes a .su file beside the object"),
        new("-fcallgraph-info", Joined, Local, "-fcallgraph-info writes a .ci file beside the object"),
        new("-gsplit-dwarf", None, Local, "-gsplit-dwarf writes a .dwo file beside the object"),
        new("-frecord-gcc-switches", None, Local, "-frecord-gcc-switches records the worker's command line in the object"),
        new("-fopt-info", Joined, PassThrough, Check: v => v.Contains('=') ? "-fopt-info=FILE writes a file" : null),
        new("-Wa,", Joined, PassThrough, Check: v => CheckAssemblerOptions(v.Split(','))),
        new("-Xassembler", Separate, PassThrough, Check: v => CheckAssemblerOptions(new[] { v })),
        new("-fsanitize-blacklist=", Joined, Local, "sanitizer lists are files outside the job"),
        new("-fsanitize-ignorelist=", Joined, Local, "sanitizer lists are files outside the job"),

        // Profiles and coverage read or write files tied to this machine.
        new("-fprofile-", Joined, Local, "-fprofile-* reads or writes profile data"),
        new("-fauto-profile", Joined, Local, "-fauto-profile reads profile data"),
        new("--coverage", None, Local, "--coverage writes coverage notes"),
        new("-coverage", None, Local, "-coverage writes coverage notes"),
        new("-ftest-coverage", None, Local, "-ftest-coverage writes coverage notes"),
        new("-frepo", None, Local, "-frepo uses a template repository"),
        new("-fcompare-debug", Joined, Local, "-fcompare-debug compiles twice and compares locally"),

        // CPU-specific code generation: the helper's CPU is not the target's.
        new("-march=", Joined, PassThrough, Check: CheckNative),
        new("-mtune=", Joined, PassThrough, Check: CheckNative),
        new("-mcpu=", Joined, PassThrough, Check: CheckNative),

        // Inputs that are not one C-family source made into an object.
        new("-fdirectives-only", None, Local, "-fdirectives-only changes what the compiler reads"),
        new("-fpreprocessed", None, Local, "-fpreprocessed input is compiled locally"),
        new("-fmodules", Joined, Local, "modules need a module cache on this machine"),
        new("-fmodule-", Joined, Local, "modules need a module cache on this machine"),
        new("-fmodules-ts", None, Local, "C++ modules need a module mapper on this machine"),
        new("-traditional-cpp", None, Local, "-traditional-cpp is preprocessed locally"),

        // Driver output meant for the person at the terminal.
        new("-v", None, Local, "-v shows the local driver at work"),
        new("-###", None, Local, "-### shows the local driver's commands"),
        new("-H", None, Local, "-H prints the headers as they are read"),
        new("-Q", None, Local, "-Q prints function names as they are compiled"),
        new("-time", Joined, Local, "-time reports local timings"),
        new("-d", Joined, Local, "-d options dump compiler state"),
        new("-print-", Joined, Local, "-print-* queries the local driver"),
        new("--help", Joined, Local, "--help is answered locally"),
        new("--version", None, Local, "--version is answered locally"),
        new("-dumpversion", None, Local, "-dumpversion is answered locally"),
        new("-dumpmachine", None, Local, "-dumpmachine is answered locally"),

        // clang and Apple options that take a value or change the compilation model.
        new("-Xclang", Separate, Local, "-Xclang options are not analysed"),
        new("-mllvm", Separate, PassThrough),
        new("-target", Separate, PassThrough),
        new("--target=", Joined, PassThrough),
        new("-arch", Separate, Local, "-arch (Apple multi-architecture) is compiled locally"),
        new("-include-pch", Separate, Local, "precompiled headers stay on this machine"),
        new("-ivfsoverlay", Separate, Local, "-ivfsoverlay reads an overlay file"),

        // Linker options that take a value (unused when only compiling, but they must be parsed).
        new("-L", JoinedOrSeparate, PassThrough),
        new("-l", JoinedOrSeparate, PassThrough),
        new("-T", Separate, PassThrough),
        new("-u", Separate, PassThrough),
        new("-e", Separate, PassThrough),
        new("-z", Separate, PassThrough),
        new("-Xlinker", Separate, PassThrough),
        new("--param", Separate, PassThrough),
    };

    private static readonly Dictionary<string, OptionRule> Exact = Rules.ToDictionary(r => r.Spelling, StringComparer.Ordinal);

    // Rules that accept an attached value, longest spelling first so that "-MF" wins over "-M".
    private static readonly OptionRule[] Prefixed = Rules
        .Where(r => r.Arity is Joined or JoinedOrSeparate)
        .OrderByDescending(r => r.Spelling.Length)
        .ToArray();

    /// <summary>
    /// Finds the rule for an argument that starts with '-'. Returns null for options the table does not
    /// name (they pass through without a value). <paramref name="attachedValue"/> is the value glued to the
    /// spelling, or null when the value (if any) is the next argument.
    /// </summary>
    public static OptionRule? Find(string arg, out string? attachedValue)
    {
        attachedValue = null;
        if (Exact.TryGetValue(arg, out var exact))
        {
            if (exact.Arity == Joined) attachedValue = "";
            return exact;
        }
        foreach (var rule in Prefixed)
        {
            if (arg.Length > rule.Spelling.Length && arg.StartsWith(rule.Spelling, StringComparison.Ordinal))
            {
                attachedValue = arg[rule.Spelling.Length..];
                return rule;
            }
        }
        return null;
    }

    private static string? CheckNative(string value) =>
        value == "native" ? "=native options are expanded on this machine only (the helper's CPU differs)" : null;

    private static string? CheckIncludePath(string value) =>
        value.StartsWith('=') || value.StartsWith("$SYSROOT", StringComparison.Ordinal)
            ? "sysroot-relative include directories are not mirrored"
            : null;

    private static string? CheckAssemblerOptions(IEnumerable<string> options)
    {
        foreach (var o in options)
        {
            if (o.StartsWith("-a", StringComparison.Ordinal) || o.StartsWith("--MD", StringComparison.Ordinal)
                || o.StartsWith("-o", StringComparison.Ordinal) || o.StartsWith('@')
                || o.StartsWith("--listing", StringComparison.Ordinal))
                return $"assembler option {o} writes or reads a file";
        }
        return null;
    }

    /// <summary>-Wp, is understood in two forms: -Wp,-MD,FILE / -Wp,-MMD,FILE, and lists of -D/-U.</summary>
    private static string? CheckPreprocessorOptions(string value)
    {
        var parts = value.Split(',');
        if (parts.Length == 2 && parts[0] is "-MD" or "-MMD" && parts[1].Length > 0) return null;
        if (parts.All(p => p.StartsWith("-D", StringComparison.Ordinal) || p.StartsWith("-U", StringComparison.Ordinal))) return null;
        return $"-Wp,{value} is not understood";
    }
}
