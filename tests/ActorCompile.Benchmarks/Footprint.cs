using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace ActorCompile.Benchmarks;

/// <summary>
/// What the target spends per distributed job, and what the nodes hold, side by side with distcc (issue 16):
/// the target's CPU per unit (make and everything it waits for: the wrappers or distcc's client, their scans
/// and preprocessors; plus the target's node) over Lua and over a project of many small C units; resident
/// memory of every node sampled through the Lua build; the CPU of nodes that serve no job.
/// Variants are further ActorCompile clusters run in the same rounds, their nodes started with other runtime
/// settings (environment) or from another dist/: before and after of a change, side by side in one run.
/// </summary>
public sealed class Footprint
{
    /// <summary>An ActorCompile cluster to measure: its name in the tables, its dist/ and its nodes' extra environment.</summary>
    public sealed record Variant(string Name, string Dist, IReadOnlyDictionary<string, string?> Environment);

    public sealed record CpuCost(string Workload, string Tool, int Units, Summary WallSeconds, Summary TargetMsPerUnit, Summary NodeMsPerUnit, Summary HelperNodesMsPerUnit, double Limit, string Objects);
    /// <param name="IdlePrivateMiB">Private_Dirty of smaps_rollup, idle (median): the memory the node alone holds, the goal's measure.</param>
    /// <param name="PeakPrivateMiB">Private_Dirty's highest sample through one Lua build.</param>
    public sealed record Resident(string Tool, string Node, double IdleMiB, double PeakMiB, double PeakOverSectionMiB, double IdlePrivateMiB = double.NaN, double PeakPrivateMiB = double.NaN);
    public sealed record Idle(string Tool, string Node, double Seconds, double PercentOfACore, double Wakeups);
    public sealed record Trace(string Tool, string Node, List<double[]> Samples);
    /// <summary>The target node's CPU per Lua unit in each Lua build since its cluster started (issue 20's goals: the first build and the fifth).</summary>
    public sealed record WarmUp(string Tool, List<double> NodeMsPerUnit);
    public sealed record Result(double IdleSeconds, List<Idle> IdleCpu, List<CpuCost> Cpu, List<Resident> Memory, List<Trace> Traces, List<WarmUp> WarmUps, (double Start, double End) Load);

    /// <summary>Lua builds counted per cluster in the warm-up table: the goal names the fifth.</summary>
    public const int WarmUpBuilds = 5;

    private const double TicksPerSecond = 100; // USER_HZ on Linux (getconf CLK_TCK)
    public const int SmallUnits = 200;

    private readonly string _work;
    private readonly string _workloads;
    private readonly Action<string> _say;

    public Footprint(string work, string workloads, Action<string> say)
    {
        _work = work;
        _workloads = workloads;
        _say = say;
    }

    /// <summary>A measured target: the make tool, and the processes of the target that are not make's children (its node).</summary>
    private sealed record Target(Comparison.Tool Tool, IReadOnlyList<int> TargetNodes, IReadOnlyList<int> HelperNodes, IReadOnlyList<(string Node, Func<IEnumerable<int>> Pids)> Nodes);

