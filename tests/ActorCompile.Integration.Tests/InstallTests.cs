using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using ActorCompile.Tests;
using Xunit;

namespace ActorCompile.Integration.Tests;

/// <summary>
/// ./build.sh install and uninstall (src/packaging/install.sh) into a temporary root with the default
/// prefix: every file in place, the installed node started from its installed configuration and used
/// through the masquerade directory, service definitions that check out, configuration errors that say
/// what to change, and nothing left behind.
/// </summary>
public sealed class InstallTests
{
    private const string Prefix = "/usr/local";
    private static string InstallScript => Path.Combine(Dist.RepositoryRoot, "src", "packaging", "install.sh");

    private static Run.Result Install(string root, string action = "install")
    {
        var r = Run.Program(InstallScript, new[] { action, "--dist", Dist.Directory, "--root", root, "--prefix", Prefix, "--no-user" });
        Assert.True(r.ExitCode == 0, $"install.sh {action} failed:\n{r.Stdout}\n{r.Stderr}");
        return r;
    }

    /// <summary>Starts a program with a configuration directory and TMPDIR, collecting what it prints into <paramref name="log"/>.</summary>
    /// <summary>
    /// The log so far. The process's output handlers append from their own threads until its streams close
    /// (after it exits), and a StringBuilder read while appended throws: every read takes the lock they take.
    /// </summary>
    private static string Text(StringBuilder log)
    {
        lock (log) return log.ToString();
    }

