using ActorCompile.Protocol;
using ActorCompile.Protocol.Messages;
using ActorCompile.Tests;
using ActorCompile.Toolchain.Identity;
using ActorCompile.Worker.Execution;
using Xunit;

namespace ActorCompile.Worker.Tests;

/// <summary>
/// The worker's half of a job with the real gcc, g++ and clang: the target's inputs are mirrored in a
/// private directory and the original command runs there, sealed in the toolchain's own root. Objects,
/// dependency files and diagnostics must be byte-identical to a local compile of the same command in
/// the same directory.
/// </summary>
public sealed class RemoteCompilationTests : IDisposable
{
    private readonly TempDirectory _dir = new("ac-remote");
    private readonly string _project;
    private readonly SealedJobs _worker;

    public RemoteCompilationTests()
    {
        _project = _dir.Combine("home/user/project");
        Directory.CreateDirectory(Path.Combine(_project, "build/obj"));
        Write("include/util.h", "#pragma once\n#include <stddef.h>\n#define SQUARE(x) ((x) * (x))\nstatic inline size_t twice(size_t v) { return v * 2; }\n");
        Write("include/config.h", "#ifndef CONFIG_H\n#define CONFIG_H\n#define ANSWER 42\n#endif\n");
        Write("src/calc.c", "#include <stdio.h>\n#include \"util.h\"\n#include \"../include/config.h\"\nint calc(int v) { return SQUARE(v) + (int)twice(ANSWER); }\nvoid show(int v) { printf(\"%s:%d %d\\n\", __FILE__, __LINE__, calc(v)); }\n");
        Write("src/warn.c", "int f(void) { int unused = 1; return 0; }\n");
        Write("src/error.c", "int f(void) { return undeclared_name; }\n");
        Write("src/lib.cpp", "#include <vector>\n#include <string>\n#include <map>\n#define PLUS(a, b) ((a) + (b))\nnamespace { struct S { int v = PLUS(1, 2); }; S s; }\n"
            + "template <class T> T add(T a, T b) { return PLUS(a, b); }\nint run(const std::vector<std::string>& v) { std::map<int, int> m; int n = 0; for (auto& x : v) n += add<int>((int)x.size(), s.v); m[n] = 1; return n + (int)m.size(); }\n");
        _worker = new SealedJobs(_dir.Combine("worker"));
    }