    public Result Run(IReadOnlyList<Variant> variants, int idleSeconds, int rounds)
    {
        double loadStart = LoadAverage();
        _say("starting two distccd (--jobs 2 each) and, per ActorCompile variant, a coordinator with two workers (2 slots each) on 127.0.0.1");
        using var distcc = new Distcc(Path.Combine(_work, "footprint-distcc"), daemons: 2, jobsEach: 2);
        var clusters = new List<Cluster>();
        try
        {
            foreach (var v in variants)
                clusters.Add(new Cluster(v.Dist, Path.Combine(_work, "footprint-" + Slug(v.Name)), workers: 2, slotsPerWorker: 2,
                    "actorcompile.coordinator.help-after = 1h\n", nodeEnvironment: v.Environment));
            var targets = new List<Target>
            {
                new(Comparison.Local, Array.Empty<int>(), Array.Empty<int>(), Array.Empty<(string, Func<IEnumerable<int>>)>()),
                new(Comparison.DistccTool(distcc), Array.Empty<int>(), Array.Empty<int>(),
                    distcc.Daemons.Select((d, i) => ($"distccd {i + 1} (daemon and its distccd children)", (Func<IEnumerable<int>>)(() => DistccdTree(d.Pid)))).ToList()),
            };
            foreach (var (v, c) in variants.Zip(clusters))
            {
                var workers = c.WorkerNodes;
                var nodes = new List<(string, Func<IEnumerable<int>>)> { ("coordinator", () => new[] { c.Coordinator.Pid }) };
                nodes.AddRange(workers.Select((w, i) => ($"worker {i + 1}", (Func<IEnumerable<int>>)(() => new[] { w.Process.Pid }))));
                targets.Add(new(Comparison.ActorCompileTool(c, verbose: true, name: v.Name, remoteOn: workers.Select(w => w.Address).ToHashSet()),
                    new[] { c.Coordinator.Pid }, workers.Select(w => w.Process.Pid).ToList(), nodes));
            }

            // Idle: every node up, none serving a job, measured from 15 s after the last joined (a node that waits
            // for builds, past its start-up's JIT and gossip). A measurement window, not a wait for a condition.
            Thread.Sleep(TimeSpan.FromSeconds(15));
            _say($"idle: {idleSeconds} s with no job");
            var idleCpu = MeasureIdle(targets, idleSeconds, out var idleResident);

            // Lua once per tool, resident memory sampled every 200 ms: the traces, and the builds that warm every cache.
            var lua = Path.Combine(_workloads, "lua-5.4.4");
            var traces = new List<Trace>();
            var peaks = new Dictionary<(string, string), (double Resident, double Private)>();
            // Every Lua build of an ActorCompile cluster, in order: the traced one below is its nodes' first build.
            var warmUps = targets.Where(t => t.TargetNodes.Count > 0).ToDictionary(t => t.Tool.Name, _ => new List<double>());
            foreach (var t in targets.Where(t => t.Nodes.Count > 0))
            {
                _say($"Lua with {t.Tool.Name}, resident memory sampled");
                Prepare(t.Tool, lua, "lua");
                using var sampler = new Sampler(t.Nodes);
                sampler.WaitForSamples(5); // a baseline before the build
                var first = Make(t, Tree(t.Tool, "lua"), LuaMake, requireRemote: true);
                if (warmUps.TryGetValue(t.Tool.Name, out var builds)) builds.Add(first.NodeSeconds * 1000 / first.Units);
                sampler.WaitForSamples(sampler.Count + 5); // and the tail after it
                foreach (var (node, samples) in sampler.Stop())
                {
                    traces.Add(new Trace(t.Tool.Name, node, samples));
                    peaks[(t.Tool.Name, node)] = samples.Count == 0 ? (double.NaN, double.NaN) : (samples.Max(s => s[1]), samples.Max(s => s[2]));
                }
            }

            var small = GenerateSmallProject();
            foreach (var t in targets) { Prepare(t.Tool, lua, "lua"); Prepare(t.Tool, small, "small"); }
            var cpu = new List<CpuCost>();
            cpu.AddRange(MeasureCpu(targets, "lua", $"Lua 5.4.4: make -j{Comparison.LuaJobs} linux (34 units)", LuaMake, rounds, builds: warmUps));
            cpu.AddRange(MeasureCpu(targets, "small", $"{SmallUnits} small C units: make -j{Comparison.LuaJobs}, gcc -O2 -g -c each", new[] { $"-j{Comparison.LuaJobs}" }, rounds, warmUp: true));
            // Lua again until every cluster has built it five times (after the small units' rounds: warm in every sense).
            foreach (var t in targets.Where(t => warmUps.ContainsKey(t.Tool.Name)))
                while (warmUps[t.Tool.Name].Count < WarmUpBuilds)
                {
                    var m = Make(t, Tree(t.Tool, "lua"), LuaMake, requireRemote: true);
                    warmUps[t.Tool.Name].Add(m.NodeSeconds * 1000 / m.Units);
                    _say(string.Create(CultureInfo.InvariantCulture, $"  lua with {t.Tool.Name}, build {warmUps[t.Tool.Name].Count}: node {m.NodeSeconds * 1000 / m.Units:0.0} ms/unit"));
                }

            var memory = targets.SelectMany(t => t.Nodes.Select(n =>
            {
                var idle = idleResident.TryGetValue((t.Tool.Name, n.Node), out var i) ? i : (Resident: double.NaN, Private: double.NaN);
                var peak = peaks.TryGetValue((t.Tool.Name, n.Node), out var p) ? p : (Resident: double.NaN, Private: double.NaN);
                return new Resident(t.Tool.Name, n.Node, idle.Resident, peak.Resident,
                    n.Pids().Select(Shell.PeakResidentMiB).DefaultIfEmpty(double.NaN).Max(), idle.Private, peak.Private);
            })).ToList();
            return new Result(idleSeconds, idleCpu, cpu, memory, traces, warmUps.Select(w => new WarmUp(w.Key, w.Value)).ToList(), (loadStart, LoadAverage()));
        }
        finally
        {
            foreach (var c in clusters) c.Dispose();
        }
    }

