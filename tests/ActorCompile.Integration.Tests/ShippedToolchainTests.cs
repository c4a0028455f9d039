using System.Text.Json;
using ActorCompile.Tests;
using Xunit;

namespace ActorCompile.Integration.Tests;

/// <summary>
/// Helpers that need nothing but the node: the target's toolchain travels to them and runs sealed. The
/// helpers of these tests run in mount namespaces of their own (unshare -m, as root) where the machine's
/// compilers are hidden, or where gcc is another compiler: real helpers without gcc, on this one machine.
/// </summary>
public sealed class ShippedToolchainTests
{
    internal static readonly Dictionary<string, string> Strict = new() { ["ACTORCOMPILE_FALLBACK"] = "0", ["ACTORCOMPILE_VERBOSE"] = "1" };

    /// <summary>A launcher that runs the node where every gcc, g++, cc, c++, cpp and clang is gone: their binaries are /dev/null, gcc's and clang's directories are empty.</summary>
    private static string[] WithoutCompilers(TempDirectory dir) => Launcher(dir, "no-compilers", """
        for f in /usr/bin/*; do
          case "${f##*/}" in
            *gcc*|*g++*|*clang*|cc|c++|cpp|cpp-*|*-cpp-*)
              r=$(readlink -f "$f"); if [ -f "$r" ]; then mount --bind /dev/null "$r"; fi ;;
          esac
        done
        mount -t tmpfs -o mode=0755 empty /usr/lib/gcc
        for d in /usr/lib/llvm-*; do [ -d "$d" ] && mount -t tmpfs -o mode=0755 empty "$d"; done
        """);

    /// <summary>A launcher that runs the node where the program called gcc is clang: a compiler of another kind under the same name.</summary>
    private static string[] WithGccBeingClang(TempDirectory dir) => Launcher(dir, "gcc-is-clang", """
        mount --bind "$(readlink -f "$(command -v clang)")" "$(readlink -f "$(command -v gcc)")"
        """);

