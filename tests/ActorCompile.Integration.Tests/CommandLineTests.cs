using ActorCompile.Tests;
using Xunit;

namespace ActorCompile.Integration.Tests;

/// <summary>
/// The published programs' command lines: each kind of value is checked the same way by actorcompile-node
/// and actorcompile setup, and a bad one is a usage error (exit code 2) naming the option. The wrapper's
/// compiler arguments never go through the parser.
/// </summary>
public sealed class CommandLineTests
{
    private static Run.Result Cli(params string[] args) => Run.Program(Dist.Wrapper, args, env: new Dictionary<string, string>
    {
        // Nothing may be written to the machine's /etc by a test, even by mistake.
        ["ACTORCOMPILE_CONFIG_DIR"] = Path.Combine(Path.GetTempPath(), "ac-cli-no-etc-" + Environment.ProcessId),
    });

    private static void AssertUsageError(Run.Result r, string option, string problem)
    {
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}\n{r.Stdout}\n{r.Stderr}");
        Assert.Contains($"{option}: ", r.Stderr);
        Assert.Contains(problem, r.Stderr);
    }

    public static TheoryData<string, string, string> BadValues => new()
    {
        { "--port", "70000", "is not a port" },
        { "--seed", "nowhere", "is not HOST:PORT" },
        { "--seed", "127.0.0.1:0", "is not HOST:PORT" },
        { "--allow", "10.0.0.0/33", "is not a network in CIDR notation" },
        { "--slots", "0", "is not a number of slots" },
        { "--local-slots", "4097", "is not a number of local slots" },
        { "--host", "a b", "is not a host name or address" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void The_node_refuses_a_bad_value_naming_the_option(string option, string value, string problem) =>
        AssertUsageError(Run.Program(Dist.Node, new[] { option, value }), option, problem);

    [Theory]
    [MemberData(nameof(BadValues))]
    public void Setup_refuses_a_bad_value_naming_the_option(string option, string value, string problem) =>
        AssertUsageError(Cli("setup", "both", option, value), option, problem);

    [Fact]
    public async Task Port_0_is_a_free_port_for_both_programs()
    {
        using var dir = new TempDirectory("ac-port0");
        var setup = Cli("setup", "target", "--seed", "127.0.0.1:7420", "--port", "0", "--print");
        Assert.True(setup.ExitCode == 0, setup.Stderr);
        Assert.Contains("port = 0", setup.Stdout);
        using var node = new NodeProcess("port0", dir.Path, "coordinator", port: 0);
        await Eventually.True(() => File.Exists(node.Socket), TimeSpan.FromSeconds(60), "a node on port 0 to start");
        Assert.False(node.HasExited, node.Log());
    }

    [Fact]
    public void The_token_command_refuses_a_bad_duration_naming_the_option() =>
        AssertUsageError(Cli("setup", "token", "--valid-for", "90d"), "--valid-for", "is not a duration from 1m to 30d");

    [Theory]
    [InlineData("Unrecognized command or argument '--bogus'", "status", "--bogus")]
    [InlineData("--json and --watch do not go together", "status", "--json", "--watch")]
    [InlineData("Unrecognized command or argument '-x'", "-x")]
    [InlineData("Unrecognized command or argument '--alow'", "setup", "helper", "--alow", "10.0.0.0/8")]
    [InlineData("Required command was not provided", "setup")]
    [InlineData("-j, --show-hosts and --version go one at a time", "-j", "--show-hosts")]
    public void Unknown_options_and_commands_are_usage_errors(string message, params string[] args)
    {
        var r = Cli(args);
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}\n{r.Stderr}");
        Assert.Contains(message, r.Stderr);
        Assert.Contains("--help)", r.Stderr);
    }

    [Fact]
    public void The_node_names_an_unknown_option_and_a_bad_role()
    {
        var r = Run.Program(Dist.Node, new[] { "--roles", "server,worker", "--alow", "x" });
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--roles: 'server' is not a role", r.Stderr);
        Assert.Contains("Unrecognized command or argument '--alow'", r.Stderr);
    }

    [Fact]
    public void Without_arguments_the_CLI_prints_its_usage_as_an_error()
    {
        var r = Cli();
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("Usage: actorcompile COMPILER [ARGS...]", r.Stderr);
    }

    [Fact]
    public void Each_program_and_command_has_a_help_that_names_its_options()
    {
        var cli = Cli("--help");
        Assert.Equal(0, cli.ExitCode);
        foreach (var text in new[] { "Usage: actorcompile COMPILER", "status", "setup", "-j", "--show-hosts", "ACTORCOMPILE_SOCKET", "Exit status:" })
            Assert.Contains(text, cli.Stdout);
        var setup = Cli("setup", "helper", "--help");
        Assert.Equal(0, setup.ExitCode);
        foreach (var text in new[] { "Usage: actorcompile setup helper", "--seed", "--token", "--allow", "--host", "--port", "--slots", "--insecure", "--new-certificate", "--file", "--print", "TLS:" })
            Assert.Contains(text, setup.Stdout);
        var token = Cli("setup", "token", "--help");
        Assert.Contains("--valid-for", token.Stdout);
        var status = Cli("status", "--help");
        Assert.Contains("--json", status.Stdout);
        Assert.Contains("--watch", status.Stdout);
    }

    /// <summary>A compiler's own options reach the compiler: --version after a compiler name is gcc's.</summary>
    [Fact]
    public void Compiler_arguments_pass_through_untouched()
    {
        using var dir = new TempDirectory("ac-pass");
        var env = new Dictionary<string, string> { ["ACTORCOMPILE_SOCKET"] = dir.Combine("none.sock") };
        var version = Run.Program(Dist.Wrapper, new[] { "gcc", "--version" }, env: env);
        Assert.True(version.ExitCode == 0, version.Stderr);
        Assert.Equal(Run.Program("gcc", new[] { "--version" }).Stdout, version.Stdout);
        var help = Run.Program(Dist.Wrapper, new[] { "gcc", "--help" }, env: env);
        Assert.Contains("Usage: gcc [options] file...", help.Stdout);
        var machine = Run.Program(Dist.Wrapper, new[] { "gcc", "-dumpmachine" }, env: env);
        Assert.Equal(Run.Program("gcc", new[] { "-dumpmachine" }).Stdout, machine.Stdout);
    }
}
