/*
 * actorcompile-box: a job's bounded workspace, in one process (see JobBox.cs for the worker's side).
 *
 * Why C and not C#: making a user namespace needs a single-threaded process (unshare(CLONE_NEWUSER) fails in
 * one with threads), and every .NET program, Native AOT too, has threads before Main. Why one program and not
 * the shell script it replaces: on the helpers measured (2026-12-07, 2 cores, a paravirtualised VM) every
 * program started costs 2 to 6 ms of CPU, and the script started about a dozen per job (setpriv, unshare, sh,
 * mkdir, mount for the tmpfs and twice per output directory, setpriv and unshare again, prlimit, stat, cp per
 * output): as much CPU as a small unit's compile. The mirror was built on disk by the worker, a file and a
 * directory at a time (most of the worker's own CPU per job: creating and deleting inodes).
 *
 * What it does, in order, as the user that runs it (never setuid, never root):
 *  1. dies with the worker (parent-death signal), makes a user namespace where it is root (mapped to the
 *     worker's user) and a mount namespace of its own, private;
 *  2. mounts a tmpfs of --size bytes and --files inodes on --box (the job's empty directory on disk), makes
 *     r/ (the mirror root), s/ (the worker's scratch directory) and tmp/ in it;
 *  3. builds the job's mirror in r/ from --mirror, a file of NUL-terminated records the worker wrote (its paths
 *     already checked there: absolute, no "." or "..", no empty part): "d" PATH, a directory; "f" MTIME BLOB
 *     PATH, the content of the blob file with that modification time (milliseconds since 1970); "e" MTIME PATH,
 *     an empty file. Nothing of the job runs yet; every file is created new (O_EXCL, no link followed);
 *  4. makes a PID namespace whose first process it forks: that process sets the job's limits (--as, --fsize,
 *     --nproc, --cpu, no core files) and a seccomp filter that refuses memory outside them (System V IPC,
 *     memfds: refuse_hidden_memory) and runs the command after "--" (bubblewrap, which binds what it needs of
 *     the box). When it ends, the kernel has ended every process of the job: nothing of the job runs while
 *     the outputs are read;
 *  5. copies each --output SOURCE DESTINATION back: SOURCE a path in the box, DESTINATION a file on disk that
 *     must not exist yet; a SOURCE that is not a regular file reached without any link is not copied;
 *  6. writes its verdict to --status, where the job cannot reach: "ok"; "full" when the command failed with the
 *     tmpfs full (the job wrote more than its bound: its own doing); "refused: WHY" when the job left an output
 *     that is not a file it wrote (a link, a pipe, a file mostly of holes): its own doing too; or why this
 *     machine failed the job.
 * Its exit code is the command's (128 + N when a signal N ended it); 1 with a verdict other than ok/full.
 * The tmpfs, with everything the job wrote, goes when this process ends (its mount namespace goes with it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/close_range.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <stddef.h>

#define MAX_OUTPUTS 8

static const char *status_file;

/* Writes the verdict where the worker reads it (a file the job never sees). */
static void verdict(const char *text)
{
    if (!status_file) return;
    int fd = open(status_file, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return;
    size_t n = strlen(text);
    ssize_t w = write(fd, text, n);
    (void)w;
    close(fd);
}

/* This machine failed the job: says why (no job path in it), exits 1. */
static void fail(const char *fmt, ...)
{
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (status_file) verdict(why);
    else fprintf(stderr, "actorcompile-box: %s\n", why);
    _exit(1);
}

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t n = strlen(text);
    ssize_t w = write(fd, text, n);
    int saved = errno;
    close(fd);
    errno = saved;
    return w == (ssize_t)n ? 0 : -1;
}

static long long signed_number(const char *option, const char *text)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || *end || end == text) fail("bad value for %s", option);
    return v;
}

static long long number(const char *option, const char *text)
{
    long long v = signed_number(option, text);
    if (v < 0) fail("bad value for %s", option);
    return v;
}

