using System.Globalization;
using System.Net;

namespace ActorCompile.Setup.CommandLine;

/// <summary>A member's cluster address as HOST:PORT ("[::1]:7420" for IPv6). Host holds no brackets.</summary>
public readonly record struct HostPort(string Host, int Port)
{
    public override string ToString() => (Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host) + ":" + Port.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// One parse and one rule for each kind of value that the node's flags, its configuration files and
/// actorcompile setup accept, so that the three can never disagree. Each parse returns null on success,
/// or the problem in words that follow the option's or key's name ("--seed: 'x' is not HOST:PORT ...").
/// </summary>
public static class ValueKinds
{
    public const int MinSlots = 1, MaxSlots = 4096;
    public const int MaxPort = 65535;
    public static readonly TimeSpan MinDuration = TimeSpan.FromMinutes(1), MaxDuration = TimeSpan.FromDays(30);

    /// <summary>A member to join: its address and a port from 1 (a seed never listens on "any free port").</summary>
    public static string? HostPort(string text, out HostPort value)
    {
        value = default;
        var problem = $"'{text}' is not HOST:PORT; give a member's address and cluster port, such as 192.168.1.10:7420";
        int colon = text.LastIndexOf(':');
        if (colon <= 0) return problem;
        var host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']')) host = host[1..^1];
        else if (host.Contains(':', StringComparison.Ordinal)) return problem; // an IPv6 address needs its brackets
        if (Host(host) is not null) return problem;
        if (!int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > MaxPort) return problem;
        value = new HostPort(host, port);
        return null;
    }

    /// <summary>
    /// A host name or address as other members reach this node: nothing that could break out of a quoted
    /// HOCON string or an Akka address (whitespace, quotes, backslashes, '@', '/', control characters).
    /// </summary>
    public static string? Host(string text)
    {
        bool ok = text.Length is > 0 and <= 253
            && !text.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '"' or '\\' or '@' or '/' or '[' or ']' or '#' or '$' or '{' or '}')
            && (!text.Contains(':', StringComparison.Ordinal) || IPAddress.TryParse(text, out _));
        return ok ? null : $"'{text}' is not a host name or address";
    }

    /// <summary>A network in CIDR notation, host bits clear (192.168.1.0/24; 10.0.0.7/32 for one machine).</summary>
    public static string? Network(string text, out IPNetwork value) =>
        text.Contains('/', StringComparison.Ordinal) && IPNetwork.TryParse(text, out value)
            ? null
            : Fail(out value, $"'{text}' is not a network in CIDR notation; give one such as 192.168.1.0/24 (or 10.0.0.7/32 for one machine)");

    /// <summary>A TCP port; 0 asks the system for any free port (what a target that only joins may use).</summary>
    public static string? Port(string text, out int value) =>
        Whole(text, 0, MaxPort, out value) ? null : $"'{text}' is not a port; give a number from 0 to {MaxPort} (0: any free port)";

    /// <summary>A worker's job slots: at least one (leaving the option out means one per core).</summary>
    public static string? Slots(string text, out int value) =>
        Whole(text, MinSlots, MaxSlots, out value) ? null : $"'{text}' is not a number of slots; give a whole number from {MinSlots} to {MaxSlots}";

    /// <summary>A coordinator's local slots (what make -l limits): at least one.</summary>
    public static string? LocalSlots(string text, out int value) =>
        Whole(text, MinSlots, MaxSlots, out value) ? null : $"'{text}' is not a number of local slots; give a whole number from {MinSlots} to {MaxSlots}";

    /// <summary>
    /// A duration as a whole number and a unit: 90m, 24h, 7d (also s). From one minute, so that a token is
    /// usable at all, to 30 days, so that a forgotten token does not open the cluster for long.
    /// </summary>
    public static string? Duration(string text, out TimeSpan value)
    {
        value = default;
        var problem = $"'{text}' is not a duration from 1m to 30d; give one such as 24h, 90m or 7d";
        if (text.Length < 2) return problem;
        if (!long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > 100_000_000) return problem;
        value = text[^1] switch
        {
            's' => TimeSpan.FromSeconds(n),
            'm' => TimeSpan.FromMinutes(n),
            'h' => TimeSpan.FromHours(n),
            'd' => TimeSpan.FromDays(n),
            _ => TimeSpan.Zero,
        };
        return value >= MinDuration && value <= MaxDuration ? null : problem;
    }

    /// <summary>True for an address that never leaves this machine: 127.0.0.0/8, ::1, or "localhost".</summary>
    public static bool IsLoopback(string host)
    {
        var h = host.Trim('[', ']');
        return h.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(h, out var ip) && IPAddress.IsLoopback(ip));
    }

    private static bool Whole(string text, int min, int max, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max;

    private static string Fail<T>(out T value, string problem)
    {
        value = default!;
        return problem;
    }
}
