using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ActorCompile.Cli;

/// <summary>
/// <c>actorcompile setup helper|target|both</c>: writes the one configuration file a user edits
/// (/etc/actorcompile/node.hocon), the distcc-config of this tool. Every value is checked here, before
/// anything is written, with the same rules the node applies when it reads the file.
/// </summary>
public static class SetupCommand
{
    public const string Usage = """
        Usage: actorcompile setup helper|target|both [options]

        Writes the node's configuration (/etc/actorcompile/node.hocon, or $ACTORCOMPILE_CONFIG_DIR/node.hocon),
        keeping the previous file as node.hocon.bak. Restart the node afterwards
        (systemctl restart actorcompile-node, or rc-service actorcompile-node restart).

          helper              lend this machine's cores to the cluster (a worker, distccd's job)
          target              spread this machine's compiles over the cluster (a coordinator)
          both                both at once

        Options:
          --seed HOST:PORT    a member to join; repeatable (required for a target). A helper without one
                              starts a new cluster that the others join.
          --allow CIDR        a network whose targets this helper serves; repeatable (default: this machine only)
          --host ADDR         the address the other members reach this node at (default: the address
                              that routes to the first seed, or 127.0.0.1 without a seed)
          --port N            the cluster port (default 7420)
          --slots N           a helper's job slots (default: the number of cores)
          --local-slots N     a target's local slots, what make -l limits (default: the number of cores)
          --toolchain PATH    a compiler a helper offers; repeatable (default: gcc, g++, cc, c++, clang, clang++ on PATH)
          --file PATH         write this file instead
          --print             print the file instead of writing it
        """;

    public sealed record Settings(
        string Role,
        IReadOnlyList<string> Seeds,
        IReadOnlyList<string> Allow,
        string Host,
        int Port,
        int Slots,
        int LocalSlots,
        IReadOnlyList<string> Toolchains);

