namespace ActorCompile.Toolchain.Arguments;

/// <summary>
/// The -f options known to be safe on a helper: they change the generated code or the diagnostics and
/// nothing else (no file read or written besides the job's own input and output, no program run, no
/// code loaded). The optimisation flags are gcc 12's own list (<c>gcc -Q --help=optimizers</c>) without
/// the ones that read profile data or write records; the rest are the language, code-generation and
/// diagnostic flags of gcc and clang that builds use, each checked by hand. <c>-fno-X</c> is safe exactly
/// when <c>-fX</c> is. A flag that is not here keeps its command local, with its name in the reason: a
/// flag missing from this list costs a local compile, never a wrong or unsafe one.
/// </summary>
public static class CompilerFlags
{
    private static readonly string[] Optimisation =
    {
            "aggressive-loop-optimizations", "align-functions", "align-functions=", "align-jumps", "align-jumps=", "align-labels", "align-labels=", "align-loops",
            "align-loops=", "allocation-dce", "allow-store-data-races", "associative-math", "asynchronous-unwind-tables", "auto-inc-dec", "bit-tests", "branch-count-reg",
            "caller-saves", "code-hoisting", "combine-stack-adjustments", "compare-elim", "conserve-stack", "cprop-registers", "crossjumping", "cse-follow-jumps",
            "cx-fortran-rules", "cx-limited-range", "dce", "defer-pop", "delayed-branch", "delete-dead-exceptions", "delete-null-pointer-checks", "devirtualize",
            "devirtualize-speculatively", "dse", "early-inlining", "exceptions", "excess-precision=", "expensive-optimizations", "fast-math", "finite-loops",
            "finite-math-only", "float-store", "fold-simple-inlines", "forward-propagate", "fp-contract=", "fp-int-builtin-inexact", "function-cse", "gcse",
            "gcse-after-reload", "gcse-las", "gcse-lm", "gcse-sm", "graphite", "graphite-identity", "guess-branch-probability", "handle-exceptions",
            "harden-compares", "harden-conditional-branches", "hoist-adjacent-loads", "if-conversion", "if-conversion2", "indirect-inlining", "inline", "inline-atomics",
            "inline-functions", "inline-functions-called-once", "inline-small-functions", "ipa-bit-cp", "ipa-cp", "ipa-cp-clone", "ipa-icf", "ipa-icf-functions",
            "ipa-icf-variables", "ipa-modref", "ipa-profile", "ipa-pta", "ipa-pure-const", "ipa-ra", "ipa-reference", "ipa-reference-addressable",
            "ipa-sra", "ipa-stack-alignment", "ipa-strict-aliasing", "ipa-vrp", "ira-algorithm=", "ira-hoist-pressure", "ira-loop-pressure", "ira-region=",
            "ira-share-save-slots", "ira-share-spill-slots", "isolate-erroneous-paths-attribute", "isolate-erroneous-paths-dereference", "ivopts", "jump-tables", "keep-gc-roots-live", "lifetime-dse",
            "lifetime-dse=", "limit-function-alignment", "live-patching", "live-patching=", "live-range-shrinkage", "loop-interchange", "loop-nest-optimize", "loop-parallelize-all",
            "loop-unroll-and-jam", "lra-remat", "math-errno", "modulo-sched", "modulo-sched-allow-regmoves", "move-loop-invariants", "move-loop-stores", "no-threadsafe-statics",
            "non-call-exceptions", "nothrow-opt", "omit-frame-pointer", "optimize-sibling-calls", "optimize-strlen", "pack-struct", "pack-struct=", "partial-inlining",
            "patchable-function-entry=", "peel-loops", "peephole", "peephole2", "plt", "predictive-commoning", "prefetch-loop-arrays", "printf-return-value",
            "reciprocal-math", "ree", "reg-struct-return", "rename-registers", "reorder-blocks", "reorder-blocks-algorithm=", "reorder-blocks-and-partition", "reorder-functions",
            "rerun-cse-after-loop", "reschedule-modulo-scheduled-loops", "rounding-math", "rtti", "sched-critical-path-heuristic", "sched-dep-count-heuristic", "sched-group-heuristic", "sched-interblock",
            "sched-last-insn-heuristic", "sched-pressure", "sched-rank-heuristic", "sched-spec", "sched-spec-insn-heuristic", "sched-spec-load", "sched-spec-load-dangerous", "sched-stalled-insns",
            "sched-stalled-insns-dep", "sched-stalled-insns-dep=", "sched-stalled-insns=", "sched2-use-superblocks", "schedule-fusion", "schedule-insns", "schedule-insns2", "section-anchors",
            "sel-sched-pipelining", "sel-sched-pipelining-outer-loops", "sel-sched-reschedule-pipelined", "selective-scheduling", "selective-scheduling2", "semantic-interposition", "short-enums", "short-wchar",
            "shrink-wrap", "shrink-wrap-separate", "signaling-nans", "signed-zeros", "simd-cost-model=", "single-precision-constant", "split-ivs-in-unroller", "split-loops",
            "split-paths", "split-wide-types", "split-wide-types-early", "ssa-backprop", "ssa-phiopt", "stack-check=", "stack-clash-protection", "stack-protector",
            "stack-protector-all", "stack-protector-explicit", "stack-protector-strong", "stack-reuse=", "stdarg-opt", "store-merging", "strict-aliasing", "strict-enums",
            "strict-volatile-bitfields", "thread-jumps", "toplevel-reorder", "tracer", "trapping-math", "trapv", "tree-bit-ccp", "tree-builtin-call-dce",
            "tree-ccp", "tree-ch", "tree-coalesce-vars", "tree-copy-prop", "tree-cselim", "tree-dce", "tree-dominator-opts", "tree-dse",
            "tree-forwprop", "tree-fre", "tree-loop-distribute-patterns", "tree-loop-distribution", "tree-loop-if-convert", "tree-loop-im", "tree-loop-ivcanon", "tree-loop-optimize",
            "tree-loop-vectorize", "tree-lrs", "tree-parallelize-loops=", "tree-partial-pre", "tree-phiprop", "tree-pre", "tree-pta", "tree-reassoc",
            "tree-scev-cprop", "tree-sink", "tree-slp-vectorize", "tree-slsr", "tree-sra", "tree-switch-conversion", "tree-tail-merge", "tree-ter",
            "tree-vectorize", "tree-vrp", "trivial-auto-var-init=", "unconstrained-commons", "unroll-all-loops", "unroll-completely-grow-size", "unroll-loops", "unsafe-math-optimizations",
            "unswitch-loops", "unwind-tables", "var-tracking", "var-tracking-assignments", "var-tracking-assignments-toggle", "var-tracking-uninit", "variable-expansion-in-unroller", "vect-cost-model=",
            "version-loops-for-strides", "web", "wrapv", "wrapv-pointer",
    };

