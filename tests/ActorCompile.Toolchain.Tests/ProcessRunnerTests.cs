using ActorCompile.Toolchain.Processes;
using Xunit;

namespace ActorCompile.Toolchain.Tests;

public sealed class ProcessRunnerTests
{
    /// <summary>
    /// bwrap --die-with-parent (every sandboxed compile) asks the kernel for SIGKILL when its parent thread
    /// exits: a program started from a thread that then ends, as a retired thread-pool thread does, must run
    /// to its end. (Real bubblewrap: build.sh installs it for the tests.)
    /// </summary>
    [Fact]
    public async Task A_sandboxed_program_outlives_the_thread_that_started_it()
    {
        Task<ProcessResult>? run = null;
        var starter = new Thread(() => run = ProcessRunner.RunAsync("bwrap", new[] { "--ro-bind", "/", "/", "--die-with-parent", "sleep", "1" }));
        starter.Start();
        starter.Join();
        Assert.False(starter.IsAlive);
        var result = await run!;
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode} (137: killed with its starting thread): {result.StderrText}");
    }
}