    public static int Run(string[] args)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h")
        {
            (args.Length == 0 ? Console.Error : Console.Out).WriteLine(Usage);
            return args.Length == 0 ? ExitCodes.Usage : 0;
        }
        string? file = null;
        bool print = false;
        Settings settings;
        try
        {
            settings = Parse(args, out file, out print);
        }
        catch (SetupException e)
        {
            Console.Error.WriteLine($"actorcompile setup: {e.Message}");
            return ExitCodes.Usage;
        }
        var text = Render(settings);
        if (print)
        {
            Console.Write(text);
            return 0;
        }
        file ??= Path.Combine(Environment.GetEnvironmentVariable("ACTORCOMPILE_CONFIG_DIR") is { Length: > 0 } d ? d : "/etc/actorcompile", "node.hocon");
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
            var temporary = file + ".tmp";
            File.WriteAllText(temporary, text);
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            if (File.Exists(file)) File.Copy(file, file + ".bak", overwrite: true);
            File.Move(temporary, file, overwrite: true);
        }
        catch (UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"actorcompile setup: cannot write {file}: permission denied; run it as root (sudo actorcompile setup ...), or give --file PATH");
            return ExitCodes.Usage;
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"actorcompile setup: cannot write {file}: {e.Message}");
            return ExitCodes.Usage;
        }
        Console.WriteLine($"actorcompile setup: wrote {file} ({Describe(settings)})");
        Console.WriteLine("Restart the node to use it: systemctl restart actorcompile-node (or rc-service actorcompile-node restart).");
        return 0;
    }

    public static Settings Parse(IReadOnlyList<string> args, out string? file, out bool print)
    {
        var role = args[0] switch
        {
            "helper" => "helper",
            "target" => "target",
            "both" => "both",
            var r => throw new SetupException($"unknown role '{r}': say helper (lend cores), target (use the cluster) or both"),
        };
        var seeds = new List<string>();
        var allow = new List<string>();
        var toolchains = new List<string>();
        string? host = null;
        int port = 7420, slots = 0, localSlots = 0;
        file = null;
        print = false;
        for (int i = 1; i < args.Count; i++)
        {
            var arg = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new SetupException($"{arg} needs a value");
            switch (arg)
            {
                case "--seed":
                    var seed = Value();
                    CheckHostPort(seed);
                    seeds.Add(seed);
                    break;
                case "--allow":
                    var network = Value();
                    if (!IPNetwork.TryParse(network, out _))
                        throw new SetupException($"--allow {network} is not a network in CIDR notation; give one such as 192.168.1.0/24 (or 10.0.0.7/32 for one machine)");
                    allow.Add(network);
                    break;
                case "--host":
                    host = Value();
                    if (host.Length == 0 || host.Any(c => char.IsWhiteSpace(c) || c is '"' or '\\'))
                        throw new SetupException($"--host '{host}' is not a host name or address");
                    break;
                case "--port": port = Number(arg, Value(), 1, 65535); break;
                case "--slots": slots = Number(arg, Value(), 0, 4096); break;
                case "--local-slots": localSlots = Number(arg, Value(), 0, 4096); break;
                case "--toolchain": toolchains.Add(Value()); break;
                case "--file": file = Value(); break;
                case "--print": print = true; break;
                default: throw new SetupException($"unknown option {arg}; see actorcompile setup --help");
            }
        }
        if (role == "target" && seeds.Count == 0)
            throw new SetupException("a target needs a helper to join: give --seed HOST:PORT (a helper's address and port, 7420 by default)");
        if (role != "target" && allow.Count == 0 && seeds.Count > 0 && !seeds.All(IsLoopbackSeed))
            Console.Error.WriteLine("actorcompile setup: note: without --allow this helper serves targets on this machine only; add --allow with your network (e.g. --allow 192.168.1.0/24)");
        host ??= seeds.Count > 0 ? RouteTo(seeds[0]) : "127.0.0.1";
        return new Settings(role, seeds, allow, host, port, slots, localSlots, toolchains);
    }

    /// <summary>The node's configuration file for these settings: what a user edits, every key explained.</summary>
    public static string Render(Settings s)
    {
        var inv = CultureInfo.InvariantCulture;
        string List(IEnumerable<string> items) => "[" + string.Join(", ", items.Select(Quote)) + "]";
        var roles = s.Role switch { "helper" => "[worker]", "target" => "[coordinator]", _ => "[worker, coordinator]" };
        var b = new StringBuilder();
        b.AppendLine("# ActorCompile node configuration: the file to edit (written by `actorcompile setup`).");
        b.AppendLine("# actorcompile-node reads /etc/actorcompile/*.hocon over its shipped defaults; a bad value stops it");
        b.AppendLine("# with a message naming this file and the key. Restart the node after a change:");
        b.AppendLine("#   systemctl restart actorcompile-node      (or: rc-service actorcompile-node restart)");
        b.AppendLine("# Check the cluster with: actorcompile status");
        b.AppendLine();
        b.AppendLine("actorcompile {");
        b.AppendLine("  # worker: lends this machine's cores (a helper, distccd's job). coordinator: spreads this");
        b.AppendLine("  # machine's compiles over the cluster (a target). Both: [worker, coordinator].");
        b.AppendLine(inv, $"  roles = {roles}");
        b.AppendLine();
        b.AppendLine("  # The address the other members reach this node at, and the cluster port (open it in a firewall).");
        b.AppendLine(inv, $"  host = {Quote(s.Host)}");
        b.AppendLine(inv, $"  port = {s.Port}");
        b.AppendLine();
        b.AppendLine("  # Members to join, as \"host:port\". Empty: this node starts a cluster that the others join.");
        b.AppendLine(inv, $"  seeds = {List(s.Seeds)}");
        b.AppendLine();
        b.AppendLine("  worker {");
        b.AppendLine("    # Targets are served only from these networks (CIDR). Default: this machine only.");
        if (s.Allow.Count > 0) b.AppendLine(inv, $"    allow = {List(s.Allow)}");
        else b.AppendLine("    # allow = [\"192.168.1.0/24\"]");
        b.AppendLine("    # Jobs at once. 0: the number of cores.");
        b.AppendLine(inv, $"    slots = {s.Slots}");
        b.AppendLine("    # Compilers offered, by path or name on PATH. Empty: gcc, g++, cc, c++, clang, clang++ on PATH.");
        b.AppendLine(inv, $"    toolchains = {List(s.Toolchains)}");
        b.AppendLine("  }");
        b.AppendLine();
        b.AppendLine("  coordinator {");
        b.AppendLine("    # Local slots: dependency scans, compiles that stay here, links; what make -l limits. 0: the number of cores.");
        b.AppendLine(inv, $"    local-slots = {s.LocalSlots}");
        b.AppendLine("  }");
        b.AppendLine();
        b.AppendLine("  # Mutual TLS between members (see the README for making a certificate):");
        b.AppendLine("  # tls { enabled = on, certificate = \"/etc/actorcompile/cluster.pfx\", password-file = \"/etc/actorcompile/cluster.pass\" }");
        b.AppendLine("}");
        return b.ToString();
    }

    private static string Describe(Settings s) =>
        $"{s.Role} at {s.Host}:{s.Port}" + (s.Seeds.Count > 0 ? $", joining {string.Join(", ", s.Seeds)}" : ", starting a new cluster")
        + (s.Role != "target" ? $", serving {(s.Allow.Count > 0 ? string.Join(", ", s.Allow) : "this machine only")}" : "");

    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static int Number(string option, string value, int min, int max) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new SetupException($"{option} {value} is not allowed; expected a whole number from {min} to {max}");

    private static (string Host, int Port) CheckHostPort(string value)
    {
        int colon = value.LastIndexOf(':');
        var host = colon > 0 ? value[..colon].Trim('[', ']') : "";
        if (colon <= 0 || host.Length == 0 || !int.TryParse(value[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw new SetupException($"--seed {value} is not HOST:PORT; give a member's address and cluster port, such as 192.168.1.10:7420");
        return (host, port);
    }

    private static bool IsLoopbackSeed(string seed) => IPAddress.TryParse(CheckHostPort(seed).Host, out var ip) && IPAddress.IsLoopback(ip);

    /// <summary>
    /// This machine's address on the route to the seed: a UDP socket is connected (which sends nothing)
    /// and asked for its local end.
    /// </summary>
    private static string RouteTo(string seed)
    {
        var (host, port) = CheckHostPort(seed);
        try
        {
            var address = IPAddress.TryParse(host, out var ip) ? ip : Dns.GetHostAddresses(host).FirstOrDefault()
                ?? throw new SetupException($"cannot resolve the seed {host}; give --host with this machine's address");
            using var probe = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            probe.Connect(new IPEndPoint(address, port));
            return ((IPEndPoint)probe.LocalEndPoint!).Address.ToString();
        }
        catch (SocketException e)
        {
            throw new SetupException($"cannot find this machine's address towards {seed} ({e.Message}); give --host with it");
        }
    }
}

public sealed class SetupException(string message) : Exception(message);