    private static readonly string[] LanguageAndCodeGeneration =
    {
        // Position independence, visibility, sections, ABI.
        "PIC", "PIE", "pic", "pie", "visibility=", "visibility-inlines-hidden", "visibility-ms-compat",
        "visibility-global-new-delete-hidden", "data-sections", "function-sections", "unique-section-names",
        "common", "ident", "leading-underscore", "pcc-struct-return", "short-double", "signed-bitfields",
        "unsigned-bitfields", "signed-char", "unsigned-char", "tls-model=", "use-cxa-atexit", "use-init-array",
        "zero-initialized-in-bss", "merge-constants", "merge-all-constants", "keep-inline-functions",
        "keep-static-consts", "keep-static-functions", "inhibit-size-directive", "verbose-asm", "asm",
        "gnu-unique", "abi-version=", "abi-compat-version=", "huge-objects", "emit-class-debug-always",
        "cf-protection", "cf-protection=", "stack-protector", "stack-check", "split-stack", "trampolines",
        "zero-call-used-regs=", "instrument-functions", "instrument-functions-exclude-file-list=",
        "instrument-functions-exclude-function-list=", "sanitize=", "sanitize-recover", "sanitize-recover=",
        "sanitize-trap", "sanitize-trap=", "sanitize-address-use-after-scope", "sanitize-undefined-trap-on-error",
        "sanitize-coverage=", "sanitize-minimal-runtime", "sanitize-memory-track-origins", "sanitize-memory-track-origins=",
        "sanitize-address-use-after-return=", "sanitize-cfi-cross-dso", "asan-shadow-offset=", "random-seed=",
        "debug-types-section", "eliminate-unused-debug-types", "eliminate-unused-debug-symbols", "merge-debug-strings",
        "dwarf2-cfi-asm", "var-tracking", "emit-struct-debug-baseonly", "emit-struct-debug-reduced",
        "emit-struct-debug-detailed=", "standalone-debug", "limit-debug-info", "debug-macro", "debug-info-for-profiling",
        "working-directory", "canonical-system-headers", "lto", "lto=", "lto-partition=", "lto-compression-level=",
        "fat-lto-objects", "lto-odr-type-merging", "use-linker-plugin", "use-ld=", "ld-path=", "whole-program",
        "whole-program-vtables", "split-lto-unit", "virtual-function-elimination", "openmp", "openmp-simd", "openacc",
        "openacc-dim=", "offload-abi=", "gnu-tm", "strict-overflow", "exceptions", "cxx-exceptions", "unwind-tables",
        "integrated-as", "addrsig", "stack-size-section", "basic-block-sections=", "split-machine-functions",
        "experimental-new-pass-manager", "legacy-pass-manager", "vectorize", "slp-vectorize", "strict-vtable-pointers",
        "force-emit-vtables", "assume-sane-operator-new", "c++-static-destructors", "aligned-allocation",
        "new-alignment=", "max-type-align=", "fine-grained-bitfield-accesses", "emulated-tls", "direct-access-external-data",
        "xray-instrument", "patchable-function-entry=", "embed-bitcode", "embed-bitcode=", "semantic-interposition",
        "stack-clash-protection", "delete-null-pointer-checks", "builtin", "jump-tables", "rtti", "threadsafe-statics",
        // Language dialects and extensions.
        "freestanding", "hosted", "gnu89-inline", "ms-extensions", "ms-compatibility", "ms-compatibility-version=",
        "declspec", "blocks", "plan9-extensions", "cond-mismatch", "lax-vector-conversions", "dollars-in-identifiers",
        "extended-identifiers", "permissive", "char8_t", "coroutines", "coroutines-ts", "concepts", "concepts-ts",
        "concepts-diagnostics-depth=", "access-control", "aligned-new", "aligned-new=", "check-new", "constexpr-depth=",
        "constexpr-loop-limit=", "constexpr-ops-limit=", "constexpr-cache-depth=", "constexpr-steps=", "constexpr-backtrace-limit=",
        "constexpr-fp-except", "deduce-init-list", "elide-constructors", "enforce-eh-specs", "ext-numeric-literals",
        "gnu-keywords", "implement-inlines", "implicit-inline-templates", "implicit-templates", "implicit-constexpr",
        "new-inheriting-ctors", "new-ttp-matching", "nonansi-builtins", "operator-names", "pretty-templates",
        "sized-deallocation", "strong-eval-order", "strong-eval-order=", "template-depth=", "template-backtrace-limit=",
        "use-cxa-get-exception-ptr", "weak", "default-inline", "declone-ctor-dtor", "extern-tls-init",
        "delayed-template-parsing", "gnu-inline-asm", "pascal-strings", "short-enums", "short-wchar", "wchar-type=",
        "bracket-depth=", "trigraphs", "digraphs", "objc-arc", "objc-exceptions", "next-runtime", "gnu-runtime",
        "objc-gc", "objc-direct-dispatch", "objc-call-cxx-cdtors", "objc-nilcheck", "objc-sjlj-exceptions",
        "objc-abi-version=", "objc-std=", "objc-runtime=", "zero-link", "replace-objc-classes", "constant-string-class=",
        "signed-zeros", "fixed-point", "strict-flex-arrays", "strict-flex-arrays=", "trivial-auto-var-init=",
        "permitted-flt-eval-methods=", "ms-volatile",
        "input-charset=", "exec-charset=", "wide-exec-charset=", "tabstop=", "max-include-depth=",
        "track-macro-expansion", "track-macro-expansion=", "show-column",
        // Diagnostics: what is printed, and how.
        "diagnostics-color", "diagnostics-color=", "color-diagnostics", "ansi-escape-codes", "caret-diagnostics",
        "diagnostics-show-caret", "diagnostics-show-labels", "diagnostics-show-line-numbers", "diagnostics-show-option",
        "diagnostics-show-cwe", "diagnostics-show-template-tree", "diagnostics-show-path-depths", "diagnostics-plain-output",
        "diagnostics-parseable-fixits", "diagnostics-generate-patch", "diagnostics-path-format=", "diagnostics-urls=",
        "diagnostics-column-unit=", "diagnostics-column-origin=", "diagnostics-escape-format=", "diagnostics-minimum-margin-width=",
        "diagnostics-show-location=", "diagnostics-absolute-paths", "diagnostics-show-note-include-stack",
        "diagnostics-fixit-info", "diagnostics-format=", "elide-type", "message-length=", "max-errors=", "error-limit=",
        "macro-backtrace-limit=", "spell-checking", "show-source-location", "analyzer", "analyzer-call-summaries",
        "analyzer-checker=", "analyzer-feasibility", "analyzer-fine-grained", "analyzer-show-duplicate-count",
        "analyzer-state-merge", "analyzer-state-purge", "analyzer-transitivity", "analyzer-verbose-edges",
        "analyzer-verbose-state-changes", "analyzer-verbosity=", "optional-diags",
    };

