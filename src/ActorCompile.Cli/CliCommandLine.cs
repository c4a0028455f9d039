using ActorCompile.LocalProtocol;
using System.CommandLine;
using ActorCompile.Setup.CommandLine;

namespace ActorCompile.Cli;

/// <summary>
/// The CLI's own command line on System.CommandLine: status, -j, --show-hosts, setup, --help, --version.
/// Only these go through the parser; a compile (<c>actorcompile gcc -c x.c</c>, or a link named gcc)
/// passes its arguments to the compiler untouched (see Program.cs).
/// </summary>
public static class CliCommandLine
{
    private const string Program = "actorcompile";

    public const string Usage = """
        Usage: actorcompile COMPILER [ARGS...]     compile through the cluster (e.g. actorcompile gcc -c x.c -o x.o)
               actorcompile status [--json|--watch] show the cluster as the local node sees it
               actorcompile cache stats [--json]   what the result cache did, per coordinator and for the cluster
               actorcompile cache clear            empty the local node's result cache and its memory of files
               actorcompile -j                     the number to give make -j (cluster slots + local slots)
               actorcompile --show-hosts           the workers and their slots, one a line
               actorcompile setup helper|target|both [--seed HOST:PORT] [--token FILE|-] [--allow CIDR] ...
                                                   write the node's configuration (see actorcompile setup --help)
               actorcompile setup token [--valid-for DURATION]
                                                   a join token for another machine
               actorcompile --version | --help
        """;

    private const string After = """
        A link named gcc, g++, cc, c++, clang or clang++ pointing at actorcompile wraps that compiler
        (the real one is the next of that name on PATH).

        Environment: ACTORCOMPILE_SOCKET (node socket), ACTORCOMPILE_FALLBACK=0 (fail with exit code 111
        instead of compiling locally when the cluster cannot take a compile), ACTORCOMPILE_VERBOSE=1,
        ACTORCOMPILE_CACHE=0 (no result cache for this build: no lookup, nothing kept),
        ACTORCOMPILE_CONFIG_DIR (where setup writes, default /etc/actorcompile), ACTORCOMPILE_SERVICE_USER
        (who setup gives the cluster certificate files to when run as root, default actorcompile).

        Exit status: a compile exits with the compiler's code; 2 usage error; 3 status, -j or --show-hosts
        found no node; 4 setup could not finish; 110 no such compiler; 111 could not distribute with
        ACTORCOMPILE_FALLBACK=0; 112 the remote result could not be written.
        """;

    private static readonly Option<bool> Jobs = new("-j") { Description = "the number to give make -j (cluster slots + local slots)" };
    private static readonly Option<bool> ShowHosts = new("--show-hosts") { Description = "the workers and their slots, one a line" };
    private static readonly Option<bool> Version = new("--version") { Description = "the version" };
    private static readonly Command Root = Build();

    /// <summary>True for the arguments the CLI itself answers; anything else names a compiler.</summary>
    public static bool IsOwn(string first) => first is "status" or "setup" or "cache" || first.StartsWith('-');

    public static ParseResult Parse(IReadOnlyList<string> args) => CommandLines.Parse(Root, args);

    public static int Run(IReadOnlyList<string> args) => CommandLines.Invoke(Parse(args));

    /// <summary>The root's help on stderr, for "actorcompile" with nothing else (a usage error).</summary>
    public static int UsageError()
    {
        CommandLines.Parse(Root, new[] { "--help" }).Invoke(CommandLines.Invocation(Console.Error));
        return ExitCodes.Usage;
    }

    private static Command Build()
    {
        var root = CommandLines.Root(Program, "ActorCompile's compiler wrapper and cluster CLI.");
        root.Options.Add(Jobs);
        root.Options.Add(ShowHosts);
        root.Options.Add(Version);
        root.Validators.Add(r =>
        {
            if (new[] { Jobs, ShowHosts, Version }.Count(o => r.GetValue(o)) > 1) r.AddError("-j, --show-hosts and --version go one at a time");
        });
        var help = new Dictionary<Command, HelpText> { [root] = new(Usage, After) };
        root.Subcommands.Add(StatusCommand.Build());
        root.Subcommands.Add(CacheCommand.Build());
        root.Subcommands.Add(SetupCommand.Build(help));
        CommandLines.CustomizeHelp(root, help);
        root.SetAction(r =>
        {
            if (r.GetValue(Jobs)) return StatusCommand.Jobs();
            if (r.GetValue(ShowHosts)) return StatusCommand.ShowHosts();
            if (r.GetValue(Version))
            {
                Console.WriteLine($"{Program} {typeof(CliCommandLine).Assembly.GetName().Version}");
                return 0;
            }
            return UsageError();
        });
        return root;
    }
}
