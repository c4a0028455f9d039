using System.Net;
using System.Net.Sockets;
using ActorCompile.Protocol.Messages;
using ActorCompile.Tests;
using ActorCompile.Worker.Execution;
using ActorCompile.Worker.Toolchains;
using Xunit;

namespace ActorCompile.Worker.Tests;

/// <summary>
/// What a compile sees and may do in its sealed root. The "compiler" here is a fake (why: gcc never
/// tries to reach the network, the worker's files or its process, so a real compile proves nothing
/// about them): a static program, so that its sealed root is itself alone, that tries each of these,
/// reports on stderr, and writes an object and a dependency list as a compiler would.
/// </summary>
public sealed class SandboxTests : IDisposable
{
    private readonly TempDirectory _dir = new("ac-sandbox");
    private readonly SealedJobs _worker;
    private readonly string _project;
    private readonly DirectoryInfo _programs = Directory.CreateDirectory($"/var/tmp/ac-prober-{Guid.NewGuid():N}");

    public SandboxTests()
    {
        _worker = new SealedJobs(_dir.Combine("worker"));
        _project = _dir.Combine("home/u/p");
        _dir.Write("home/u/p/a.c", "int x;\n");
    }

    public void Dispose()
    {
        _dir.Dispose();
        _programs.Delete(recursive: true);
    }

    private sealed record Targets(string Outside, string Secret, string Blobs, string OtherJob, int Port, int WorkerPid, int Spew, int FillMiB = 0, int FillExit = 0, string ObjectAs = "", string HostDirectory = "");

