namespace ActorCompile.Toolchain.Arguments;

using static OptionArity;
using static OptionRole;

/// <summary>
/// The one table that decides how every compiler option is treated: whether it may travel to a helper,
/// whether it takes a value, and whether that value is a path the worker must see through its mirror of
/// the target's directories. It is an allow list: an option the table does not know to be safe keeps the
/// command on this machine, with the option's name in the reason. The wrapper consults it to decide "can
/// this run elsewhere"; the worker consults the same table to refuse what a coordinator should never
/// have sent, because a coordinator may be hostile.
/// <para>
/// Spellings: gcc and clang accept many options with a double dash too (<c>--specs=FILE</c> for
/// <c>-specs=FILE</c>, <c>--output</c> for <c>-o</c>, and gcc turns any unknown <c>--X</c> into <c>-fX</c>, so
/// <c>--plugin=FILE</c> loads a plugin). Only the few double-dash spellings named below travel; every other
/// one keeps the command local. Joined and separate values (<c>-Idir</c>, <c>-I dir</c>) are both parsed.
/// </para>
/// </summary>
public static class OptionTable
{
    public const string UnknownReasonSuffix = "is not known to be safe to compile elsewhere";

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
        new("-nostdinc", None, PassThrough),
        new("-nostdinc++", None, PassThrough),
        new("-D", JoinedOrSeparate, PassThrough),
        new("-U", JoinedOrSeparate, PassThrough),
        new("-A", JoinedOrSeparate, PassThrough),
        new("-undef", None, PassThrough),
        new("-trigraphs", None, PassThrough),
        new("-C", None, PassThrough),
        new("-CC", None, PassThrough),
        new("-P", None, PassThrough),

        // Paths recorded in the output: OLD is rewritten to its place in the mirror.
        new("-fdebug-prefix-map=", Joined, PrefixMap),
        new("-ffile-prefix-map=", Joined, PrefixMap),
        new("-fmacro-prefix-map=", Joined, PrefixMap),

        // Families of options that only change the generated code or the diagnostics, checked name by
        // name (compiler flags, warnings, optimisation, debug information, target options).
        new("-f", Joined, PassThrough, Check: CompilerFlags.CheckFlag),
        new("-W", Joined, PassThrough, Check: CheckWarning),
        new("-O", Joined, PassThrough, Check: CheckOptimisation),
        new("-g", Joined, PassThrough, Check: CheckDebug),
        // Target options (-m64, -mavx2, -mno-red-zone, -mfpmath=sse, -mcmodel=...): instruction sets, ABI
        // and code model. None reads or writes a file or runs a program; =native is expanded before a job
        // leaves the target (see NativeOptions), and what is left of it stays here.
        new("-m", Joined, PassThrough, Check: CheckTarget),
        new("-std=", Joined, PassThrough),
        new("-stdlib=", Joined, PassThrough),
        new("-ansi", None, PassThrough),
        new("-pedantic", None, PassThrough),
        new("-pedantic-errors", None, PassThrough),
        new("-w", None, PassThrough),
        new("-pipe", None, PassThrough),
        new("-pthread", None, PassThrough),
        new("-p", None, PassThrough),
        new("-pg", None, PassThrough),
        new("-no-canonical-prefixes", None, PassThrough),
        new("-pass-exit-codes", None, PassThrough),
        new("-Qunused-arguments", None, PassThrough),
        new("-Qn", None, PassThrough),
        new("-Qy", None, PassThrough),
        new("-integrated-as", None, PassThrough),
        new("-no-integrated-as", None, PassThrough),
        new("--param", Separate, PassThrough),
        new("--param=", Joined, PassThrough),

        // Options that load code, run other programs, or read and write files outside the job.
        new("-fplugin", Joined, Local, "-fplugin loads code into the compiler"),
        new("-specs=", Joined, Local, "-specs= changes the driver's programs"),
        new("-specs", Separate, Local, "-specs changes the driver's programs"),
        new("-B", JoinedOrSeparate, Local, "-B chooses the compiler's programs"),
        new("-wrapper", Separate, Local, "-wrapper runs another program"),
        new("-save-temps", Joined, Local, "-save-temps writes intermediate files"),
        new("-fdump-", Joined, Local, "-fdump-* writes dump files"),
        new("-aux-info", Separate, Local, "-aux-info writes a file"),
        new("-dumpbase", Separate, Local, "-dumpbase names auxiliary output files"),
        new("-dumpbase-ext", Separate, Local, "-dumpbase-ext names auxiliary output files"),
        new("-dumpdir", Separate, Local, "-dumpdir names auxiliary output files"),
        new("-fstack-usage", None, Local, "-fstack-usage writes a .su file beside the object"),
        new("-fcallgraph-info", Joined, Local, "-fcallgraph-info writes a .ci file beside the object"),
        new("-gsplit-dwarf", None, Local, "-gsplit-dwarf writes a .dwo file beside the object"),
        new("-frecord-gcc-switches", None, Local, "-frecord-gcc-switches records the worker's command line in the object"),
        new("-fsave-optimization-record", Joined, Local, "-fsave-optimization-record writes a file beside the object"),
        new("-fopt-info", Joined, PassThrough, Check: v => v.Contains('=') ? "-fopt-info=FILE writes a file" : null),
        new("-Wa,", Joined, PassThrough, Check: v => CheckAssemblerOptions(v.Split(','))),
        new("-Xassembler", Separate, PassThrough, Check: v => CheckAssemblerOptions(new[] { v })),
        // With -c the driver runs no linker: linker options are accepted and ignored, as locally.
        new("-Wl,", Joined, PassThrough),
        new("-Xlinker", Separate, PassThrough),
        new("-fsanitize-blacklist=", Joined, Local, "sanitizer lists are files outside the job"),
        new("-fsanitize-ignorelist=", Joined, Local, "sanitizer lists are files outside the job"),
        new("-fcrash-diagnostics", Joined, Local, "-fcrash-diagnostics* writes reproducers on this machine"),