/*
 * Kernel memory a job could hold outside its limits, refused by a seccomp filter set before the sandbox starts
 * (its processes inherit it, and no_new_privs keeps it: nothing in the job can lift it). RLIMIT_AS counts what a
 * process maps, RLIMIT_FSIZE each file it writes; but a System V shared memory segment keeps its pages after the
 * process unmaps it, and segments (like message queues and semaphore sets) are limited only by the IPC
 * namespace's defaults (shmall: about 2^64 pages), so one job could take all of the helper's memory, a segment
 * at a time, for as long as it runs. A memfd is a file in no filesystem of the job's: its bound is the file
 * size limit times the files a process may open, again and again. No compiler, assembler or linker uses any of
 * them. Refused with EPERM, for the machine's own system calls and for the 32-bit ones its kernel also takes
 * (a shipped i386 toolchain on an x86-64 helper, armhf on arm64), where System V IPC also comes through ipc(2);
 * x32's calls (numbers with bit 30 set) are refused whole. A process of any other architecture cannot run here;
 * its calls fail with ENOSYS.
 */
#ifndef __NR_memfd_secret
#define __NR_memfd_secret 447
#endif
static const uint32_t native_refused[] = {
    __NR_shmget, __NR_shmat, __NR_msgget, __NR_semget, __NR_memfd_create, __NR_memfd_secret,
};
#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#define NATIVE_REFUSED_FROM 0x40000000u /* x32 */
#define COMPAT_ARCH AUDIT_ARCH_I386
/* i386: ipc, shmget, shmat, msgget, semget, memfd_create, memfd_secret */
static const uint32_t compat_refused[] = { 117, 395, 397, 399, 393, 356, 447 };
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#define NATIVE_REFUSED_FROM 0u
#define COMPAT_ARCH AUDIT_ARCH_ARM
/* arm EABI: shmget, shmat, msgget, semget, memfd_create, memfd_secret */
static const uint32_t compat_refused[] = { 307, 305, 303, 299, 385, 447 };
#else
#error "actorcompile-box: the seccomp filter needs this architecture's system call numbers"
#endif

/* Sets the filter on this process (and so on all it runs); -1 with errno when it cannot. */
static int refuse_hidden_memory(void)
{
    struct sock_filter f[64];
    unsigned n = 0;
    const unsigned native_count = sizeof native_refused / sizeof native_refused[0];
    const unsigned compat_count = sizeof compat_refused / sizeof compat_refused[0];
    /* Layout: load arch; per architecture a block [arch? | load nr | (nr >= from? refuse) | nr == x? refuse ... | allow];
       then "unknown architecture: ENOSYS"; then the one refusal every block jumps to. */
    unsigned native_block = 1 + (NATIVE_REFUSED_FROM ? 1 : 0) + native_count + 1;
    unsigned compat_block = 1 + compat_count + 1;
    unsigned refuse = 1 + 1 + native_block + 1 + compat_block + 1;
    f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
    f[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 0, (unsigned char)native_block); n++;
    f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    if (NATIVE_REFUSED_FROM) { f[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, NATIVE_REFUSED_FROM, (unsigned char)(refuse - n - 1), 0); n++; }
    for (unsigned i = 0; i < native_count; i++) { f[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, native_refused[i], (unsigned char)(refuse - n - 1), 0); n++; }
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    f[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, COMPAT_ARCH, 0, (unsigned char)compat_block); n++;
    f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    for (unsigned i = 0; i < compat_count; i++) { f[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, compat_refused[i], (unsigned char)(refuse - n - 1), 0); n++; }
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA));
    if (n != refuse) { errno = EINVAL; return -1; } /* the layout above is wrong: never run a job with a filter that is */
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA));
    struct sock_fprog prog = { .len = (unsigned short)n, .filter = f };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

/* Copies all of from into to; -1 with errno on failure. */
static int copy_fd(int from, int to, off_t size)
{
    off_t done = 0;
    while (done < size) {
        ssize_t n = sendfile(to, from, NULL, (size_t)(size - done > (1 << 30) ? (1 << 30) : size - done));
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (n == 0) break; /* the file shrank: what there was is copied */
        done += n;
    }
    return 0;
}

static void make_directory(int root, const char *path)
{
    if (mkdirat(root, path, 0755) == 0) return;
    if (errno != EEXIST) fail("cannot make a directory of the mirror (%s)", strerror(errno));
    struct stat st;
    if (fstatat(root, path, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode)) fail("the mirror holds a file where a directory goes");
}

/* mkdir -p under the mirror root for path (relative: "home/u/p"), or for its parent only. Nothing in the tmpfs is a
   link (this program makes none, and nothing of the job has run yet). The last directory made is remembered:
   files of one directory follow one another in the list. */
