using ActorCompile.Cli;
using ActorCompile.LocalProtocol;

// actorcompile-cli: actorcompile's own commands (status, cache, setup, -j, --show-hosts, --help,
// --version), which the wrapper (actorcompile) hands over by exec. Kept out of the wrapper so that the
// program every compile starts stays small (see ActorCompile.Wrapper.csproj).

if (args.Length == 0) return CliCommandLine.UsageError();
if (!CliCommandLine.IsOwn(args[0]))
{
    Console.Error.WriteLine($"actorcompile-cli: {args[0]} is not a command; compile with actorcompile {args[0]} ...");
    return ExitCodes.Usage;
}
return CliCommandLine.Run(args);
