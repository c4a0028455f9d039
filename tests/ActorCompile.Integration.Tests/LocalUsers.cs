using System.Diagnostics;
using System.Net.Sockets;
using ActorCompile.LocalProtocol;
using ActorCompile.Tests;

namespace ActorCompile.Integration.Tests;

/// <summary>
/// A second local user, created for one test (useradd, with a group of its own name) and removed at its
/// end. The tests run as root; programs run as this user through setpriv.
/// </summary>
public sealed class LocalUser : IDisposable
{
    public string Name { get; }
    public int Uid { get; }
    public int Gid { get; }

    private LocalUser(string name, int uid, int gid)
    {
        Name = name;
        Uid = uid;
        Gid = gid;
    }

    public static async Task<LocalUser> CreateAsync()
    {
        var name = "acu" + Guid.NewGuid().ToString("N")[..8];
        // useradd takes a lock on /etc/passwd: another test creating a user at the same moment makes it fail, so try again.
        await Eventually.True(() => ActorCompile.Tests.Run.Program("useradd", new[] { "-M", "-U", "-d", "/nonexistent", "-s", "/usr/sbin/nologin", name }).ExitCode == 0,
            TimeSpan.FromSeconds(30), $"useradd {name}");
        var uid = int.Parse(ActorCompile.Tests.Run.Program("id", new[] { "-u", name }).Stdout.Trim());
        var gid = int.Parse(ActorCompile.Tests.Run.Program("id", new[] { "-g", name }).Stdout.Trim());
        return new LocalUser(name, uid, gid);
    }

    /// <summary>Gives a directory (and what is in it) to this user.</summary>
    public void Own(string path) => Assert(ActorCompile.Tests.Run.Program("chown", new[] { "-R", $"{Uid}:{Gid}", path }), "chown");

    /// <summary>Starts a program as this user (no supplementary groups, no capabilities).</summary>
    public ProcessStartInfo StartInfo(string program, IEnumerable<string> args, string? cwd = null, IDictionary<string, string?>? env = null)
    {
        var psi = new ProcessStartInfo("setpriv")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = cwd ?? "/",
        };
        foreach (var a in new[] { $"--reuid={Uid}", $"--regid={Gid}", "--clear-groups", "--inh-caps=-all", "--", program }.Concat(args)) psi.ArgumentList.Add(a);
        if (env is not null)
            foreach (var (k, v) in env)
                if (v is null) psi.Environment.Remove(k);
                else psi.Environment[k] = v;
        return psi;
    }

    /// <summary>Runs a program as this user to its end.</summary>
    public ActorCompile.Tests.Run.Result Run(string program, IEnumerable<string> args, string? cwd = null, IDictionary<string, string?>? env = null)
    {
        using var p = Process.Start(StartInfo(program, args, cwd, env))!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} did not finish");
        }
        return new ActorCompile.Tests.Run.Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    private static void Assert(ActorCompile.Tests.Run.Result r, string what)
    {
        if (r.ExitCode != 0) throw new InvalidOperationException($"{what} failed: {r.Stderr}");
    }

    public void Dispose()
    {
        ActorCompile.Tests.Run.Program("pkill", new[] { "-KILL", "-u", Name });
        ActorCompile.Tests.Run.Program("userdel", new[] { Name });
        ActorCompile.Tests.Run.Program("groupdel", new[] { Name }); // normally gone with the user; harmless when it is
    }
}

/// <summary>
/// A tiny C program, built with the real gcc, that lets a test speak on a Unix socket as another user:
/// "connect PATH" relays its standard input to the socket and the socket to its standard output (so the
/// connection's peer credentials are that user's while the test writes the frames), and "listen PATH
/// RECORD" serves a socket (creating its directory) and appends "connect" and every byte it receives to
/// RECORD, answering nothing: a fake node.
/// </summary>
public static class SocketRelay
{
    private static readonly Lazy<string> Built = new(Build);

    public static string Program => Built.Value;