    private void Write(string relative, string content)
    {
        var full = Path.Combine(_project, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
    }

    public void Dispose() => _dir.Dispose();

    private sealed record Local(int ExitCode, string Stderr, Dictionary<string, byte[]> Files);

    private Local CompileLocally(string compiler, string[] args, string[] outputs)
    {
        var run = Run.Program(compiler, args, _project);
        var files = new Dictionary<string, byte[]>();
        foreach (var o in outputs)
        {
            var full = Path.Combine(_project, o);
            if (File.Exists(full)) { files[o] = File.ReadAllBytes(full); File.Delete(full); }
        }
        return new Local(run.ExitCode, run.Stderr, files);
    }

    private async Task<CompiledOutcome> CompileRemotely(string compiler, string[] args)
    {
        var (job, _) = TargetSide.Prepare(compiler, _project, args);
        _worker.TakeIn(job);
        var outcome = await _worker.Run(job, await SealedJobs.Toolchain(compiler));
        Assert.True(outcome is CompiledOutcome, $"the remote compile failed: {(outcome as FailedOutcome)?.Reason}");
        return (CompiledOutcome)outcome;
    }

    private async Task AssertIdentical(string compiler, string[] args, params string[] outputs)
    {
        var local = CompileLocally(compiler, args, outputs);
        var remote = await CompileRemotely(compiler, args);
        Assert.Equal(local.Stderr, Text.Of(remote.Stderr));
        Assert.Equal(local.ExitCode, remote.ExitCode);
        Assert.Equal(local.Files.Keys.Order(), remote.Outputs.Select(o => o.Path).Order());
        foreach (var (path, data) in remote.Outputs)
            Assert.True(local.Files[path].AsSpan().SequenceEqual(data), $"{path} differs from the local compile's ({compiler} {string.Join(' ', args)})");
    }

    [Theory]
    [InlineData("-O2")]
    [InlineData("-O0 -g")]
    [InlineData("-O2 -g3")]
    [InlineData("-O1 -g -Wall -Wextra -pedantic -std=c11")]
    public Task C_objects_are_identical(string flags) =>
        AssertIdentical("gcc", flags.Split(' ').Concat(new[] { "-Iinclude", "-c", "src/calc.c", "-o", "build/obj/calc.o" }).ToArray(), "build/obj/calc.o");

    [Fact]
    public Task Absolute_paths_give_identical_debug_objects() =>
        AssertIdentical("gcc", new[] { "-O0", "-g", "-I" + Path.Combine(_project, "include"), "-c", Path.Combine(_project, "src/calc.c"), "-o", Path.Combine(_project, "build/obj/calc.o") }, Path.Combine(_project, "build/obj/calc.o"));

    [Theory]
    [InlineData("-O2 -std=c++17")]
    [InlineData("-O0 -g -std=c++17")]
    public Task Cplusplus_objects_are_identical(string flags) =>
        AssertIdentical("g++", flags.Split(' ').Concat(new[] { "-c", "src/lib.cpp", "-o", "build/obj/lib.o" }).ToArray(), "build/obj/lib.o");

    [Theory]
    [InlineData("-MD")]
    [InlineData("-MMD")]
    public Task Dependency_files_are_identical(string flag) =>
        AssertIdentical("gcc", new[] { "-O2", "-Iinclude", flag, "-MP", "-c", "src/calc.c", "-o", "build/obj/calc.o" }, "build/obj/calc.o", "build/obj/calc.d");

    [Fact]
    public Task Dependency_file_with_MF_and_MT_is_identical() =>
        AssertIdentical("gcc", new[] { "-Iinclude", "-MD", "-MF", "build/calc.deps", "-MT", "custom-target", "-c", "src/calc.c", "-o", "build/obj/calc.o" }, "build/obj/calc.o", "build/calc.deps");

    [Theory]
    [InlineData("clang", "-O2", "src/calc.c")]
    [InlineData("clang", "-O0 -g", "src/calc.c")]
    [InlineData("clang++", "-O2 -std=c++17", "src/lib.cpp")]
    [InlineData("clang++", "-O0 -g -std=c++17", "src/lib.cpp")]
    public Task Clang_objects_are_identical(string compiler, string flags, string source) =>
        AssertIdentical(compiler, flags.Split(' ').Concat(new[] { "-Iinclude", "-c", source, "-o", "build/obj/out.o" }).ToArray(), "build/obj/out.o");

    [Fact]
    public Task Clang_dependency_files_are_identical() =>
        AssertIdentical("clang", new[] { "-O2", "-I" + Path.Combine(_project, "include"), "-MD", "-MP", "-c", Path.Combine(_project, "src/calc.c"), "-o", "build/obj/calc.o" }, "build/obj/calc.o", "build/obj/calc.d");

    [Fact]
    public Task Clang_warnings_read_the_same() =>
        AssertIdentical("clang", new[] { "-Wall", "-c", "src/warn.c", "-o", "build/obj/warn.o" }, "build/obj/warn.o");

    [Fact]
    public Task Warnings_read_the_same() =>
        AssertIdentical("gcc", new[] { "-Wall", "-c", "src/warn.c", "-o", "build/obj/warn.o" }, "build/obj/warn.o");

    [Fact]
    public Task Errors_read_the_same() =>
        AssertIdentical("gcc", new[] { "-Wall", "-c", "src/error.c", "-o", "build/obj/error.o" }, "build/obj/error.o");

    [Fact]
    public async Task The_mirror_is_built_in_the_jobs_tmpfs_not_on_disk_and_the_job_directory_is_removed()
    {
        // With a bounded box the mirror is in the job's tmpfs: on disk the job's directory holds the list it was built
        // from, the copies of the outputs the worker reads (the object, the worker's dependency list) and the box's verdict.
        Assert.True(SealedJobs.Sandbox.Bounded, SealedJobs.Sandbox.Description);
        var (job, _) = TargetSide.Prepare("gcc", _project, new[] { "-Iinclude", "-c", "src/calc.c", "-o", "build/obj/calc.o" }, "job-cleanup");
        _worker.TakeIn(job);
        var workspace = JobWorkspace.Create(_worker.Jobs, job.JobId, sandboxed: true);
        var outcome = await _worker.Run(job, await SealedJobs.Toolchain("gcc"), workspace: workspace);
        Assert.Equal(0, Assert.IsType<CompiledOutcome>(outcome).ExitCode);
        Assert.Contains(_project + "/src/calc.c\0", File.ReadAllText(workspace.MirrorList));
        Assert.False(Directory.Exists(workspace.Root));
        Assert.Equal(new[] { "box-status", "mirror", "out0", "out1" },
            Directory.EnumerateFiles(workspace.Directory, "*", SearchOption.AllDirectories).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal));
        workspace.Dispose();
        Assert.False(Directory.Exists(workspace.Directory));
    }
}