    private static readonly string[] LuaMake = { $"-j{Comparison.LuaJobs}", "linux" };

    private List<Idle> MeasureIdle(IReadOnlyList<Target> targets, int seconds, out Dictionary<(string, string), (double Resident, double Private)> resident)
    {
        var nodes = targets.SelectMany(t => t.Nodes.Select(n => (Tool: t.Tool.Name, n.Node, n.Pids))).ToList();
        var before = nodes.Select(n => (Ticks: n.Pids().Sum(p => CpuTicks(p, children: false)), Switches: n.Pids().Sum(VoluntarySwitches))).ToList();
        using var sampler = new Sampler(targets.SelectMany(t => t.Nodes.Select(n => ($"{t.Tool.Name}\n{n.Node}", n.Pids))).ToList());
        var clock = Stopwatch.StartNew();
        Thread.Sleep(TimeSpan.FromSeconds(seconds));
        double elapsed = clock.Elapsed.TotalSeconds;
        var samples = sampler.Stop();
        resident = samples.ToDictionary(s => (s.Node.Split('\n')[0], s.Node.Split('\n')[1]), s => s.Samples.Count == 0 ? (double.NaN, double.NaN)
            : (Summary.Of(s.Samples.Select(x => x[1]).ToList()).Median, Summary.Of(s.Samples.Select(x => x[2]).ToList()).Median));
        return nodes.Select((n, i) =>
        {
            double ticks = n.Pids().Sum(p => CpuTicks(p, children: false)) - before[i].Ticks;
            double switches = n.Pids().Sum(VoluntarySwitches) - before[i].Switches;
            return new Idle(n.Tool, n.Node, elapsed, ticks / TicksPerSecond / elapsed * 100, switches / elapsed);
        }).ToList();
    }