    private const string Source = """
        #include <errno.h>
        #include <fcntl.h>
        #include <libgen.h>
        #include <poll.h>
        #include <stdio.h>
        #include <string.h>
        #include <sys/socket.h>
        #include <sys/stat.h>
        #include <sys/un.h>
        #include <unistd.h>

        static int write_all(int fd, const char *b, ssize_t n) {
          while (n > 0) { ssize_t w = write(fd, b, n); if (w <= 0) return -1; b += w; n -= w; }
          return 0;
        }

        int main(int argc, char **argv) {
          struct sockaddr_un a = { .sun_family = AF_UNIX };
          if (argc < 3 || strlen(argv[2]) >= sizeof a.sun_path) return 2;
          strcpy(a.sun_path, argv[2]);
          int s = socket(AF_UNIX, SOCK_STREAM, 0);
          static char buf[1 << 16];
          if (argc == 3 && !strcmp(argv[1], "connect")) {
            if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) { perror("connect"); return 3; }
            struct pollfd p[2] = { { 0, POLLIN, 0 }, { s, POLLIN, 0 } };
            for (;;) {
              if (poll(p, 2, -1) < 0) return 4;
              if (p[1].revents) { ssize_t n = read(s, buf, sizeof buf); if (n <= 0 || write_all(1, buf, n)) return 0; }
              if (p[0].revents) { ssize_t n = read(0, buf, sizeof buf); if (n <= 0 || write_all(s, buf, n)) return 0; }
            }
          }
          if (argc == 4 && !strcmp(argv[1], "listen")) {
            char dir[sizeof a.sun_path]; strcpy(dir, argv[2]);
            if (mkdir(dirname(dir), 0755) != 0 && errno != EEXIST) { perror("mkdir"); return 3; }
            if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 16) != 0) { perror("bind"); return 3; }
            chmod(argv[2], 0666);
            printf("listening\n"); fflush(stdout);
            for (;;) {
              int c = accept(s, 0, 0); if (c < 0) continue;
              int r = open(argv[3], O_WRONLY | O_APPEND | O_CREAT, 0666);
              write_all(r, "connect\n", 8);
              ssize_t n; while ((n = read(c, buf, sizeof buf)) > 0) write_all(r, buf, n);
              close(r); close(c);
            }
          }
          return 2;
        }
        """;

    private static string Build()
    {
        // Under /tmp (0755 directories): the other users must be able to run it.
        var dir = Path.Combine(Path.GetTempPath(), $"ac-relay-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "relay.c"), Source);
        var r = Run.Gcc(dir, "-O2", "-o", "relay", "relay.c");
        if (r.ExitCode != 0) throw new InvalidOperationException($"cannot build the relay: {r.Stderr}");
        return Path.Combine(dir, "relay");
    }
}

/// <summary>Frames over a stream (a socket, or a relay's standard input and output), for tests that play a client or a node by hand.</summary>
public sealed class FrameChannel(Stream input, Stream output) : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    public static FrameChannel Connect(string socketPath)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(socketPath));
        var stream = new NetworkStream(socket, ownsSocket: true);
        return new FrameChannel(stream, stream);
    }

    public void Send(LocalMessage message) => SendRaw(Frames.Encode(message));

    /// <summary>Writes bytes as they are; a peer that closed already is not an error here (what it said is read next).</summary>
    public void SendRaw(byte[] bytes)
    {
        try
        {
            output.Write(bytes);
            output.Flush();
        }
        catch (IOException) { }
    }

    /// <summary>The next frame other than a heartbeat; null when the peer closed. Fails after a bound.</summary>
    public async Task<LocalMessage?> NextAsync()
    {
        using var bound = new CancellationTokenSource(Bound);
        while (true)
        {
            LocalMessage? m;
            try
            {
                m = await Frames.ReadAsync(input, int.MaxValue, bound.Token);
            }
            catch (IOException)
            {
                return null; // reset by the peer: closed
            }
            if (m is not Heartbeat) return m;
        }
    }

    /// <summary>Plays a node that remembers nothing through a wrapper's scan rounds, up to its manifest.</summary>
    public async Task<JobManifest> ManifestAsync()
    {
        while (true)
        {
            switch (await NextAsync())
            {
                case ScanRound round:
                    Send(new ScanAnswers(round.Queries.Select(_ => (byte[]?)null).ToList()));
                    break;
                case JobManifest manifest:
                    return manifest;
                case var other:
                    throw new InvalidOperationException($"expected a scan round or a manifest, got {(other is null ? "the end of the connection" : other.ToString())}");
            }
        }
    }

    public async Task<T> ExpectAsync<T>() where T : LocalMessage
    {
        var m = await NextAsync();
        return m as T ?? throw new InvalidOperationException($"expected {typeof(T).Name}, got {(m is null ? "the end of the connection" : m.ToString())}");
    }

    public void Dispose()
    {
        input.Dispose();
        if (!ReferenceEquals(input, output)) output.Dispose();
    }
}
