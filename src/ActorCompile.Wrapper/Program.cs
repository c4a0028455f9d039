using ActorCompile.LocalProtocol;
using ActorCompile.Toolchain.Identity;
using ActorCompile.Toolchain.Processes;
using ActorCompile.Wrapper;

// actorcompile: the compiler wrapper (actorcompile gcc -c x.c, or a link named gcc in a masquerade
// directory). Its own commands (status, setup, cache, -j, --show-hosts, --help, --version) are
// actorcompile-cli's, which it runs in its place.

int level = int.TryParse(Environment.GetEnvironmentVariable(CompilerLocator.SafeguardVariable), out var l) ? l : 0;
if (level >= 1)
{
    Console.Error.WriteLine("actorcompile: called itself recursively (a compiler it started ran actorcompile again); check PATH for loops between compiler wrappers");
    return ExitCodes.CompilerNotFound;
}

var invoked = CompilerLocator.InvokedName();
string compilerName;
string[] compilerArgs;
if (invoked is "actorcompile")
{
    if (args.Length == 0 || IsOwn(args[0]))
    {
        // The CLI beside this program (the real file's directory: PATH may name a link to it).
        var cli = Path.Combine(Path.GetDirectoryName(CompilerLocator.SelfPath) ?? ".", "actorcompile-cli");
        var why = Native.Execute(cli, new[] { "actorcompile" }.Concat(args).ToArray());
        Console.Error.WriteLine($"actorcompile: {why} (it answers actorcompile's own commands; install it beside actorcompile)");
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

Environment.SetEnvironmentVariable(CompilerLocator.SafeguardVariable, "1");
var compiler = CompilerLocator.Locate(compilerName, out var error);
if (compiler is null)
{
    Console.Error.WriteLine($"actorcompile: {error}");
    return ExitCodes.CompilerNotFound;
}
return new Wrapper(compiler, compilerArgs).Run();

// The CLI's commands and options; anything else names a compiler.
static bool IsOwn(string first) => first is "status" or "setup" or "cache" || first.StartsWith('-');
