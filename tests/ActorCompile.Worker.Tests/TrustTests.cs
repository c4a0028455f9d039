using ActorCompile.Protocol;
using ActorCompile.Tests;
using ActorCompile.Toolchain.Identity;
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
    private readonly BlobCache _blobs;
    private static readonly WorkerToolchain Gcc = new(new[] { "gcc" }, "gcc", new ToolchainIdentity("t", "gcc", "12", "x", "c"));

    public TrustTests()
    {
        _project = _dir.Combine("home/u/p");
        _dir.Write("home/u/p/a.c", "#include <stdio.h>\nint main(void) { return puts(\"hi\"); }\n");
        _blobs = new BlobCache(_dir.Combine("worker/blobs"), 1L << 30);
    }

    public void Dispose() => _dir.Dispose();

    private async Task<CompileOutcome> Run(string[] args, WorkerToolchain? toolchain = null, JobConfinement? confinement = null, string jobId = "j")
    {
        var (job, _) = TargetSide.Prepare("gcc", _project, new[] { "-c", "a.c", "-o", "a.o" }, jobId);
        foreach (var b in job.Blobs) _blobs.Add(b.Hash, Payload.Decompress(b.Compressed, b.Length));
        using var workspace = JobWorkspace.Create(_dir.Combine("worker/jobs"), job.JobId);
        return await RemoteCompilation.RunAsync(job with { Args = args }, toolchain ?? Gcc, workspace, _blobs, TimeSpan.FromMinutes(1), CancellationToken.None, confinement);
    }

    [Theory]
    [InlineData("-fplugin=/tmp/evil.so", "-fplugin")]
    [InlineData("-fplugin-arg-evil-key=value", "-fplugin")]
    [InlineData("-specs=/tmp/evil.specs", "-specs")]
    [InlineData("-B/tmp/evil/", "-B")]
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
    public async Task Options_that_load_code_or_touch_files_outside_the_job_are_refused_by_name(string option, string named)
    {
        var args = new List<string> { "-c", "a.c", "-o", "a.o" };
        args.Insert(0, option);
        if (option is "-wrapper" or "-aux-info") args.Insert(1, "/tmp/x");
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

    [Fact]
    public async Task A_source_that_reads_a_file_outside_the_mirror_is_refused_and_its_messages_withheld()
    {
        // The source names a file the target never sent; the compile would read the worker's own copy.
        var (job, _) = TargetSide.Prepare("gcc", _project, new[] { "-c", "a.c", "-o", "a.o" }, "j-outside");
        var hostile = "#include \"/etc/hostname\"\nint x;\n"u8.ToArray();
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(hostile));
        _blobs.Add(hash, hostile);
        foreach (var b in job.Blobs) _blobs.Add(b.Hash, Payload.Decompress(b.Compressed, b.Length));
        var mirror = job.Mirror.Select(m => m.Path.EndsWith("/a.c", StringComparison.Ordinal) ? m with { Hash = hash } : m).ToArray();
        using var workspace = JobWorkspace.Create(_dir.Combine("worker/jobs"), job.JobId);
        var outcome = await RemoteCompilation.RunAsync(job with { Mirror = mirror }, Gcc, workspace, _blobs, TimeSpan.FromMinutes(1), CancellationToken.None);
        var failed = Assert.IsType<FailedOutcome>(outcome);
        Assert.True(failed.Refused);
        Assert.Contains("outside", failed.Reason);
    }

    /// <summary>
    /// A fake compiler (why: gcc never tries to write outside its outputs or to connect anywhere) that
    /// tries both, reports on stderr, then compiles with the real gcc.
    /// </summary>
    private WorkerToolchain Prober(string outside, int port)
    {
        var script = _dir.Write("prober-gcc", $$"""
            #!/bin/bash
            if touch '{{outside}}' 2>/dev/null; then echo "outside write: allowed" >&2; else echo "outside write: denied" >&2; fi
            if (exec 3<>/dev/tcp/127.0.0.1/{{port}}) 2>/dev/null; then echo "network: allowed" >&2; else echo "network: denied" >&2; fi
            echo "data limit: $(ulimit -d)" >&2
            exec gcc "$@"
            """);
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return new WorkerToolchain(new[] { "prober-gcc" }, script, Gcc.Identity);
    }

    [Fact]
    public async Task In_the_sandbox_the_compiler_has_no_network_and_cannot_write_outside_its_job()
    {
        var confinement = JobConfinement.Create(SandboxMode.Required, 2L << 30);
        Assert.True(confinement.Sandboxed, confinement.Description); // build.sh installs bubblewrap for the tests
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        var outside = _dir.Combine("outside-" + Guid.NewGuid().ToString("N"));
        try
        {
            var outcome = Assert.IsType<CompiledOutcome>(await Run(new[] { "-c", "a.c", "-o", "a.o" }, Prober(outside, port), confinement, "j-sandbox"));
            var stderr = Text.Of(outcome.Stderr);
            Assert.Contains("outside write: denied", stderr);
            Assert.Contains("network: denied", stderr);
            Assert.Contains($"data limit: {2L * 1024 * 1024}", stderr); // KiB
            Assert.Equal(0, outcome.ExitCode);
            Assert.False(File.Exists(outside));
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public async Task Without_the_sandbox_the_same_compiler_could_do_both()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        var outside = _dir.Combine("outside-" + Guid.NewGuid().ToString("N"));
        try
        {
            var confinement = JobConfinement.Create(SandboxMode.Off, 0);
            var outcome = Assert.IsType<CompiledOutcome>(await Run(new[] { "-c", "a.c", "-o", "a.o" }, Prober(outside, port), confinement, "j-open"));
            var stderr = Text.Of(outcome.Stderr);
            Assert.Contains("outside write: allowed", stderr);
            Assert.Contains("network: allowed", stderr);
        }
        finally
        {
            listener.Stop();
        }
    }
}
