using System.Globalization;
using System.Text;
using System.Text.Json;
using ActorCompile.Benchmarks;

// ./build.sh bench: ActorCompile measured side by side with gcc and distcc. A benchmark, not a test: it
// reports figures, and fails only when something did not work (a build failed, objects differ).
//   dotnet run --project tests/ActorCompile.Benchmarks -- RESULTS_DIR --dist DIST --workloads DIR [--only per-job,builds,footprint,transport,scheduler,shipped,cache] [--quick]
//     [--variants "NAME:KEY=VALUE,KEY=VALUE;NAME:dist=DIR"]  footprint only: more ActorCompile clusters measured in the same rounds,
//     their nodes started with that environment (DOTNET_* runtime settings) or from another dist/ (a different build of the node)
var inv = CultureInfo.InvariantCulture;
var options = ParseOptions(args);
var results = Path.GetFullPath(options.GetValueOrDefault("results") ?? "bench/results");
var dist = Path.GetFullPath(options.GetValueOrDefault("dist") ?? "dist");
var workloads = options.GetValueOrDefault("workloads") is { } w ? Path.GetFullPath(w) : null;
var only = (options.GetValueOrDefault("only") ?? "per-job,builds,footprint,transport,scheduler,shipped,cache").Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
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

    if (only.Contains("footprint"))
    {
        Say("== target CPU per distributed job, the nodes' memory through Lua, idle CPU; ActorCompile against distcc");
        if (workloads is null) throw new InvalidOperationException("--workloads DIR is needed: the section builds Lua");
        var variants = new List<Footprint.Variant> { new("ActorCompile", dist, new Dictionary<string, string?>()) };
        foreach (var spec in (options.GetValueOrDefault("variants") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var (name, settings) = (spec.Split(':', 2)[0], spec.Split(':', 2) is { Length: 2 } parts ? parts[1] : "");
            var env = settings.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(kv => kv.Split('=', 2)).ToDictionary(kv => kv[0], kv => (string?)kv[1]);
            var variantDist = env.Remove("dist", out var d) ? Path.GetFullPath(d!) : dist;
            variants.Add(new("ActorCompile, " + name, variantDist, env));
        }
        var r = new Footprint(work, workloads, Say).Run(variants, idleSeconds: quick ? 20 : 60, rounds: quick ? 1 : 3);
        File.WriteAllText(Path.Combine(results, "footprint-memory.svg"), Footprint.Svg(r.Traces));
        Write("footprint", FootprintMarkdown(r, variants), new { date = stamp, machine, loadAverage = new { start = r.Load.Start, end = r.Load.End },
            variants = variants.Select(v => new { v.Name, v.Dist, v.Environment }), r.IdleSeconds, r.IdleCpu, r.Cpu, r.Memory, r.WarmUps, r.Traces });
    }

    if (only.Contains("shipped"))
    {
        Say("== shipped toolchains: helpers without a compiler against helpers with gcc, and against distcc");
        if (workloads is null) throw new InvalidOperationException("--workloads DIR is needed: the section builds Lua");
        // Needs root or user namespaces (see HelperWithoutCompilers); without them the section is skipped, not the bench.
        var (launcher, whyNot) = HelperWithoutCompilers.Prepare(Path.Combine(work, "helper-without-compilers"));
        if (launcher is null) Say($"SKIPPED the shipped-toolchain section: {whyNot}");
        else
        {
            var comparison = new Comparison(dist, work, workloads, Say);
            var loadBefore = LoadAverage();
            var r = new ShippedToolchains(dist, work, comparison, Say).Run(launcher, firstJobRounds: quick ? 2 : 5, perJobRounds: quick ? 10 : 100, luaRounds: quick ? 1 : 5);
            var load = (Start: loadBefore, End: LoadAverage());
            Write("shipped", ShippedMarkdown(r, load), new { date = stamp, machine, loadAverage = new { start = load.Start, end = load.End }, r.Bytes, r.FirstJobs, r.CachedPerJob, r.Lua });
            if (r.Lua.Objects.Values.Any(o => o.Contains("DIFFERENT", StringComparison.Ordinal)))
                throw new InvalidOperationException($"{r.Lua.Workload}: objects differ from the local build");
        }
    }

    if (only.Contains("cache"))
    {
        Say("== result cache: cold and warm builds with the cache on, cold with it off, ccache cold and warm; one unit's hit");
        if (workloads is null) throw new InvalidOperationException("--workloads DIR is needed: the section builds Lua and SQLite");
        var ccacheVersion = Shell.Run("ccache", new[] { "--version" }, "/").Stdout.Split('\n')[0].Trim();
        var cacheMachine = $"{Environment.ProcessorCount} cores (nproc), gcc {gccVersion}, {ccacheVersion}";
        var loadBefore = LoadAverage();
        var r = new ResultCacheBench(dist, work, workloads, Say).Run(luaRounds: quick ? 1 : 5, sqliteRounds: quick ? 1 : 3, unitRuns: 20);
        var load = (Start: loadBefore, End: LoadAverage());
        var uptime = Shell.Run("uptime", Array.Empty<string>(), "/").Stdout.Trim();
        Write("cache", ResultCacheBench.Markdown(r, stamp, cacheMachine, load, uptime),
            new { date = stamp, machine = cacheMachine, command = "./build.sh bench --only cache" + (quick ? " --quick" : ""), loadAverage = new { start = load.Start, end = load.End }, uptime, r.LuaRounds, r.SqliteRounds, r.Rows, r.Unit, sqliteBreakdown = r.Sqlite });
        if (ResultCacheBench.AnyDifferent(r)) throw new InvalidOperationException("result cache: objects differ from the local build or from the cold build");
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
catch
{
    // The nodes' logs are there: the error messages name them.
    Console.Error.WriteLine($"the bench failed; its work directory is kept: {work}");
    throw;
}
try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }

string ShippedMarkdown(ShippedToolchains.Result r, (double Start, double End) load)
{
    var md = new StringBuilder();
    md.AppendLine(inv, $"### Shipped toolchains ({stamp}, {machine})");
    md.AppendLine();
    // The machine is shared: what else ran says how far these figures are from a quiet machine's.
    md.AppendLine(inv, $"Load average (1 min) at the start and the end of the section: {load.Start:0.0} and {load.End:0.0}.");
    md.AppendLine();
    md.AppendLine("Helpers with no compiler at all (worker nodes in a mount namespace where every gcc, g++, cc, cpp and clang is hidden) run the target's gcc shipped to them; "
        + "\"native\" helpers run the same gcc installed. Two targets (coordinators) on 127.0.0.1, one per kind of helper, neither compiling itself; helpers have 2 slots.");
    md.AppendLine();
    md.AppendLine("Toolchain bytes shipped to a fresh helper by a job of each driver, MB (10^6 bytes): raw is the toolchain's tree on the helper (its status), on the wire the LZ4-compressed files that travelled (the target's status); "
        + "\"after the other\" is what the toolchain adds on a helper that holds the other one already (the files they share do not travel again). "
        + "A driver's toolchain holds every compiler proper it may run for `-c` (gcc compiles C++ sources too: cc1 and cc1plus are in both).");
    md.AppendLine();
    md.AppendLine("| toolchain | raw | on the wire | on the wire, after the other |");
    md.AppendLine("|---|---:|---:|---:|");
    foreach (var b in r.Bytes) md.AppendLine(inv, $"| {b.Toolchain} | {Megabytes(b.Raw)} | {Megabytes(b.Wire)} | {Megabytes(b.WireAfterTheOther)} |");
    md.AppendLine();
    md.AppendLine(inv, $"The first job on a fresh helper (a new node with a new work directory each round: no toolchain, no header cached) against the same job on a fresh native helper, milliseconds of the wrapper from start to exit: median (min–max) over {r.FirstJobs[0].Shipped.Runs} rounds, after one not counted (the target takes its compiler apart once).");
    md.AppendLine();
    md.AppendLine("| command | shipped | native | shipped / native |");
    md.AppendLine("|---|---:|---:|---:|");
    foreach (var f in r.FirstJobs) md.AppendLine(inv, $"| `{f.Command}` | {f.Shipped.Cell("0")} | {f.Native.Cell("0")} | {f.Shipped.Median / f.Native.Median:0.00} |");
    md.AppendLine();
    var p = r.CachedPerJob;
    double ratio = p.Shipped.Median / p.Native.Median;
    md.AppendLine(inv, $"Per job with the toolchain cached on the helper: the per-job section's trivial compile (`gcc -c t.c`, t.c includes stdio.h), one helper per target, {p.Shipped.Runs} runs each, alternated; milliseconds: median (min–max).");
    md.AppendLine();
    md.AppendLine("| shipped | native | shipped / native | goal: within 5 % |");
    md.AppendLine("|---:|---:|---:|---|");
    md.AppendLine(inv, $"| {p.Shipped.Cell()} | {p.Native.Cell()} | {ratio:0.000} | {(ratio <= 1.05 ? "met" : "not met")} |");
    md.AppendLine();
    md.AppendLine("Where those jobs' time goes (`ACTORCOMPILE_TIMING=1`), milliseconds: median (min–max).");
    md.AppendLine();
    md.AppendLine("| phase | shipped | native |");
    md.AppendLine("|---|---:|---:|");
    foreach (var (k, v) in p.ShippedPhases) md.AppendLine(inv, $"| {k} | {v.Cell()} | {(p.NativePhases.TryGetValue(k, out var n) ? n.Cell() : "n/a")} |");
    md.AppendLine();
    var l = r.Lua;
    string Seconds(string tool) => l.Seconds[tool].Cell("0.00");
    double Median(string tool) => l.Seconds[tool].Median;
    md.AppendLine(inv, $"{l.Workload}: seconds of wall time, median (min–max) over {l.Seconds["gcc"].Runs} rounds after one not counted, tools alternated. Two helpers per target (2 slots each); distcc: two distccd (`--jobs 2` each). All on the same machine, so the helpers share its cores.");
    md.AppendLine();
    md.AppendLine("| gcc | distcc | ActorCompile, native | ActorCompile, shipped | shipped / native | shipped / distcc |");
    md.AppendLine("|---:|---:|---:|---:|---:|---:|");
    md.AppendLine(inv, $"| {Seconds("gcc")} | {Seconds("distcc")} | {Seconds("ActorCompile, native")} | {Seconds("ActorCompile, shipped")} | {Median("ActorCompile, shipped") / Median("ActorCompile, native"):0.00} | {Median("ActorCompile, shipped") / Median("distcc"):0.00} |");
    md.AppendLine();
    md.AppendLine(inv, $"Objects against the local build: distcc {l.Objects["distcc"]}; native {l.Objects["ActorCompile, native"]}; shipped {l.Objects["ActorCompile, shipped"]}. "
        + $"Where jobs ran: distcc {l.Placement["distcc"]}; native {l.Placement["ActorCompile, native"]}; shipped {l.Placement["ActorCompile, shipped"]} (every build of both is checked: all on its target's helpers).");
    return md.ToString();
}

string FootprintMarkdown(Footprint.Result r, IReadOnlyList<Footprint.Variant> variants)
{
    var md = new StringBuilder();
    md.AppendLine(inv, $"### Target CPU, memory and idle CPU ({stamp}, {machine})");
    md.AppendLine();
    md.AppendLine(inv, $"`./build.sh bench --only footprint{(quick ? " --quick" : "")}`. Load average (1 min) at the start and the end of the section: {r.Load.Start:0.0} and {r.Load.End:0.0} (the machine is shared; CPU figures are counted ticks, less disturbed by load than wall times).");
    if (variants.Count > 1)
    {
        md.AppendLine();
        md.AppendLine("ActorCompile variants, each a cluster of its own measured in the same rounds:");
        foreach (var v in variants.Skip(1))
            md.AppendLine(inv, $"- {v.Name}: {string.Join(", ", v.Environment.Select(kv => $"`{kv.Key}={kv.Value}`"))}{(v.Dist != dist ? $" from `{v.Dist}`" : "")}");
    }
    md.AppendLine();
    md.AppendLine("Target CPU per unit: the CPU of make and of every process it waited for (wait4's rusage through `/usr/bin/time`: make, the shell, the wrappers or distcc's client, `gcc -M` scans or distcc's preprocessor, links) plus the target's node (its /proc/PID/stat utime+stime, children included), divided by the units compiled, milliseconds: median (min–max) over the rounds. "
        + "distcc: two distccd (`--jobs 2` each); ActorCompile: a coordinator (help-after 1h: it never compiles itself) and two workers with 2 slots each; all on 127.0.0.1. "
        + "The limit: local CPU per unit (gcc's row) divided by the tool's target CPU per unit, the most helpers' worth of work one target can feed. Helpers' nodes: the workers' own CPU per unit (their compilers excluded; distccd not counted).");
    md.AppendLine();
    md.AppendLine("| workload | tool | wall s | target CPU ms/unit | of which the node | the limit | helpers' nodes ms/unit | objects against local |");
    md.AppendLine("|---|---|---:|---:|---:|---:|---:|---|");
    foreach (var c in r.Cpu)
        md.AppendLine(inv, $"| {c.Workload} | {c.Tool} | {c.WallSeconds.Cell("0.00")} | {c.TargetMsPerUnit.Cell("0.0")} | {(c.Tool is "gcc" or "distcc" ? "–" : c.NodeMsPerUnit.Cell("0.0"))} | {(c.Tool == "gcc" ? "–" : c.Limit.ToString("0.00", inv))} | {(c.Tool is "gcc" or "distcc" ? "–" : c.HelperNodesMsPerUnit.Cell("0.0"))} | {c.Objects} |");
    md.AppendLine();
    md.AppendLine(inv, $"The target node's CPU per Lua unit (its /proc/PID/stat, children included), by Lua build since its cluster started, ms: build 1 is the traced build right after the idle minute (a fresh node), the next are the Lua rounds above, and those after them follow the {Footprint.SmallUnits}-unit rounds. One build each, not a median. Issue 20's goals: at most 5 ms on the first build, at most 2 on the fifth.");
    md.AppendLine();
    int columns = r.WarmUps.Select(w => w.NodeMsPerUnit.Count).DefaultIfEmpty(0).Max();
    md.AppendLine("| tool | " + string.Join(" | ", Enumerable.Range(1, columns).Select(b => $"build {b}")) + " |");
    md.AppendLine("|---|" + string.Concat(Enumerable.Repeat("---:|", columns)));
    foreach (var w in r.WarmUps) md.AppendLine(inv, $"| {w.Tool} | {string.Join(" | ", w.NodeMsPerUnit.Select(x => x.ToString("0.0", inv)))} |");
    md.AppendLine();
    md.AppendLine(inv, $"Resident memory (VmRSS) of each node, MiB: idle is the median over the idle minute below; peak through Lua is the highest sample (every 200 ms) through one Lua build; peak over the section is VmHWM at its end (Lua and the {Footprint.SmallUnits}-unit builds; for distccd the largest one process's). distccd: the daemon and its distccd children summed (pages they share counted in each). Plot: `footprint-memory.svg`. Private: `Private_Dirty` of `/proc/PID/smaps_rollup` (pages only that process holds and has written: what issue 20's goals count), idle median and highest sample through the Lua build.");
    md.AppendLine();
    md.AppendLine("| tool | node | idle | peak through Lua | peak over the section | private idle | private peak through Lua |");
    md.AppendLine("|---|---|---:|---:|---:|---:|---:|");
    foreach (var m in r.Memory) md.AppendLine(inv, $"| {m.Tool} | {m.Node} | {m.IdleMiB:0.0} | {m.PeakMiB:0.0} | {m.PeakOverSectionMiB:0.0} | {m.IdlePrivateMiB:0.0} | {m.PeakPrivateMiB:0.0} |");
    md.AppendLine();
    md.AppendLine(inv, $"Idle: every node up, none serving a job, over {r.IdleSeconds:0} s from 15 s after the last cluster joined (the clusters start one after another, so the last ones are the youngest): utime+stime as % of one core, and voluntary context switches per second (every thread's: how often the process wakes).");
    md.AppendLine();
    md.AppendLine("| tool | node | CPU % of a core | wake-ups / s |");
    md.AppendLine("|---|---|---:|---:|");
    foreach (var i in r.IdleCpu) md.AppendLine(inv, $"| {i.Tool} | {i.Node} | {i.PercentOfACore:0.00} | {i.Wakeups:0} |");
    return md.ToString();
}

// The 1-minute load average of the machine.
static double LoadAverage() => double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);

// Bytes as MB; one figure when every round moved the same bytes.
static string Megabytes(Summary bytes)
{
    var mb = new Summary(bytes.Median / 1e6, bytes.Min / 1e6, bytes.Max / 1e6, bytes.Runs);
    return bytes.Min == bytes.Max ? mb.Median.ToString("0.0", CultureInfo.InvariantCulture) : mb.Cell();
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
