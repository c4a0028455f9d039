using ActorCompile.Protocol;
using ActorCompile.Protocol.Messages;
using ActorCompile.Tests;
using ActorCompile.Toolchain.Arguments;
using ActorCompile.Toolchain.Dependencies;
using ActorCompile.Toolchain.Jobs;
using ActorCompile.Toolchain.Scanning;
using Xunit;

namespace ActorCompile.Worker.Tests;

/// <summary>
/// What the wrapper and coordinator do on the target, in one place for worker tests: analyse the
/// command, find its inputs with the include scanner, collect them, hash their contents (the node's part),
/// and build the CompileJob.
/// </summary>
public static class TargetSide
{
    public static List<string> SystemDirectories(string compiler, CompileCommand command)
    {
        var (args, _) = CommandRewriter.ForSystemIncludeQuery(command);
        var run = Run.Program(compiler, args);
        Assert.Equal(0, run.ExitCode);
        return SystemIncludeDirectories.Parse(run.Stderr);
    }

    public static (CompileJob Job, JobInputs Inputs) Prepare(string compiler, string cwd, IReadOnlyList<string> args, string jobId = "job-1", long timeoutMilliseconds = 120_000)
    {
        var command = CompileCommand.Parse(args);
        Assert.True(command.IsDistributable, command.LocalReason);
        var system = SystemDirectories(compiler, command);
        CollectResult collected;
        if (compiler.Contains("clang", StringComparison.Ordinal))
        {
            // The include scanner follows gcc's rules; a clang job lists its inputs with clang's own -M, as the wrapper does.
            var deps = Run.Program(compiler, CommandRewriter.ForDependencyScan(command), cwd);
            Assert.True(deps.ExitCode == 0, deps.Stderr);
            var list = MakeDependencies.ParsePrerequisites(deps.Stdout);
            var files = list.Select(d => new ScannedFile(d, ActorCompile.Toolchain.Processes.Native.Status(Path.Combine(cwd, d))!.Value)).ToList();
            collected = InputCollector.Collect(command, cwd, files, Array.Empty<ScannedFile>(), system, InputCollector.PreincludesStdcPredef(command, list));
        }
        else
        {
            var scan = IncludeScanner.Scan(command, cwd, system, new ReadingDirectiveSource(ScanDialect.For(command), cwd));
            Assert.True(scan.Declined is null, scan.Declined);
            collected = InputCollector.Collect(command, cwd, scan.Files, scan.Probes, system, scan.PreincludeStdcPredef);
        }
        Assert.True(collected.Inputs is not null, collected.LocalReason);
        var inputs = collected.Inputs!;
        var contents = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var mirror = inputs.Entries.ToArray();
        for (int i = 0, file = 0; i < mirror.Length; i++)
        {
            if (mirror[i].Kind != MirrorEntryKind.File) continue;
            var content = File.ReadAllBytes(Path.Combine(cwd, inputs.Origins[file++]));
            var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content));
            contents[hash] = content;
            mirror[i] = mirror[i] with { Hash = hash, Size = content.Length };
        }
        var job = new CompileJob(
            RequestId: 1,
            JobId: jobId,
            Supervisor: Akka.Actor.ActorRefs.Nobody,
            Fingerprint: "test",
            Args: args.ToArray(),
            WorkingDirectory: cwd,
            Mirror: mirror,
            SystemIncludeDirectories: system.ToArray(),
            PreincludeStdcPredef: inputs.PreincludeStdcPredef,
            Environment: CompileEnvironment.Capture(Environment.GetEnvironmentVariable).Select(v => new EnvironmentVariable(v.Key, v.Value)).ToArray(),
            ColorDiagnostics: false,
            Blobs: contents.Select(c => Payload.ToBlob(c.Key, c.Value)).ToArray(),
            TimeoutMilliseconds: timeoutMilliseconds);
        return (job, inputs);
    }
}
