using System.Diagnostics;
using ActorCompile.Tests;
using Xunit;

namespace ActorCompile.Integration.Tests;

/// <summary>Projects, builds and node settings that the integration tests share.</summary>
public static class Builds
{
    public static readonly Dictionary<string, string> StrictAndVerbose = new() { ["ACTORCOMPILE_FALLBACK"] = "0", ["ACTORCOMPILE_VERBOSE"] = "1" };

    /// <summary>
    /// Worker settings for fakes that report outside their job directory (a log of when compiles start
    /// and end, a file saying the compiler started): bubblewrap would make those writes fail.
    /// </summary>
    public static string[] Unsandboxed(TempDirectory dir) =>
        new[] { "--config", dir.Write("unsandboxed.hocon", "actorcompile.worker.sandbox = off\n") };

    /// <summary>Settings that keep every job on the workers (the target never helps with the queue).</summary>
    public static string NoHelpConfig(TempDirectory dir) =>
        dir.Write("no-help.hocon", "actorcompile.coordinator.help-after = 1h\n");

    public static string CopySample(TempDirectory dir, string name = "sample-project")
    {
        var target = dir.Combine(name);
        Assert.Equal(0, Run.Shell($"cp -r '{Path.Combine(Dist.RepositoryRoot, "tests", "sample-project")}' '{target}' && rm -rf '{target}/build'").ExitCode);
        return target;
    }

    /// <summary>A small project of tiny files with a Makefile that compiles them with $(CC).</summary>
    /// <param name="compilerScanned">Every source includes its header through a macro call the include scanner
    /// does not follow, so that each compile runs the compiler's own -M scan on the target.</param>
    public static string SmallProject(TempDirectory dir, string name, int files, bool compilerScanned = false)
    {
        var include = compilerScanned ? "#define STR_(x) #x\n#define STR(x) STR_(x)\n#define HEADER(n) STR(n.h)\n#include HEADER(common)\n" : "#include \"common.h\"\n";
        for (int i = 0; i < files; i++)
            dir.Write($"{name}/src/f{i}.c", $"#include <stdio.h>\n{include}int f{i}(void) {{ return printf(\"%d\\n\", SCALE * {i}); }}\n");
        dir.Write($"{name}/include/common.h", "#define SCALE 3\n");
        dir.Write($"{name}/Makefile", "SRCS := $(wildcard src/*.c)\nOBJS := $(SRCS:src/%.c=build/%.o)\nall: $(OBJS)\nbuild/%.o: src/%.c\n\t@mkdir -p build\n\t$(CC) -O2 -Iinclude -c $< -o $@\n");
        return dir.Combine(name);
    }

    public static Dictionary<string, byte[]> Objects(string directory) =>
        Directory.GetFiles(directory, "*.o", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(directory, f), File.ReadAllBytes);

    public static Dictionary<string, byte[]> ReferenceBuild(string project)
    {
        var r = Run.Program("make", new[] { "-j4", "objects", "CC=gcc" }, project);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var objects = Objects(Path.Combine(project, "build"));
        Run.Program("make", new[] { "clean" }, project);
        return objects;
    }

    public static Process StartMake(string project, string socket, string compiler, string target, int jobs, IDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo("make") { WorkingDirectory = project, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { $"-j{jobs}", target, $"CC={Dist.Wrapper} {compiler}" }) psi.ArgumentList.Add(a);
        psi.Environment["ACTORCOMPILE_SOCKET"] = socket;
        psi.Environment["XDG_CACHE_HOME"] = Path.Combine(Path.GetDirectoryName(socket)!, "wrapper-cache"); // direct-mode records in the test's directory
        // The result cache off unless env turns it on, as for Wrapper.Run: these builds check where each
        // unit compiled, and a second build of one tree would be answered by the cache (ResultCacheTests).
        psi.Environment["ACTORCOMPILE_CACHE"] = "0";
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        return Process.Start(psi)!;
    }

    public static (int ExitCode, string Stderr) Finish(Process make)
    {
        var stderr = make.StandardError.ReadToEndAsync();
        make.StandardOutput.ReadToEnd();
        Assert.True(make.WaitForExit(TimeSpan.FromMinutes(5)), "make did not finish");
        return (make.ExitCode, stderr.Result);
    }

    public static void AssertSameObjects(Dictionary<string, byte[]> expected, Dictionary<string, byte[]> actual)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (file, bytes) in expected)
            Assert.True(bytes.AsSpan().SequenceEqual(actual[file]), $"{file} differs from the local build");
    }

    /// <summary>The number of C sources under a project's src/.</summary>
    public static int Sources(string project) => Directory.GetFiles(Path.Combine(project, "src"), "*.c", SearchOption.AllDirectories).Length;
}