    /// <param name="builds">Where each build's node CPU per unit is appended, by tool (the warm-up table), if given.</param>
    private IEnumerable<CpuCost> MeasureCpu(IReadOnlyList<Target> targets, string tree, string workload, string[] makeArgs, int rounds, bool warmUp = false,
        Dictionary<string, List<double>>? builds = null)
    {
        var target = targets.ToDictionary(t => t.Tool.Name, _ => new List<double>());
        var node = targets.ToDictionary(t => t.Tool.Name, _ => new List<double>());
        var helpers = targets.ToDictionary(t => t.Tool.Name, _ => new List<double>());
        var wall = targets.ToDictionary(t => t.Tool.Name, _ => new List<double>());
        int units = 0;
        Dictionary<string, byte[]>? reference = null;
        var objects = targets.ToDictionary(t => t.Tool.Name, _ => "");
        if (warmUp)
            foreach (var t in targets.Where(t => t.Tool.Kind != Comparison.ToolKind.Local)) { _say($"{tree}: warm-up build with {t.Tool.Name}"); Make(t, Tree(t.Tool, tree), makeArgs, requireRemote: true); }
        for (int round = 0; round < rounds; round++)
            foreach (var t in Comparison.Rotated(targets, round))
            {
                var m = Make(t, Tree(t.Tool, tree), makeArgs, requireRemote: true);
                units = m.Units;
                // Compared right after each build: the tools share one tree, so a -g object records the same directory.
                var built = ObjectsIn(Tree(t.Tool, tree));
                if (t.Tool.Kind == Comparison.ToolKind.Local) reference ??= built;
                if (reference is not null && t.Tool.Kind != Comparison.ToolKind.Local && !objects[t.Tool.Name].Contains("DIFFERENT", StringComparison.Ordinal))
                    objects[t.Tool.Name] = CompareObjects(reference, built);
                target[t.Tool.Name].Add((m.MakeTreeSeconds + m.NodeSeconds) * 1000 / m.Units);
                node[t.Tool.Name].Add(m.NodeSeconds * 1000 / m.Units);
                if (builds is not null && builds.TryGetValue(t.Tool.Name, out var list)) list.Add(m.NodeSeconds * 1000 / m.Units);
                helpers[t.Tool.Name].Add(m.HelperNodeSeconds * 1000 / m.Units);
                wall[t.Tool.Name].Add(m.WallSeconds);
                _say(string.Create(CultureInfo.InvariantCulture, $"  {tree} with {t.Tool.Name}: {m.WallSeconds:0.00} s, target CPU {(m.MakeTreeSeconds + m.NodeSeconds) * 1000 / m.Units:0.0} ms/unit (node {m.NodeSeconds * 1000 / m.Units:0.0}); load {LoadAverage():0.0}"));
            }
        var local = Summary.Of(target["gcc"]).Median;
        return targets.Select(t =>
        {
            var perUnit = Summary.Of(target[t.Tool.Name]);
            return new CpuCost(workload, t.Tool.Name, units, Summary.Of(wall[t.Tool.Name]), perUnit, Summary.Of(node[t.Tool.Name]), Summary.Of(helpers[t.Tool.Name]),
                local / perUnit.Median, t.Tool.Kind == Comparison.ToolKind.Local ? "reference" : objects[t.Tool.Name]);
        }).ToList();
    }

    private sealed record Measured(double WallSeconds, double MakeTreeSeconds, double NodeSeconds, double HelperNodeSeconds, int Units);

    /// <summary>make clean, then make under /usr/bin/time (the CPU of make and of every process it waited for, wait4's rusage), with the target's nodes' CPU read around it.</summary>
    private Measured Make(Target t, string dir, string[] makeArgs, bool requireRemote)
    {
        Shell.Must(Shell.Run("make", new[] { "-s", "clean" }, dir), "make clean");
        var cpuFile = Path.Combine(dir, "make-cpu.txt");
        var cc = string.Join(' ', t.Tool.Prefix.Append(dir.Contains("lua", StringComparison.Ordinal) ? "gcc -std=gnu99" : "gcc"));
        long nodeBefore = t.TargetNodes.Sum(p => CpuTicks(p, children: true));
        long helpersBefore = t.HelperNodes.Sum(p => CpuTicks(p, children: false));
        var o = Shell.Must(Shell.Run("/usr/bin/time", new[] { "-o", cpuFile, "-f", "%e %U %S", "make", "-s" }.Concat(makeArgs).Append($"CC={cc}"), dir, t.Tool.Environment), $"{dir} with {t.Tool.Name}");
        long nodeTicks = t.TargetNodes.Sum(p => CpuTicks(p, children: true)) - nodeBefore;
        long helperTicks = t.HelperNodes.Sum(p => CpuTicks(p, children: false)) - helpersBefore;
        var f = File.ReadAllLines(cpuFile).Last().Split(' ').Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        int units = Directory.GetFiles(dir, "*.o", SearchOption.AllDirectories).Length;
        if (requireRemote && t.Tool.RemoteOn is { } workers)
        {
            var on = Comparison.WorkersCompiledOn(o.Stderr);
            if (on.Count != units || on.Any(w => !workers.Contains(w)))
                throw new InvalidOperationException($"{dir} with {t.Tool.Name}: {on.Count} of {units} compiles ran on its workers:\n{o.Stderr}");
        }
        if (t.Tool.Kind == Comparison.ToolKind.Distcc && o.Stderr.Contains("locally", StringComparison.Ordinal))
            throw new InvalidOperationException($"{dir} with distcc: some compiles fell back locally:\n{o.Stderr}");
        return new Measured(f[0], f[1] + f[2], nodeTicks / TicksPerSecond, helperTicks / TicksPerSecond, units);
    }

