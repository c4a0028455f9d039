using System.CommandLine;
using ActorCompile.Setup.CommandLine;
using Xunit;

namespace ActorCompile.Setup.Tests;

/// <summary>One rule per kind of value, as the node's flags, its files and actorcompile setup apply it.</summary>
public sealed class ValueKindsTests
{
    [Theory]
    [InlineData("192.168.1.10:7420", "192.168.1.10", 7420)]
    [InlineData("build-host.lan:1", "build-host.lan", 1)]
    [InlineData("[::1]:7420", "::1", 7420)]
    [InlineData("127.0.0.1:65535", "127.0.0.1", 65535)]
    public void HOST_PORT_accepts_a_member_address(string text, string host, int port)
    {
        Assert.Null(ValueKinds.HostPort(text, out var value));
        Assert.Equal(new HostPort(host, port), value);
        Assert.Equal(text, value.ToString());
    }

    [Theory]
    [InlineData("nowhere")]
    [InlineData(":7420")]
    [InlineData("10.0.0.1:0")]        // a seed never listens on "any free port"
    [InlineData("10.0.0.1:65536")]
    [InlineData("10.0.0.1:+80")]
    [InlineData("::1:7420")]          // IPv6 needs brackets
    [InlineData("a b:7420")]
    [InlineData("x\":7420")]
    public void HOST_PORT_refuses_anything_else(string text) =>
        Assert.Contains("is not HOST:PORT", ValueKinds.HostPort(text, out _));

    [Theory]
    [InlineData("0", true)]
    [InlineData("7420", true)]
    [InlineData("65535", true)]
    [InlineData("65536", false)]
    [InlineData("-1", false)]
    [InlineData("abc", false)]
    [InlineData("", false)]
    public void A_port_is_0_to_65535(string text, bool accepted) => Assert.Equal(accepted, ValueKinds.Port(text, out _) is null);

    [Theory]
    [InlineData("1", true)]
    [InlineData("4096", true)]
    [InlineData("0", false)]
    [InlineData("4097", false)]
    [InlineData("many", false)]
    public void Slots_and_local_slots_are_1_to_4096(string text, bool accepted)
    {
        Assert.Equal(accepted, ValueKinds.Slots(text, out _) is null);
        Assert.Equal(accepted, ValueKinds.LocalSlots(text, out _) is null);
    }

    [Theory]
    [InlineData("192.168.1.0/24", true)]
    [InlineData("10.0.0.7/32", true)]
    [InlineData("::1/128", true)]
    [InlineData("192.168.1.0/33", false)]
    [InlineData("192.168.1.0", false)]
    [InlineData("bad", false)]
    public void A_network_is_CIDR(string text, bool accepted) => Assert.Equal(accepted, ValueKinds.Network(text, out _) is null);

    [Fact]
    public void A_network_with_host_bits_means_its_network()
    {
        Assert.Null(ValueKinds.Network("192.168.1.5/24", out var network));
        Assert.Equal("192.168.1.0/24", network.ToString());
    }

    [Theory]
    [InlineData("24h", 24 * 60)]
    [InlineData("90m", 90)]
    [InlineData("7d", 7 * 24 * 60)]
    [InlineData("60s", 1)]
    [InlineData("30d", 30 * 24 * 60)]
    public void A_duration_has_a_unit(string text, int minutes)
    {
        Assert.Null(ValueKinds.Duration(text, out var value));
        Assert.Equal(TimeSpan.FromMinutes(minutes), value);
    }

    [Theory]
    [InlineData("0m")]
    [InlineData("59s")]
    [InlineData("31d")]
    [InlineData("24")]
    [InlineData("h")]
    [InlineData("1y")]
    [InlineData("99999999999999999999d")]
    public void A_duration_is_from_a_minute_to_30_days(string text) =>
        Assert.Contains("is not a duration from 1m to 30d", ValueKinds.Duration(text, out _));

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.8.9.10", true)]
    [InlineData("::1", true)]
    [InlineData("[::1]", true)]
    [InlineData("localhost", true)]
    [InlineData("0.0.0.0", false)]
    [InlineData("192.168.1.21", false)]
    [InlineData("build.example.org", false)]
    public void Loopback_is_127_0_0_0_8_and_the_IPv6_loopback_and_localhost(string host, bool loopback) =>
        Assert.Equal(loopback, ValueKinds.IsLoopback(host));

    [Theory]
    [InlineData("192.168.1.21", true)]
    [InlineData("build-1.lan", true)]
    [InlineData("::1", true)]
    [InlineData("", false)]
    [InlineData("a b", false)]
    [InlineData("x\"y", false)]
    [InlineData("user@host", false)]
    [InlineData("not:an:address", false)]
    public void A_host_is_a_name_or_address_that_cannot_break_out_of_its_quotes(string text, bool accepted) =>
        Assert.Equal(accepted, ValueKinds.Host(text) is null);

    /// <summary>Through System.CommandLine, as the programs use them: a bad value is an error naming the option.</summary>
    [Theory]
    [InlineData("--seed", "nowhere")]
    [InlineData("--allow", "10.0.0.0/33")]
    [InlineData("--port", "70000")]
    [InlineData("--slots", "0")]
    [InlineData("--local-slots", "4097")]
    [InlineData("--valid-for", "31d")]
    [InlineData("--host", "a b")]
    public void Each_option_kind_names_its_option_in_the_error(string option, string value)
    {
        var command = new Command("probe")
        {
            OptionKinds.HostPorts("--seed", ""), OptionKinds.Networks("--allow", ""), OptionKinds.Port("--port", ""),
            OptionKinds.Slots("--slots", ""), OptionKinds.LocalSlots("--local-slots", ""), OptionKinds.Duration("--valid-for", ""),
            OptionKinds.Host("--host", ""),
        };
        var result = CommandLines.Parse(command, new[] { option, value });
        var error = Assert.Single(CommandLines.Errors(result));
        Assert.StartsWith($"probe: {option}: '{value}' is not", error);
        Assert.Empty(CommandLines.Errors(CommandLines.Parse(command, new[] { "--seed", "127.0.0.1:7420", "--seed", "[::1]:1", "--port", "0", "--slots", "4096" })));
    }

    [Fact]
    public void An_argument_starting_with_at_is_a_value_not_a_response_file()
    {
        var option = OptionKinds.Strings("--toolchain", "", "PATH");
        var result = CommandLines.Parse(new Command("probe") { option }, new[] { "--toolchain", "@/etc/passwd" });
        Assert.Empty(result.Errors);
        Assert.Equal(new[] { "@/etc/passwd" }, result.GetValue(option));
    }
}