        // Profiles and coverage read or write files tied to this machine.
        new("-fprofile-", Joined, Local, "-fprofile-* reads or writes profile data"),
        new("-fauto-profile", Joined, Local, "-fauto-profile reads profile data"),
        new("-fcoverage-", Joined, Local, "-fcoverage-* writes coverage data"),
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
        new("-traditional", None, Local, "-traditional is compiled locally"),

        // Driver output meant for the person at the terminal.
        new("-v", None, Local, "-v shows the local driver at work"),
        new("-###", None, Local, "-### shows the local driver's commands"),
        new("-H", None, Local, "-H prints the headers as they are read"),
        new("-Q", None, Local, "-Q prints function names as they are compiled"),
        new("-time", Joined, Local, "-time reports local timings"),
        new("-ftime-report", Joined, Local, "-ftime-report reports local timings"),
        new("-d", Joined, Local, "-d options dump compiler state"),
        new("-print-", Joined, Local, "-print-* queries the local driver"),
        new("--help", Joined, Local, "--help is answered locally"),
        new("--version", None, Local, "--version is answered locally"),
        new("-dumpversion", None, Local, "-dumpversion is answered locally"),
        new("-dumpfullversion", None, Local, "-dumpfullversion is answered locally"),
        new("-dumpmachine", None, Local, "-dumpmachine is answered locally"),
        new("-dumpspecs", None, Local, "-dumpspecs is answered locally"),

        // clang and Apple options that take a value or change the compilation model.
        new("-Xclang", Separate, Local, "-Xclang options are not analysed"),
        new("-mllvm", Separate, Local, "-mllvm options are not analysed (some write files)"),
        new("-target", Separate, PassThrough),
        new("--target=", Joined, PassThrough),
        new("-arch", Separate, Local, "-arch (Apple multi-architecture) is compiled locally"),
        new("-include-pch", Separate, Local, "precompiled headers stay on this machine"),
        new("-ivfsoverlay", Separate, Local, "-ivfsoverlay reads an overlay file"),
        new("-resource-dir", JoinedOrSeparate, Local, "-resource-dir chooses the compiler's files"),
        new("--gcc-toolchain=", Joined, Local, "--gcc-toolchain chooses the compiler's files"),
        new("-gcc-toolchain", Separate, Local, "-gcc-toolchain chooses the compiler's files"),

        // Linker options (unused when only compiling, but they must be parsed).
        new("-L", JoinedOrSeparate, PassThrough),
        new("-l", JoinedOrSeparate, PassThrough),
        new("-T", Separate, PassThrough),
        new("-u", Separate, PassThrough),
        new("-e", Separate, PassThrough),
        new("-z", Separate, PassThrough),
        new("-static", None, PassThrough),
        new("-static-pie", None, PassThrough),
        new("-static-libgcc", None, PassThrough),
        new("-static-libstdc++", None, PassThrough),
        new("-shared", None, PassThrough),
        new("-shared-libgcc", None, PassThrough),
        new("-rdynamic", None, PassThrough),
        new("-symbolic", None, PassThrough),
        new("-s", None, PassThrough),
        new("-pie", None, PassThrough),
        new("-no-pie", None, PassThrough),
        new("-nostdlib", None, PassThrough),
        new("-nodefaultlibs", None, PassThrough),
        new("-nostartfiles", None, PassThrough),
        new("-rtlib=", Joined, PassThrough),
        new("-unwindlib=", Joined, PassThrough),

