using System.CommandLine;
using System.CommandLine.Parsing;
using System.Net;

namespace ActorCompile.Setup.CommandLine;

/// <summary>
/// System.CommandLine options for the kinds of <see cref="ValueKinds"/>: actorcompile-node and actorcompile
/// setup build their --port, --seed, --allow, --slots ... from these, so a value one accepts the other does
/// too, and a bad one gets the same message naming the option. Custom parsers, no reflection: AOT-safe.
/// </summary>
public static class OptionKinds
{
    private delegate string? Parse<T>(string text, out T value);

    public static Option<HostPort[]> HostPorts(string name, string description) => Many<HostPort>(name, description, "HOST:PORT", ValueKinds.HostPort);

    public static Option<IPNetwork[]> Networks(string name, string description) => Many<IPNetwork>(name, description, "CIDR", ValueKinds.Network);

    public static Option<int?> Port(string name, string description) => One<int>(name, description, "N", ValueKinds.Port);

    public static Option<int?> Slots(string name, string description) => One<int>(name, description, "N", ValueKinds.Slots);

    public static Option<int?> LocalSlots(string name, string description) => One<int>(name, description, "N", ValueKinds.LocalSlots);

    public static Option<TimeSpan?> Duration(string name, string description) => One<TimeSpan>(name, description, "DURATION", ValueKinds.Duration);

    public static Option<string?> Host(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "ADDR",
        Arity = ArgumentArity.ExactlyOne,
        CustomParser = r => ValueKinds.Host(r.Tokens[^1].Value) is { } problem ? Error<string>(r, problem) : r.Tokens[^1].Value,
    };

    /// <summary>A repeatable option whose values are strings (paths, names).</summary>
    public static Option<string[]> Strings(string name, string description, string helpName) => new(name)
    {
        Description = description,
        HelpName = helpName,
        Arity = ArgumentArity.OneOrMore,
    };

    /// <summary>An option that takes one value.</summary>
    private static Option<T?> One<T>(string name, string description, string helpName, Parse<T> parse) where T : struct => new(name)
    {
        Description = description,
        HelpName = helpName,
        Arity = ArgumentArity.ExactlyOne,
        CustomParser = r => parse(r.Tokens[^1].Value, out var value) is { } problem ? Error<T?>(r, problem) : value,
    };

    /// <summary>A repeatable option (--seed A --seed B); every value is checked.</summary>
    private static Option<T[]> Many<T>(string name, string description, string helpName, Parse<T> parse) => new(name)
    {
        Description = description,
        HelpName = helpName,
        Arity = ArgumentArity.OneOrMore,
        CustomParser = r =>
        {
            var values = new T[r.Tokens.Count];
            for (int i = 0; i < values.Length; i++)
                if (parse(r.Tokens[i].Value, out values[i]) is { } problem) return Error<T[]>(r, problem);
            return values;
        },
    };

    /// <summary>Records the problem prefixed with the option's name, so that the message names it.</summary>
    private static T? Error<T>(ArgumentResult result, string problem)
    {
        var name = result.Parent is OptionResult o ? o.Option.Name : result.Argument.Name;
        result.AddError($"{name}: {problem}");
        return default;
    }
}
