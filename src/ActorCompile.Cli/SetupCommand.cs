using ActorCompile.Toolchain.Processes;
using ActorCompile.LocalProtocol;
using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ActorCompile.Setup.CommandLine;
using ActorCompile.Setup.Joining;

namespace ActorCompile.Cli;

/// <summary>
/// <c>actorcompile setup helper|target|both</c>: writes the one configuration file a user edits
/// (/etc/actorcompile/node.hocon), the distcc-config of this tool, and the cluster's certificate when the
/// node needs TLS (see <see cref="ClusterJoin"/>); <c>actorcompile setup token</c> prints a join token.
/// Every value is checked by the same <see cref="OptionKinds"/> the node's flags use, before anything is
/// written.
/// </summary>
public static class SetupCommand
{
    public const string DefaultPort = "7420";

    public sealed record Settings(
        string Role,
        IReadOnlyList<HostPort> Seeds,
        IReadOnlyList<string> Allow,
        string Host,
        int Port,
        int Slots,
        int LocalSlots,
        IReadOnlyList<string> Toolchains)
    {
        public JoinToken? Token { get; init; }
        public bool Insecure { get; init; }
        /// <summary>--tls: TLS even when this node's address is loopback (beyond it, TLS is the default).</summary>
        public bool Tls { get; init; }
        public bool NewCertificate { get; init; }
        /// <summary>The join port a first machine's node listens on; 0 for the cluster port + 1.</summary>
        public int JoinPort { get; init; }
    }

    private static readonly Option<HostPort[]> Seed = OptionKinds.HostPorts("--seed", "a member to join; repeatable (required for a target). A helper without one starts a new cluster that the others join.");
    /// <summary>The environment variable a join token may come in (instead of --token FILE or -).</summary>
    public const string TokenVariable = "ACTORCOMPILE_JOIN_TOKEN";

    private static readonly Option<string?> Token = new("--token")
    {
        Description = $"where the join token is: a file, or - for standard input (never the token itself: on the command line every user sees it); or set {TokenVariable}. "
            + "The first machine printed one (or actorcompile setup token made it); setup fetches the cluster certificate from the first --seed with it over TLS",
        HelpName = "FILE|-",
        Arity = ArgumentArity.ExactlyOne,
        CustomParser = r =>
        {
            var value = r.Tokens[^1].Value;
            if (value.StartsWith(JoinToken.Prefix, StringComparison.Ordinal))
            {
                r.AddError($"--token: give the file the token is in, or - and paste it on standard input, or set {TokenVariable}: a token on the command line is visible to every user (ps)");
                return null;
            }
            return value;
        },
    };
    private static readonly Option<System.Net.IPNetwork[]> Allow = OptionKinds.Networks("--allow", "a network whose targets this helper serves; repeatable (default: this machine only)");
    private static readonly Option<string?> Host = OptionKinds.Host("--host", "the address the other members reach this node at (default: the address that routes to the first seed, or 127.0.0.1 without a seed). ");
    private static readonly Option<int?> Port = OptionKinds.Port("--port", "the cluster port (default 7420; 0: any free port, for a target that only joins)");
    private static readonly Option<int?> Slots = OptionKinds.Slots("--slots", "a helper's job slots, 1 to 4096 (default: the number of cores)");
    private static readonly Option<int?> LocalSlots = OptionKinds.LocalSlots("--local-slots", "a target's local slots, what make -l limits, 1 to 4096 (default: the number of cores)");
    private static readonly Option<string[]> Toolchain = OptionKinds.Strings("--toolchain", "a compiler a helper offers; repeatable (default: gcc, g++, cc, c++, clang, clang++ on PATH)", "PATH");
    private static readonly Option<int?> JoinPort = OptionKinds.Port("--join-port", "the first machine's join port, written to its configuration and its tokens (default: the cluster port + 1)");
    private static readonly Option<bool> Tls = new("--tls") { Description = "use TLS (the default: members authenticate on every connection, loopback included; kept for scripts)" };
    private static readonly Option<bool> Insecure = new("--insecure") { Description = "no TLS: members are not authenticated, and any process that reaches the port (on loopback any local user) may join (only where you trust every user and host)" };
    private static readonly Option<bool> NewCertificate = new("--new-certificate") { Description = "replace the cluster certificate (and join key) this machine holds; members with the old one can no longer join" };
    private static readonly Option<string?> File = new("--file") { Description = "write this file instead of node.hocon in the configuration directory", HelpName = "PATH" };
    private static readonly Option<bool> Print = new("--print") { Description = "print the file instead of writing it (creates and fetches no certificate)" };
    private static readonly Option<TimeSpan?> ValidFor = OptionKinds.Duration("--valid-for", "how long the token may be used: 1m to 30d, such as 90m, 24h or 7d (default 24h)");

