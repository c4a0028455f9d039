using System.Globalization;
using System.Text;
using System.Text.Json;
using ActorCompile.Benchmarks;

// ./build.sh bench: ActorCompile's measurements. A benchmark, not a test: it reports, it never fails on a timing.
var results = Path.GetFullPath(args.Length > 0 ? args[0] : "bench/results");
Directory.CreateDirectory(results);
var inv = CultureInfo.InvariantCulture;

Console.WriteLine("== scheduler simulation: the real coordinator, simulated workers, 10,000 jobs with Lua 5.4.4's durations");
var rows = new List<SchedulerSimulation.Result>();
foreach (var slots in new[] { 8, 32, 64, 128, 256 })
{
    // Durations scaled so that each run lasts about 8 s: the mean job is 0.8 ms per slot (6.4 ms at 8 slots, 205 ms at 256).
    double scale = 8.0 * slots / 10_000 / (SchedulerSimulation.LuaMilliseconds.Average() / 1000.0);
    var r = SchedulerSimulation.Run(slots, 10_000, scale);
    rows.Add(r);
    Console.WriteLine(string.Create(inv, $"  {r.Slots,4} slots ({r.Workers,2} workers): {r.Seconds,6:0.00} s, mean job {r.MeanJobMilliseconds,6:0.0} ms, CPU {r.CoordinatorMicrosecondsPerJob,6:0} µs/job, utilisation {r.Utilisation * 100,5:0.0} %"));
}

var stamp = DateTime.UtcNow.ToString("yyyy-MM-dd", inv);
var md = new StringBuilder();
md.AppendLine(inv, $"### Scheduler simulation ({stamp}, `./build.sh bench`)");
md.AppendLine();
md.AppendLine("| slots | workers | jobs | mean job (ms) | wall (s) | CPU per job (µs) | slot utilisation |");
md.AppendLine("|---:|---:|---:|---:|---:|---:|---:|");
foreach (var r in rows)
    md.AppendLine(inv, $"| {r.Slots} | {r.Workers} | {r.Jobs} | {r.MeanJobMilliseconds:0.0} | {r.Seconds:0.00} | {r.CoordinatorMicrosecondsPerJob:0} | {r.Utilisation * 100:0.0} % |");
File.WriteAllText(Path.Combine(results, "scheduler.md"), md.ToString());
File.WriteAllText(Path.Combine(results, "scheduler.json"), JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true }));
Console.WriteLine();
Console.WriteLine(md.ToString());
Console.WriteLine($"written to {results}/scheduler.md and scheduler.json");