    private string Prober(Targets t)
    {
        var source = _dir.Write("prober.c", $$"""
            #define _GNU_SOURCE
            #include <dirent.h>
            #include <sched.h>
            #include <sys/wait.h>
            #include <fcntl.h>
            #include <netinet/in.h>
            #include <arpa/inet.h>
            #include <signal.h>
            #include <stdio.h>
            #include <string.h>
            #include <sys/ipc.h>
            #include <sys/mman.h>
            #include <sys/msg.h>
            #include <sys/resource.h>
            #include <sys/sem.h>
            #include <sys/shm.h>
            #include <sys/socket.h>
            #include <sys/stat.h>
            #include <unistd.h>
            static void report(const char *what, int allowed) { fprintf(stderr, "%s: %s\n", what, allowed ? "allowed" : "denied"); }
            static long long fill(const char *path, int mib) {
              /* Writes up to mib MiB, 1 MiB at a time, and says how many bytes the file took. */
              FILE *f = fopen(path, "w"); if (!f) return 0;
              static char chunk[1 << 20]; memset(chunk, 'f', sizeof chunk); long long n = 0;
              for (int i = 0; i < mib; i++) { size_t w = fwrite(chunk, 1, sizeof chunk, f); if (fflush(f) != 0 || w != sizeof chunk) break; n += w; }
              fclose(f); struct stat st; return stat(path, &st) == 0 ? (long long)st.st_size : n;
            }
            static void limit(const char *what, int resource) { struct rlimit r; getrlimit(resource, &r); fprintf(stderr, "%s limit: %llu\n", what, (unsigned long long)r.rlim_cur); }
            int main(int argc, char **argv) {
              const char *out = 0, *deps = 0, *src = 0;
              for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "-o") && i + 1 < argc) out = argv[++i];
                else if (!strcmp(argv[i], "-MF") && i + 1 < argc) deps = argv[++i];
                else if ((!strcmp(argv[i], "-include") || !strcmp(argv[i], "-isystem") || !strcmp(argv[i], "-MT")) && i + 1 < argc) i++;
                else if (strlen(argv[i]) > 2 && !strcmp(argv[i] + strlen(argv[i]) - 2, ".c")) src = argv[i];
              }
              report("outside write", open("{{t.Outside}}", O_CREAT | O_WRONLY, 0600) >= 0);
              report("worker file read", open("{{t.Secret}}", O_RDONLY) >= 0);
              report("blob cache", opendir("{{t.Blobs}}") != 0);
              report("other job", opendir("{{t.OtherJob}}") != 0);
              int s = socket(AF_INET, SOCK_STREAM, 0);
              struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons({{t.Port}}) };
              inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
              report("network", s >= 0 && connect(s, (struct sockaddr *)&a, sizeof a) == 0);
              report("signal worker", kill({{t.WorkerPid}}, 0) == 0);
              report("root write", open("/written-" "by-job", O_CREAT | O_WRONLY, 0600) >= 0);
              report("dev write", open("/dev/written-by-job", O_CREAT | O_WRONLY, 0600) >= 0);
              /* Memory outside the job's limits: each removed again at once where it was made (the control runs unsandboxed). */
              int shm = shmget(IPC_PRIVATE, 1 << 20, IPC_CREAT | 0600); report("sysv shm", shm >= 0); if (shm >= 0) shmctl(shm, IPC_RMID, 0);
              int msg = msgget(IPC_PRIVATE, IPC_CREAT | 0600); report("sysv msg", msg >= 0); if (msg >= 0) msgctl(msg, IPC_RMID, 0);
              int sem = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600); report("sysv sem", sem >= 0); if (sem >= 0) semctl(sem, 0, IPC_RMID);
              int mfd = memfd_create("job", 0); report("memfd", mfd >= 0); if (mfd >= 0) close(mfd);
              /* In a user namespace of its own a job would be root again (and could mount a tmpfs of any size): tried in a child. */
              pid_t child = fork(); if (child == 0) _exit(unshare(CLONE_NEWUSER) == 0 ? 0 : 1);
              int how = 1; waitpid(child, &how, 0); report("new user namespace", WIFEXITED(how) && WEXITSTATUS(how) == 0);
              FILE *st = fopen("/proc/self/status", "r"); static char l[256];
              while (st && fgets(l, sizeof l, st)) if (!strncmp(l, "CapEff:", 7)) fprintf(stderr, "%s", l);
              DIR *root = opendir("/");
              fprintf(stderr, "root:");
              for (struct dirent *e; root && (e = readdir(root));) if (e->d_name[0] != '.') fprintf(stderr, " %s", e->d_name);
              fprintf(stderr, "\n");
              limit("address space", RLIMIT_AS); limit("file size", RLIMIT_FSIZE); limit("processes", RLIMIT_NPROC); limit("cpu", RLIMIT_CPU);
              static char line[1024]; memset(line, 'w', sizeof line - 1);
              for (int i = 0; i < {{t.Spew}}; i++) fprintf(stderr, "%s\n", line);
              FILE *o = fopen(out, "w"); if (!o) return 2; fputs("PROBE-OBJECT", o); fclose(o);
              FILE *d = fopen(deps, "w"); if (!d) return 3; fprintf(d, "%s: %s\n", out, src); fclose(d);
              /* The object replaced by a link to a file of the worker's (seen from outside the sandbox, the link would reach it), or by a pipe. */
              if (!strcmp("{{t.ObjectAs}}", "link")) { unlink(out); if (symlink("{{t.Secret}}", out) != 0) return 4; }
              if (!strcmp("{{t.ObjectAs}}", "fifo")) { unlink(out); if (mkfifo(out, 0600) != 0) return 4; }
              /* A file of holes: nothing in the tmpfs, the whole size on disk were it copied as it is. */
              if (!strcmp("{{t.ObjectAs}}", "sparse")) { if (truncate(out, 64 << 20) != 0) return 4; }
              /* The object's directory's parent (a directory the job may write in, as its dependency list goes there)
                 renamed and replaced by a link to a directory of the helper's that holds a file of the object's name. */
              if (!strcmp("{{t.ObjectAs}}", "dirlink")) { if (rename("x/y", "x/moved") != 0 || symlink("{{t.HostDirectory}}", "x/y") != 0) return 4; }
              if ({{t.FillMiB}} > 0) {
                /* Beside the object, as many files as it takes to write three times the fill, each of them under the file size
                   limit, and 40 hard links to the first (were every file in the directory copied back, each link would be a copy). */
                static char name[4096], link_name[4096]; long long written = 0;
                for (int i = 0; i < 3; i++) { snprintf(name, sizeof name, "%s.fill%d", out, i); written += fill(name, {{t.FillMiB}}); }
                snprintf(name, sizeof name, "%s.fill0", out);
                for (int i = 0; i < 40; i++) { snprintf(link_name, sizeof link_name, "%s.link%d", out, i); link(name, link_name); }
                written += fill("/tmp/fill", {{t.FillMiB}});
                fprintf(stderr, "written: %lld\n", written);
                return {{t.FillExit}};
              }
              return 0;
            }
            """);
        // Not under /tmp: the sandbox mounts its own /tmp, so a toolchain may not live there.
        var binary = Path.Combine(_programs.FullName, "prober");
        var r = Run.Program("gcc", new[] { "-static", "-O1", source, "-o", binary });
        Assert.True(r.ExitCode == 0, r.Stderr);
        return binary;
    }

