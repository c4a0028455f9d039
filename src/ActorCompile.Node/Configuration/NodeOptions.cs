using System.Text;

namespace ActorCompile.Node.Configuration;

/// <summary>A mistake in the command line or the configuration, with what to do about it.</summary>
public sealed class ConfigurationException(string message) : Exception(message);

/// <summary>The command line of actorcompile-node.</summary>
public sealed class NodeOptions
{
    public List<string> ConfigFiles { get; } = new();
    public List<string> Roles { get; } = new();
    public string? Host { get; private set; }
    public int? Port { get; private set; }
    public List<string> Seeds { get; } = new();
    public string? Socket { get; private set; }
    public int? Slots { get; private set; }
    public int? LocalSlots { get; private set; }
    public List<string> Toolchains { get; } = new();
    public List<string> Allow { get; } = new();
    public bool Help { get; private set; }
    public bool Version { get; private set; }

    public const string Usage = """
        Usage: actorcompile-node [options]

        Runs an ActorCompile cluster member: a worker (helper), a coordinator (target), or both.

        Options:
          --roles LIST        worker, coordinator, or worker,coordinator (default from the configuration: worker)
          --host ADDR         address other members reach this node at (default 127.0.0.1)
          --port N            cluster port (default 7420; 0 picks a free port)
          --seed HOST:PORT    a member to join; repeatable. Without one, this node starts a new cluster.
          --socket PATH       local socket for actorcompile (default $ACTORCOMPILE_SOCKET,
                              $XDG_RUNTIME_DIR/actorcompile/node.sock, /tmp/actorcompile-$UID/node.sock)
          --slots N           a worker's job slots (default: the number of cores)
          --local-slots N     a coordinator's local slots, what make -l limits (default: the number of cores)
          --toolchain PATH    a compiler to offer, by path or name on PATH; repeatable
                              (default: gcc, g++, cc, c++, clang, clang++ found on PATH)
          --allow CIDR        a network this worker talks to (by the connection's address); repeatable
                              (default: 127.0.0.0/8 and ::1, this machine only)
          --config FILE       a HOCON file layered over the shipped configuration; repeatable
          --help              this text
          --version           the version

        Files:
          hocon/actorcompile.hocon next to the binary
                              the shipped defaults, every key explained
          /etc/actorcompile/*.hocon
                              read over the defaults, in name order ($ACTORCOMPILE_CONFIG_DIR instead
                              when set); node.hocon is the file to edit, written by actorcompile setup
          --config FILE       read over those, then the flags above
          /run/actorcompile/node.sock
                              the socket of the installed service, found by actorcompile on its own

        Environment:
          ACTORCOMPILE_SOCKET       the socket, when --socket and the configuration do not name one
          ACTORCOMPILE_CONFIG_DIR   the directory of system-wide configuration (default /etc/actorcompile)

        Signals: SIGTERM or SIGINT leaves the cluster (jobs it was running go to other workers or
        compile on their target) and removes the socket. Under systemd the node reports readiness (Type=notify) and logs to the
        journal with levels.

        Exit status: 0 after a clean stop (SIGTERM or SIGINT) only; 2 for a bad option or configuration
        value (the message names the file, the key and what is allowed; such a node is not restarted by
        its service); 1 otherwise. A node the cluster removed starts itself again (same process id) and
        rejoins the members it knew; it exits with 1 only if it cannot.

        Examples:
          actorcompile-node --roles worker --host 192.168.1.10 --allow 192.168.1.0/24
          actorcompile-node --roles coordinator --seed 192.168.1.10:7420
          actorcompile setup helper --allow 192.168.1.0/24 && systemctl enable --now actorcompile-node
        """;

    public static NodeOptions Parse(IReadOnlyList<string> args)
    {
        var o = new NodeOptions();
        for (int i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string? inline = null;
            int eq = arg.IndexOf('=');
            if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 0)
            {
                inline = arg[(eq + 1)..];
                arg = arg[..eq];
            }
            string Value()
            {
                if (inline is not null) return inline;
                if (i + 1 >= args.Count) throw new ConfigurationException($"{arg} needs a value");
                return args[++i];
            }
            switch (arg)
            {
                case "--help" or "-h": o.Help = true; break;
                case "--version": o.Version = true; break;
                case "--config": o.ConfigFiles.Add(Value()); break;
                case "--roles":
                    foreach (var r in Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        if (r is not ("worker" or "coordinator"))
                            throw new ConfigurationException($"--roles: '{r}' is not a role; use worker, coordinator or worker,coordinator");
                        if (!o.Roles.Contains(r)) o.Roles.Add(r);
                    }
                    break;
                case "--host": o.Host = Value(); break;
                case "--port": o.Port = ParseInt(arg, Value(), 0, 65535); break;
                case "--seed":
                    var seed = Value();
                    NodeConfiguration.ParseHostPort(seed, "--seed");
                    o.Seeds.Add(seed);
                    break;
                case "--socket": o.Socket = Value(); break;
                case "--slots": o.Slots = ParseInt(arg, Value(), 1, 4096); break;
                case "--local-slots": o.LocalSlots = ParseInt(arg, Value(), 1, 4096); break;
                case "--toolchain": o.Toolchains.Add(Value()); break;
                case "--allow":
                    var cidr = Value();
                    if (!System.Net.IPNetwork.TryParse(cidr, out _))
                        throw new ConfigurationException($"--allow: '{cidr}' is not a network in CIDR notation (for example 192.168.1.0/24)");
                    o.Allow.Add(cidr);
                    break;
                default: throw new ConfigurationException($"unknown option {args[i]}; see --help");
            }
        }
        return o;
    }

    private static int ParseInt(string option, string value, int min, int max)
    {
        if (!int.TryParse(value, out var n) || n < min || n > max)
            throw new ConfigurationException($"{option} takes a whole number from {min} to {max}, not '{value}'");
        return n;
    }

    /// <summary>The flags as a HOCON layer over the configuration files.</summary>
    public string ToHocon()
    {
        var sb = new StringBuilder();
        if (Roles.Count > 0) sb.AppendLine($"actorcompile.roles = [{string.Join(", ", Roles.Select(Quote))}]");
        if (Host is not null) sb.AppendLine($"actorcompile.host = {Quote(Host)}");
        if (Port is not null) sb.AppendLine($"actorcompile.port = {Port}");
        if (Seeds.Count > 0) sb.AppendLine($"actorcompile.seeds = [{string.Join(", ", Seeds.Select(Quote))}]");
        if (Socket is not null) sb.AppendLine($"actorcompile.socket = {Quote(Socket)}");
        if (Slots is not null) sb.AppendLine($"actorcompile.worker.slots = {Slots}");
        if (LocalSlots is not null) sb.AppendLine($"actorcompile.coordinator.local-slots = {LocalSlots}");
        if (Toolchains.Count > 0) sb.AppendLine($"actorcompile.worker.toolchains = [{string.Join(", ", Toolchains.Select(Quote))}]");
        if (Allow.Count > 0) sb.AppendLine($"actorcompile.worker.allow = [{string.Join(", ", Allow.Select(Quote))}]");
        return sb.ToString();
    }

    public static string Quote(string s) =>
        "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
