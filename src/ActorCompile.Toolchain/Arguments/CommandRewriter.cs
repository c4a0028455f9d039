using ActorCompile.Toolchain.Paths;

namespace ActorCompile.Toolchain.Arguments;

/// <summary>
/// The three commands derived from a distributable compile: the dependency scan run on the target, the
/// query for the compiler's default header directories, and the command the worker runs in its mirror.
/// </summary>
public static class CommandRewriter
{
    /// <summary>
    /// The target's dependency scan: the original options with -c/-S, -o and every dependency option
    /// removed, plus -M. It lists every file the compile reads (system headers included).
    /// </summary>
    public static List<string> ForDependencyScan(CompileCommand command)
    {
        var args = new List<string>(command.Args.Count + 1);
        foreach (var p in command.Parsed)
        {
            switch (p.Role)
            {
                case OptionRole.CompileToObject or OptionRole.CompileToAssembly or OptionRole.Output
                    or OptionRole.DependencyOutput or OptionRole.DependencyPhony or OptionRole.DependencyFile
                    or OptionRole.DependencyTarget:
                    continue;
                case OptionRole.PreprocessorOptions when IsPreprocessorDependencyOption(p.Value):
                    continue;
            }
            AppendOriginal(args, command, p);
        }
        args.Add("-M");
        return args;
    }

    /// <summary>
    /// The query for the compiler's own header directories (those it searches without any -I or
    /// -isystem): the options that can change them (target, sysroot, -nostdinc, ...) with every include,
    /// define, dependency and output option and the source removed, run as <c>-x LANG -E -v -</c> on an empty
    /// input. The key identifies the answer for caching: equal keys give equal directories.
    /// </summary>
    public static (List<string> Args, string CacheKey) ForSystemIncludeQuery(CompileCommand command)
    {
        var args = new List<string>();
        foreach (var p in command.Parsed)
        {
            if (p.IsInput) continue;
            switch (p.Role)
            {
                case OptionRole.CompileToObject or OptionRole.CompileToAssembly or OptionRole.Output
                    or OptionRole.DependencyOutput or OptionRole.DependencyPhony or OptionRole.DependencyFile
                    or OptionRole.DependencyTarget or OptionRole.IncludeDirectory or OptionRole.IncludeFile
                    or OptionRole.PreprocessorOptions or OptionRole.Language or OptionRole.PrefixMap:
                    continue;
            }
            if (p.Rule?.Spelling is "-D" or "-U" or "-A") continue;
            AppendOriginal(args, command, p);
        }
        args.AddRange(new[] { "-x", LanguageName(command.Language), "-E", "-v", "-" });
        return (args, string.Join('\u001f', args));
    }

    /// <summary>
    /// The command the worker runs in root + cwd. Absolute paths in the arguments move under the root;
    /// the root is mapped away again in everything the compiler records (-ffile-prefix-map, which gcc
    /// leaves out of DW_AT_producer); the compiler's own header directories are replaced by the target's
    /// (-nostdinc plus -isystem for each, in order), and the implicit pre-include of stdc-predef.h, which
    /// -nostdinc turns off, is restored before any -include of the user's.
    /// </summary>
    public static List<string> ForWorker(CompileCommand command, string root, IReadOnlyList<string> systemIncludeDirectories, bool preincludeStdcPredef)
    {
        if (!command.IsDistributable) throw new InvalidOperationException($"not distributable: {command.LocalReason}");
        var args = new List<string>(command.Args.Count + 8 + systemIncludeDirectories.Count * 2)
        {
            "-ffile-prefix-map=" + root + "=",
        };
        if (preincludeStdcPredef)
        {
            args.Add("-include");
            args.Add("stdc-predef.h");
        }
        foreach (var p in command.Parsed)
        {
            if (p.IsInput)
            {
                args.Add(MirrorPaths.MapArgument(root, p.Token));
                continue;
            }
            string? mapped = p.Role switch
            {
                OptionRole.Output or OptionRole.IncludeDirectory or OptionRole.IncludeFile or OptionRole.DependencyFile
                    => MirrorPaths.MapArgument(root, p.Value!),
                OptionRole.PreprocessorOptions when IsPreprocessorDependencyOption(p.Value)
                    => p.Value![..(p.Value!.IndexOf(',') + 1)] + MirrorPaths.MapArgument(root, p.Value![(p.Value!.IndexOf(',') + 1)..]),
                OptionRole.PrefixMap => MapPrefixMap(root, p.Value!),
                _ => null,
            };
            if (mapped is null) AppendOriginal(args, command, p);
            else if (p.SeparateValue) { args.Add(p.Token); args.Add(mapped); }
            else args.Add(p.Rule!.Spelling + mapped);
        }
        args.Add("-nostdinc");
        foreach (var dir in systemIncludeDirectories)
        {
            args.Add("-isystem");
            args.Add(MirrorPaths.MapArgument(root, dir));
        }
        return args;
    }

    public static string LanguageName(SourceLanguage language) => language switch
    {
        SourceLanguage.C => "c",
        SourceLanguage.CPlusPlus => "c++",
        SourceLanguage.ObjectiveC => "objective-c",
        SourceLanguage.ObjectiveCPlusPlus => "objective-c++",
        _ => throw new ArgumentOutOfRangeException(nameof(language)),
    };

    private static bool IsPreprocessorDependencyOption(string? value) =>
        value is not null && (value.StartsWith("-MD,", StringComparison.Ordinal) || value.StartsWith("-MMD,", StringComparison.Ordinal));

    private static string MapPrefixMap(string root, string value)
    {
        int eq = value.IndexOf('=');
        if (eq <= 0) return value;
        return MirrorPaths.MapArgument(root, value[..eq]) + value[eq..];
    }

    private static void AppendOriginal(List<string> args, CompileCommand command, ParsedArgument p)
    {
        args.Add(command.Args[p.Index]);
        if (p.SeparateValue) args.Add(command.Args[p.Index + 1]);
    }
}
