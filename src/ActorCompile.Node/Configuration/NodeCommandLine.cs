using System.CommandLine;
using System.Reflection;
using ActorCompile.Setup.CommandLine;

namespace ActorCompile.Node.Configuration;

/// <summary>
/// actorcompile-node's options on System.CommandLine. The kinds of value (ports, HOST:PORT, networks,
/// slots) come from <see cref="OptionKinds"/>, shared with actorcompile setup.
/// </summary>
public sealed class NodeCommandLine
{
    private const string Program = "actorcompile-node";

    private readonly Command _root = CommandLines.Root(Program, "Runs an ActorCompile cluster member: a worker (helper), a coordinator (target), or both.");
    private readonly Option<string[]> _roles = new("--roles")
    {
        Description = "worker, coordinator, or worker,coordinator (default from the configuration: worker)",
        HelpName = "LIST",
        Arity = ArgumentArity.ExactlyOne,
        CustomParser = r =>
        {
            var text = r.Tokens[^1].Value;
            var roles = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToArray();
            var bad = roles.Length == 0 ? text : roles.FirstOrDefault(role => role is not ("worker" or "coordinator"));
            if (bad is null) return roles;
            r.AddError($"--roles: '{bad}' is not a role; use worker, coordinator or worker,coordinator");
            return Array.Empty<string>();
        },
    };
    private readonly Option<string?> _host = OptionKinds.Host("--host", "address other members reach this node at (default 127.0.0.1)");
    private readonly Option<int?> _port = OptionKinds.Port("--port", "cluster port (default 7420; 0 picks a free port)");
    private readonly Option<HostPort[]> _seeds = OptionKinds.HostPorts("--seed", "a member to join; repeatable. Without one, this node starts a new cluster.");
    private readonly Option<string?> _socket = new("--socket")
    {
        Description = "local socket for actorcompile (default $ACTORCOMPILE_SOCKET, $XDG_RUNTIME_DIR/actorcompile/node.sock, /tmp/actorcompile-$UID/node.sock)",
        HelpName = "PATH",
    };
    private readonly Option<int?> _slots = OptionKinds.Slots("--slots", "a worker's job slots, 1 to 4096 (default: the number of cores)");
    private readonly Option<int?> _localSlots = OptionKinds.LocalSlots("--local-slots", "a coordinator's local slots, what make -l limits, 1 to 4096 (default: the number of cores)");
    private readonly Option<string[]> _toolchains = OptionKinds.Strings("--toolchain", "a compiler to offer, by path or name on PATH; repeatable (default: gcc, g++, cc, c++, clang, clang++ found on PATH)", "PATH");
    private readonly Option<System.Net.IPNetwork[]> _allow = OptionKinds.Networks("--allow", "a network this worker talks to, judged by the connection's own address; repeatable (default: 127.0.0.0/8 and ::1, this machine only)");
    private readonly Option<string[]> _configs = OptionKinds.Strings("--config", "a HOCON file layered over the shipped configuration; repeatable", "FILE");
    private readonly Option<bool> _insecure = new("--insecure")
    {
        Description = "run without TLS: members are not authenticated, and any process that reaches the port (on loopback any local user) may join (only where you trust every user and host; actorcompile.insecure = on says the same)",
    };
    private readonly Option<bool> _version = new("--version") { Description = "the version (\"actorcompile-node VERSION\")" };

    public NodeCommandLine()
    {
        foreach (var option in new Option[] { _roles, _host, _port, _seeds, _socket, _slots, _localSlots, _toolchains, _allow, _configs, _insecure, _version })
            _root.Options.Add(option);
        CommandLines.CustomizeHelp(_root, new Dictionary<Command, HelpText> { [_root] = new("Usage: actorcompile-node [options]", Sections) });
    }

    /// <summary>
    /// Parses the command line. Returns the options to run with, or null after it has answered by itself:
    /// --help or --version (exit code 0), or a usage error naming the option (exit code 2, on stderr).
    /// </summary>
    public NodeOptions? Parse(IReadOnlyList<string> args, out int exitCode)
    {
        var result = CommandLines.Parse(_root, args);
        exitCode = 0;
        if (result.Action is not null || result.Errors.Count > 0)
        {
            exitCode = CommandLines.Invoke(result);
            return null;
        }
        if (result.GetValue(_version))
        {
            Console.WriteLine($"{Program} {Assembly.GetExecutingAssembly().GetName().Version}");
            return null;
        }
        var options = new NodeOptions
        {
            Host = result.GetValue(_host),
            Port = result.GetValue(_port),
            Socket = result.GetValue(_socket),
            Slots = result.GetValue(_slots),
            LocalSlots = result.GetValue(_localSlots),
            Insecure = result.GetValue(_insecure),
        };
        options.Roles.AddRange(result.GetValue(_roles) ?? Array.Empty<string>());
        options.Seeds.AddRange((result.GetValue(_seeds) ?? Array.Empty<HostPort>()).Select(s => s.ToString()));
        options.Toolchains.AddRange(result.GetValue(_toolchains) ?? Array.Empty<string>());
        options.Allow.AddRange((result.GetValue(_allow) ?? Array.Empty<System.Net.IPNetwork>()).Select(n => n.ToString()));
        options.ConfigFiles.AddRange(result.GetValue(_configs) ?? Array.Empty<string>());
        return options;
    }

    private const string Sections = """
        Files:
          hocon/actorcompile.hocon next to the binary
                              the shipped defaults, every key explained
          /etc/actorcompile/*.hocon
                              read over the defaults, in name order ($ACTORCOMPILE_CONFIG_DIR instead
                              when set); node.hocon is the file to edit, written by actorcompile setup
          --config FILE       read over those, then the flags above
          /etc/actorcompile/cluster.pfx, cluster.password, cluster.joinkey
                              the cluster certificate, its password and the key that signs join tokens
                              (mode 0600), written by actorcompile setup; with a join key this node
                              hands the certificate to machines with a token on the join port
                              (actorcompile.tls.join-port, default: the cluster port + 1)
          /run/actorcompile/node.sock
                              the socket of the installed service, found by actorcompile on its own

        Environment:
          ACTORCOMPILE_SOCKET       the socket, when --socket and the configuration do not name one
          ACTORCOMPILE_CONFIG_DIR   the directory of system-wide configuration (default /etc/actorcompile)

        TLS: a node whose address is beyond loopback (a LAN address, or an advertised
        akka.remote.dot-netty.tcp.public-hostname) starts only with TLS on (actorcompile.tls.enabled) or
        with --insecure; actorcompile setup helper --host ADDR makes the cluster certificate.

        Signals: SIGTERM or SIGINT leaves the cluster (jobs it was running go to other workers or
        compile on their target) and removes the socket. Under systemd the node reports readiness (Type=notify) and logs to the
        journal with levels.

        Exit status: 0 after a clean stop (SIGTERM or SIGINT) only; 2 for a bad option or configuration
        value (the message names the option, or the file, the key and what is allowed; such a node is not
        restarted by its service); 1 otherwise, a port another program holds among them. A node the cluster removed, or whose TLS handshake with
        another node failed (Akka stops a node for it), starts itself again (same process id) and rejoins
        the members it knew; it exits with 1 only if it cannot.

        Examples:
          actorcompile-node --roles worker --host 127.0.0.1 --allow 127.0.0.0/8
          actorcompile-node --roles coordinator --seed 127.0.0.1:7420 --port 0
          actorcompile setup helper --host 192.168.1.10 --allow 192.168.1.0/24 && systemctl enable --now actorcompile-node
        """;
}
