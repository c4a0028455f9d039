using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace ActorCompile.Setup.CommandLine;

/// <summary>
/// How every ActorCompile program runs its System.CommandLine parser: no response files (an argument
/// starting with @ is a value, never a file to read), no directives, usage errors on stderr with exit
/// code 2 and the option named, help with the program's own extra sections.
/// </summary>
public static class CommandLines
{
    /// <summary>A usage error: a bad option or value.</summary>
    public const int UsageExit = 2;

    public static ParserConfiguration Parser { get; } = new() { ResponseFileTokenReplacer = null };

    /// <summary>
    /// The invocation settings: no default exception handler (a bug should crash visibly), and no
    /// SIGINT/SIGTERM handling of System.CommandLine's own, which would race the node's host for them.
    /// </summary>
    public static InvocationConfiguration Invocation(TextWriter? output = null) => new()
    {
        EnableDefaultExceptionHandler = false,
        ProcessTerminationTimeout = null,
        Output = output ?? Console.Out,
        Error = Console.Error,
    };

    /// <summary>
    /// A program's top command: named by the program (not by however the binary was invoked), with
    /// --help, and without RootCommand's directives ([suggest], [diagram]) and bare --version.
    /// </summary>
    public static Command Root(string program, string description) => new(program, description) { new HelpOption() };

    public static ParseResult Parse(Command root, IReadOnlyList<string> args) => root.Parse(args, Parser);

    /// <summary>The parse errors as lines "command: message" ("actorcompile setup helper: --slots: ..."), or none.</summary>
    public static IReadOnlyList<string> Errors(ParseResult result) =>
        result.Action is ParseErrorAction ? result.Errors.Select(e => $"{CommandPath(result)}: {e.Message}").ToList() : Array.Empty<string>();

    /// <summary>
    /// Runs a parsed command line: usage errors go to stderr with a pointer to --help and exit code 2;
    /// anything else (help, a command's action) runs.
    /// </summary>
    public static int Invoke(ParseResult result, TextWriter? output = null)
    {
        var errors = Errors(result);
        if (errors.Count > 0)
        {
            foreach (var line in errors) Console.Error.WriteLine(line);
            Console.Error.WriteLine($"(see {CommandPath(result)} --help)");
            return UsageExit;
        }
        return result.Invoke(Invocation(output));
    }

    /// <summary>The command that was parsed, as typed: "actorcompile setup helper".</summary>
    private static string CommandPath(ParseResult result)
    {
        var names = new List<string>();
        for (var c = result.CommandResult; c is not null; c = c.Parent as System.CommandLine.Parsing.CommandResult)
            names.Insert(0, c.Command.Name);
        return string.Join(' ', names);
    }

    /// <summary>
    /// Lets each listed command's --help print the usage line it always had ("Usage: actorcompile-node
    /// [options]"), then System.CommandLine's sections (description, arguments, commands, options), then
    /// the program's own sections (files, environment, signals, exit status, examples). The root's --help
    /// is recursive, so one action serves every subcommand.
    /// </summary>
    public static void CustomizeHelp(Command root, IReadOnlyDictionary<Command, HelpText> texts)
    {
        var help = root.Options.OfType<HelpOption>().Single();
        if (help.Action is not HelpAction inner) throw new InvalidOperationException("the root's --help has no help action");
        help.Action = new SectionedHelpAction(inner, texts);
    }

    /// <summary>Prints a command's help to stdout (or stderr, for a missing command) as --help does.</summary>
    public static int PrintHelp(Command root, IReadOnlyList<string> commandPath, TextWriter output) =>
        Parse(root, commandPath.Append("--help").ToList()).Invoke(Invocation(output));

    /// <summary>System.CommandLine's help in a buffer, its "Usage:" section replaced by the program's usage text.</summary>
    private sealed class SectionedHelpAction(HelpAction inner, IReadOnlyDictionary<Command, HelpText> texts) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            var configuration = parseResult.InvocationConfiguration;
            if (!texts.TryGetValue(parseResult.CommandResult.Command, out var text)) return inner.Invoke(parseResult);
            var output = configuration.Output;
            var buffer = new StringWriter();
            configuration.Output = buffer;
            try
            {
                inner.Invoke(parseResult);
            }
            finally
            {
                configuration.Output = output;
            }
            output.WriteLine(text.Usage.TrimEnd());
            output.WriteLine();
            output.Write(WithoutUsageSection(buffer.ToString()).TrimEnd() + Environment.NewLine);
            if (text.After is { } after)
            {
                output.WriteLine();
                output.WriteLine(after.TrimEnd());
            }
            return 0;
        }

        private static string WithoutUsageSection(string help)
        {
            var lines = help.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').ToList();
            int start = lines.IndexOf("Usage:");
            if (start < 0) return help;
            int end = start + 1;
            while (end < lines.Count && lines[end].Length > 0) end++;
            lines.RemoveRange(start, Math.Min(end + 1, lines.Count) - start);
            return string.Join('\n', lines);
        }
    }
}

/// <summary>What a command's --help says around System.CommandLine's own sections.</summary>
public sealed record HelpText(string Usage, string? After = null);
