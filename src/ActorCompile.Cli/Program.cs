using ActorCompile.Cli;

// actorcompile: the compiler wrapper (actorcompile gcc -c x.c, or a link named gcc in a masquerade
// directory) and the cluster-status CLI (actorcompile status, -j, --show-hosts).

const string Usage = """
    Usage: actorcompile COMPILER [ARGS...]     compile through the cluster (e.g. actorcompile gcc -c x.c -o x.o)
           actorcompile status [--json|--watch] show the cluster as the local node sees it
           actorcompile -j                     the number to give make -j (cluster slots + local slots)
           actorcompile --show-hosts           the workers and their slots, one a line
           actorcompile setup helper|target|both [--seed HOST:PORT] [--allow CIDR] ...
                                               write the node's configuration (see actorcompile setup --help)
           actorcompile --version | --help

    A link named gcc, g++, cc, c++, clang or clang++ pointing at actorcompile wraps that compiler
    (the real one is the next of that name on PATH).
    Environment: ACTORCOMPILE_SOCKET (node socket), ACTORCOMPILE_FALLBACK=0 (fail with exit code 111
    instead of compiling locally when the cluster cannot take a compile), ACTORCOMPILE_VERBOSE=1.
    """;

int level = int.TryParse(Environment.GetEnvironmentVariable(CompilerLocator.SafeguardVariable), out var l) ? l : 0;
if (level >= 1)
{
    Console.Error.WriteLine("actorcompile: called itself recursively (a compiler it started ran actorcompile again); check PATH for loops between compiler wrappers");
    return ExitCodes.CompilerNotFound;
}
Environment.SetEnvironmentVariable(CompilerLocator.SafeguardVariable, "1");

var invoked = CompilerLocator.InvokedName();
string compilerName;
string[] compilerArgs;
if (invoked is "actorcompile")
{
    if (args.Length == 0)
    {
        Console.Error.WriteLine(Usage);
        return ExitCodes.Usage;
    }
    switch (args[0])
    {
        case "status": return StatusCommand.Status(args[1..]);
        case "-j": return StatusCommand.Jobs();
        case "--show-hosts": return StatusCommand.ShowHosts();
        case "setup": return SetupCommand.Run(args[1..]);
        case "--help" or "-h": Console.WriteLine(Usage); return 0;
        case "--version": Console.WriteLine($"actorcompile {typeof(Wrapper).Assembly.GetName().Version}"); return 0;
    }
    if (args[0].StartsWith('-'))
    {
        Console.Error.WriteLine($"actorcompile: unknown option {args[0]}\n\n{Usage}");
        return ExitCodes.Usage;
    }
    compilerName = args[0];
    compilerArgs = args[1..];
}
else
{
    compilerName = invoked;
    compilerArgs = args;
}

var compiler = CompilerLocator.Locate(compilerName, out var error);
if (compiler is null)
{
    Console.Error.WriteLine($"actorcompile: {error}");
    return ExitCodes.CompilerNotFound;
}
return new Wrapper(compiler, compilerArgs).Run();
