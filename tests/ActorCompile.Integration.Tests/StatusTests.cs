using System.Diagnostics;
using System.Text.RegularExpressions;
using ActorCompile.Tests;
using Xunit;

namespace ActorCompile.Integration.Tests;

/// <summary>The status CLI against real nodes: the same jobs seen from the target and from a helper, --watch, no node.</summary>
public sealed class StatusTests
{
    // Through the CLI's own status --json: this class tests the CLI (other tests ask the node in their process).
    private static HashSet<string> WorkersWithJobs(string socket)
    {
        using var s = Wrapper.StatusThroughCli(socket);
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
        await Eventually.True(() =>
        {
            fromTarget.UnionWith(WorkersWithJobs(cluster.Coordinator.Socket));
            fromHelper.UnionWith(WorkersWithJobs(cluster.Worker(0).Socket));
            return fromTarget.Count == 2 && fromHelper.Count == 2;
        }, TimeSpan.FromSeconds(60), "jobs on both workers, seen from the target and from a helper");
        Assert.True(make.WaitForExit(TimeSpan.FromMinutes(2)), "make did not finish");
        Assert.Equal(0, make.ExitCode);
        var both = new[] { cluster.Worker(0).Address, cluster.Worker(1).Address }.Order().ToArray();
        Assert.Equal(both, fromTarget.Order().ToArray());
        Assert.Equal(both, fromHelper.Order().ToArray());
    }

    [Fact]
    public async Task Watch_redraws_what_changed_until_ctrl_c_and_then_ends_cleanly()
    {
        using var cluster = new TestCluster(1, workerArgs: new[] { "--toolchain", "gcc" }, prefix: "ac-watch");
        await cluster.WaitForWorkers();
        var psi = new ProcessStartInfo(Dist.Wrapper) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("status");
        psi.ArgumentList.Add("--watch");
        psi.Environment["ACTORCOMPILE_SOCKET"] = cluster.Coordinator.Socket;
        using var watch = Process.Start(psi)!;
        // Each draw has the coordinator's row: address, queued, in flight, local slots busy/total, distributed, local.
        var row = new Regex($@"^\s*{Regex.Escape(cluster.Coordinator.Address)}\s+\d+\s+\d+\s+\d+/\d+\s+(\d+)\s+\d+\s*$");
        var distributed = new List<long>();
        var lines = new Queue<string>(); // the last draws, for a failure's message
        watch.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (distributed)
            {
                lines.Enqueue(e.Data);
                if (lines.Count > 60) lines.Dequeue();
                if (row.Match(e.Data) is { Success: true } m) distributed.Add(long.Parse(m.Groups[1].Value));
            }
        };
        string Recent() { lock (distributed) return string.Join('\n', lines); }
        var stderr = watch.StandardError.ReadToEndAsync();
        watch.BeginOutputReadLine();
        int Draws() { lock (distributed) return distributed.Count; }
        bool Drawn(long count) { lock (distributed) return distributed.Contains(count); }

        await Eventually.True(() => Drawn(0), TimeSpan.FromSeconds(30), "a draw with no job distributed yet");
        using var dir = new TempDirectory("ac-watch-build");
        dir.Write("a.c", "int watched(void) { return 1; }\n");
        var compile = Wrapper.Run(dir.Path, cluster.Coordinator.Socket, new[] { "gcc", "-O2", "-c", "a.c", "-o", "a.o" },
            new Dictionary<string, string> { ["ACTORCOMPILE_FALLBACK"] = "0" });
        Assert.True(compile.ExitCode == 0, compile.Stderr);
        // A later draw shows the job the coordinator distributed since.
        try
        {
            await Eventually.True(() => Drawn(1), TimeSpan.FromSeconds(30), "a redraw showing the distributed job");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}; the last lines drawn:\n{Recent()}\nthe compile's stderr:\n{compile.Stderr}", e);
        }
        Assert.False(watch.HasExited);
        lock (distributed) Assert.True(distributed.IndexOf(0) < distributed.IndexOf(1), string.Join(", ", distributed));

        CtrlC.AssertNotIgnored();
        Run.Program("kill", new[] { "-INT", watch.Id.ToString() });
        Assert.True(watch.WaitForExit(TimeSpan.FromSeconds(30)), "--watch did not end on Ctrl-C");
        Assert.True(watch.ExitCode == 0, await stderr);
        Assert.True(Draws() >= 2);
    }

    [Fact]
    public async Task Status_answers_and_lists_hosts_and_slots()
    {
        using var cluster = new TestCluster(2, workerArgs: new[] { "--slots", "3", "--toolchain", "gcc" }, prefix: "ac-hosts");
        await cluster.WaitForWorkers();
        var env = new Dictionary<string, string> { ["ACTORCOMPILE_SOCKET"] = cluster.Coordinator.Socket };
        // A bound against hanging, not a benchmark: Run.Program fails the test if status has not answered by then.
        var status = Run.Program(Dist.Wrapper, new[] { "status" }, env: env, timeout: TimeSpan.FromSeconds(30));
        Assert.Equal(0, status.ExitCode);
        Assert.Contains("Workers", status.Stdout);
        var hosts = Run.Program(Dist.Wrapper, new[] { "--show-hosts" }, env: env).Stdout.Trim().Split('\n');
        Assert.Equal(new[] { cluster.Worker(0).Address + "/3", cluster.Worker(1).Address + "/3" }.Order(), hosts.Order());
        var jobs = Run.Program(Dist.Wrapper, new[] { "-j" }, env: env).Stdout.Trim();
        Assert.Equal((6 + Environment.ProcessorCount).ToString(), jobs);
    }
}
