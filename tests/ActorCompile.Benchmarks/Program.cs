using System.Globalization;
using System.Text;
using System.Text.Json;
using ActorCompile.Benchmarks;

// ./build.sh bench: ActorCompile measured side by side with gcc and distcc. A benchmark, not a test: it
// reports figures, and fails only when something did not work (a build failed, objects differ).
//   dotnet run --project tests/ActorCompile.Benchmarks -- RESULTS_DIR --dist DIST --workloads DIR [--only per-job,builds,transport,scheduler] [--quick]
var inv = CultureInfo.InvariantCulture;
var options = ParseOptions(args);
var results = Path.GetFullPath(options.GetValueOrDefault("results") ?? "bench/results");
var dist = Path.GetFullPath(options.GetValueOrDefault("dist") ?? "dist");
var workloads = options.GetValueOrDefault("workloads") is { } w ? Path.GetFullPath(w) : null;
var only = (options.GetValueOrDefault("only") ?? "per-job,builds,transport,scheduler").Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
bool quick = options.ContainsKey("quick");
Directory.CreateDirectory(results);
var stamp = DateTime.UtcNow.ToString("yyyy-MM-dd", inv);
var gccVersion = Shell.Run("gcc", new[] { "-dumpfullversion" }, "/").Stdout.Trim();
var distccVersion = Shell.Run("distcc", new[] { "--version" }, "/").Stdout.Split('\n')[0].Trim();
var machine = $"{Environment.ProcessorCount} cores, gcc {gccVersion}, {distccVersion}";
var work = Path.Combine(Path.GetTempPath(), "actorcompile-bench-" + Environment.ProcessId);
Directory.CreateDirectory(work, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
void Say(string s) => Console.WriteLine(s);
var json = new JsonSerializerOptions { WriteIndented = true };

try
{
    if (only.Contains("per-job") || only.Contains("builds"))
    {
        var comparison = new Comparison(dist, work, workloads ?? "", Say);
        if (only.Contains("per-job"))
        {
            Say("== 1, 2: per-job cost of a trivial compile; the wrapper's cost on commands that stay local");
            var (trivial, wrapper) = comparison.PerJob(quick ? 8 : 40);
            var md = new StringBuilder();
            md.AppendLine(inv, $"### Per job ({stamp}, {machine})");
            md.AppendLine();
            md.AppendLine("A trivial compile (`gcc -c t.c`, t.c includes stdio.h), milliseconds from start to exit: median (min–max).");
            md.AppendLine("distcc: one distccd on 127.0.0.1; ActorCompile: a coordinator and one worker on 127.0.0.1, the coordinator not compiling itself.");
            md.AppendLine();
            md.AppendLine("| gcc | distcc | ActorCompile | ActorCompile / distcc |");
            md.AppendLine("|---:|---:|---:|---:|");
            md.AppendLine(inv, $"| {trivial.PerJob["gcc"].Cell()} | {trivial.PerJob["distcc"].Cell()} | {trivial.PerJob["ActorCompile"].Cell()} | {trivial.PerJob["ActorCompile"].Median / trivial.PerJob["distcc"].Median:0.00} |");
            md.AppendLine();
            md.AppendLine(inv, $"Runs each: {trivial.PerJob["gcc"].Runs}; runs ActorCompile kept local: {trivial.ActorCompileLocalRuns}; runs distcc kept local: {trivial.DistccLocalRuns}.");
            md.AppendLine();
            md.AppendLine("Where an ActorCompile job's time goes (`ACTORCOMPILE_TIMING=1`), milliseconds: median (min–max). The wrapper's phases follow one another; the node's figures nest (remote ⊃ worker ⊃ mirror, compiler).");
            md.AppendLine();
            md.AppendLine("| phase | ms |");
            md.AppendLine("|---|---:|");
            foreach (var (k, v) in trivial.Breakdown) md.AppendLine(inv, $"| {k} | {v.Cell()} |");
            md.AppendLine();
            md.AppendLine("The wrapper on commands that stay local, milliseconds: median (min–max).");
            md.AppendLine();
            md.AppendLine("| command | gcc | actorcompile gcc | wrapper's cost (difference of medians) |");
            md.AppendLine("|---|---:|---:|---:|");
            foreach (var r in wrapper) md.AppendLine(inv, $"| `{r.Command}` | {r.Compiler.Cell()} | {r.Wrapper.Cell()} | {r.MedianOverheadMilliseconds:0.0} |");
            Write("per-job", md.ToString(), new { date = stamp, machine, trivial, wrapper });
        }
        if (only.Contains("builds"))
        {
            if (workloads is null) throw new InvalidOperationException("--workloads DIR is needed for the real builds (tests/bench/fetch-workloads.sh DIR fetches them)");
            Say("== 3, 5: real builds with two helpers on loopback; the nodes' peak memory");
            var (builds, memory, breakdown) = comparison.RealBuilds(quick ? 1 : 5, quick ? 1 : 3);
            var md = new StringBuilder();
            md.AppendLine(inv, $"### Real builds ({stamp}, {machine})");
            md.AppendLine();
            md.AppendLine("Seconds of wall time: median (min–max). distcc: two distccd on 127.0.0.1 (`--jobs 2` each); ActorCompile: a coordinator and two workers (2 slots each) on 127.0.0.1, the coordinator not compiling itself. All on the same machine, so the helpers share its cores.");
            md.AppendLine();
            md.AppendLine("| workload | gcc | distcc | ActorCompile | ActorCompile / distcc | objects (distcc; ActorCompile) | where jobs ran (distcc; ActorCompile) |");
            md.AppendLine("|---|---:|---:|---:|---:|---|---|");
            foreach (var b in builds)
                md.AppendLine(inv, $"| {b.Workload} | {b.Seconds["gcc"].Cell("0.00")} | {b.Seconds["distcc"].Cell("0.00")} | {b.Seconds["ActorCompile"].Cell("0.00")} | {b.Seconds["ActorCompile"].Median / b.Seconds["distcc"].Median:0.00} | {b.Objects["distcc"]}; {b.Objects["ActorCompile"]} | {b.Placement["distcc"]}; {b.Placement["ActorCompile"]} |");
            md.AppendLine();
            md.AppendLine("Where the SQLite job's time goes in ActorCompile (ms): median (min–max).");
            md.AppendLine();
            md.AppendLine("| phase | ms |");
            md.AppendLine("|---|---:|");
            foreach (var (k, v) in breakdown.Phases) md.AppendLine(inv, $"| {k} | {v.Cell("0")} |");
            md.AppendLine();
            md.AppendLine("Peak resident memory (VmHWM) of the node processes after the Lua builds:");
            md.AppendLine();
            md.AppendLine("| node | peak RSS (MiB) |");
            md.AppendLine("|---|---:|");
            foreach (var m in memory) md.AppendLine(inv, $"| {m.Node} | {m.PeakResidentMiB:0} |");
            Write("builds", md.ToString(), new { date = stamp, machine, builds, memory, sqliteBreakdown = breakdown });
            foreach (var b in builds)
                if (b.Objects.Values.Any(o => o.Contains("DIFFERENT", StringComparison.Ordinal)))
                    throw new InvalidOperationException($"{b.Workload}: objects differ from the local build");
        }
    }

    if (only.Contains("transport"))
    {
        Say("== 4: payload transport, there and back on loopback");
        if (workloads is null) throw new InvalidOperationException("--workloads DIR is needed: the payloads are preprocessed SQLite");
        var corpus = Encoding.UTF8.GetBytes(Shell.Must(Shell.Run("gcc", new[] { "-E", "-P", "sqlite3.c" }, Path.Combine(workloads, "sqlite3")), "preprocessing sqlite3.c").Stdout);
        var rows = Transport.Run(corpus, quick ? 5 : 30, Say);
        var md = new StringBuilder();
        md.AppendLine(inv, $"### Payload transport ({stamp}, {machine})");
        md.AppendLine();
        md.AppendLine("Preprocessed SQLite of the given size sent to another node on 127.0.0.1 and as many bytes sent back, milliseconds: median (min–max); throughput counts both directions.");
        md.AppendLine();
        md.AppendLine("| method | 0.1 MB | 1 MB | 5 MB | MB/s at 5 MB |");
        md.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var method in rows.Select(r => r.Method).Distinct())
        {
            var of = rows.Where(r => r.Method == method).ToDictionary(r => r.Megabytes);
            md.AppendLine(inv, $"| {method} | {of[0.1].Milliseconds.Cell("0.00")} | {of[1.0].Milliseconds.Cell("0.00")} | {of[5.0].Milliseconds.Cell("0.00")} | {of[5.0].MegabytesPerSecond:0} |");
        }
        Write("transport", md.ToString(), new { date = stamp, machine, rows });
    }

    if (only.Contains("scheduler"))
    {
        Say("== scheduler simulation: the real coordinator, simulated workers, 10,000 jobs with Lua 5.4.4's durations");
        var rows = new List<SchedulerSimulation.Result>();
        foreach (var slots in quick ? new[] { 8, 64 } : new[] { 8, 32, 64, 128, 256 })
        {
            // Durations scaled so that each run lasts about 8 s: the mean job is 0.8 ms per slot (6.4 ms at 8 slots, 205 ms at 256).
            double scale = 8.0 * slots / 10_000 / (SchedulerSimulation.LuaMilliseconds.Average() / 1000.0);
            var r = SchedulerSimulation.Run(slots, 10_000, scale);
            rows.Add(r);
            Say(string.Create(inv, $"  {r.Slots,4} slots ({r.Workers,2} workers): {r.Seconds,6:0.00} s, mean job {r.MeanJobMilliseconds,6:0.0} ms, CPU {r.CoordinatorMicrosecondsPerJob,6:0} µs/job, utilisation {r.Utilisation * 100,5:0.0} %"));
        }
        var md = new StringBuilder();
        md.AppendLine(inv, $"### Scheduler simulation ({stamp}, `./build.sh bench`)");
        md.AppendLine();
        md.AppendLine("| slots | workers | jobs | mean job (ms) | wall (s) | CPU per job (µs) | slot utilisation |");
        md.AppendLine("|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
            md.AppendLine(inv, $"| {r.Slots} | {r.Workers} | {r.Jobs} | {r.MeanJobMilliseconds:0.0} | {r.Seconds:0.00} | {r.CoordinatorMicrosecondsPerJob:0} | {r.Utilisation * 100:0.0} % |");
        Write("scheduler", md.ToString(), rows);
    }
}
finally
{
    try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
}

void Write(string name, string markdown, object data)
{
    File.WriteAllText(Path.Combine(results, name + ".md"), markdown);
    File.WriteAllText(Path.Combine(results, name + ".json"), JsonSerializer.Serialize(data, json));
    Console.WriteLine();
    Console.WriteLine(markdown);
    Console.WriteLine($"written to {Path.Combine(results, name)}.md and .json");
}

static Dictionary<string, string?> ParseOptions(string[] args)
{
    var o = new Dictionary<string, string?>();
    for (int i = 0; i < args.Length; i++)
    {
        if (args[i] == "--quick") o["quick"] = null;
        else if (args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Length) o[args[i][2..]] = args[++i];
        else o["results"] = args[i];
    }
    return o;
}
