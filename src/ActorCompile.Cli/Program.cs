using ActorCompile.Cli;

// actorcompile: the compiler wrapper (actorcompile gcc -c x.c, or a link named gcc in a masquerade
// directory) and the cluster-status CLI (actorcompile status, -j, --show-hosts).

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
    // Only the CLI's own commands and options go through the parser; a compiler's arguments never do.
    if (args.Length == 0) return CliCommandLine.UsageError();
    if (CliCommandLine.IsOwn(args[0])) return CliCommandLine.Run(args);
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
