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
    public bool ProducesAssembly { get; private set; }

    /// <summary>The output file: the -o value, or the name the driver derives from the source.</summary>
    public string? Output { get; private set; }
    public DependencyRequest? Dependencies { get; private set; }

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

    private void Analyse(string? reason)
    {
        bool toObject = false, toAssembly = false, dependencyOutput = false;
        string? explicitOutput = null, dependencyFile = null, wpDependencyFile = null;
        int outputs = 0, dependencyFiles = 0;
        SourceLanguage? forced = null;
        string? forcedName = null;
        var sources = new List<(string Path, SourceLanguage Language)>();
        var others = new List<string>();

        foreach (var p in Parsed)
        {
            if (p.IsInput)
            {
                if (p.Token == "-") { reason ??= "the source is read from standard input"; continue; }
                if (forcedName is not null && forced is null)
                {
                    reason ??= $"language '{forcedName}' is not C, C++ or Objective-C";
                    continue;
                }
                var ext = Path.GetExtension(p.Token);
                if (forced is { } lang) sources.Add((p.Token, lang));
                else if (LanguagesByExtension.TryGetValue(ext, out var byExt)) sources.Add((p.Token, byExt));
                else if (LocalInputKinds.TryGetValue(ext, out var kind)) reason ??= $"{p.Token} is {kind}";
                else others.Add(p.Token);
                continue;
            }
            switch (p.Role)
            {
                case OptionRole.CompileToObject: toObject = true; break;
                case OptionRole.CompileToAssembly: toAssembly = true; break;
                case OptionRole.Output: explicitOutput = p.Value; outputs++; break;
                case OptionRole.DependencyOutput: dependencyOutput = true; break;
                case OptionRole.DependencyFile: dependencyFile = p.Value; dependencyFiles++; break;
                case OptionRole.PreprocessorOptions when p.Value is { } wp && (wp.StartsWith("-MD,", StringComparison.Ordinal) || wp.StartsWith("-MMD,", StringComparison.Ordinal)):
                    wpDependencyFile = wp[(wp.IndexOf(',') + 1)..];
                    dependencyFiles++;
                    break;
                case OptionRole.Language:
                    forcedName = p.Value;
                    forced = p.Value switch
                    {
                        "c" => SourceLanguage.C,
                        "c++" => SourceLanguage.CPlusPlus,
                        "objective-c" => SourceLanguage.ObjectiveC,
                        "objective-c++" => SourceLanguage.ObjectiveCPlusPlus,
                        _ => null,
                    };
                    if (p.Value == "none") forcedName = null;
                    break;
            }
        }

        if (reason is null)
        {
            if (!toObject && !toAssembly) reason = "no -c or -S: the command links";
            else if (sources.Count == 0 && others.Count == 0) reason = "no source file";
            else if (sources.Count > 1) reason = $"several sources ({string.Join(", ", sources.Select(s => s.Path))})";
            else if (others.Count > 0) reason = $"{others[0]} is not a C, C++ or Objective-C source";
            else if (outputs > 1) reason = "more than one -o";
            else if (explicitOutput == "-") reason = "-o - writes the output to standard output";
            else if (dependencyFiles > 1) reason = "more than one dependency file";
            else if (Path.GetFileName(sources[0].Path).StartsWith("conftest", StringComparison.Ordinal))
                reason = "configure tests run locally";
        }

        LocalReason = reason;
        if (sources.Count == 1)
        {
            Source = sources[0].Path;
            Language = sources[0].Language;
        }
        ProducesAssembly = toAssembly;
        if (Source is not null)
            Output = explicitOutput ?? Path.GetFileNameWithoutExtension(Source) + (toAssembly ? ".s" : ".o");

        if (wpDependencyFile is not null)
            Dependencies = new DependencyRequest(wpDependencyFile);
        else if (dependencyOutput && Source is not null)
            Dependencies = new DependencyRequest(dependencyFile ?? DefaultDependencyFile(explicitOutput, Source));
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
