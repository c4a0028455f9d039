using ActorCompile.Cli;
using ActorCompile.LocalProtocol;
using ActorCompile.Tests;
using Xunit;

namespace ActorCompile.Cli.Tests;

/// <summary>actorcompile setup: what it writes for each role, and the errors for bad input (nothing written).</summary>
public sealed class SetupTests
{
    [Fact]
    public void A_helper_serves_the_given_networks_and_joins_the_given_seed()
    {
        var s = SetupCommand.Parse(new[] { "helper", "--seed", "127.0.0.1:7420", "--allow", "192.168.1.0/24", "--allow", "10.0.0.7/32", "--slots", "6" }, out var file, out var print);
        Assert.Null(file);
        Assert.False(print);
        Assert.Equal("127.0.0.1", s.Host); // this machine's address on the route to the seed
        var text = SetupCommand.Render(s);
        Assert.Contains("roles = [worker]", text);
        Assert.Contains("seeds = [\"127.0.0.1:7420\"]", text);
        Assert.Contains("allow = [\"192.168.1.0/24\", \"10.0.0.7/32\"]", text);
        Assert.Contains("slots = 6", text);
    }

    [Fact]
    public void A_target_is_a_coordinator_and_without_allow_the_helper_default_stays_commented()
    {
        // --port 0: a target that only joins may take any free port.
        Assert.Equal(0, SetupCommand.Parse(new[] { "target", "--seed", "127.0.0.1:7500", "--port", "0" }, out _, out _).Port);
        var text = SetupCommand.Render(SetupCommand.Parse(new[] { "target", "--seed", "127.0.0.1:7500", "--host", "127.0.0.1", "--local-slots", "3" }, out _, out _));
        Assert.Contains("roles = [coordinator]", text);
        Assert.Contains("port = 7420", text);
        Assert.Contains("local-slots = 3", text);
        Assert.Contains("# allow = [\"192.168.1.0/24\"]", text);
        Assert.Contains("roles = [worker, coordinator]", SetupCommand.Render(SetupCommand.Parse(new[] { "both" }, out _, out _)));
    }

    [Theory]
    [InlineData("Unrecognized command or argument 'server'", "server")]
    [InlineData("a target needs a helper to join: give --seed HOST:PORT", "target")]
    [InlineData("--seed: 'nowhere' is not HOST:PORT", "helper", "--seed", "nowhere")]
    [InlineData("--seed: '10.0.0.1:99999' is not HOST:PORT", "helper", "--seed", "10.0.0.1:99999")]
    [InlineData("--allow: '192.168.1.0/33' is not a network in CIDR notation", "helper", "--allow", "192.168.1.0/33")]
    [InlineData("--slots: 'many' is not a number of slots; give a whole number from 1 to 4096", "helper", "--slots", "many")]
    [InlineData("--slots: '0' is not a number of slots", "helper", "--slots", "0")]
    [InlineData("--local-slots: '4097' is not a number of local slots", "target", "--seed", "127.0.0.1:7420", "--local-slots", "4097")]
    [InlineData("--port: '70000' is not a port; give a number from 0 to 65535", "both", "--port", "70000")]
    [InlineData("--port 0 is for a machine that only joins", "both", "--port", "0")]
    [InlineData("--host: 'a b' is not a host name or address", "helper", "--host", "a b")]
    [InlineData("--token /nonexistent/token: cannot read it", "target", "--seed", "127.0.0.1:7420", "--token", "/nonexistent/token")]
    [InlineData("--token: give the file the token is in, or - and paste it on standard input, or set ACTORCOMPILE_JOIN_TOKEN: a token on the command line is visible to every user (ps)",
        "target", "--seed", "127.0.0.1:7420", "--token", "acj1-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("--insecure turns TLS off; it does not go with --token, --tls or --new-certificate", "helper", "--insecure", "--tls")]
    [InlineData("Required argument missing for option: '--allow'", "helper", "--allow")]
    [InlineData("Unrecognized command or argument '--alow'", "helper", "--alow", "10.0.0.0/8")]
    public void Bad_input_is_refused_with_what_to_give_instead(string message, params string[] args)
    {
        var e = Assert.Throws<SetupException>(() => SetupCommand.Parse(args, out _, out _));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void A_token_comes_from_a_file_and_is_judged_there()
    {
        using var dir = new TempDirectory("ac-token-file");
        var good = dir.Write("good", "acj1-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n");
        var e = Assert.Throws<SetupException>(() => SetupCommand.Parse(new[] { "helper", "--token", good }, out _, out _));
        Assert.Contains("--token needs --seed HOST:PORT", e.Message);
        var settings = SetupCommand.Parse(new[] { "target", "--seed", "127.0.0.1:7420", "--token", good }, out _, out _);
        Assert.NotNull(settings.Token);
        var bad = dir.Write("bad", "hello\n");
        e = Assert.Throws<SetupException>(() => SetupCommand.Parse(new[] { "target", "--seed", "127.0.0.1:7420", "--token", bad }, out _, out _));
        Assert.Contains($"the token from {bad}: it is not an ActorCompile join token", e.Message);
    }

    [Fact]
    public void Setup_writes_the_file_keeps_the_previous_one_and_writes_nothing_on_bad_input()
    {
        using var dir = new TempDirectory("ac-setup");
        var file = dir.Combine("etc", "node.hocon");
        Assert.Equal(0, SetupCommand.Run(new[] { "helper", "--file", file }));
        var first = File.ReadAllText(file);
        Assert.Equal(0, SetupCommand.Run(new[] { "both", "--file", file }));
        Assert.Equal(first, File.ReadAllText(file + ".bak"));
        Assert.Contains("roles = [worker, coordinator]", File.ReadAllText(file));
        var before = File.ReadAllText(file);
        Assert.NotEqual(0, SetupCommand.Run(new[] { "helper", "--allow", "bad", "--file", file }));
        Assert.Equal(before, File.ReadAllText(file));
    }

    [Fact]
    public void Clients_prefer_the_system_service_then_their_own_node_and_the_variable_wins()
    {
        var env = new Dictionary<string, string?> { ["XDG_RUNTIME_DIR"] = "/run/user/1000" };
        const string own = "/run/user/1000/actorcompile/node.sock";
        // The service's directory is one no other user can create; /tmp/actorcompile-$UID can be made by anyone.
        Assert.Equal(SocketPath.Service, SocketPath.ForClient(k => env.GetValueOrDefault(k), p => p == own || p == SocketPath.Service));
        Assert.Equal(SocketPath.Service, SocketPath.ForClient(k => env.GetValueOrDefault(k), p => p == SocketPath.Service));
        Assert.Equal(own, SocketPath.ForClient(k => env.GetValueOrDefault(k), p => p == own));
        Assert.Equal(own, SocketPath.ForClient(k => env.GetValueOrDefault(k), _ => false)); // the error then names the user's own
        env["ACTORCOMPILE_SOCKET"] = "/x/node.sock";
        Assert.Equal("/x/node.sock", SocketPath.ForClient(k => env.GetValueOrDefault(k), p => p == SocketPath.Service));
    }
}