    private static string[] Launcher(TempDirectory dir, string name, string body)
    {
        var script = dir.Write($"{name}.sh", "#!/bin/sh\nset -e\n" + body + "\nexec \"$@\"\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return new[] { "unshare", "-m", "--propagation", "private", script };
    }

    /// <summary>Runs a command in the launcher's world (to check the premise of a test).</summary>
    private static Run.Result InWorld(string[] launcher, params string[] command) => Run.Program(launcher[0], launcher.Skip(1).Concat(command));

    private static string Project(TempDirectory dir)
    {
        dir.Write("p/include/shapes.h", "#pragma once\n#include <stddef.h>\nstruct shape { const char *name; double area; };\ndouble total(const struct shape *s, size_t n);\n");
        dir.Write("p/src/total.c", "#include <stdio.h>\n#include \"shapes.h\"\ndouble total(const struct shape *s, size_t n) { double t = 0; for (size_t i = 0; i < n; i++) { printf(\"%s\\n\", s[i].name); t += s[i].area; } return t; }\n");
        dir.Write("p/src/names.cpp", "#include <string>\n#include <vector>\n#include <algorithm>\nstd::vector<std::string> sorted(std::vector<std::string> v) { std::sort(v.begin(), v.end()); return v; }\n");
        return dir.Combine("p");
    }

    private static readonly (string Compiler, string Source, string Object)[] Units = { ("gcc", "src/total.c", "total.o"), ("g++", "src/names.cpp", "names.o") };

    /// <summary>
    /// The failure detector's patience for these tests' nodes (a --config file in <paramref name="directory"/>): a
    /// helper taking in a toolchain of some 80 MB on a machine running the whole suite on two cores may answer
    /// heartbeats late (the toolchain's bytes share Akka's connection: issue 20's stream of its own is not built),
    /// and its job would then fail over to no one. What these tests check is shipping and the sandbox, each on one
    /// attempt: 30 s instead of 4 s keeps the failure detector out of it. The coordinator never compiles a queued
    /// job itself either (help-after, 150 ms by default, as TestCluster sets it): on a loaded machine the helper can
    /// take longer than that to pull a job, and the target's own compile then left the remote count at 0 (seen once
    /// from a fresh clone, at load 8-10).
    /// </summary>
    internal static string Patient(string directory) =>
        Path.Combine(directory, "patient.hocon") is var path && File.Exists(path) ? path
            : WriteFile(path, "akka.cluster.failure-detector.acceptable-heartbeat-pause = 30s\nactorcompile.coordinator.help-after = 1h\n");

    private static string WriteFile(string path, string text)
    {
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Compiles each unit through the cluster (remote only), and checks the object equals a local compile's.</summary>
    private static void CompileEverythingRemotely(string project, NodeProcess coordinator, NodeProcess worker, params string[] flags)
    {
        foreach (var (compiler, source, obj) in Units)
        {
            var args = new[] { compiler }.Concat(flags).Concat(new[] { "-Iinclude", "-c", source, "-o", obj }).ToArray();
            var r = Wrapper.Run(project, coordinator.Socket, args, Strict);
            Assert.True(r.ExitCode == 0, r.Stderr + worker.Log());
            Assert.Contains($"compiled on {worker.Address}", r.Stderr);
            var local = Run.Program(compiler, flags.Concat(new[] { "-Iinclude", "-c", source, "-o", "local-" + obj }), project);
            Assert.True(local.ExitCode == 0, local.Stderr);
            Assert.True(File.ReadAllBytes(Path.Combine(project, "local-" + obj)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(project, obj))),
                $"{obj} ({string.Join(' ', flags)}) differs from the local one");
        }
    }

    private static long ToolchainBytesShipped(NodeProcess coordinator)
    {
        using var s = Wrapper.Status(coordinator.Socket);
        return s.RootElement.GetProperty("coordinators").EnumerateArray().Single().GetProperty("toolchainBytesShipped").GetInt64();
    }

    /// <summary>
    /// The toolchain bytes shipped, from a report that already counts <paramref name="distributed"/> remote jobs:
    /// both figures come in one report (published about once a second), so the bytes are not an older report's.
    /// </summary>
    private static async Task<long> ToolchainBytesShippedAfter(NodeProcess coordinator, long distributed) =>
        (long)await Eventually.Get(() =>
        {
            using var s = Wrapper.Status(coordinator.Socket);
            var c = s.RootElement.GetProperty("coordinators").EnumerateArray().Single();
            return Task.FromResult<object?>(c.GetProperty("distributed").GetInt64() >= distributed ? c.GetProperty("toolchainBytesShipped").GetInt64() : null);
        }, TimeSpan.FromSeconds(30), $"the coordinator's report to count {distributed} remote job(s)");

    private static JsonElement WorkerOf(NodeProcess coordinator, NodeProcess worker)
    {
        using var s = Wrapper.Status(coordinator.Socket);
        return s.RootElement.GetProperty("workers").EnumerateArray().Single(w => w.GetProperty("address").GetString() == worker.Address).Clone();
    }

    /// <summary>Waits until the helper is up and has said whether it takes shipped toolchains (its first report): before that the coordinator cannot place a shipped job on it.</summary>
    internal static async Task WaitForWorker(NodeProcess coordinator, NodeProcess worker) =>
        await Eventually.True(() =>
        {
            using var s = Wrapper.Status(coordinator.Socket);
            return s.RootElement.GetProperty("workers").EnumerateArray().Any(w => w.GetProperty("address").GetString() == worker.Address
                && w.GetProperty("state").GetString() == "up" && w.GetProperty("shipping").GetString()!.Length > 0);
        }, TimeSpan.FromSeconds(60), "the helper to join");

    [Fact]
    public async Task A_helper_without_any_compiler_builds_C_and_Cplusplus_with_the_targets_toolchain()
    {
        using var dir = new TempDirectory("ac-ship");
        var launcher = WithoutCompilers(dir);
        Assert.NotEqual(0, InWorld(launcher, "sh", "-c", "gcc --version || g++ --version || cc --version").ExitCode); // the premise
        using var coordinator = new NodeProcess("coordinator", dir.Path, "coordinator", extra: new[] { "--config", Patient(dir.Path) });
        using var worker = new NodeProcess("helper", dir.Path, "worker", new[] { coordinator.Address }, new[] { "--config", Patient(dir.Path) }, launcher: launcher);
        await WaitForWorker(coordinator, worker);
        var helper = WorkerOf(coordinator, worker);
        Assert.Equal(0, helper.GetProperty("toolchains").GetArrayLength());
        Assert.StartsWith("on (x86_64", helper.GetProperty("shipping").GetString());

        var project = Project(dir);
        CompileEverythingRemotely(project, coordinator, worker, "-O2");
        var shipped = ToolchainBytesShipped(coordinator);
        Assert.True(shipped > 10 << 20, $"the toolchains of gcc and g++ travelled ({shipped} bytes)");
        CompileEverythingRemotely(project, coordinator, worker, "-O0", "-g");
        // The second jobs of each toolchain moved no toolchain byte, and the helper holds both.
        await Eventually.True(() => ToolchainBytesShipped(coordinator) == shipped
            && WorkerOf(coordinator, worker).GetProperty("shippedToolchains").EnumerateArray().Count(t => t.GetProperty("state").GetString() == "held") == 2,
            TimeSpan.FromSeconds(10), "the counters to settle");
    }

    [Fact]
    public async Task A_helper_whose_gcc_is_another_compiler_runs_the_shipped_gcc()
    {
        using var dir = new TempDirectory("ac-ship-other");
        var launcher = WithGccBeingClang(dir);
        Assert.Contains("clang", InWorld(launcher, "gcc", "--version").Stdout); // the premise
        using var coordinator = new NodeProcess("coordinator", dir.Path, "coordinator", extra: new[] { "--config", Patient(dir.Path) });
        using var worker = new NodeProcess("helper", dir.Path, "worker", new[] { coordinator.Address }, new[] { "--toolchain", "gcc", "--config", Patient(dir.Path) }, launcher: launcher);
        await WaitForWorker(coordinator, worker);
        // It offers a "gcc" that is clang: another fingerprint, so gcc jobs come with gcc.
        var offered = WorkerOf(coordinator, worker).GetProperty("toolchains")[0];
        Assert.Equal("gcc", offered.GetProperty("name").GetString());
        Assert.NotEqual(Run.Program("gcc", new[] { "-dumpfullversion" }).Stdout.Trim(), offered.GetProperty("version").GetString());
        var project = Project(dir);
        var r = Wrapper.Run(project, coordinator.Socket, new[] { "gcc", "-O2", "-g", "-Iinclude", "-c", "src/total.c", "-o", "total.o" }, Strict);
        Assert.True(r.ExitCode == 0, r.Stderr + worker.Log());
        Assert.Contains($"compiled on {worker.Address}", r.Stderr);
        Assert.Equal(0, Run.Gcc(project, "-O2", "-g", "-Iinclude", "-c", "src/total.c", "-o", "local.o").ExitCode);
        Assert.Equal(File.ReadAllBytes(Path.Combine(project, "local.o")), File.ReadAllBytes(Path.Combine(project, "total.o")));
        Assert.True(ToolchainBytesShipped(coordinator) > 0);
    }

    [Fact]
    public async Task A_corrupted_file_of_a_kept_toolchain_is_found_after_a_restart_and_fetched_again()
    {
        using var dir = new TempDirectory("ac-ship-corrupt");
        var launcher = WithoutCompilers(dir);
        var work = dir.Combine("helper-work");
        var config = dir.Write("work.hocon", $"actorcompile.worker.work-directory = \"{work}\"\n");
        using var coordinator = new NodeProcess("coordinator", dir.Path, "coordinator", extra: new[] { "--config", Patient(dir.Path) });
        var project = Project(dir);
        var args = new[] { "gcc", "-O2", "-Iinclude", "-c", "src/total.c", "-o", "total.o" };
        long before;
        using (var worker = new NodeProcess("helper", dir.Path, "worker", new[] { coordinator.Address }, new[] { "--config", config, "--config", Patient(dir.Path) }, launcher: launcher))
        {
            await WaitForWorker(coordinator, worker);
            var first = Wrapper.Run(project, coordinator.Socket, args, Strict);
            Assert.True(first.ExitCode == 0, first.Stderr + worker.Log());
            Assert.Contains($"compiled on {worker.Address}", first.Stderr);
            before = await ToolchainBytesShippedAfter(coordinator, distributed: 1);
        }
        // cc1 is the biggest file of the toolchain: flip one byte of the helper's copy while it is stopped.
        var cc1 = Directory.GetFiles(Path.Combine(work, "toolchains", "blobs")).OrderByDescending(f => new FileInfo(f).Length).First();
        File.SetUnixFileMode(cc1, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using (var stream = File.Open(cc1, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = 4096;
            var b = stream.ReadByte();
            stream.Position = 4096;
            stream.WriteByte((byte)(b ^ 0xff));
        }
        using (var worker = new NodeProcess("helper-again", dir.Path, "worker", new[] { coordinator.Address }, new[] { "--config", config, "--config", Patient(dir.Path) }, launcher: launcher))
        {
            await WaitForWorker(coordinator, worker);
            var r = Wrapper.Run(project, coordinator.Socket, args, Strict);
            Assert.True(r.ExitCode == 0, r.Stderr + worker.Log());
            Assert.Contains($"compiled on {worker.Address}", r.Stderr);
            Assert.Equal(0, Run.Gcc(project, "-O2", "-Iinclude", "-c", "src/total.c", "-o", "local.o").ExitCode);
            Assert.Equal(File.ReadAllBytes(Path.Combine(project, "local.o")), File.ReadAllBytes(Path.Combine(project, "total.o")));
            // Only the bad file travelled again (cc1 compresses to a few MB), not the whole toolchain.
            var again = await ToolchainBytesShippedAfter(coordinator, distributed: 2) - before;
            Assert.True(again > 1 << 20 && again < before, $"{again} bytes shipped again, {before} the first time");
        }
    }

    [Fact]
    public async Task A_helper_that_takes_no_shipped_toolchain_gets_no_such_job_and_the_target_says_why()
    {
        using var dir = new TempDirectory("ac-ship-off");
        var off = dir.Write("off.hocon", "actorcompile.worker.shipped-toolchains = off\n");
        using var coordinator = new NodeProcess("coordinator", dir.Path, "coordinator");
        // It offers clang only, and takes no shipped toolchain: a gcc job has nowhere to go.
        using var worker = new NodeProcess("helper", dir.Path, "worker", new[] { coordinator.Address }, new[] { "--config", off, "--toolchain", "clang" });
        await WaitForWorker(coordinator, worker);
        Assert.StartsWith("off", WorkerOf(coordinator, worker).GetProperty("shipping").GetString());
        var project = Project(dir);
        var r = Wrapper.Run(project, coordinator.Socket, new[] { "gcc", "-O2", "-Iinclude", "-c", "src/total.c", "-o", "total.o" });
        Assert.Equal(0, r.ExitCode);
        var line = Assert.Single(r.Stderr.TrimEnd('\n').Split('\n'));
        Assert.Contains("no worker offers gcc", line);
        Assert.Contains("none takes shipped toolchains", line);
        Assert.Equal(0, WorkerOf(coordinator, worker).GetProperty("completed").GetInt64() + WorkerOf(coordinator, worker).GetProperty("failed").GetInt64());
        Assert.Equal(0, ToolchainBytesShipped(coordinator));
    }
}

/// <summary>
/// A shipped "compiler" that tries to reach what it must not, on a helper: the network, a file of the
/// helper, its cache, its process. It is a fake (why: gcc never tries any of these, so a real compile
/// proves nothing about them): a static program, installed by root as the target's compiler, that
/// answers every question of the target and the node by running the real gcc, and behaves as a prober
/// only when it compiles inside a helper's sandbox (its working directory is then under /actorcompile).
/// </summary>
public sealed class ShippedProberTests : IDisposable
{
    private readonly TempDirectory _dir = new("ac-ship-probe");
    // Not under /tmp: the sandbox mounts its own /tmp there, so a toolchain may not live in it.
    private readonly DirectoryInfo _install = Directory.CreateDirectory($"/var/tmp/ac-prober-{Guid.NewGuid():N}");

    public void Dispose()
    {
        _dir.Dispose();
        _install.Delete(recursive: true);
    }

    private string Prober(string secret, string blobs, int port, int workerPid)
    {
        var source = _dir.Write("prober.c", $$"""
            #include <dirent.h>
            #include <fcntl.h>
            #include <netinet/in.h>
            #include <arpa/inet.h>
            #include <signal.h>
            #include <stdio.h>
            #include <string.h>
            #include <sys/socket.h>
            #include <unistd.h>
            static void report(const char *what, int allowed) { fprintf(stderr, "%s: %s\n", what, allowed ? "allowed" : "denied"); }
            int main(int argc, char **argv) {
              char cwd[4096] = "";
              int compiling = 0;
              for (int i = 1; i < argc; i++) if (!strcmp(argv[i], "-c")) compiling = 1;
              if (!getcwd(cwd, sizeof cwd) || !compiling || strncmp(cwd, "/actorcompile/", 14)) { argv[0] = "gcc"; execv("/usr/bin/gcc", argv); return 127; }
              const char *out = 0, *deps = 0, *src = 0;
              for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "-o") && i + 1 < argc) out = argv[++i];
                else if (!strcmp(argv[i], "-MF") && i + 1 < argc) deps = argv[++i];
                else if ((!strcmp(argv[i], "-include") || !strcmp(argv[i], "-isystem") || !strcmp(argv[i], "-MT")) && i + 1 < argc) i++;
                else if (strlen(argv[i]) > 2 && !strcmp(argv[i] + strlen(argv[i]) - 2, ".c")) src = argv[i];
              }
              report("worker file read", open("{{secret}}", O_RDONLY) >= 0);
              report("blob cache", opendir("{{blobs}}") != 0);
              int s = socket(AF_INET, SOCK_STREAM, 0);
              struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons({{port}}) };
              inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
              report("network", s >= 0 && connect(s, (struct sockaddr *)&a, sizeof a) == 0);
              report("signal worker", kill({{workerPid}}, 0) == 0);
              FILE *o = fopen(out, "w"); if (!o) return 2; fputs("PROBE-OBJECT", o); fclose(o);
              FILE *d = fopen(deps, "w"); if (!d) return 3; fprintf(d, "%s: %s\n", out, src); fclose(d);
              return 0;
            }
            """);
        var binary = Path.Combine(_install.FullName, "gcc");
        var r = Run.Program("gcc", new[] { "-static", "-O1", source, "-o", binary });
        Assert.True(r.ExitCode == 0, r.Stderr);
        return binary;
    }

    [Fact]
    public async Task A_shipped_compiler_reaches_neither_the_network_nor_the_helpers_files_nor_its_process()
    {
        using var coordinator = new NodeProcess("coordinator", _dir.Path, "coordinator", extra: new[] { "--config", ShippedToolchainTests.Patient(_dir.Path) });
        var work = _dir.Combine("helper-work");
        var config = _dir.Write("work.hocon", $"actorcompile.worker.work-directory = \"{work}\"\n");
        using var worker = new NodeProcess("helper", _dir.Path, "worker", new[] { coordinator.Address }, new[] { "--config", config, "--config", ShippedToolchainTests.Patient(_dir.Path), "--toolchain", "clang" });
        await ShippedToolchainTests.WaitForWorker(coordinator, worker);
        var secret = _dir.Write("helper-work/secret", "the helper's key");
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var prober = Prober(secret, Path.Combine(work, "blobs"), ((System.Net.IPEndPoint)listener.LocalEndpoint).Port, worker.Pid);
            _dir.Write("p/a.c", "int answer(void) { return 42; }\n");
            var r = Wrapper.Run(_dir.Combine("p"), coordinator.Socket, new[] { prober, "-c", "a.c", "-o", "a.o" }, ShippedToolchainTests.Strict);
            Assert.True(r.ExitCode == 0, r.Stderr + worker.Log());
            Assert.Contains($"compiled on {worker.Address}", r.Stderr);
            Assert.Contains("worker file read: denied", r.Stderr);
            Assert.Contains("blob cache: denied", r.Stderr);
            Assert.Contains("network: denied", r.Stderr);
            Assert.Contains("signal worker: denied", r.Stderr);
            Assert.Equal("PROBE-OBJECT", File.ReadAllText(_dir.Combine("p/a.o")));
            // (The control, the same probes reaching all of it without the sandbox, is in the worker's
            // own tests: ActorCompile.Worker.Tests.SandboxTests.)
        }
        finally
        {
            listener.Stop();
        }
    }
}