    private async Task<(CompileOutcome Outcome, Targets Targets)> Probe(JobConfinement confinement, int spew = 0, int fillMiB = 0, JobWorkspace? workspace = null, string? jobId = null, string? project = null, int fillExit = 0,
        string objectAs = "", string[]? args = null, string hostDirectory = "")
    {
        var secret = _dir.Write("worker-secret", "private");
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var otherJob = Directory.CreateDirectory(Path.Combine(_worker.Jobs, "other-job")).FullName;
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var targets = new Targets(_dir.Combine("outside-" + Guid.NewGuid().ToString("N")), secret, Path.Combine(_dir.Path, "worker", "blobs"),
                otherJob, ((IPEndPoint)listener.LocalEndpoint).Port, Environment.ProcessId, spew, fillMiB, fillExit, objectAs, hostDirectory);
            var prober = await SealedJobs.Program(Prober(targets));
            var (job, _) = TargetSide.Prepare("gcc", project ?? _project, args ?? new[] { "-c", "a.c", "-o", "a.o" }, jobId ?? "j-probe-" + Guid.NewGuid().ToString("N")[..6]);
            _worker.TakeIn(job);
            return (await _worker.Run(job, prober, confinement, workspace), targets);
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public async Task A_sealed_compile_sees_only_its_root_and_its_job_and_reaches_nothing_of_the_worker()
    {
        var (outcome, targets) = await Probe(SealedJobs.Sandbox);
        var compiled = Assert.IsType<CompiledOutcome>(outcome);
        var stderr = Text.Of(compiled.Stderr);
        Assert.Contains("outside write: denied", stderr);
        Assert.Contains("worker file read: denied", stderr);
        Assert.Contains("blob cache: denied", stderr);
        Assert.Contains("other job: denied", stderr);
        Assert.Contains("network: denied", stderr);
        Assert.Contains("signal worker: denied", stderr);
        Assert.Contains("root write: denied", stderr);
        Assert.Contains("dev write: denied", stderr);
        // Kernel memory its address space and file size limits do not count: refused (the box's seccomp filter).
        Assert.Contains("sysv shm: denied", stderr);
        Assert.Contains("sysv msg: denied", stderr);
        Assert.Contains("sysv sem: denied", stderr);
        Assert.Contains("memfd: denied", stderr);
        // No capability: as root in its namespace a job could remount the read-only binds (the sealed toolchains jobs share) writable.
        Assert.Contains("CapEff:\t0000000000000000", stderr);
        Assert.Contains("new user namespace: denied", stderr);
        // The root holds the program's own tree (a static program in /var/tmp: its path alone, with the
        // loader's cache in /etc and the locale in /usr), the sandbox's /dev, /proc and /tmp, and the jobs.
        var root = stderr.Split('\n').Single(l => l.StartsWith("root:", StringComparison.Ordinal))[5..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Order().ToArray();
        Assert.Equal(new[] { "actorcompile", "dev", "etc", "proc", "tmp", "usr", "var" }, root);
        Assert.Contains($"file size limit: {SealedJobs.Resources.FileBytes}", stderr);
        Assert.Contains($"address space limit: {SealedJobs.Resources.MemoryBytes}", stderr);
        Assert.Contains($"processes limit: {SealedJobs.Resources.Processes}", stderr);
        Assert.Equal("PROBE-OBJECT", Text.Of(compiled.Outputs.Single().Data));
        Assert.False(File.Exists(targets.Outside));
    }

    [Fact]
    public async Task Without_the_sandbox_the_same_program_reaches_all_of_it()
    {
        // The control: proves the prober detects what the sandbox forbids.
        var (outcome, targets) = await Probe(SealedJobs.Unsandboxed);
        var stderr = Text.Of(Assert.IsType<CompiledOutcome>(outcome).Stderr);
        Assert.Contains("outside write: allowed", stderr);
        Assert.Contains("worker file read: allowed", stderr);
        Assert.Contains("blob cache: allowed", stderr);
        Assert.Contains("network: allowed", stderr);
        Assert.Contains("signal worker: allowed", stderr);
        Assert.Contains("sysv shm: allowed", stderr);
        Assert.Contains("sysv msg: allowed", stderr);
        Assert.Contains("sysv sem: allowed", stderr);
        Assert.Contains("memfd: allowed", stderr);
        Assert.True(File.Exists(targets.Outside));
    }

    /// <summary>
    /// A 32-bit x86 "compiler" (a shipped i386 toolchain runs so on an x86-64 helper): the kernel takes its system
    /// calls by other numbers, and System V IPC also through ipc(2). Freestanding (no libc: this machine has no
    /// 32-bit one), its calls made with int 0x80; it reports each and writes an object and a dependency list.
    /// </summary>
    private string Prober32()
    {
        var source = _dir.Write("prober32.c", """
            static long sys4(long n, long a, long b, long c, long d) { long r; __asm__ volatile("int $0x80" : "=a"(r) : "a"(n), "b"(a), "c"(b), "d"(c), "S"(d) : "memory"); return r; }
            static long sys(long n, long a, long b, long c) { return sys4(n, a, b, c, 0); }
            static unsigned long len(const char *s) { unsigned long n = 0; while (s[n]) n++; return n; }
            static void put(long fd, const char *s) { sys(4, fd, (long)s, (long)len(s)); }
            static void report(const char *what, long r) { put(2, what); put(2, r >= 0 ? ": allowed\n" : ": denied\n"); }
            __attribute__((used)) void start(long *sp) {
              int argc = (int)sp[0]; char **argv = (char **)(sp + 1); const char *out = 0, *deps = 0, *src = 0;
              for (int i = 1; i < argc; i++) {
                const char *a = argv[i]; unsigned long n = len(a);
                if (a[0] == '-' && a[1] == 'o' && !a[2] && i + 1 < argc) out = argv[++i];
                else if (a[0] == '-' && a[1] == 'M' && a[2] == 'F' && !a[3] && i + 1 < argc) deps = argv[++i];
                else if (n > 2 && a[n - 2] == '.' && a[n - 1] == 'c') src = a;
              }
              /* shmget, ipc(SHMGET), semget, msgget, memfd_create; each removed again where it was made (the control is unsandboxed). */
              long shm = sys(395, 0, 1 << 20, 01000 | 0600); report("i386 sysv shm", shm); if (shm >= 0) sys(396, shm, 0, 0);
              long ipc = sys4(117, 23, 0, 1 << 20, 01000 | 0600); report("i386 ipc", ipc); if (ipc >= 0) sys(396, ipc, 0, 0);
              long sem = sys(393, 0, 1, 01000 | 0600); report("i386 sysv sem", sem); if (sem >= 0) sys(394, sem, 0, 0);
              long msg = sys(399, 0, 01000 | 0600, 0); report("i386 sysv msg", msg); if (msg >= 0) sys(402, msg, 0, 0);
              long mfd = sys(356, (long)"job", 0, 0); report("i386 memfd", mfd); if (mfd >= 0) sys(6, mfd, 0, 0);
              long fd = out ? sys(5, (long)out, 01 | 0100 | 01000, 0600) : -1;
              if (fd >= 0) { put(fd, "PROBE-OBJECT"); sys(6, fd, 0, 0); }
              long d = deps ? sys(5, (long)deps, 01 | 0100 | 01000, 0600) : -1;
              if (d >= 0) { put(d, out); put(d, ": "); put(d, src ? src : ""); put(d, "\n"); sys(6, d, 0, 0); }
              sys(1, fd >= 0 && d >= 0 ? 0 : 2, 0, 0);
            }
            __asm__(".globl _start\n_start:\n push %esp\n call start\n");
            """);
        var binary = Path.Combine(_programs.FullName, "prober32");
        var r = Run.Program("gcc", new[] { "-m32", "-nostdlib", "-static", "-ffreestanding", "-fno-stack-protector", "-fno-pie", "-no-pie", "-O1", source, "-o", binary });
        Assert.True(r.ExitCode == 0, r.Stderr);
        return binary;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_32_bit_compiler_is_refused_the_same_memory_outside_its_limits(bool sandboxed)
    {
        var binary = Prober32();
        var prober = await SealedJobs.Program(binary);
        var (job, _) = TargetSide.Prepare("gcc", _project, new[] { "-c", "a.c", "-o", "a.o" }, "j-probe32-" + Guid.NewGuid().ToString("N")[..6]);
        _worker.TakeIn(job);
        var outcome = await _worker.Run(job, prober, sandboxed ? SealedJobs.Sandbox : SealedJobs.Unsandboxed);
        if (!SealedJobs.KernelRunsI386(binary))
        {
            // A kernel without IA32 emulation (this can be a VM's) runs no i386 program at all, so a job has no
            // i386 way to anything: what is checked then is that the program did not run and nothing came back.
            if (outcome is CompiledOutcome ran)
            {
                Assert.NotEqual(0, ran.ExitCode);
                Assert.Empty(ran.Outputs);
                Assert.DoesNotContain(": allowed", Text.Of(ran.Stderr));
            }
            else Assert.IsType<FailedOutcome>(outcome);
            return;
        }
        var compiled = Assert.IsType<CompiledOutcome>(outcome);
        var stderr = Text.Of(compiled.Stderr);
        // Unsandboxed, the control: proves each call works here and the probe sees it.
        var verdict = sandboxed ? "denied" : "allowed";
        foreach (var what in new[] { "i386 sysv shm", "i386 ipc", "i386 sysv sem", "i386 sysv msg", "i386 memfd" })
            Assert.Contains($"{what}: {verdict}", stderr);
        Assert.Equal("PROBE-OBJECT", Text.Of(compiled.Outputs.Single().Data));
    }

    [Fact]
    public async Task A_compile_that_fails_with_its_bound_full_is_refused_as_its_own_doing_not_the_workers()
    {
        // A compiler that fills its tmpfs and fails has written more than a job may: the job's doing (the target
        // compiles it itself), not a fault of this worker, and never the compiler's verdict on the source.
        var confinement = await JobConfinement.ProbeAsync(SandboxMode.Required, SealedJobs.Resources with { FileBytes = 8L << 20 });
        var (outcome, _) = await Probe(confinement, fillMiB: 6, fillExit: 1);
        var failed = Assert.IsType<FailedOutcome>(outcome);
        Assert.True(failed.Refused);
        Assert.Contains("wrote more than its bound (16 MiB in all)", failed.Reason);
    }

    [Fact]
    public async Task The_sandbox_probe_leaves_the_directory_it_tries_the_box_in_as_it_found_it()
    {
        // The probe runs in the temporary directory when given no jobs directory: it once made /tmp private (0700),
        // and every other user's programs failed there.
        var shared = Directory.CreateDirectory(_dir.Combine("shared"));
        shared.UnixFileMode = (UnixFileMode)0x3ff | UnixFileMode.StickyBit; // 1777, as /tmp
        var confinement = await JobConfinement.ProbeAsync(SandboxMode.Required, SealedJobs.Resources, shared.FullName);
        Assert.True(confinement.Bounded, confinement.Description);
        Assert.Equal((UnixFileMode)0x3ff | UnixFileMode.StickyBit, new DirectoryInfo(shared.FullName).UnixFileMode);
        Assert.Empty(shared.EnumerateFileSystemInfos());
    }

    [Theory]
    [InlineData("home/u/p")]
    [InlineData("home/u/a,b:c=d e")] // a directory that must not reach the overlay's options as it is
    public async Task A_job_writes_no_more_than_the_largest_job_in_all_however_many_files_it_makes(string projectDirectory)
    {
        // Issue 21's row: a shipped toolchain's driver wrote 3 x 100 MiB into its output directory on the helper's
        // disk, each file under the size limit. Here the largest job is 8 MiB; the prober writes three files of
        // 6 MiB beside its object and one in /tmp (24 MiB in all). Everything a job writes shares one tmpfs of
        // twice that (16 MiB): the writes stop there, the object still comes back, and nothing but the object and
        // the dependency list reaches the disk.
        var resources = SealedJobs.Resources with { FileBytes = 8L << 20 };
        var confinement = await JobConfinement.ProbeAsync(SandboxMode.Required, resources);
        Assert.True(confinement.Bounded, confinement.Description);
        Assert.Contains($"16 MiB and {JobBox.MaximumFiles} files written in all", confinement.Description);
        var jobId = "j-fill-" + Guid.NewGuid().ToString("N")[..6];
        using var workspace = JobWorkspace.Create(_worker.Jobs, jobId, sandboxed: true);
        var project = _dir.Combine(projectDirectory);
        _dir.Write(projectDirectory + "/a.c", "int x;\n");
        var (outcome, _) = await Probe(confinement, fillMiB: 6, workspace: workspace, jobId: jobId, project: project);
        var compiled = Assert.IsType<CompiledOutcome>(outcome);
        Assert.Equal("PROBE-OBJECT", Text.Of(compiled.Outputs.Single().Data));
        var written = long.Parse(Text.Of(compiled.Stderr).Split('\n').Single(l => l.StartsWith("written: ", StringComparison.Ordinal))["written: ".Length..]);
        Assert.InRange(written, 1L << 20, 16L << 20);
        // Only the files the worker reads came back (the object and the dependency list): not the fills, not the links.
        var onDisk = new DirectoryInfo(workspace.Directory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
        Assert.InRange(onDisk, 1, 1L << 20);
    }

    [Theory]
    [InlineData("link", "a link where its output goes")]
    [InlineData("fifo", "something other than a file as its output")]
    [InlineData("sparse", "an output mostly of holes")]
    public async Task An_object_left_as_a_link_a_pipe_or_a_file_of_holes_is_refused_as_the_jobs_doing_and_nothing_comes_back(string kind, string why)
    {
        // The box copies the outputs back from outside the sandbox, where a link the job made would lead to the worker's
        // own files, a pipe would block the copy and a file of holes would take its whole size on the helper's disk:
        // none is a file the job wrote, and each is the job's own doing, not a fault of this worker.
        var (outcome, _) = await Probe(SealedJobs.Sandbox, objectAs: kind);
        var failed = Assert.IsType<FailedOutcome>(outcome);
        Assert.True(failed.Refused, failed.Reason);
        Assert.Contains(why, failed.Reason);
    }

    [Fact]
    public async Task A_directory_of_an_outputs_path_replaced_by_a_link_leads_the_copy_nowhere()
    {
        // The object goes to x/y/z, its dependency list to x: the job may write in x, so it can rename x/y and put there
        // a link to a directory of the helper's holding z/a.o. Followed from outside the sandbox, that link would bring the
        // helper's file back as the object.
        var host = Directory.CreateDirectory(_dir.Combine("helper-only/z")).Parent!.FullName;
        File.WriteAllText(Path.Combine(host, "z", "a.o"), "HELPER-SECRET");
        Directory.CreateDirectory(Path.Combine(_project, "x/y/z"));
        var (outcome, _) = await Probe(SealedJobs.Sandbox, objectAs: "dirlink", hostDirectory: host,
            args: new[] { "-c", "a.c", "-o", "x/y/z/a.o", "-MD", "-MF", "x/a.d" });
        var failed = Assert.IsType<FailedOutcome>(outcome);
        Assert.True(failed.Refused, failed.Reason);
        Assert.Contains("a link where its output goes", failed.Reason);
    }

    [Fact]
    public async Task A_compiler_that_prints_without_end_is_stopped_at_the_limit()
    {
        // 20 000 lines of 1 KiB: past the 16 MiB a compiler may print on one stream.
        var (outcome, _) = await Probe(SealedJobs.Sandbox, spew: 20_000);
        var failed = Assert.IsType<FailedOutcome>(outcome);
        Assert.False(failed.Refused);
        Assert.Contains("printed more than 16 MiB", failed.Reason);
    }
}