    /// <summary>Families written with a name after a dash (-ffixed-REG, -fno-builtin-memcpy, -fcall-used-REG).</summary>
    private static readonly string[] SafePrefixes = { "fixed-", "call-used-", "call-saved-", "builtin-", "sanitize-coverage-", "inline-limit-", "template-depth-" };

    private static readonly HashSet<string> Safe = new(Optimisation.Concat(LanguageAndCodeGeneration), StringComparer.Ordinal);

    /// <summary>Values of options in <see cref="Safe"/> that are not safe after all.</summary>
    private static string? CheckValue(string name, string value) => name switch
    {
        // gcc 13's sarif-file and json-file write a file beside the object.
        "diagnostics-format=" when value.EndsWith("-file", StringComparison.Ordinal) => $"-fdiagnostics-format={value} writes a file",
        // Other character sets need the compiler's conversion modules (gconv), which a sealed helper lacks.
        "input-charset=" or "exec-charset=" or "wide-exec-charset=" when !IsUtf(value) => $"-f{name}{value} needs this machine's character set modules",
        _ => null,
    };

    private static bool IsUtf(string charset) =>
        charset.Replace("-", "", StringComparison.Ordinal).ToUpperInvariant() is "UTF8" or "UTF32" or "UTF32LE" or "UTF16" or "UTF16LE" or "UCS4" or "UCS4LE";

    /// <summary>The check of the -f family: null when -f<paramref name="value"/> may travel, else why not.</summary>
    public static string? CheckFlag(string value)
    {
        var name = value.StartsWith("no-", StringComparison.Ordinal) ? value[3..] : value;
        int eq = name.IndexOf('=');
        var key = eq >= 0 ? name[..(eq + 1)] : name;
        if (Safe.Contains(key)) return eq >= 0 ? CheckValue(key, name[(eq + 1)..]) : null;
        if (eq < 0 && SafePrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal) && name.Length > p.Length)) return null;
        return OptionTable.UnknownReason("-f" + value);
    }
}