    private static readonly Dictionary<string, string> Roles = new()
    {
        ["helper"] = "lend this machine's cores to the cluster (a worker, distccd's job)",
        ["target"] = "spread this machine's compiles over the cluster (a coordinator)",
        ["both"] = "both at once",
    };

    public const string Usage = """
        Usage: actorcompile setup helper|target|both [options]   (actorcompile setup helper --help lists the options)
               actorcompile setup token [--valid-for DURATION]
        """;

    private const string About = """
        setup writes the node's configuration (/etc/actorcompile/node.hocon, or $ACTORCOMPILE_CONFIG_DIR/node.hocon),
        keeping the previous file as node.hocon.bak. Restart the node afterwards
        (systemctl restart actorcompile-node, or rc-service actorcompile-node restart).

        TLS: every node needs the cluster certificate (members authenticate on every connection, loopback
        included; --insecure is the one way without). On the first machine
        (no --seed), setup creates it (cluster.pfx, cluster.password and the join key cluster.joinkey, mode
        0600, owned by the user actorcompile when it exists) and prints a join token; on the others,
        --seed HOST:PORT --token - (then paste the token; or --token FILE) fetches it from the first machine's join port (its cluster port + 1).
        A token lives 24 hours unless --valid-for says otherwise; actorcompile setup token makes new ones.

        Examples:
          sudo actorcompile setup helper --host 192.168.1.21 --allow 192.168.1.0/24
          sudo actorcompile setup helper --seed 192.168.1.21:7420 --token - --allow 192.168.1.0/24
          sudo actorcompile setup target --seed 192.168.1.21:7420 --token -
          sudo actorcompile setup token --valid-for 2h
        """;

    /// <summary>The setup command and its help texts, for the CLI's root command.</summary>
    public static Command Build(IDictionary<Command, HelpText> help)
    {
        var setup = new Command("setup", "write this machine's node configuration, and its cluster certificate when it needs one");
        help[setup] = new HelpText(Usage, About);
        foreach (var (role, description) in Roles)
        {
            var command = new Command(role, description);
            foreach (var option in new Option[] { Seed, Token, Allow, Host, Port, Slots, LocalSlots, Toolchain, JoinPort, Tls, Insecure, NewCertificate, File, Print })
                command.Options.Add(option);
            command.SetAction(r => RunRole(r, role));
            help[command] = new HelpText($"Usage: actorcompile setup {role} [options]", About);
            setup.Subcommands.Add(command);
        }
        var token = new Command("token", "print a new join token (on the machine that holds the cluster certificate and join key)");
        token.Options.Add(ValidFor);
        token.SetAction(r => ClusterJoin.PrintToken(r.GetValue(ValidFor) ?? TimeSpan.FromHours(24)));
        help[token] = new HelpText("Usage: actorcompile setup token [--valid-for DURATION]", About);
        setup.Subcommands.Add(token);
        return setup;
    }

    /// <summary>
    /// The settings of "setup ROLE options..." (tests use this): a usage error is a SetupException with the
    /// parser's messages, each naming its option.
    /// </summary>
    public static Settings Parse(IReadOnlyList<string> args, out string? file, out bool print)
    {
        var result = CliCommandLine.Parse(new[] { "setup" }.Concat(args).ToList());
        var errors = CommandLines.Errors(result);
        if (errors.Count > 0) throw new SetupException(string.Join("\n", errors));
        var role = result.CommandResult.Command.Name;
        if (!Roles.ContainsKey(role)) throw new SetupException($"'{string.Join(' ', args)}' is not a role; say helper (lend cores), target (use the cluster) or both");
        file = result.GetValue(File);
        print = result.GetValue(Print);
        return Read(result, role);
    }

    /// <summary>Runs "setup ROLE options..." in this process (tests use this): the exit code, messages on stdout and stderr.</summary>
    public static int Run(IReadOnlyList<string> args) => CliCommandLine.Run(new[] { "setup" }.Concat(args).ToList());

