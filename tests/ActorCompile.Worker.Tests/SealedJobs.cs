using ActorCompile.Protocol;
using ActorCompile.Protocol.Messages;
using ActorCompile.Toolchain.Identity;
using ActorCompile.Worker.Execution;
using ActorCompile.Worker.Toolchains;
using Xunit;

namespace ActorCompile.Worker.Tests;

/// <summary>
/// The worker's side of jobs as tests run them: the real toolchains of this machine with their files
/// found as a worker finds them, a store that builds their sealed roots, a blob cache, and the real
/// bubblewrap sandbox (build.sh installs it for the tests).
/// </summary>
public sealed class SealedJobs
{
    public static readonly JobResources Resources = new(4L << 30, 128L << 20, JobResources.DefaultProcesses, TimeSpan.FromMinutes(2));

    private static readonly Lazy<JobConfinement> SandboxProbe = new(() => JobConfinement.ProbeAsync(SandboxMode.Required, Resources).GetAwaiter().GetResult());
    private static readonly Lazy<JobConfinement> UnsandboxedProbe = new(() => JobConfinement.ProbeAsync(SandboxMode.Off, Resources).GetAwaiter().GetResult());
    private static readonly Dictionary<string, Task<WorkerToolchain>> Toolchains = new(StringComparer.Ordinal);

    /// <summary>Whether this kernel starts an i386 program, started directly (it does not without IA32 emulation: ENOEXEC).</summary>
    public static bool KernelRunsI386(string program)
    {
        try
        {
            using var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            p.WaitForExit();
            return true; // started: whatever it answers (a prober run without arguments exits with 2)
        }
        catch (System.ComponentModel.Win32Exception e) when (e.NativeErrorCode == 8) // ENOEXEC
        {
            return false;
        }
    }

    /// <summary>The sandbox every job runs in by default; a test fails here if bubblewrap does not work.</summary>
    public static JobConfinement Sandbox
    {
        get
        {
            Assert.True(SandboxProbe.Value.Sandboxed, SandboxProbe.Value.Description);
            return SandboxProbe.Value;
        }
    }

    public static JobConfinement Unsandboxed => UnsandboxedProbe.Value;

    /// <summary>A compiler of this machine as a worker offers it (found on PATH, probed, its files listed).</summary>
    public static Task<WorkerToolchain> Toolchain(string name)
    {
        lock (Toolchains)
        {
            if (!Toolchains.TryGetValue(name, out var task))
                Toolchains[name] = task = Discover(name);
            return task;
        }

        static async Task<WorkerToolchain> Discover(string name)
        {
            var offered = await ToolchainDiscovery.DiscoverAsync(new[] { name });
            return Assert.Single(offered);
        }
    }

    /// <summary>A program that is not gcc or clang (a test's own fake), with the files a worker would find for it.</summary>
    public static async Task<WorkerToolchain> Program(string path, string family = "prober")
    {
        var identity = new ToolchainIdentity(new string('0', 64), family, "1", "x86_64-linux-gnu", "c");
        var manifest = await ToolchainFiles.FindAsync(new ProbedToolchain(path, path, identity), hash: false);
        return new WorkerToolchain(new[] { Path.GetFileName(path) }, path, identity, manifest);
    }

    public ToolchainStore Store { get; }
    public BlobCache Blobs { get; }
    public string Jobs { get; }

    public SealedJobs(string directory)
    {
        Store = new ToolchainStore(Path.Combine(directory, "toolchains"));
        Blobs = new BlobCache(Path.Combine(directory, "blobs"), 1L << 30);
        Jobs = Path.Combine(directory, "jobs");
    }

    /// <summary>Stores a job's contents as the worker does when it arrives.</summary>
    public void TakeIn(CompileJob job)
    {
        foreach (var b in job.Blobs) Assert.True(Blobs.Add(b.Hash, Payload.Decompress(b.Compressed, b.Length)));
    }

    /// <summary>Runs a job the way a JobRunner does; the workspace is left to the caller when given.</summary>
    public async Task<CompileOutcome> Run(CompileJob job, WorkerToolchain toolchain, JobConfinement? confinement = null, JobWorkspace? workspace = null, long maxJobBytes = 128L << 20)
    {
        confinement ??= Sandbox;
        var root = !confinement.Sandboxed ? null
            : toolchain.Shipped ? await Store.ShippedRootAsync(toolchain.Manifest!) : await Store.NativeRootAsync(toolchain.Manifest!);
        var owned = workspace is null;
        workspace ??= JobWorkspace.Create(Jobs, job.JobId, confinement.Sandboxed);
        try
        {
            return await RemoteCompilation.RunAsync(new JobExecution(job, toolchain, root, workspace, Blobs, confinement, maxJobBytes, TimeSpan.FromMinutes(2)), CancellationToken.None);
        }
        finally
        {
            if (owned) workspace.Dispose();
        }
    }
}
