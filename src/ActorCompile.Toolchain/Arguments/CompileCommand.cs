namespace ActorCompile.Toolchain.Arguments;

/// <summary>The languages a job may be distributed in.</summary>
public enum SourceLanguage
{
    C,
    CPlusPlus,
    ObjectiveC,
    ObjectiveCPlusPlus,
}

/// <summary>One option (or input) as found in the argument list.</summary>
/// <param name="Index">Position of the option's first token in the argument list.</param>
/// <param name="Token">The token as written.</param>
/// <param name="Rule">The table row, or null for an option the table does not name, or for an input.</param>
/// <param name="Value">The option's value (attached or separate), or null.</param>
/// <param name="SeparateValue">True when the value is the next token.</param>
public sealed record ParsedArgument(int Index, string Token, OptionRule? Rule, string? Value, bool SeparateValue)
{
    public bool IsInput => Rule is null && (Token == "-" || !Token.StartsWith('-'));
    public OptionRole? Role => Rule?.Role;
}

/// <summary>The dependency file a compile writes as a side effect (<c>-MD</c>, <c>-MMD</c>, <c>-Wp,-MD,FILE</c>).</summary>
public sealed record DependencyRequest(string File);

/// <summary>
/// A compiler command line (the arguments after the compiler's name), analysed with
/// <see cref="OptionTable"/>: whether it can run elsewhere, and if so its source, language and outputs.
/// </summary>
public sealed class CompileCommand
{
    private static readonly Dictionary<string, SourceLanguage> LanguagesByExtension = new(StringComparer.Ordinal)
    {
        [".c"] = SourceLanguage.C,
        [".cc"] = SourceLanguage.CPlusPlus, [".cp"] = SourceLanguage.CPlusPlus, [".cxx"] = SourceLanguage.CPlusPlus,
        [".cpp"] = SourceLanguage.CPlusPlus, [".CPP"] = SourceLanguage.CPlusPlus, [".c++"] = SourceLanguage.CPlusPlus,
        [".C"] = SourceLanguage.CPlusPlus,
        [".m"] = SourceLanguage.ObjectiveC,
        [".mm"] = SourceLanguage.ObjectiveCPlusPlus, [".M"] = SourceLanguage.ObjectiveCPlusPlus,
    };

    private static readonly Dictionary<string, string> LocalInputKinds = new(StringComparer.Ordinal)
    {
        [".s"] = "assembler input", [".S"] = "assembler input", [".sx"] = "assembler input",
        [".h"] = "a header (precompiled header output)", [".hh"] = "a header (precompiled header output)",
        [".H"] = "a header (precompiled header output)", [".hp"] = "a header (precompiled header output)",
        [".hxx"] = "a header (precompiled header output)", [".hpp"] = "a header (precompiled header output)",
        [".HPP"] = "a header (precompiled header output)", [".h++"] = "a header (precompiled header output)",
        [".tcc"] = "a header (precompiled header output)",
        [".i"] = "preprocessed input", [".ii"] = "preprocessed input", [".mi"] = "preprocessed input", [".mii"] = "preprocessed input",
    };

    public IReadOnlyList<string> Args { get; }
    public IReadOnlyList<ParsedArgument> Parsed { get; }

    /// <summary>Why the command must run locally, or null when it can be distributed.</summary>
    public string? LocalReason { get; private set; }
    public bool IsDistributable => LocalReason is null;

    public string? Source { get; private set; }
    public SourceLanguage Language { get; private set; }

    /// <summary>The output file: the -o value, or the name the driver derives from the source.</summary>
    public string? Output { get; private set; }
    public DependencyRequest? Dependencies { get; private set; }

    /// <summary>
    /// The dependency file's rule names the output: -MD or -MMD without -MT or -MQ, where the driver hands the
    /// preprocessor "-MQ output" (-Wp,-MD leaves the preprocessor its own default, named after the source).
    /// </summary>
    public bool DependencyTargetIsOutput { get; private set; }