    private static Process StartLogged(string program, string[] args, string configDirectory, string tmp, StringBuilder log)
    {
        var psi = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["ACTORCOMPILE_CONFIG_DIR"] = configDirectory;
        psi.Environment["TMPDIR"] = tmp;
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static List<string> FilesUnder(string root) =>
        Directory.Exists(root)
            ? Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
                .Where(p => !Directory.Exists(p) || new FileInfo(p).LinkTarget is not null)
                .Select(p => "/" + Path.GetRelativePath(root, p)).Order(StringComparer.Ordinal).ToList()
            : new List<string>();

    private static List<string> EntriesUnder(string root) =>
        Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Select(p => "/" + Path.GetRelativePath(root, p)).ToList();

    [Fact]
    public void Install_puts_every_file_in_place_and_lists_it_in_the_manifest()
    {
        using var scratch = new TempDirectory("ac-install");
        var root = scratch.Combine("root");
        Install(root);

        var expected = new[]
        {
            "/usr/local/bin/actorcompile", "/usr/local/bin/actorcompile-node",
            "/usr/local/lib/actorcompile/actorcompile", "/usr/local/lib/actorcompile/actorcompile-node", "/usr/local/lib/actorcompile/actorcompile-box",
            "/usr/local/lib/actorcompile/hocon/actorcompile.hocon", "/usr/local/lib/actorcompile/service.hocon",
            "/usr/local/lib/actorcompile/install-manifest",
            "/usr/local/lib/systemd/system/actorcompile-node.service",
            "/etc/init.d/actorcompile-node", "/etc/conf.d/actorcompile-node", "/etc/actorcompile/node.hocon",
            "/usr/local/share/doc/actorcompile/README.md",
        };
        foreach (var f in expected) Assert.True(File.Exists(root + f), $"{f} was not installed");
        foreach (var name in new[] { "gcc", "g++", "cc", "c++", "clang", "clang++" })
            Assert.Equal("../actorcompile", new FileInfo(root + "/usr/local/lib/actorcompile/bin/" + name).LinkTarget);
        // The CHOST-qualified names of this machine's compilers are in the masquerade directory too. Every
        // gcc package this runs on (Debian's, Gentoo's) installs gcc under its CHOST-qualified name as well.
        var chost = Run.Program("gcc", new[] { "-dumpmachine" }).Stdout.Trim();
        Assert.True(File.Exists($"/usr/bin/{chost}-gcc"), $"this machine's gcc has no CHOST-qualified twin /usr/bin/{chost}-gcc");
        Assert.Equal("../actorcompile", new FileInfo(root + $"/usr/local/lib/actorcompile/bin/{chost}-gcc").LinkTarget);
        Assert.Equal("../lib/actorcompile/actorcompile-node", new FileInfo(root + "/usr/local/bin/actorcompile-node").LinkTarget);
        Assert.True((File.GetUnixFileMode(root + "/etc/init.d/actorcompile-node") & UnixFileMode.UserExecute) != 0);

        // The installed programs run from their links, and find the shipped configuration next to themselves.
        var version = Run.Program(root + "/usr/local/bin/actorcompile-node", new[] { "--version" });
        Assert.Equal(0, version.ExitCode);
        Assert.StartsWith("actorcompile-node ", version.Stdout);

        // Every file installed is in the manifest, which uninstall follows.
        var manifest = File.ReadAllLines(root + "/usr/local/lib/actorcompile/install-manifest")
            .Where(l => !l.StartsWith("dir ", StringComparison.Ordinal)).Select(l => l.Split(' ')[1]).ToHashSet();
        var unlisted = FilesUnder(root).Where(f => !manifest.Contains(f)).ToList();
        Assert.True(unlisted.Count == 0, "installed but not in the manifest: " + string.Join(", ", unlisted));

        // The unit and the init script name the installed paths.
        var unit = File.ReadAllText(root + "/usr/local/lib/systemd/system/actorcompile-node.service");
        Assert.Contains("Type=notify", unit);
        Assert.Contains("ExecStart=/usr/local/bin/actorcompile-node --config /usr/local/lib/actorcompile/service.hocon", unit);
        Assert.Contains("User=actorcompile", unit);
        Assert.Contains("Restart=on-failure", unit);
        var openrc = File.ReadAllText(root + "/etc/init.d/actorcompile-node");
        Assert.StartsWith("#!/sbin/openrc-run", openrc);
        Assert.Contains("command=\"/usr/local/bin/actorcompile-node\"", openrc);
        var syntax = Run.Program("sh", new[] { "-n", root + "/etc/init.d/actorcompile-node" });
        Assert.True(syntax.ExitCode == 0, syntax.Stderr);

        // Uninstalling an untouched install leaves nothing at all.
        Install(root, "uninstall");
        Assert.Empty(EntriesUnder(root));
    }

    [Fact]
    public void The_systemd_unit_passes_systemd_analyze_verify_without_a_warning()
    {
        using var scratch = new TempDirectory("ac-unit");
        var root = scratch.Combine("root");
        Install(root);
        // verify checks that ExecStart exists on this machine: point the copy at the temporary root.
        var unit = File.ReadAllText(root + "/usr/local/lib/systemd/system/actorcompile-node.service").Replace("/usr/local/", root + "/usr/local/", StringComparison.Ordinal);
        var copy = scratch.Write("check/actorcompile-node.service", unit);
        var verify = Run.Program("systemd-analyze", new[] { "verify", "--man=no", copy });
        // systemd-analyze exits 0 even for unknown keys and bad values; it warns on stderr instead.
        Assert.True(verify.ExitCode == 0 && verify.Stderr.Trim().Length == 0 && verify.Stdout.Trim().Length == 0,
            $"systemd-analyze verify: exit {verify.ExitCode}\n{verify.Stdout}{verify.Stderr}");
    }

    [Fact]
    public async Task The_installed_node_runs_from_its_installed_configuration_and_compiles_through_the_masquerade_directory()
    {
        using var scratch = new TempDirectory("ac-inst-run");
        var root = scratch.Combine("root");
        Install(root);
        var bin = root + "/usr/local/bin";
        var etc = root + "/etc/actorcompile";
        int port = Ports.Free();

        // The user's step: actorcompile setup writes the configuration (here a node that is both helper and target).
        var setup = Run.Program(bin + "/actorcompile", new[] { "setup", "both", "--port", port.ToString(), "--file", etc + "/node.hocon" });
        Assert.True(setup.ExitCode == 0, setup.Stderr);
        Assert.Contains($"both at 127.0.0.1:{port}", setup.Stdout);
        Assert.True(File.Exists(etc + "/node.hocon.bak"), "setup keeps the previous file");

        var socketDirectory = scratch.Combine("run");
        Directory.CreateDirectory(socketDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var socket = Path.Combine(socketDirectory, "node.sock");
        var log = new StringBuilder();
        using var node = StartLogged(bin + "/actorcompile-node", new[] { "--socket", socket }, etc, scratch.Path, log);
        bool killed = false;
        try
        {
            var env = new Dictionary<string, string> { ["ACTORCOMPILE_SOCKET"] = socket };
            await Eventually.True(() => Run.Program(bin + "/actorcompile", new[] { "--show-hosts" }, env: env).Stdout.Contains($"127.0.0.1:{port}/"),
                TimeSpan.FromSeconds(30), "the installed node to offer its worker");

            var project = scratch.Combine("project");
            scratch.Write("project/hello.c", "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n");
            Assert.Equal(0, Run.Gcc(project, "-O2", "-c", "hello.c", "-o", "local.o").ExitCode);
            var masquerade = new Dictionary<string, string>(env)
            {
                ["PATH"] = root + "/usr/local/lib/actorcompile/bin:" + Environment.GetEnvironmentVariable("PATH"),
                ["ACTORCOMPILE_VERBOSE"] = "1",
            };
            // Through a shell, as make runs it: the shell finds gcc on the PATH given here (the masquerade link).
            var compile = Run.Shell("gcc -O2 -c hello.c -o hello.o", project, masquerade);
            Assert.True(compile.ExitCode == 0, compile.Stderr);
            // The wrapper ran, through the link named gcc, and the installed node's worker compiled it.
            Assert.Contains($"actorcompile: hello.c compiled on 127.0.0.1:{port} in ", compile.Stderr);
            Assert.Equal(File.ReadAllBytes(Path.Combine(project, "local.o")), File.ReadAllBytes(Path.Combine(project, "hello.o")));

            var status = Run.Program(bin + "/actorcompile", new[] { "status", "--json" }, env: env);
            Assert.Contains("\"coordinator\"", status.Stdout);
            Assert.Contains("\"worker\"", status.Stdout);
        }
        finally
        {
            Run.Program("kill", new[] { "-TERM", node.Id.ToString() });
            if (!node.WaitForExit(TimeSpan.FromSeconds(20))) { killed = true; node.Kill(entireProcessTree: true); }
        }
        Assert.True(node.ExitCode == 0, $"the node did not stop cleanly (exit {node.ExitCode}, {(killed ? "killed after 20 s" : "on its own")}):\n{Text(log)}");

        // Uninstall keeps the configuration the user changed (setup wrote it) and removes everything else.
        var uninstall = Install(root, "uninstall");
        Assert.Contains("kept /etc/actorcompile/node.hocon", uninstall.Stdout);
        Assert.Equal(new[] { "/etc/actorcompile/node.hocon", "/etc/actorcompile/node.hocon.bak" }, FilesUnder(root));
    }

    [Fact]
    public void Reinstalling_never_overwrites_an_edited_configuration_file()
    {
        using var scratch = new TempDirectory("ac-reinst");
        var root = scratch.Combine("root");
        Install(root);
        var confd = root + "/etc/conf.d/actorcompile-node";
        var edited = File.ReadAllText(confd).Replace("ACTORCOMPILE_NODE_OPTS=\"\"", "ACTORCOMPILE_NODE_OPTS=\"--allow 192.168.1.0/24\"", StringComparison.Ordinal);
        File.WriteAllText(confd, edited);
        var nodeHocon = File.ReadAllText(root + "/etc/actorcompile/node.hocon");

        var again = Install(root);
        Assert.Contains("kept your /etc/conf.d/actorcompile-node", again.Stdout);
        Assert.Equal(edited, File.ReadAllText(confd));
        Assert.True(File.Exists(confd + ".new"), "the new default goes beside the edited file");
        Assert.Equal(nodeHocon, File.ReadAllText(root + "/etc/actorcompile/node.hocon"));
        Assert.False(File.Exists(root + "/etc/actorcompile/node.hocon.new"), "an unedited file is simply replaced");

        Install(root, "uninstall");
        Assert.Equal(new[] { "/etc/conf.d/actorcompile-node" }, FilesUnder(root));
        Assert.Equal(edited, File.ReadAllText(confd));
    }

    [Fact]
    public void A_bad_value_in_the_installed_configuration_stops_the_node_naming_the_file_the_key_and_what_is_allowed()
    {
        using var scratch = new TempDirectory("ac-badconf");
        var root = scratch.Combine("root");
        Install(root);
        var file = root + "/etc/actorcompile/node.hocon";
        var original = File.ReadAllText(file);
        var env = new Dictionary<string, string> { ["ACTORCOMPILE_CONFIG_DIR"] = root + "/etc/actorcompile" };
        var node = root + "/usr/local/bin/actorcompile-node";
        var socket = new[] { "--socket", scratch.Combine("s", "node.sock") };

        File.WriteAllText(file, original.Replace("slots = 0", "slots = plenty", StringComparison.Ordinal));
        var r = Run.Program(node, socket, env: env, timeout: TimeSpan.FromSeconds(30));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"{file}: actorcompile.worker.slots = plenty is not allowed; expected a whole number from 0", r.Stderr);

        File.WriteAllText(file, original + "\nactorcompile.worker.alow = [\"10.0.0.0/8\"]\n");
        r = Run.Program(node, socket, env: env, timeout: TimeSpan.FromSeconds(30));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"{file}: actorcompile.worker.alow is not a setting; did you mean actorcompile.worker.allow?", r.Stderr);

        File.WriteAllText(file, original.Replace("  coordinator {", "  coordinator {{", StringComparison.Ordinal));
        r = Run.Program(node, socket, env: env, timeout: TimeSpan.FromSeconds(30));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"{file}: not valid HOCON: line", r.Stderr);
        Assert.Contains("is never closed", r.Stderr);

