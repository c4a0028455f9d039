using System.Security.Cryptography;
using System.Text;
using ActorCompile.Toolchain.Arguments;
using ActorCompile.Toolchain.Jobs;
using ActorCompile.Toolchain.Paths;

namespace ActorCompile.Toolchain.Cache;

/// <summary>
/// The name of a compile's result in the result cache: SHA-256 over everything that decides what the
/// compiler writes and prints. Two jobs with the same key produce the same bytes, so one's result may
/// stand for the other's:
/// <list type="bullet">
/// <item>the toolchain's fingerprint (compiler proper, assembler, driver configuration, version, target);</item>
/// <item>the arguments as the worker runs them (=native options already made explicit by the wrapper), but for
/// where the outputs go: the values of -o and -MF, and the mirror's directories that are there only to
/// receive them (ccache's key leaves -o out too). A distributable compile's object does not record its own
/// name: what would (-gsplit-dwarf, coverage and profiles, -save-temps, dumps) keeps the command local in
/// <see cref="OptionTable"/>, and gcc leaves -o out of what -grecord-gcc-switches records. The one place
/// the output's name is written, the dependency file's default target, is renamed when a result is used
/// (<see cref="ResultOutputs"/>);</item>
/// <item>the working directory, always: gcc records it with -g (DW_AT_comp_dir), relative paths in
/// __FILE__ and in diagnostics name what it resolves against, and -I/-include of relative paths find
/// other files from elsewhere. Leaving it out only where an object is proven not to record it would
/// share between build directories, which the cluster's targets (same tree, same paths) do not need;</item>
/// <item>the forwarded environment (locale and colours change diagnostics, SOURCE_DATE_EPOCH the object),
/// and whether the wrapper's stderr is a colour terminal (the worker then asks for colours);</item>
/// <item>every entry of the mirror: kind, path and content hash (a header that appears or disappears on
/// the include path changes the entries, since the mirror holds only what the scan found), and the
/// compiler's default header directories and the stdc-predef pre-include, which decide what is found.</item>
/// </list>
/// The modification times of the entries are not part of it: they only matter to #pragma once, which
/// compares files that the key already names by content. Every field is length-prefixed, so no two
/// different jobs hash the same bytes.
/// </summary>
public static class ResultKey
{
    /// <summary>Changes whenever the fields or the way results are produced change, so old entries are never read as new ones.</summary>
    private const string Format = "actorcompile-result-2";

    /// <summary>Stands for an output's path in the key's arguments (no argument holds a NUL).</summary>
    private const string OutputPath = "\0output";

    public static string Compute(
        string fingerprint,
        CompileCommand command,
        string workingDirectory,
        IEnumerable<KeyValuePair<string, string>> environment,
        bool colorDiagnostics,
        IReadOnlyList<string> systemIncludeDirectories,
        bool preincludeStdcPredef,
        IEnumerable<MirrorEntry> entries)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Text(string? s)
        {
            if (s is null)
            {
                hash.AppendData(BitConverter.GetBytes(-1));
                return;
            }
            var bytes = Encoding.UTF8.GetBytes(s);
            hash.AppendData(BitConverter.GetBytes(bytes.Length));
            hash.AppendData(bytes);
        }
        void Count(int n) => hash.AppendData(BitConverter.GetBytes(n));

        Text(Format);
        Text(fingerprint);
        var args = Arguments(command);
        Count(args.Count);
        foreach (var a in args) Text(a);
        Text(workingDirectory);
        var env = environment.OrderBy(e => e.Key, StringComparer.Ordinal).ToList();
        Count(env.Count);
        foreach (var (name, value) in env) { Text(name); Text(value); }
        Count(colorDiagnostics ? 1 : 0);
        Count(systemIncludeDirectories.Count);
        foreach (var d in systemIncludeDirectories) Text(d);
        Count(preincludeStdcPredef ? 1 : 0);
        // The mirror is a set of paths: the order the wrapper listed them in decides nothing.
        var outputDirectories = OutputDirectories(command, workingDirectory, systemIncludeDirectories);
        var sorted = entries.Where(e => e.Kind != MirrorEntryKind.Directory || !outputDirectories.Contains(e.Path))
            .OrderBy(e => e.Path, StringComparer.Ordinal).ToList();
        Count(sorted.Count);
        foreach (var e in sorted)
        {
            Count((int)e.Kind);
            Text(e.Path);
            Text(e.Hash);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The command's arguments with each output option (-o, -MF), joined or separate, as the option and one placeholder.</summary>
    public static List<string> Arguments(CompileCommand command)
    {
        var args = new List<string>(command.Args.Count);
        foreach (var p in command.Parsed)
        {
            if (p.Role is OptionRole.Output or OptionRole.DependencyFile && p.Value is not null)
            {
                args.Add(p.Rule!.Spelling);
                args.Add(OutputPath);
                continue;
            }
            args.Add(p.Token);
            if (p.SeparateValue) args.Add(command.Args[p.Index + 1]);
        }
        return args;
    }

    /// <summary>
    /// The directories the mirror holds only so that the outputs can be written (their existence decides
    /// nothing else); the working directory and every searched directory are not among them.
    /// </summary>
    private static HashSet<string> OutputDirectories(CompileCommand command, string cwd, IReadOnlyList<string> systemIncludeDirectories)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in new[] { command.Output, command.Dependencies?.File })
            if (file is not null && Path.GetDirectoryName(MirrorPaths.Absolute(file, cwd)) is { } dir)
                result.Add(MirrorPaths.Normalize(dir));
        result.Remove(MirrorPaths.Normalize(cwd));
        foreach (var searched in InputCollector.SearchedDirectories(command, cwd, systemIncludeDirectories))
            result.Remove(MirrorPaths.Normalize(searched));
        return result;
    }
}