    /// <summary>
    /// The header directories the command adds (-I, -iquote, -isystem, -idirafter), in command order, as
    /// written (relative ones are relative to the working directory).
    /// </summary>
    public IReadOnlyList<string> IncludeDirectories =>
        Parsed.Where(p => p.Role == OptionRole.IncludeDirectory && p.Value is { Length: > 0 }).Select(p => p.Value!).ToList();

    private CompileCommand(IReadOnlyList<string> args, IReadOnlyList<ParsedArgument> parsed)
    {
        Args = args;
        Parsed = parsed;
    }

    public static CompileCommand Parse(IReadOnlyList<string> args)
    {
        var parsed = new List<ParsedArgument>(args.Count);
        string? reason = null;
        void KeepLocal(string why) => reason ??= why;

        for (int i = 0; i < args.Count; i++)
        {
            var token = args[i];
            if (token.Length > 1 && token[0] == '@')
            {
                KeepLocal($"response file {token} is read locally");
                parsed.Add(new ParsedArgument(i, token, null, null, false));
                continue;
            }
            if (token == "-" || !token.StartsWith('-'))
            {
                parsed.Add(new ParsedArgument(i, token, null, null, false));
                continue;
            }
            var rule = OptionTable.Find(token, out var attached);
            if (rule is null)
            {
                // An allow list: what the table does not know stays on this machine.
                KeepLocal(OptionTable.UnknownReason(token));
                parsed.Add(new ParsedArgument(i, token, null, null, false));
                continue;
            }
            string? value = attached;
            bool separate = false;
            if (rule.TakesValue && value is null or "" && rule.Arity is OptionArity.Separate or OptionArity.JoinedOrSeparate
                && token == rule.Spelling)
            {
                if (i + 1 >= args.Count)
                {
                    KeepLocal($"{token} is missing its value");
                    parsed.Add(new ParsedArgument(i, token, rule, null, false));
                    continue;
                }
                value = args[++i];
                separate = true;
            }
            parsed.Add(new ParsedArgument(separate ? i - 1 : i, token, rule, value, separate));
            if (rule.Role == OptionRole.Local) KeepLocal(rule.Reason ?? OptionTable.UnknownReason(token));
            else if (rule.Check is not null && value is not null && rule.Check(value) is { } why) KeepLocal(why);
        }

        var command = new CompileCommand(args, parsed);
        command.Analyse(reason);
        return command;
    }

    /// <summary>What the parsed arguments say about the compile, gathered in one pass.</summary>
    private sealed class Summary
    {
        public bool ToObject, ToAssembly, DependencyOutput;
        public string? ExplicitOutput, DependencyFile, PreprocessorDependencyFile;
        public int Outputs, DependencyFiles;
        public readonly List<(string Path, SourceLanguage Language)> Sources = new();
        public readonly List<string> Others = new();
        /// <summary>Why an input keeps the command local (stdin, another language, an assembler file).</summary>
        public string? InputReason;
    }

    private void Analyse(string? reason)
    {
        var summary = Summarise(Parsed);
        LocalReason = reason ?? summary.InputReason ?? Verdict(summary);
        if (summary.Sources.Count == 1) (Source, Language) = summary.Sources[0];
        if (Source is not null)
            Output = summary.ExplicitOutput ?? Path.GetFileNameWithoutExtension(Source) + (summary.ToAssembly ? ".s" : ".o");
        if (summary.PreprocessorDependencyFile is not null)
            Dependencies = new DependencyRequest(summary.PreprocessorDependencyFile);
        else if (summary.DependencyOutput && Source is not null)
        {
            Dependencies = new DependencyRequest(summary.DependencyFile ?? DefaultDependencyFile(summary.ExplicitOutput, Source));
            DependencyTargetIsOutput = !Parsed.Any(p => p.Role == OptionRole.DependencyTarget);
        }
    }

