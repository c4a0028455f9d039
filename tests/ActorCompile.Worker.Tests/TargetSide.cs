using ActorCompile.Protocol;
using ActorCompile.Protocol.Messages;
using ActorCompile.Tests;
using ActorCompile.Toolchain.Arguments;
using ActorCompile.Toolchain.Dependencies;
using ActorCompile.Toolchain.Jobs;
using Xunit;

namespace ActorCompile.Worker.Tests;

/// <summary>
/// What the wrapper and coordinator do on the target, in one place for worker tests: analyse the
/// command, scan its dependencies with the real compiler, collect the inputs, and build the CompileJob.
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
        var scan = Run.Program(compiler, CommandRewriter.ForDependencyScan(command), cwd);
        Assert.True(scan.ExitCode == 0, scan.Stderr);
        var system = SystemDirectories(compiler, command);
        var collected = InputCollector.Collect(command, cwd, MakeDependencies.ParsePrerequisites(scan.Stdout), system);
        Assert.True(collected.Inputs is not null, collected.LocalReason);
        var inputs = collected.Inputs!;
        var job = new CompileJob(
            RequestId: 1,
            JobId: jobId,
            Supervisor: Akka.Actor.ActorRefs.Nobody,
            Fingerprint: "test",
            Args: args.ToArray(),
            WorkingDirectory: cwd,
            Mirror: inputs.Entries.ToArray(),
            SystemIncludeDirectories: system.ToArray(),
            PreincludeStdcPredef: inputs.PreincludeStdcPredef,
            Environment: CompileEnvironment.Capture(Environment.GetEnvironmentVariable).Select(v => new EnvironmentVariable(v.Key, v.Value)).ToArray(),
            ColorDiagnostics: false,
            Blobs: inputs.Contents.Select(c => Payload.ToBlob(c.Key, c.Value)).ToArray(),
            TimeoutMilliseconds: timeoutMilliseconds);
        return (job, inputs);
    }
}