        File.WriteAllText(file, original.Replace("# allow = [\"192.168.1.0/24\"]", "allow = [\"192.168.1.0/33\"]", StringComparison.Ordinal));
        r = Run.Program(node, socket, env: env, timeout: TimeSpan.FromSeconds(30));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"{file}: actorcompile.worker.allow", r.Stderr);
        Assert.Contains("CIDR", r.Stderr);
    }

    [Fact]
    public async Task Under_systemd_the_node_reports_ready_and_logs_with_journal_levels()
    {
        // What systemd gives a Type=notify service: NOTIFY_SOCKET (a datagram socket it reads) and
        // SYSTEMD_EXEC_PID. The test plays systemd's part with a real socket; the node is the real one.
        using var scratch = new TempDirectory("ac-notify");
        var notifyPath = scratch.Combine("notify");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(notifyPath));
        var socketDirectory = scratch.Combine("run");
        Directory.CreateDirectory(socketDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // .NET recognises a systemd service by its parent process being named systemd: here a copy of sh
        // by that name starts the node (as a child, not by exec) and waits for it.
        var systemd = scratch.Combine("systemd");
        File.Copy("/bin/sh", systemd);
        File.SetUnixFileMode(systemd, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var script = $"NOTIFY_SOCKET={notifyPath} {Dist.Node} --roles worker --port 0 --socket {socketDirectory}/node.sock & echo $! > {scratch.Combine("node.pid")}; wait $!";
        var log = new StringBuilder();
        using var node = StartLogged(systemd, new[] { "-c", script }, scratch.Combine("no-etc"), scratch.Path, log);
        try
        {
            var buffer = new byte[4096];
            var received = notify.ReceiveAsync(buffer, SocketFlags.None);
            var done = await Task.WhenAny(received, Task.Delay(TimeSpan.FromSeconds(30)));
            Assert.True(done == received, $"no READY=1 from the node within 30 s:\n{Text(log)}");
            Assert.Contains("READY=1", Encoding.UTF8.GetString(buffer, 0, await received));
            // The journal reads the level from a <N> prefix: <6> is info.
            await Eventually.True(() => Text(log).Contains("<6>", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "a log line with a journal level");
        }
        finally
        {
            // SIGTERM to the node, as systemctl stop sends it; the shell then exits with the node's status.
            var pid = File.Exists(scratch.Combine("node.pid")) ? File.ReadAllText(scratch.Combine("node.pid")).Trim() : node.Id.ToString();
            Run.Program("kill", new[] { "-TERM", pid });
            if (!node.WaitForExit(TimeSpan.FromSeconds(20))) node.Kill(entireProcessTree: true);
        }
        Assert.True(node.ExitCode == 0, $"the node did not stop cleanly on SIGTERM under systemd's lifetime (exit {node.ExitCode}):\n{Text(log)}");
    }

    [Fact]
    public void The_node_help_reads_like_a_manual_page()
    {
        var help = Run.Program(Dist.Node, new[] { "--help" });
        Assert.Equal(0, help.ExitCode);
        foreach (var section in new[] { "Usage: actorcompile-node", "Options:", "Files:", "/etc/actorcompile/*.hocon", "Environment:", "Signals:", "Exit status:", "Examples:" })
            Assert.Contains(section, help.Stdout);
    }
}