    private static Summary Summarise(IReadOnlyList<ParsedArgument> parsed)
    {
        var s = new Summary();
        SourceLanguage? forced = null;
        string? forcedName = null;
        foreach (var p in parsed)
        {
            if (p.IsInput)
            {
                AddInput(s, p.Token, forced, forcedName);
                continue;
            }
            switch (p.Role)
            {
                case OptionRole.CompileToObject: s.ToObject = true; break;
                case OptionRole.CompileToAssembly: s.ToAssembly = true; break;
                case OptionRole.Output: s.ExplicitOutput = p.Value; s.Outputs++; break;
                case OptionRole.DependencyOutput: s.DependencyOutput = true; break;
                case OptionRole.DependencyFile: s.DependencyFile = p.Value; s.DependencyFiles++; break;
                case OptionRole.PreprocessorOptions when p.Value is { } wp && (wp.StartsWith("-MD,", StringComparison.Ordinal) || wp.StartsWith("-MMD,", StringComparison.Ordinal)):
                    s.PreprocessorDependencyFile = wp[(wp.IndexOf(',') + 1)..];
                    s.DependencyFiles++;
                    break;
                case OptionRole.Language:
                    forcedName = p.Value == "none" ? null : p.Value;
                    forced = LanguageNamed(p.Value);
                    break;
            }
        }
        return s;
    }

    private static SourceLanguage? LanguageNamed(string? name) => name switch
    {
        "c" => SourceLanguage.C,
        "c++" => SourceLanguage.CPlusPlus,
        "objective-c" => SourceLanguage.ObjectiveC,
        "objective-c++" => SourceLanguage.ObjectiveCPlusPlus,
        _ => null,
    };

    private static void AddInput(Summary s, string token, SourceLanguage? forced, string? forcedName)
    {
        if (token == "-") { s.InputReason ??= "the source is read from standard input"; return; }
        if (forcedName is not null && forced is null) { s.InputReason ??= $"language '{forcedName}' is not C, C++ or Objective-C"; return; }
        var ext = Path.GetExtension(token);
        if (forced is { } language) s.Sources.Add((token, language));
        else if (LanguagesByExtension.TryGetValue(ext, out var byExtension)) s.Sources.Add((token, byExtension));
        else if (LocalInputKinds.TryGetValue(ext, out var kind)) s.InputReason ??= $"{token} is {kind}";
        else s.Others.Add(token);
    }

    /// <summary>Why a command whose every option and input may travel is still not one distributable compile, or null.</summary>
    private static string? Verdict(Summary s)
    {
        if (!s.ToObject && !s.ToAssembly) return "no -c or -S: the command links";
        if (s.Sources.Count == 0 && s.Others.Count == 0) return "no source file";
        if (s.Sources.Count > 1) return $"several sources ({string.Join(", ", s.Sources.Select(x => x.Path))})";
        if (s.Others.Count > 0) return $"{s.Others[0]} is not a C, C++ or Objective-C source";
        if (s.Outputs > 1) return "more than one -o";
        if (s.ExplicitOutput == "-") return "-o - writes the output to standard output";
        if (s.DependencyFiles > 1) return "more than one dependency file";
        if (Path.GetFileName(s.Sources[0].Path).StartsWith("conftest", StringComparison.Ordinal)) return "configure tests run locally";
        return null;
    }

    /// <summary>
    /// The driver's rule for -MD/-MMD without -MF (gcc's spec <c>%{!o:%b.d}%{o*:%.d%*}</c>): the -o value
    /// with its suffix (from the last '.' of its last component) replaced by ".d", or, without -o, the
    /// source's base name with ".d" in the working directory.
    /// </summary>
    public static string DefaultDependencyFile(string? output, string source)
    {
        if (output is null) return Path.GetFileNameWithoutExtension(source) + ".d";
        int slash = output.LastIndexOf('/');
        int dot = output.LastIndexOf('.');
        return (dot > slash ? output[..dot] : output) + ".d";
    }
}
