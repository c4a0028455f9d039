using ActorCompile.Protocol;
using ActorCompile.Tests;
using ActorCompile.Toolchain.Identity;
using ActorCompile.Toolchain.Jobs;
using ActorCompile.Worker.Execution;
using Xunit;

namespace ActorCompile.Worker.Tests;

/// <summary>
/// What a worker refuses even when a coordinator sends it, and how it confines what it runs. Jobs are
/// built by hand, as a hostile coordinator would: the wrapper never sends these.
/// </summary>
public sealed class TrustTests : IDisposable
{
    private readonly TempDirectory _dir = new("ac-trust");
    private readonly string _project;
    private readonly SealedJobs _worker;

    public TrustTests()
    {
        _project = _dir.Combine("home/u/p");
        _dir.Write("home/u/p/a.c", "#include <stdio.h>\nint main(void) { return puts(\"hi\"); }\n");
        _worker = new SealedJobs(_dir.Combine("worker"));
    }

    public void Dispose() => _dir.Dispose();

    private async Task<CompileOutcome> Run(string[] args, WorkerToolchain? toolchain = null, JobConfinement? confinement = null, string jobId = "j")
    {
        var (job, _) = TargetSide.Prepare("gcc", _project, new[] { "-c", "a.c", "-o", "a.o" }, jobId);
        _worker.TakeIn(job);
        return await _worker.Run(job with { Args = args }, toolchain ?? await SealedJobs.Toolchain("gcc"), confinement);
    }

    [Theory]
    [InlineData("-fplugin=/tmp/evil.so", "-fplugin")]
    [InlineData("-fplugin-arg-evil-key=value", "-fplugin")]
    [InlineData("--plugin=/tmp/evil.so", "--plugin=/tmp/evil.so")]
    [InlineData("-specs=/tmp/evil.specs", "-specs")]
    [InlineData("--specs=/tmp/evil.specs", "--specs=/tmp/evil.specs")]
    [InlineData("-B/tmp/evil/", "-B")]
    [InlineData("--prefix=/tmp/evil/", "--prefix=/tmp/evil/")]
    [InlineData("-wrapper", "-wrapper")]
    [InlineData("-fdump-tree-all", "-fdump-")]
    [InlineData("-fdump-rtl-expand=/tmp/x", "-fdump-")]
    [InlineData("-save-temps", "-save-temps")]
    [InlineData("-save-temps=obj", "-save-temps")]
    [InlineData("-aux-info", "-aux-info")]
    [InlineData("-fprofile-generate", "-fprofile-")]
    [InlineData("-fprofile-use=/tmp/p", "-fprofile-")]
    [InlineData("-iplugindir=/tmp/evil", "-iplugindir=")]
    [InlineData("@/etc/passwd", "@/etc/passwd")]
    [InlineData("-Wa,-adhln=/tmp/listing", "-adhln=/tmp/listing")]
    [InlineData("-Wa,--MD,/tmp/deps", "--MD")]
    [InlineData("-fopt-info-vec=/tmp/x", "-fopt-info")]
    [InlineData("-fsanitize-ignorelist=/etc/shadow", "sanitizer")]
    [InlineData("-mllvm", "-mllvm")]
    [InlineData("-fbrand-new-option", "-fbrand-new-option")]
    public async Task Options_that_load_code_or_touch_files_outside_the_job_are_refused_by_name(string option, string named)
    {
        var args = new List<string> { "-c", "a.c", "-o", "a.o" };
        args.Insert(0, option);
        if (option is "-wrapper" or "-aux-info" or "-mllvm") args.Insert(1, "/tmp/x");
        var outcome = Assert.IsType<FailedOutcome>(await Run(args.ToArray()));
        Assert.True(outcome.Refused);
        Assert.Contains(named, outcome.Reason);
    }

    [Theory]
    [InlineData("-o", "../../../../../../etc/evil.o")]
    [InlineData("-o", "/../../../../../../tmp/evil.o")]
    [InlineData("-MF", "../../../../../../../tmp/evil.d")]
    [InlineData("-I", "../../../../../../../../etc")]
    public async Task A_path_that_leaves_the_job_directory_is_refused(string option, string path)
    {
        var args = new[] { "-c", "a.c", option, path, "-MD" };
        var outcome = Assert.IsType<FailedOutcome>(await Run(args));
        Assert.True(outcome.Refused);
        Assert.Contains("leaves the job's directory", outcome.Reason);
    }