static void make_directories(int root, char *path, int last_too)
{
    static char done[PATH_MAX + 1];
    char *last = strrchr(path, '/');
    size_t length = last_too ? strlen(path) : last ? (size_t)(last - path) : 0;
    if (length == 0 || (length == strlen(done) && !strncmp(done, path, length))) return;
    for (char *p = path;;) {
        char *slash = strchr(p, '/');
        if (!slash || (size_t)(slash - path) >= length) {
            char saved = path[length];
            path[length] = 0;
            make_directory(root, path);
            path[length] = saved;
            break;
        }
        *slash = 0;
        make_directory(root, path);
        *slash = '/';
        p = slash + 1;
    }
    if (length <= PATH_MAX) { memcpy(done, path, length); done[length] = 0; }
}

/* A mirror path as the worker writes it: absolute, no empty, "." or ".." part. Returns it relative ("" for "/"). */
static char *relative(char *path)
{
    size_t length = strlen(path);
    if (path[0] != '/') fail("the mirror's list holds a relative path");
    if (length > PATH_MAX || (length > 1 && path[length - 1] == '/')) fail("the mirror's list holds an unsafe path");
    for (char *p = path + 1; *p;) {
        char *end = strchrnul(p, '/');
        size_t n = (size_t)(end - p);
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) fail("the mirror's list holds an unsafe path");
        p = *end ? end + 1 : end;
    }
    return path + 1;
}