    private static int RunRole(ParseResult r, string role)
    {
        Settings settings;
        try
        {
            settings = Read(r, role);
        }
        catch (SetupException e)
        {
            Console.Error.WriteLine($"actorcompile setup: {e.Message}");
            return ExitCodes.Usage;
        }
        return Run(settings, r.GetValue(File), r.GetValue(Print));
    }

    private static Settings Read(ParseResult r, string role)
    {
        var seeds = r.GetValue(Seed) ?? Array.Empty<HostPort>();
        var token = ReadToken(r.GetValue(Token));
        var settings = new Settings(
            role,
            seeds,
            (r.GetValue(Allow) ?? Array.Empty<System.Net.IPNetwork>()).Select(n => n.ToString()).ToList(),
            r.GetValue(Host) ?? (seeds.Length > 0 ? RouteTo(seeds[0]) : "127.0.0.1"),
            r.GetValue(Port) ?? int.Parse(DefaultPort, CultureInfo.InvariantCulture),
            r.GetValue(Slots) ?? 0,
            r.GetValue(LocalSlots) ?? 0,
            r.GetValue(Toolchain) ?? Array.Empty<string>())
        {
            Token = token,
            Insecure = r.GetValue(Insecure),
            Tls = r.GetValue(Tls),
            NewCertificate = r.GetValue(NewCertificate),
            JoinPort = r.GetValue(JoinPort) ?? 0,
        };
        Check(settings);
        return settings;
    }

    /// <summary>The join token from --token FILE, --token - (standard input) or ACTORCOMPILE_JOIN_TOKEN; null when none is given.</summary>
    private static JoinToken? ReadToken(string? source)
    {
        string text;
        if (source is null)
        {
            if (Environment.GetEnvironmentVariable(TokenVariable) is not { Length: > 0 } fromEnvironment) return null;
            text = fromEnvironment;
            source = TokenVariable;
        }
        else if (source == "-")
        {
            if (!Console.IsInputRedirected) Console.Error.Write("actorcompile setup: paste the join token, then Enter: ");
            text = Console.In.ReadLine() ?? "";
            source = "standard input";
        }
        else
        {
            try
            {
                if (new FileInfo(source).Length > 4096) throw new SetupException($"--token {source}: larger than a join token");
                text = System.IO.File.ReadAllText(source);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new SetupException($"--token {source}: cannot read it ({e.Message})");
            }
        }
        return JoinToken.Parse(text.Trim(), out var problem) ?? throw new SetupException($"the token from {source}: {problem}");
    }

    /// <summary>Rules between options, which the parser cannot express one option at a time.</summary>
    private static void Check(Settings s)
    {
        if (s.Role == "target" && s.Seeds.Count == 0)
            throw new SetupException("a target needs a helper to join: give --seed HOST:PORT (a helper's address and port, 7420 by default)");
        if (s.Token is not null && s.Seeds.Count == 0)
            throw new SetupException("--token needs --seed HOST:PORT: the machine that made the token");
        if (s.Insecure && (s.Token is not null || s.Tls || s.NewCertificate))
            throw new SetupException("--insecure turns TLS off; it does not go with --token, --tls or --new-certificate");
        if (s.Seeds.Count == 0 && s.Port == 0)
            throw new SetupException("--port 0 is for a machine that only joins; the first machine needs a fixed port that the others name in --seed");
        if (s.Role != "target" && s.Allow.Count == 0 && s.Seeds.Count > 0 && !s.Seeds.All(seed => ValueKinds.IsLoopback(seed.Host)))
            Console.Error.WriteLine("actorcompile setup: note: without --allow this helper serves targets on this machine only; add --allow with your network (e.g. --allow 192.168.1.0/24)");
    }