    /// <summary>A job whose source is replaced by another content of the coordinator's choosing.</summary>
    private async Task<CompileOutcome> RunWithSource(string source, string jobId, JobConfinement? confinement = null)
    {
        var (job, _) = TargetSide.Prepare("gcc", _project, new[] { "-c", "a.c", "-o", "a.o" }, jobId);
        var hostile = System.Text.Encoding.UTF8.GetBytes(source);
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(hostile));
        Assert.True(_worker.Blobs.Add(hash, hostile));
        _worker.TakeIn(job);
        var mirror = job.Mirror.Select(m => m.Path.EndsWith("/a.c", StringComparison.Ordinal) ? m with { Hash = hash } : m).ToArray();
        return await _worker.Run(job with { Mirror = mirror }, await SealedJobs.Toolchain("gcc"), confinement);
    }

    [Fact]
    public async Task A_source_that_includes_a_file_of_the_worker_finds_nothing_there()
    {
        // The target never sent /etc/hostname: in the sealed root it does not exist, so the compile fails
        // as it would on a target without it, and names no file of the worker.
        var failed = Assert.IsType<CompiledOutcome>(await RunWithSource("#include \"/etc/hostname\"\nint x;\n", "j-include"));
        Assert.NotEqual(0, failed.ExitCode);
        Assert.Contains("/etc/hostname: No such file or directory", Text.Of(failed.Stderr));
    }

    [Fact]
    public async Task Without_the_sandbox_a_read_outside_the_mirror_is_still_refused_and_its_messages_withheld()
    {
        // Unsandboxed (an explicit choice) the worker's own file is readable: the compiler's dependency
        // list catches it, and nothing of what the compiler printed goes back.
        var outcome = await RunWithSource("#include \"/etc/hostname\"\nint x;\n", "j-outside", SealedJobs.Unsandboxed);
        var failed = Assert.IsType<FailedOutcome>(outcome);
        Assert.True(failed.Refused);
        Assert.Contains("outside", failed.Reason);
    }

    [Fact]
    public async Task The_assembler_cannot_read_a_file_of_the_worker_either()
    {
        // .incbin is read by the assembler, not the preprocessor: no dependency list names it. Only the
        // sealed root keeps the worker's files out of reach.
        var secret = _dir.Write("worker-secret", "the worker's private key");
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var source = $"__asm__(\".section .rodata\\n.incbin \\\"{secret}\\\"\");\nint x;\n";
        // In the sealed root the file does not exist: the assembler fails, and as its message names a path
        // outside the mirror, the worker withholds it and refuses the job (the target then compiles it).
        var outcome = Assert.IsType<FailedOutcome>(await RunWithSource(source, "j-incbin"));
        Assert.True(outcome.Refused, outcome.Reason);
        Assert.Contains("messages name files outside the job's mirror", outcome.Reason);
        // The same source reads it on a machine where the file exists: the test would catch a leak.
        var open = Assert.IsType<CompiledOutcome>(await RunWithSource(source, "j-incbin-open", SealedJobs.Unsandboxed));
        Assert.Equal(0, open.ExitCode);
        Assert.True(Contains(open.Outputs.Single().Data, "the worker's private key"u8.ToArray()), "unsandboxed, the object holds the file");
    }

    [Theory]
    [InlineData("twice")]
    [InlineData("file and directory")]
    public async Task A_mirror_that_lists_a_path_twice_or_as_a_file_and_a_directory_is_refused_before_a_byte_is_written(string how)
    {
        // A hostile coordinator's job: refused as the job's own doing (the box would fail on it, and the worker be blamed).
        var (job, _) = TargetSide.Prepare("gcc", _project, new[] { "-c", "a.c", "-o", "a.o" }, "j-twice");
        _worker.TakeIn(job);
        var file = job.Mirror.First(e => e.Kind == MirrorEntryKind.File);
        var extra = how == "twice" ? file : new MirrorEntry(MirrorEntryKind.Directory, file.Path + "/sub", null, 0, 0);
        var workspace = JobWorkspace.Create(_worker.Jobs, job.JobId, sandboxed: true);
        try
        {
            var outcome = Assert.IsType<FailedOutcome>(await _worker.Run(job with { Mirror = job.Mirror.Append(extra).ToArray() }, await SealedJobs.Toolchain("gcc"),
                workspace: workspace));
            Assert.True(outcome.Refused, outcome.Reason);
            Assert.Contains("twice, or as a file and a directory", outcome.Reason);
            Assert.Empty(Directory.EnumerateFiles(workspace.Directory, "*", SearchOption.AllDirectories));
        }
        finally
        {
            workspace.Dispose();
        }
    }

    [Fact]
    public async Task A_mirror_that_would_take_more_than_the_largest_job_on_disk_is_refused_before_a_byte_is_written()
    {
        // Row 10 on the worker: 40 entries of one 512 KiB content take 20 MiB on disk, whatever sizes the
        // job declares; with a 4 MiB largest job the worker refuses it before it writes the mirror (or its list).
        var (job, _) = TargetSide.Prepare("gcc", _project, new[] { "-c", "a.c", "-o", "a.o" }, "j-disk");
        _worker.TakeIn(job);
        var content = new byte[512 << 10];
        new Random(10).NextBytes(content);
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content));
        Assert.True(_worker.Blobs.Add(hash, content));
        var copies = Enumerable.Range(0, 40).Select(i => new MirrorEntry(MirrorEntryKind.File, $"{_project}/copy{i}.h", hash, 0, 0));
        var workspace = JobWorkspace.Create(_worker.Jobs, job.JobId, sandboxed: true);
        try
        {
            var outcome = Assert.IsType<FailedOutcome>(await _worker.Run(job with { Mirror = job.Mirror.Concat(copies).ToArray() }, await SealedJobs.Toolchain("gcc"),
                workspace: workspace, maxJobBytes: 4L << 20));
            Assert.True(outcome.Refused);
            Assert.Contains("would take more than the largest job (4 MiB) on disk", outcome.Reason);
            // Nothing of the mirror was written: neither on disk nor as the list a bounded box builds it from.
            Assert.Empty(Directory.EnumerateFiles(workspace.Directory, "*", SearchOption.AllDirectories));
        }
        finally
        {
            workspace.Dispose();
        }
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
