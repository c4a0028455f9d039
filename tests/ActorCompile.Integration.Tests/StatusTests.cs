using System.Diagnostics;
using ActorCompile.Tests;
using Xunit;

namespace ActorCompile.Integration.Tests;

/// <summary>The status CLI against real nodes: the same jobs seen from the target and from a helper, --watch, no node.</summary>
public sealed class StatusTests
{
    private static HashSet<string> WorkersWithJobs(string socket)
    {
        using var s = Wrapper.Status(socket);
        return s.RootElement.GetProperty("jobs").EnumerateArray()
            .Where(j => j.GetProperty("phase").GetString() is "compiling" or "sending" or "returning" or "done")
            .Select(j => j.GetProperty("worker").GetString())
            .OfType<string>()
            .ToHashSet();
    }

    [Fact]
    public async Task During_a_build_the_target_and_a_helper_both_see_jobs_on_both_workers()
    {
        using var scratch = new TempDirectory("ac-status");
        var fake = FakeCompiler.Sleepy(scratch.Path, 1.0); // slow enough to be seen in flight
        var noHelp = scratch.Write("no-help.hocon", "actorcompile.coordinator.help-after = 1h\n");
        // A fake compiler (a shell script around gcc) cannot run in a sealed root: these workers run without one.
        var unsandboxed = scratch.Write("unsandboxed.hocon", "actorcompile.worker.sandbox = off\n");
        using var cluster = new TestCluster(2, coordinatorArgs: new[] { "--config", noHelp }, workerArgs: new[] { "--slots", "2", "--toolchain", fake, "--config", unsandboxed });
        await cluster.WaitForWorkers();
        for (int i = 0; i < 8; i++) scratch.Write($"p/f{i}.c", $"int f{i}(void) {{ return {i}; }}\n");
        scratch.Write("p/Makefile", "OBJS := $(patsubst %.c,%.o,$(wildcard *.c))\nall: $(OBJS)\n%.o: %.c\n\t$(CC) -O2 -c $< -o $@\n");

        var psi = new ProcessStartInfo("make") { WorkingDirectory = scratch.Combine("p"), UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-j8", $"CC={Dist.Wrapper} {fake}" }) psi.ArgumentList.Add(a);
        psi.Environment["ACTORCOMPILE_SOCKET"] = cluster.Coordinator.Socket;
        psi.Environment["ACTORCOMPILE_FALLBACK"] = "0";
        using var make = Process.Start(psi)!;

        var fromTarget = new HashSet<string>();
        var fromHelper = new HashSet<string>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline && (fromTarget.Count < 2 || fromHelper.Count < 2))
        {
            fromTarget.UnionWith(WorkersWithJobs(cluster.Coordinator.Socket));
            fromHelper.UnionWith(WorkersWithJobs(cluster.Worker(0).Socket));
            await Task.Delay(200);
        }
        make.WaitForExit(60_000);
        Assert.Equal(0, make.ExitCode);
        var both = new[] { cluster.Worker(0).Address, cluster.Worker(1).Address }.Order().ToArray();
        Assert.Equal(both, fromTarget.Order().ToArray());
        Assert.Equal(both, fromHelper.Order().ToArray());
    }

    [Fact]
    public async Task Watch_redraws_until_ctrl_c_and_then_ends_cleanly()
    {
        using var cluster = new TestCluster(1, workerArgs: new[] { "--toolchain", "gcc" }, prefix: "ac-watch");
        await cluster.WaitForWorkers();
        var psi = new ProcessStartInfo(Dist.Wrapper) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("status");
        psi.ArgumentList.Add("--watch");
        psi.Environment["ACTORCOMPILE_SOCKET"] = cluster.Coordinator.Socket;
        using var watch = Process.Start(psi)!;
        var output = watch.StandardOutput.ReadToEndAsync();
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        Assert.False(watch.HasExited);
        Run.Program("kill", new[] { "-INT", watch.Id.ToString() });
        Assert.True(watch.WaitForExit(TimeSpan.FromSeconds(5)), "--watch did not end on Ctrl-C");
        Assert.Equal(0, watch.ExitCode);
        Assert.Contains(cluster.Worker(0).Address, await output);
    }

    [Fact]
    public async Task Status_answers_quickly_and_lists_hosts_and_slots()
    {
        using var cluster = new TestCluster(2, workerArgs: new[] { "--slots", "3", "--toolchain", "gcc" }, prefix: "ac-hosts");
        await cluster.WaitForWorkers();
        var env = new Dictionary<string, string> { ["ACTORCOMPILE_SOCKET"] = cluster.Coordinator.Socket };
        var watch = Stopwatch.StartNew();
        var status = Run.Program(Dist.Wrapper, new[] { "status" }, env: env);
        Assert.Equal(0, status.ExitCode);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5)); // a bound against hanging, not a benchmark
        Assert.Contains("Workers", status.Stdout);
        var hosts = Run.Program(Dist.Wrapper, new[] { "--show-hosts" }, env: env).Stdout.Trim().Split('\n');
        Assert.Equal(new[] { cluster.Worker(0).Address + "/3", cluster.Worker(1).Address + "/3" }.Order(), hosts.Order());
        var jobs = Run.Program(Dist.Wrapper, new[] { "-j" }, env: env).Stdout.Trim();
        Assert.Equal((6 + Environment.ProcessorCount).ToString(), jobs);
    }
}