        // Every other double-dash spelling: gcc maps --X to -fX and has aliases such as --specs, --output,
        // --include-directory; clang has its own. None of them is needed to distribute a build.
        new("--", Joined, Local),
    };

    private static readonly Dictionary<string, OptionRule> Exact = Rules.ToDictionary(r => r.Spelling, StringComparer.Ordinal);

    // Rules that accept an attached value, longest spelling first so that "-MF" wins over "-M".
    private static readonly OptionRule[] Prefixed = Rules
        .Where(r => r.Arity is Joined or JoinedOrSeparate)
        .OrderByDescending(r => r.Spelling.Length)
        .ToArray();

    /// <summary>
    /// Finds the rule for an argument that starts with '-'. Returns null for an option the table does not
    /// know (the command then stays local). <paramref name="attachedValue"/> is the value glued to the
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

    /// <summary>Why an option the table does not know keeps the command local.</summary>
    public static string UnknownReason(string option) => $"{option} {UnknownReasonSuffix}";

    private static string? CheckNative(string value) =>
        value == "native" ? "=native options are expanded on this machine only (the helper's CPU differs)" : null;

    private static string? CheckIncludePath(string value) =>
        value.StartsWith('=') || value.StartsWith("$SYSROOT", StringComparison.Ordinal)
            ? "sysroot-relative include directories are not mirrored"
            : null;

    /// <summary>-W and -Wno- with a warning's name (and =level): they change what is printed, nothing else.</summary>
    private static string? CheckWarning(string value)
    {
        // "-W" alone is gcc's old name for -Wextra. A comma marks -Wa, -Wp, -Wl, (their own rows) or a
        // pass-through to another program this table does not know (-Wx,...).
        if (value.Contains(',')) return UnknownReason("-W" + value);
        return value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '=' or '+' or '.') ? null : UnknownReason("-W" + value);
    }

    private static readonly HashSet<string> OptimisationLevels = new(StringComparer.Ordinal) { "", "0", "1", "2", "3", "s", "z", "g", "fast" };

    private static string? CheckOptimisation(string value) => OptimisationLevels.Contains(value) ? null : UnknownReason("-O" + value);

    /// <summary>Debug information options that only change what is recorded in the object.</summary>
    private static readonly HashSet<string> DebugForms = new(StringComparer.Ordinal)
    {
        "", "0", "1", "2", "3", "gdb", "gdb0", "gdb1", "gdb2", "gdb3", "dwarf", "dwarf-2", "dwarf-3", "dwarf-4", "dwarf-5",
        "dwarf32", "dwarf64", "strict-dwarf", "no-strict-dwarf", "column-info", "no-column-info", "z", "record-gcc-switches",
        "no-record-gcc-switches", "statement-frontiers", "no-statement-frontiers", "variable-location-views",
        "no-variable-location-views", "internal-reset-location-views", "no-internal-reset-location-views",
        "inline-points", "no-inline-points", "as-loc-support", "no-as-loc-support", "as-locview-support",
        "no-as-locview-support", "describe-dies", "no-describe-dies", "pubnames", "no-pubnames", "gnu-pubnames",
        "btf", "ctf", "ctf0", "ctf1", "ctf2", "toggle", "line-tables-only", "line-directives-only", "lldb", "sce",
        "no-inline-line-tables", "simple-template-names", "no-simple-template-names", "embed-source", "no-embed-source",
        "codeview", "no-codeview", "full", "no-full",
    };

    private static string? CheckDebug(string value)
    {
        if (DebugForms.Contains(value)) return null;
        if (value.StartsWith("z=", StringComparison.Ordinal) && value.Length > 2 && value[2..].All(char.IsAsciiLetterOrDigit)) return null;
        return UnknownReason("-g" + value);
    }

    private static string? CheckTarget(string value) =>
        value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '=' or ',' or '.' or '+')
            ? null
            : UnknownReason("-m" + value);

    /// <summary>
    /// Assembler options that only change what the assembler emits (an allow list: listings, dependency
    /// files, include paths for .include and output names are files).
    /// </summary>
    private static readonly HashSet<string> SafeAssemblerOptions = new(StringComparer.Ordinal)
    {
        "--noexecstack", "--execstack", "--32", "--64", "--x32", "-g", "--gen-debug", "--gdwarf-2", "--gdwarf-3",
        "--gdwarf-4", "--gdwarf-5", "--gdwarf-sections", "--compress-debug-sections", "--nocompress-debug-sections",
        "-W", "--no-warn", "--warn", "--fatal-warnings", "-K", "-L", "--keep-locals", "--strip-local-absolute",
        "-mshared", "-mno-shared", "-mamd64", "-mintel64", "-mnaked-reg", "-mno-naked-reg", "--sectname-subst",
        "-mbranches-within-32B-boundaries", "-O", "-O0", "-O1", "-O2",
    };

    private static readonly string[] SafeAssemblerPrefixes =
    {
        "--compress-debug-sections=", "-mx86-used-note=", "-march=", "-mtune=", "-mmnemonic=", "-msyntax=",
        "-malign-branch", "-mlfence-", "--size-check=", "--elf-stt-common=", "--generate-missing-build-notes=",
        "-mfence-as-lock-add=", "-mevexwig=", "-mevexlig=", "-mvexwig=", "-msse-check=", "-moperand-check=",
        "-mavxscalar=", "-momit-lock-prefix=", "-mrelax-relocations=",
    };

    private static string? CheckAssemblerOptions(IEnumerable<string> options)
    {
        foreach (var o in options)
        {
            if (o.Length == 0 || SafeAssemblerOptions.Contains(o)) continue;
            if (!o.Contains('/') && SafeAssemblerPrefixes.Any(p => o.StartsWith(p, StringComparison.Ordinal))) continue;
            return $"assembler option {o} {UnknownReasonSuffix}";
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