    private static int Run(Settings settings, string? file, bool print)
    {
        var files = new ClusterFiles(Path.GetFullPath(ClusterFiles.DefaultDirectory()));
        try
        {
            var plan = ClusterJoin.Plan(settings, files, printing: print);
            var text = Render(settings, plan);
            if (print)
            {
                Console.Write(text);
                return 0;
            }
            var token = ClusterJoin.Carry(settings, plan, files);
            file ??= Path.Combine(files.Directory, "node.hocon");
            WriteConfiguration(file, text);
            Console.WriteLine($"actorcompile setup: wrote {file} ({Describe(settings, plan)})");
            if (token is not null) ClusterJoin.PrintJoinInstructions(token, settings);
            Console.WriteLine("Restart the node to use it: systemctl restart actorcompile-node (or rc-service actorcompile-node restart).");
            return 0;
        }
        catch (SetupException e)
        {
            Console.Error.WriteLine($"actorcompile setup: {e.Message}");
            return ExitCodes.SetupFailed;
        }
        catch (UnauthorizedAccessException e)
        {
            Console.Error.WriteLine($"actorcompile setup: {e.Message}: permission denied; run it as root (sudo actorcompile setup ...), or give --file PATH and set ACTORCOMPILE_CONFIG_DIR");
            return ExitCodes.SetupFailed;
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"actorcompile setup: {e.Message}");
            return ExitCodes.SetupFailed;
        }
    }

    private static void WriteConfiguration(string file, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        if (System.IO.File.Exists(file)) System.IO.File.Copy(file, file + ".bak", overwrite: true);
        AtomicFile.WriteText(file, text, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }

    /// <summary>The node's configuration file for these settings: what a user edits, every key explained.</summary>
    public static string Render(Settings s, TlsPlan? plan = null)
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
        b.AppendLine(inv, $"  seeds = {List(s.Seeds.Select(seed => seed.ToString()))}");
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
        RenderTls(b, s, plan);
        b.AppendLine("}");
        return b.ToString();
    }

    private static void RenderTls(StringBuilder b, Settings s, TlsPlan? plan)
    {
        var inv = CultureInfo.InvariantCulture;
        if (plan is null || plan.Mode == TlsMode.Off)
        {
            if (s.Insecure)
            {
                b.AppendLine("  # No TLS (setup --insecure): members are not authenticated; any process that reaches the");
                b.AppendLine("  # port (on loopback any local user) may join. Only where you trust every user and host.");
                b.AppendLine("  insecure = on");
            }
            b.AppendLine("  # Mutual TLS between members (on every connection unless insecure = on):");
            b.AppendLine("  # tls { enabled = on, certificate = \"/etc/actorcompile/cluster.pfx\", password-file = \"/etc/actorcompile/cluster.password\" }");
            return;
        }
        b.AppendLine("  # Mutual TLS between members: every member presents the cluster certificate and accepts only it.");
        b.AppendLine("  tls {");
        b.AppendLine("    enabled = on");
        b.AppendLine(inv, $"    certificate = {Quote(plan.Files.Certificate)}");
        b.AppendLine(inv, $"    password-file = {Quote(plan.Files.PasswordFile)}");
        if (plan.Mode == TlsMode.First)
        {
            b.AppendLine("    # The key that signs join tokens: with it this node hands the certificate to machines with a");
            b.AppendLine("    # token (actorcompile setup token) on the join port.");
            b.AppendLine(inv, $"    join-key-file = {Quote(plan.Files.JoinKeyFile)}");
            b.AppendLine("    # The join port. 0: the cluster port + 1 (open it in a firewall too).");
            b.AppendLine(inv, $"    join-port = {s.JoinPort}");
        }
        b.AppendLine("  }");
    }

    private static string Describe(Settings s, TlsPlan plan) =>
        $"{s.Role} at {s.Host}:{s.Port}" + (s.Seeds.Count > 0 ? $", joining {string.Join(", ", s.Seeds)}" : ", starting a new cluster")
        + (s.Role != "target" ? $", serving {(s.Allow.Count > 0 ? string.Join(", ", s.Allow) : "this machine only")}" : "")
        + (plan.Mode == TlsMode.Off ? s.Insecure ? ", without TLS (--insecure)" : "" : ", TLS on");

    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    /// <summary>
    /// This machine's address on the route to the seed: a UDP socket is connected (which sends nothing)
    /// and asked for its local end.
    /// </summary>
    private static string RouteTo(HostPort seed)
    {
        try
        {
            var address = IPAddress.TryParse(seed.Host, out var ip) ? ip : Dns.GetHostAddresses(seed.Host).FirstOrDefault()
                ?? throw new SetupException($"cannot resolve the seed {seed.Host}; give --host with this machine's address");
            using var probe = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            probe.Connect(new IPEndPoint(address, seed.Port));
            return ((IPEndPoint)probe.LocalEndPoint!).Address.ToString();
        }
        catch (SocketException e)
        {
            throw new SetupException($"cannot find this machine's address towards {seed} ({e.Message}); give --host with it");
        }
    }
}

public sealed class SetupException(string message) : Exception(message);