    /// <summary>
    /// One tree per workload that every tool builds in turn (make clean before each build): with -g an object
    /// records its build directory, so only objects built in the same directory can be compared byte for byte.
    /// </summary>
    private string Tree(Comparison.Tool t, string name) => Path.Combine(_work, $"{name}-fp");

    private void Prepare(Comparison.Tool t, string source, string name)
    {
        var tree = Tree(t, name);
        if (Directory.Exists(tree)) return;
        Shell.Must(Shell.Run("cp", new[] { "-r", source, tree }, _work), "copying " + name);
    }

    /// <summary>A project of many small C units (each a few functions over stdio.h, string.h, stdlib.h), the kind where the target's cost per job decides.</summary>
    private string GenerateSmallProject()
    {
        var dir = Path.Combine(_work, "small-source");
        Directory.CreateDirectory(dir);
        for (int i = 0; i < SmallUnits; i++)
            File.WriteAllText(Path.Combine(dir, $"unit{i:000}.c"), string.Create(CultureInfo.InvariantCulture, $$"""
                #include <stdio.h>
                #include <stdlib.h>
                #include <string.h>
                static int table[64];
                int unit{{i}}_hash(const char *s) { int h = {{i}}; for (; *s; s++) h = h * 31 + *s; return h; }
                void unit{{i}}_fill(void) { for (int k = 0; k < 64; k++) table[k] = k * {{i + 1}}; }
                int unit{{i}}_print(FILE *f) { char *copy = strdup("unit {{i}}"); int n = fprintf(f, "%s %d\n", copy, table[{{i % 64}}]); free(copy); return n; }

                """));
        File.WriteAllText(Path.Combine(dir, "Makefile"), "OBJS = $(patsubst %.c,%.o,$(wildcard *.c))\nall: $(OBJS)\n%.o: %.c\n\t$(CC) -O2 -g -c $< -o $@\nclean:\n\trm -f *.o\n");
        return dir;
    }

    private static Dictionary<string, byte[]> ObjectsIn(string tree) =>
        Directory.GetFiles(tree, "*.o", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(tree, f), File.ReadAllBytes);

    private static string CompareObjects(Dictionary<string, byte[]> reference, Dictionary<string, byte[]> objects)
    {
        int same = reference.Count(kv => objects.TryGetValue(kv.Key, out var o) && o.AsSpan().SequenceEqual(kv.Value));
        return same == reference.Count && objects.Count == reference.Count ? $"{same}/{reference.Count} identical" : $"{same}/{reference.Count} identical (DIFFERENT)";
    }

    private static string Slug(string name) => System.Text.RegularExpressions.Regex.Replace(name, "[^A-Za-z0-9]+", "-");