static void build_mirror(int root, const char *list)
{
    int fd = open(list, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) fail("cannot read the mirror's list (%s)", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) fail("the mirror's list is not a file");
    char *text = malloc((size_t)st.st_size + 1);
    if (!text) fail("out of memory");
    off_t got = 0;
    while (got < st.st_size) {
        ssize_t n = read(fd, text + got, (size_t)(st.st_size - got));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail("cannot read the mirror's list");
        got += n;
    }
    close(fd);
    text[st.st_size] = 0;
    char *p = text, *end = text + st.st_size;
#define FIELD(name)                                                                  \
    char *name = p;                                                                  \
    { char *z = memchr(p, 0, (size_t)(end - p)); if (!z) fail("the mirror's list is cut short"); p = z + 1; }
    while (p < end) {
        FIELD(kind)
        if (!strcmp(kind, "d")) {
            FIELD(path)
            make_directories(root, relative(path), 1);
            continue;
        }
        if (strcmp(kind, "f") && strcmp(kind, "e")) fail("the mirror's list holds an unknown kind of entry");
        FIELD(mtime)
        char *blob = NULL;
        if (!strcmp(kind, "f")) {
            FIELD(source)
            blob = source;
        }
        FIELD(path)
        char *rel = relative(path);
        if (!*rel) fail("the mirror's root cannot be a file");
        make_directories(root, rel, 0);
        int out = openat(root, rel, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (out < 0) fail("cannot make a file of the mirror (%s)", strerror(errno));
        if (blob) {
            int in = open(blob, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
            struct stat bs;
            if (in < 0 || fstat(in, &bs) != 0 || !S_ISREG(bs.st_mode)) fail("a file of the job is missing from this worker's store");
            if (copy_fd(in, out, bs.st_size) != 0) fail("cannot copy a file into the mirror (%s)", strerror(errno));
            close(in);
        }
        /* Milliseconds since 1970, before it too: seconds rounded down, the rest a positive part of a second. */
        long long ms = signed_number("a modification time", mtime);
        long long seconds = ms / 1000, rest = ms % 1000;
        if (rest < 0) { seconds--; rest += 1000; }
        struct timespec times[2] = { { .tv_nsec = UTIME_OMIT }, { .tv_sec = (time_t)seconds, .tv_nsec = (long)rest * 1000000 } };
        if (futimens(out, times) != 0) fail("cannot set a file's time in the mirror (%s)", strerror(errno));
        close(out);
    }
    free(text);
}

/* The job refused: it left as an output something other than a file it wrote. Its own doing, said as such. */
static void refuse(const char *why)
{
    char text[256];
    snprintf(text, sizeof text, "refused: %s", why);
    verdict(text);
    _exit(1);
}

/* Opens an output in the box without following any link, at any level, and without leaving the box: -1 when there
   is none. openat2 is required (Linux 5.6): O_NOFOLLOW alone covers the last part of a path only, and the job may
   have replaced a directory of the path (one it may write in) by a link to a file of this machine's. */
static int open_output(int box, const char *path, long long limit)
{
    struct open_how how = { .flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
    int fd = (int)syscall(SYS_openat2, box, path, &how, sizeof how);
    if (fd < 0) {
        if (errno == ENOENT) return -1;
        if (errno == ENOSYS) fail("this kernel cannot open a file without following links (openat2, Linux 5.6)");
        if (errno == ELOOP || errno == EXDEV || errno == ENOTDIR) refuse("the compile left a link where its output goes");
        fail("cannot open an output (%s)", strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) != 0) fail("cannot read an output (%s)", strerror(errno));
    if (!S_ISREG(st.st_mode)) refuse("the compile left something other than a file as its output");
    /* A file of holes costs the tmpfs nothing and the disk its whole size: an output is what the job wrote. */
    if (st.st_size > limit || st.st_size > (off_t)st.st_blocks * 512 + (1 << 16)) refuse("the compile left an output mostly of holes or over the file size limit");
    return fd;
}

int main(int argc, char **argv)
{
    const char *box = NULL, *mirror = NULL;
    long long size = -1, files = -1, as = 0, fsize = -1, nproc = -1, cpu = -1;
    const char *outputs[MAX_OUTPUTS][2];
    int noutputs = 0, command = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) { command = i + 1; break; }
        if (i + 1 >= argc) fail("%s needs a value", a);
        if (!strcmp(a, "--status")) status_file = argv[++i];
        else if (!strcmp(a, "--box")) box = argv[++i];
        else if (!strcmp(a, "--mirror")) mirror = argv[++i];
        else if (!strcmp(a, "--size")) size = number(a, argv[++i]);
        else if (!strcmp(a, "--files")) files = number(a, argv[++i]);
        else if (!strcmp(a, "--as")) as = number(a, argv[++i]);
        else if (!strcmp(a, "--fsize")) fsize = number(a, argv[++i]);
        else if (!strcmp(a, "--nproc")) nproc = number(a, argv[++i]);
        else if (!strcmp(a, "--cpu")) cpu = number(a, argv[++i]);
        else if (!strcmp(a, "--output")) {
            if (i + 2 >= argc || noutputs == MAX_OUTPUTS) fail("--output needs a source and a destination (at most %d)", MAX_OUTPUTS);
            outputs[noutputs][0] = argv[++i];
            outputs[noutputs][1] = argv[++i];
            if (outputs[noutputs][0][0] == '/' ) fail("an output's source is a path in the box");
            noutputs++;
        }
        else fail("unknown option %s", a);
    }
    if (!status_file || !box || !mirror || size <= 0 || files <= 0 || fsize < 0 || nproc < 0 || cpu < 0 || command < 0 || command >= argc)
        fail("usage: actorcompile-box --status F --box DIR --mirror LIST --size BYTES --files N [--as BYTES] --fsize BYTES --nproc N --cpu S [--output SOURCE DEST]... -- PROGRAM ARGS...");

    /* Nothing the worker left open reaches the job. */
    if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) != 0 && errno != ENOSYS && errno != EINVAL) fail("cannot close what it inherited (%s)", strerror(errno));
    if (geteuid() != getuid() || getegid() != getgid()) fail("runs only as the user that starts it (never setuid or setgid)");

    /* 1. Dies with the worker; a user and a mount namespace of its own. */
    pid_t parent = getppid();
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) fail("the worker is gone");
    uid_t uid = getuid();
    gid_t gid = getgid();
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) fail("cannot make a user namespace (%s)", strerror(errno));
    char map[64];
    snprintf(map, sizeof map, "0 %u 1\n", (unsigned)uid);
    if (write_file("/proc/self/setgroups", "deny") != 0 || write_file("/proc/self/uid_map", map) != 0) fail("cannot map its user (%s)", strerror(errno));
    snprintf(map, sizeof map, "0 %u 1\n", (unsigned)gid);
    if (write_file("/proc/self/gid_map", map) != 0) fail("cannot map its group (%s)", strerror(errno));
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) fail("cannot make its mounts private (%s)", strerror(errno));

    /* 2. The tmpfs: everything the job has and writes. */
    char options[128];
    snprintf(options, sizeof options, "size=%lld,nr_inodes=%lld,mode=0700", size, files);
    if (mount("actorcompile-job", box, "tmpfs", MS_NOSUID | MS_NODEV, options) != 0) fail("cannot mount its tmpfs (%s)", strerror(errno));
    int boxfd = open(box, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (boxfd < 0) fail("cannot open its tmpfs (%s)", strerror(errno));
    if (mkdirat(boxfd, "r", 0755) != 0 || mkdirat(boxfd, "s", 0755) != 0 || mkdirat(boxfd, "tmp", 01777) != 0 || fchmodat(boxfd, "tmp", 01777, 0) != 0)
        fail("cannot make its directories (%s)", strerror(errno));

    /* 3. The mirror. */
    int rootfd = openat(boxfd, "r", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (rootfd < 0) fail("cannot open the mirror's root (%s)", strerror(errno));
    build_mirror(rootfd, mirror);
    close(rootfd);

    /* 4. The command, first of a PID namespace of its own, within the job's limits. A pipe closed on exec tells
       a command that could not start (its errno) from one that ran and failed. */
    int started[2], alive[2];
    if (pipe2(started, O_CLOEXEC) != 0 || pipe2(alive, O_CLOEXEC) != 0) fail("cannot make a pipe (%s)", strerror(errno));
    if (unshare(CLONE_NEWPID) != 0) fail("cannot make a PID namespace (%s)", strerror(errno));
    pid_t child = fork();
    if (child < 0) fail("cannot fork (%s)", strerror(errno));
    if (child == 0) {
        close(started[0]);
        close(alive[1]);
        /* The box may have died before the parent-death signal was set: its end of the pipe is then closed. (In a PID
           namespace of its own, getppid() says nothing.) */
        struct pollfd gone = { .fd = alive[0], .events = POLLIN };
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || poll(&gone, 1, 0) != 0) _exit(127);
        struct rlimit r;
        int ok = 1;
        if (as > 0) { r.rlim_cur = r.rlim_max = (rlim_t)as; ok &= setrlimit(RLIMIT_AS, &r) == 0; }
        r.rlim_cur = r.rlim_max = (rlim_t)fsize; ok &= setrlimit(RLIMIT_FSIZE, &r) == 0;
        r.rlim_cur = r.rlim_max = (rlim_t)nproc; ok &= setrlimit(RLIMIT_NPROC, &r) == 0;
        r.rlim_cur = r.rlim_max = (rlim_t)cpu; ok &= setrlimit(RLIMIT_CPU, &r) == 0;
        r.rlim_cur = r.rlim_max = 0; ok &= setrlimit(RLIMIT_CORE, &r) == 0;
        int e = EPERM;
        /* A filter that cannot be set fails the job as this machine's fault ("cannot run the sandbox"), never runs it without. */
        if (ok && refuse_hidden_memory() != 0) { ok = 0; e = errno; }
        if (ok) {
            execv(argv[command], argv + command);
            e = errno;
        }
        ssize_t w = write(started[1], &e, sizeof e);
        (void)w;
        _exit(127);
    }
    close(started[1]);
    close(alive[0]);
    int exec_errno = 0;
    ssize_t got;
    do got = read(started[0], &exec_errno, sizeof exec_errno); while (got < 0 && errno == EINTR);
    close(started[0]);
    int how;
    while (waitpid(child, &how, 0) < 0)
        if (errno != EINTR) fail("cannot wait for the command (%s)", strerror(errno));
    if (got == (ssize_t)sizeof exec_errno) fail("cannot run the sandbox (%s)", strerror(exec_errno));
    int rc = WIFEXITED(how) ? WEXITSTATUS(how) : 128 + WTERMSIG(how);

    /* The job's doing: it failed with its bound full (no byte or no file left). */
    const char *said = "ok";
    struct statfs fs;
    if (rc != 0 && fstatfs(boxfd, &fs) == 0 && (fs.f_bavail == 0 || fs.f_ffree == 0)) said = "full";

    /* 5. The outputs, to disk. */
    for (int i = 0; i < noutputs; i++) {
        int in = open_output(boxfd, outputs[i][0], fsize);
        if (in < 0) continue;
        struct stat st;
        if (fstat(in, &st) != 0) fail("cannot read an output (%s)", strerror(errno));
        int out = open(outputs[i][1], O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (out < 0 || copy_fd(in, out, st.st_size) != 0 || close(out) != 0) fail("cannot copy an output back to disk (%s)", strerror(errno));
        close(in);
    }

    /* 6. The verdict. */
    verdict(said);
    return rc;
}