    public static double LoadAverage() => double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);

    /// <summary>The fields of /proc/PID/stat after the command's name (the first is field 3, the state).</summary>
    private static string[]? StatFields(int pid)
    {
        try
        {
            var s = File.ReadAllText($"/proc/{pid}/stat");
            return s[(s.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException) { return null; }
    }

    /// <summary>utime + stime of a process (and, with <paramref name="children"/>, of the children it waited for), in clock ticks.</summary>
    public static long CpuTicks(int pid, bool children)
    {
        var f = StatFields(pid);
        if (f is null) return 0;
        long t = long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture);
        if (children) t += long.Parse(f[13], CultureInfo.InvariantCulture) + long.Parse(f[14], CultureInfo.InvariantCulture);
        return t;
    }

    /// <summary>Voluntary context switches of every thread of a process: how often it went to sleep, so how often it woke.</summary>
    private static long VoluntarySwitches(int pid)
    {
        long n = 0;
        try
        {
            foreach (var task in Directory.GetDirectories($"/proc/{pid}/task"))
                foreach (var line in File.ReadLines(Path.Combine(task, "status")))
                    if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal))
                        n += long.Parse(line.Split(':')[1].Trim(), CultureInfo.InvariantCulture);
        }
        catch (IOException) { }
        return n;
    }

    /// <summary>A distccd daemon and its distccd children (the compilers they run excluded).</summary>
    private static IEnumerable<int> DistccdTree(int daemon)
    {
        var result = new List<int> { daemon };
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == daemon) continue;
            try
            {
                var s = File.ReadAllText(Path.Combine(dir, "stat"));
                var name = s[(s.IndexOf('(') + 1)..s.LastIndexOf(')')];
                var ppid = int.Parse(s[(s.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
                if (ppid == daemon && name == "distccd") result.Add(pid);
            }
            catch (IOException) { }
        }
        return result;
    }

    /// <summary>Private_Dirty of /proc/PID/smaps_rollup: pages only this process holds and has written (0 when gone).</summary>
    public static double PrivateDirtyMiB(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/smaps_rollup"))
                if (line.StartsWith("Private_Dirty:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
        }
        catch (IOException) { }
        return 0;
    }

    public static double ResidentMiB(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
        }
        catch (IOException) { }
        return 0;
    }

    /// <summary>Samples the resident memory of named process groups about every 200 ms on a thread of its own.</summary>
    private sealed class Sampler : IDisposable
    {
        private readonly IReadOnlyList<(string Node, Func<IEnumerable<int>> Pids)> _nodes;
        private readonly Dictionary<string, List<double[]>> _samples;
        private readonly Thread _thread;
        private volatile bool _stop;

        public Sampler(IReadOnlyList<(string Node, Func<IEnumerable<int>> Pids)> nodes)
        {
            _nodes = nodes;
            _samples = nodes.ToDictionary(n => n.Node, _ => new List<double[]>());
            var clock = Stopwatch.StartNew();
            _thread = new Thread(() =>
            {
                while (!_stop)
                {
                    var round = _nodes.Select(n => (n.Node, Sample: new[] { clock.Elapsed.TotalSeconds, n.Pids().Sum(ResidentMiB), n.Pids().Sum(PrivateDirtyMiB) })).ToList();
                    lock (_samples)
                    {
                        foreach (var (node, sample) in round) _samples[node].Add(sample);
                        Monitor.PulseAll(_samples);
                    }
                    Thread.Sleep(200); // the sampling period of the trace, not a wait for something
                }
            }) { IsBackground = true };
            _thread.Start();
        }

        /// <summary>Samples taken so far (of the first node: every round samples every node).</summary>
        public int Count { get { lock (_samples) return _samples[_nodes[0].Node].Count; } }

        /// <summary>Waits, bounded, until <paramref name="count"/> samples of every node are taken.</summary>
        public void WaitForSamples(int count)
        {
            var deadline = Stopwatch.StartNew();
            lock (_samples)
                while (_samples[_nodes[0].Node].Count < count && deadline.Elapsed < TimeSpan.FromSeconds(30))
                    Monitor.Wait(_samples, TimeSpan.FromMilliseconds(100));
        }

        public List<(string Node, List<double[]> Samples)> Stop()
        {
            _stop = true;
            _thread.Join();
            return _nodes.Select(n => (n.Node, _samples[n.Node])).ToList();
        }

        public void Dispose()
        {
            _stop = true;
            _thread.Join();
        }
    }

    /// <summary>The traces as an SVG plot: resident MiB over seconds, one polyline per node, one panel per tool.</summary>
    public static string Svg(IReadOnlyList<Trace> traces)
    {
        var inv = CultureInfo.InvariantCulture;
        var tools = traces.Select(t => t.Tool).Distinct().ToList();
        const int w = 640, h = 220, left = 50, bottom = 30, top = 24;
        double maxMiB = Math.Max(1, traces.SelectMany(t => t.Samples).Select(s => s[1]).DefaultIfEmpty(1).Max()) * 1.1;
        double maxSeconds = Math.Max(1, traces.SelectMany(t => t.Samples).Select(s => s[0]).DefaultIfEmpty(1).Max());
        string[] colours = { "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e" };
        var svg = new StringBuilder();
        svg.AppendLine(inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h * tools.Count}\" font-family=\"sans-serif\" font-size=\"11\">");
        for (int p = 0; p < tools.Count; p++)
        {
            int y0 = p * h;
            double X(double s) => left + s / maxSeconds * (w - left - 160);
            double Y(double mib) => y0 + h - bottom - mib / maxMiB * (h - bottom - top);
            svg.AppendLine(inv, $"<text x=\"{left}\" y=\"{y0 + 14}\" font-weight=\"bold\">{tools[p]}: resident MiB of each node through Lua's make -j{Comparison.LuaJobs} (1 s idle before and after)</text>");
            svg.AppendLine(inv, $"<line x1=\"{left}\" y1=\"{Y(0):0.0}\" x2=\"{X(maxSeconds):0.0}\" y2=\"{Y(0):0.0}\" stroke=\"black\"/><line x1=\"{left}\" y1=\"{Y(0):0.0}\" x2=\"{left}\" y2=\"{Y(maxMiB):0.0}\" stroke=\"black\"/>");
            for (double mib = 0; mib <= maxMiB; mib += maxMiB > 200 ? 50 : 25)
                svg.AppendLine(inv, $"<text x=\"{left - 4}\" y=\"{Y(mib) + 4:0.0}\" text-anchor=\"end\">{mib:0}</text><line x1=\"{left}\" y1=\"{Y(mib):0.0}\" x2=\"{X(maxSeconds):0.0}\" y2=\"{Y(mib):0.0}\" stroke=\"#ddd\"/>");
            for (int s = 0; s <= maxSeconds; s += maxSeconds > 20 ? 5 : 1)
                svg.AppendLine(inv, $"<text x=\"{X(s):0.0}\" y=\"{y0 + h - bottom + 14}\" text-anchor=\"middle\">{s}s</text>");
            var series = traces.Where(t => t.Tool == tools[p]).ToList();
            for (int i = 0; i < series.Count; i++)
            {
                var points = string.Join(' ', series[i].Samples.Select(s => string.Create(inv, $"{X(s[0]):0.0},{Y(s[1]):0.0}")));
                svg.AppendLine(inv, $"<polyline fill=\"none\" stroke=\"{colours[i % colours.Length]}\" stroke-width=\"1.5\" points=\"{points}\"/>");
                svg.AppendLine(inv, $"<text x=\"{w - 150}\" y=\"{y0 + top + 14 * (i + 1)}\" fill=\"{colours[i % colours.Length]}\">{System.Security.SecurityElement.Escape(series[i].Node.Split(' ', 3)[0] + (series[i].Node.Split(' ', 3) is { Length: > 1 } words ? " " + words[1] : ""))}</text>");
            }
        }
        svg.AppendLine("</svg>");
        return svg.ToString();
    }
}
